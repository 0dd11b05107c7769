//! The input format of each target, read by the target and written by the seed generator
//! (`examples/make_seeds.rs`), so that the one definition serves both.
//!
//! Formats put the small fixed fields first and the variable ones after, each with its length,
//! so that most mutations change one field and leave the rest readable.

use std::borrow::Cow;

use certpin::CERTPIN_MAX_CERT_LEN;

use crate::input::{Reader, Writer};
use crate::samples::{BACKUP_PINS, Moment, SAMPLES, sample_der, sample_pin};

/// A certificate in an input: a two-byte length and the DER, or, for lengths of 0xFF00 and
/// above, a stand-in: a sample certificate (0xFF00 + index), or a certificate exactly at the
/// size limit (0xFFFE) or one byte over it (0xFFFF).
#[derive(Clone, Debug)]
pub enum CertSource<'a> {
    /// These bytes.
    Der(&'a [u8]),
    /// Sample `index` of [`SAMPLES`].
    Sample(usize),
    /// The leaf sample padded with zeros to `CERTPIN_MAX_CERT_LEN` bytes.
    AtLimit,
    /// The same, one byte longer.
    OverLimit,
}

impl<'a> CertSource<'a> {
    /// Reads one certificate.
    pub fn read(input: &mut Reader<'a>) -> Self {
        match input.u16() {
            0xFFFF => Self::OverLimit,
            0xFFFE => Self::AtLimit,
            len @ 0xFF00.. => Self::Sample(usize::from(len & 0xFF) % SAMPLES.len()),
            len => Self::Der(input.bytes(len.into())),
        }
    }

    /// Writes it as [`CertSource::read`] reads it.
    pub fn write(&self, out: &mut Writer) {
        match self {
            Self::Der(der) => out.bytes_u16(der),
            Self::Sample(index) => out.u16(0xFF00 + *index as u16),
            Self::AtLimit => out.u16(0xFFFE),
            Self::OverLimit => out.u16(0xFFFF),
        };
    }

    /// The certificate's bytes.
    pub fn der(&self) -> Cow<'a, [u8]> {
        let padded = |len: usize| {
            let mut der = sample_der(0).to_vec();
            der.resize(len, 0);
            Cow::Owned(der)
        };
        match self {
            Self::Der(der) => Cow::Borrowed(der),
            Self::Sample(index) => Cow::Borrowed(sample_der(*index)),
            Self::AtLimit => padded(CERTPIN_MAX_CERT_LEN),
            Self::OverLimit => padded(CERTPIN_MAX_CERT_LEN + 1),
        }
    }
}

/// A list of certificates: a one-byte count (taken modulo `max + 1`), then each one.
fn read_certs<'a>(input: &mut Reader<'a>, max: u8) -> Vec<CertSource<'a>> {
    let count = input.u8() % (max + 1);
    (0..count).map(|_| CertSource::read(input)).collect()
}

fn write_certs(out: &mut Writer, certs: &[CertSource<'_>]) {
    out.u8(certs.len() as u8);
    certs.iter().for_each(|cert| cert.write(out));
}

/// A pin string in an input: one byte; below 0x40 it names a known pin (a sample's, then the
/// two backups), otherwise `byte - 0x40` bytes of text follow (up to 191: past the 128-byte
/// limit).
#[derive(Clone, Debug)]
pub enum PinSource<'a> {
    /// The pin of sample `index`, from `testdata/pins.txt`.
    Sample(usize),
    /// `BACKUP_PINS[index]`.
    Backup(usize),
    /// These bytes.
    Text(&'a [u8]),
}

impl<'a> PinSource<'a> {
    /// Reads one pin.
    pub fn read(input: &mut Reader<'a>) -> Self {
        match input.u8() {
            selector @ 0..0x40 => match usize::from(selector) % (SAMPLES.len() + BACKUP_PINS.len())
            {
                index if index < SAMPLES.len() => Self::Sample(index),
                index => Self::Backup(index - SAMPLES.len()),
            },
            len => Self::Text(input.bytes(usize::from(len - 0x40))),
        }
    }

    /// Writes it as [`PinSource::read`] reads it.
    pub fn write(&self, out: &mut Writer) {
        match self {
            Self::Sample(index) => out.u8(*index as u8),
            Self::Backup(index) => out.u8((SAMPLES.len() + index) as u8),
            Self::Text(text) => out.u8(0x40 + text.len() as u8).bytes(text),
        };
    }

    /// The pin's bytes (no NUL).
    pub fn text(&self) -> &'a [u8] {
        match self {
            Self::Sample(index) => sample_pin(*index).as_bytes(),
            Self::Backup(index) => BACKUP_PINS[*index % BACKUP_PINS.len()].as_bytes(),
            Self::Text(text) => text,
        }
    }
}

/// The host pattern of a pin in [`VerifyCase`]: a one-byte length; 0 means the host being
/// verified, 0xFF `**.` and the host, anything else that many bytes of text.
#[derive(Clone, Debug)]
pub enum PatternSource<'a> {
    /// The host being verified.
    Host,
    /// `**.` and the host being verified.
    AnyDepthHost,
    /// These bytes.
    Text(&'a [u8]),
}

impl<'a> PatternSource<'a> {
    fn read(input: &mut Reader<'a>) -> Self {
        match input.u8() {
            0 => Self::Host,
            0xFF => Self::AnyDepthHost,
            len => Self::Text(input.bytes(len.into())),
        }
    }

    fn write(&self, out: &mut Writer) {
        match self {
            Self::Host => out.u8(0),
            Self::AnyDepthHost => out.u8(0xFF),
            Self::Text(text) => out.bytes_u8(text),
        };
    }

    /// The pattern's bytes for a chain verified for `host`.
    pub fn text(&self, host: &[u8]) -> Vec<u8> {
        match self {
            Self::Host => host.to_vec(),
            Self::AnyDepthHost => [b"**.", host].concat(),
            Self::Text(text) => text.to_vec(),
        }
    }
}

/// Input of the `verify_chain` target: a store built from the input (anchors, pins, rules)
/// and a chain to verify in it.
#[derive(Clone, Debug)]
pub struct VerifyCase<'a> {
    /// Bits 0-1: the number of trust anchors (3 counts as 2); bit 2: refuse unpinned hosts;
    /// bit 3: register a report callback; bit 4: give the pins as one domain with
    /// `pin_store_set_domain` (the first pin's pattern, or the host when there is no pin;
    /// `domain_flags` and the dates) instead of one by one with `pin_store_add`; bit 5: turn
    /// the verdict cache off.
    pub config: u8,
    /// When to verify.
    pub time: Moment,
    /// A second moment, to verify the same chain again (the verdict cache must agree with a
    /// full verification).
    pub later: Moment,
    /// The port for `pin_verify_chain_detailed`.
    pub port: u16,
    /// The size of the small explanation buffer.
    pub small: u8,
    /// `pin_domain_options.flags` (5 bits: the top one is not a defined flag).
    pub domain_flags: u8,
    /// `pin_domain_options.expires_at`.
    pub expires: Moment,
    /// `pin_domain_options.warn_after`.
    pub warn: Moment,
    /// The store's own trust anchors.
    pub anchors: Vec<CertSource<'a>>,
    /// Pins and their patterns (a one-byte count, modulo 5).
    pub pins: Vec<(PatternSource<'a>, PinSource<'a>)>,
    /// The host (two-byte length; a NUL is added; it may hold NULs and need not be UTF-8).
    pub host: &'a [u8],
    /// The chain, leaf first (a one-byte count modulo 18: one past the limit of 16).
    pub chain: Vec<CertSource<'a>>,
}

impl<'a> VerifyCase<'a> {
    /// Reads a case.
    pub fn read(data: &'a [u8]) -> Self {
        let input = &mut Reader::new(data);
        let config = input.u8();
        let time = Moment::read(input);
        let later = Moment::read(input);
        let port = input.u16();
        let small = input.u8();
        let domain_flags = input.u8() & 0x1F;
        let expires = Moment::read(input);
        let warn = Moment::read(input);
        let anchors = (0..(config & 3).min(2)).map(|_| CertSource::read(input)).collect();
        let pin_count = input.u8() % 5;
        let pins =
            (0..pin_count).map(|_| (PatternSource::read(input), PinSource::read(input))).collect();
        let host = input.bytes_u16();
        let chain = read_certs(input, 17);
        Self {
            config,
            time,
            later,
            port,
            small,
            domain_flags,
            expires,
            warn,
            anchors,
            pins,
            host,
            chain,
        }
    }

    /// Writes it as [`VerifyCase::read`] reads it (`config`'s anchor count is set from
    /// `anchors`).
    pub fn write(&self) -> Vec<u8> {
        let out = &mut Writer::default();
        out.u8((self.config & !3) | self.anchors.len().min(2) as u8);
        self.time.write(out);
        self.later.write(out);
        out.u16(self.port).u8(self.small).u8(self.domain_flags);
        self.expires.write(out);
        self.warn.write(out);
        self.anchors.iter().take(2).for_each(|anchor| anchor.write(out));
        out.u8(self.pins.len() as u8);
        for (pattern, pin) in &self.pins {
            pattern.write(out);
            pin.write(out);
        }
        out.bytes_u16(self.host);
        write_certs(out, &self.chain);
        std::mem::take(&mut out.bytes)
    }
}

/// The hosts the `explain` target picks from: the samples' names in several spellings, and
/// hosts the fixed policies cover otherwise.
pub const EXPLAIN_HOSTS: [&str; 10] = [
    "api.example.com",
    "www.example.com",
    "API.Example.COM.",
    "printer.local",
    "a.cdn.example.com",
    "other.example.org",
    "legacy.example.com",
    "127.0.0.1",
    "[::1]",
    "xn--bcher-kva.example",
];

/// Input of the `explain` target: a chain verified in a store with a fixed, rich policy.
#[derive(Clone, Debug)]
pub struct ExplainCase<'a> {
    /// Which fixed policy the store loads (modulo the number of policies).
    pub policy: u8,
    /// Bits 0-2: which sample roots are trust anchors (none: the built-in roots); bit 3:
    /// register a report callback.
    pub config: u8,
    /// The host: below 0x80 one of [`EXPLAIN_HOSTS`], else a one-byte length and the text.
    pub host: Result<usize, &'a [u8]>,
    /// When to verify.
    pub time: Moment,
    /// The port for `pin_verify_chain_detailed`.
    pub port: u16,
    /// The size of the small explanation buffer.
    pub small: u8,
    /// The chain, leaf first (a one-byte count modulo 18).
    pub chain: Vec<CertSource<'a>>,
}

impl<'a> ExplainCase<'a> {
    /// Reads a case.
    pub fn read(data: &'a [u8]) -> Self {
        let input = &mut Reader::new(data);
        let policy = input.u8();
        let config = input.u8();
        let host = match input.u8() {
            index @ 0..0x80 => Ok(usize::from(index) % EXPLAIN_HOSTS.len()),
            _ => Err(input.bytes_u8()),
        };
        let time = Moment::read(input);
        let port = input.u16();
        let small = input.u8();
        let chain = read_certs(input, 17);
        Self { policy, config, host, time, port, small, chain }
    }

    /// Writes it as [`ExplainCase::read`] reads it.
    pub fn write(&self) -> Vec<u8> {
        let out = &mut Writer::default();
        out.u8(self.policy).u8(self.config);
        match self.host {
            Ok(index) => out.u8(index as u8),
            Err(text) => out.u8(0x80).bytes_u8(text),
        };
        self.time.write(out);
        out.u16(self.port).u8(self.small);
        write_certs(out, &self.chain);
        std::mem::take(&mut out.bytes)
    }

    /// The host's bytes (no NUL).
    pub fn host_text(&self) -> &'a [u8] {
        match self.host {
            Ok(index) => EXPLAIN_HOSTS[index].as_bytes(),
            Err(text) => text,
        }
    }
}

/// A C string argument of the `store_add` target: NUL-terminated in an allocation of exactly
/// its size, or with no NUL in the most bytes the library may read.
#[derive(Clone, Debug)]
pub enum CText<'a> {
    /// These bytes and a NUL.
    Terminated(&'a [u8]),
    /// These bytes repeated, without any NUL (the call must refuse it as too long).
    Unterminated(&'a [u8]),
}

/// One call in the `store_add` target.
#[derive(Clone, Debug)]
pub enum StoreOp<'a> {
    /// `pin_store_add(store, pattern, pin)`.
    Add { pattern: CText<'a>, pin: CText<'a> },
    /// `pin_store_set_domain(store, pattern, pins, len, options)`; a `None` pin is a NULL
    /// entry; `options` is NULL or (flags, expires_at, warn_after).
    SetDomain {
        pattern: CText<'a>,
        pins: Vec<Option<PinSource<'a>>>,
        options: Option<(u32, Moment, Moment)>,
    },
    /// `pin_store_set_unpinned_hosts(store, rule)` (any value, not only the two defined).
    SetUnpinned(u32),
}

/// Input of the `store_add` target: up to 24 calls that fill a store. Each starts with an
/// operation byte: bits 0-1 the call (0 and 3 add, 1 sets a domain, 2 sets the unpinned
/// rule); bit 4: the pattern has no NUL; bit 5: the pin has no NUL (for a domain: one pin
/// entry is NULL).
#[derive(Clone, Debug)]
pub struct StoreCase<'a> {
    /// The calls, in order.
    pub ops: Vec<StoreOp<'a>>,
}

/// Most calls one `store_add` input makes.
pub const MAX_STORE_OPS: usize = 24;

impl<'a> StoreCase<'a> {
    /// Reads a case.
    pub fn read(data: &'a [u8]) -> Self {
        let input = &mut Reader::new(data);
        let mut ops = Vec::new();
        while !input.is_empty() && ops.len() < MAX_STORE_OPS {
            let op = input.u8();
            let text = |bytes, unterminated: bool| {
                if unterminated { CText::Unterminated(bytes) } else { CText::Terminated(bytes) }
            };
            ops.push(match op & 3 {
                0 | 3 => {
                    let pattern = text(input.bytes_u16(), op & 0x10 != 0);
                    let pin = text(PinSource::read(input).text(), op & 0x20 != 0);
                    StoreOp::Add { pattern, pin }
                }
                1 => {
                    let pattern = text(input.bytes_u16(), op & 0x10 != 0);
                    let count = input.u8() % 6;
                    let mut pins: Vec<_> =
                        (0..count).map(|_| Some(PinSource::read(input))).collect();
                    if op & 0x20 != 0 {
                        pins.push(None);
                    }
                    let options = match input.u8() {
                        0 => None,
                        flags => {
                            Some((u32::from(flags - 1), Moment::read(input), Moment::read(input)))
                        }
                    };
                    StoreOp::SetDomain { pattern, pins, options }
                }
                _ => StoreOp::SetUnpinned(u32::from(input.u8())),
            });
        }
        Self { ops }
    }

    /// Writes it as [`StoreCase::read`] reads it.
    pub fn write(&self) -> Vec<u8> {
        let out = &mut Writer::default();
        let unterminated = |text: &CText<'_>| matches!(text, CText::Unterminated(_));
        let bytes = |text: &CText<'a>| match text {
            CText::Terminated(bytes) | CText::Unterminated(bytes) => *bytes,
        };
        for op in &self.ops {
            match op {
                StoreOp::Add { pattern, pin } => {
                    let flags =
                        u8::from(unterminated(pattern)) << 4 | u8::from(unterminated(pin)) << 5;
                    out.u8(flags).bytes_u16(bytes(pattern));
                    PinSource::Text(bytes(pin)).write(out);
                }
                StoreOp::SetDomain { pattern, pins, options } => {
                    let null_entry = pins.iter().any(Option::is_none);
                    let flags =
                        1 | u8::from(unterminated(pattern)) << 4 | u8::from(null_entry) << 5;
                    out.u8(flags).bytes_u16(bytes(pattern));
                    let given: Vec<_> = pins.iter().flatten().collect();
                    out.u8(given.len() as u8);
                    given.iter().for_each(|pin| pin.write(out));
                    match options {
                        None => {
                            out.u8(0);
                        }
                        Some((flags, expires, warn)) => {
                            out.u8(*flags as u8 + 1);
                            expires.write(out);
                            warn.write(out);
                        }
                    }
                }
                StoreOp::SetUnpinned(rule) => {
                    out.u8(2).u8(*rule as u8);
                }
            }
        }
        std::mem::take(&mut out.bytes)
    }
}

/// Input of the `trust_anchor` target: a configuration byte, then the anchor's bytes.
#[derive(Clone, Debug)]
pub struct AnchorCase<'a> {
    /// Bits 0-1: the sample chain verified against the anchor (RSA leaf and intermediate, EC
    /// leaf and intermediate, the MITM leaf, the RSA leaf alone); bit 2: add the anchor twice;
    /// bit 3: add the sample root first.
    pub config: u8,
    /// The anchor's DER.
    pub der: &'a [u8],
}

impl<'a> AnchorCase<'a> {
    /// Reads a case.
    pub fn read(data: &'a [u8]) -> Self {
        let input = &mut Reader::new(data);
        Self { config: input.u8(), der: input.rest() }
    }

    /// Writes it as [`AnchorCase::read`] reads it.
    pub fn write(&self) -> Vec<u8> {
        [&[self.config][..], self.der].concat()
    }
}

/// Input of the `spki_sha256` target: the output buffer's size (modulo 61), then the DER.
#[derive(Clone, Debug)]
pub struct SpkiCase<'a> {
    /// `out_len`, 0 to 60.
    pub out_len: usize,
    /// The certificate.
    pub der: &'a [u8],
}

impl<'a> SpkiCase<'a> {
    /// Reads a case.
    pub fn read(data: &'a [u8]) -> Self {
        let input = &mut Reader::new(data);
        Self { out_len: usize::from(input.u8() % 61), der: input.rest() }
    }

    /// Writes it as [`SpkiCase::read`] reads it.
    pub fn write(&self) -> Vec<u8> {
        [&[self.out_len as u8][..], self.der].concat()
    }
}

/// The error buffer sizes the policy and update targets pick from.
pub const ERROR_LENS: [usize; 8] = [0, 1, 2, 5, 40, 256, 4096, 1 << 16];

/// Input of the `policy_document` target: a configuration byte, then the document.
#[derive(Clone, Debug)]
pub struct PolicyCase<'a> {
    /// Bit 0: load a base policy first (so that "unchanged" means something); bits 1-3: the
    /// error buffer's size ([`ERROR_LENS`]); bit 4: a NULL error buffer.
    pub config: u8,
    /// The JSON document (any bytes).
    pub document: &'a [u8],
}

impl<'a> PolicyCase<'a> {
    /// Reads a case.
    pub fn read(data: &'a [u8]) -> Self {
        let input = &mut Reader::new(data);
        Self { config: input.u8(), document: input.rest() }
    }

    /// Writes it as [`PolicyCase::read`] reads it.
    pub fn write(&self) -> Vec<u8> {
        [&[self.config][..], self.document].concat()
    }
}

/// Input of the `signed_update` target.
#[derive(Clone, Debug)]
pub struct UpdateCase<'a> {
    /// Bit 0: sign the document with the update key here (else the signature is taken from
    /// the input); bit 1: pass that signature as base64; bit 2: wrap it in white space;
    /// bit 3: also trust a second key; bit 4: trust no key at all.
    pub mode: u8,
    /// The version of a signed base update applied first (0: none).
    pub base_version: u8,
    /// When the update is applied.
    pub time: Moment,
    /// The error buffer's size: [`ERROR_LENS`] (modulo its length).
    pub error_len: u8,
    /// The signature (a one-byte length; read only when bit 0 of `mode` is clear).
    pub signature: &'a [u8],
    /// The document: the rest of the input.
    pub document: &'a [u8],
}

impl<'a> UpdateCase<'a> {
    /// Reads a case.
    pub fn read(data: &'a [u8]) -> Self {
        let input = &mut Reader::new(data);
        let mode = input.u8();
        let base_version = input.u8();
        let time = Moment::read(input);
        let error_len = input.u8();
        let signature = if mode & 1 == 0 { input.bytes_u8() } else { &[] };
        Self { mode, base_version, time, error_len, signature, document: input.rest() }
    }

    /// Writes it as [`UpdateCase::read`] reads it.
    pub fn write(&self) -> Vec<u8> {
        let out = &mut Writer::default();
        out.u8(self.mode).u8(self.base_version);
        self.time.write(out);
        out.u8(self.error_len);
        if self.mode & 1 == 0 {
            out.bytes_u8(self.signature);
        }
        out.bytes(self.document);
        std::mem::take(&mut out.bytes)
    }
}
