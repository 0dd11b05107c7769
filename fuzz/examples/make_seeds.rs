//! Writes the seed corpora of the fuzz targets into `corpus/<target>/` (run by
//! `fuzz/make-seeds.sh`): inputs in each target's format, built from the sample certificates
//! in `testdata/`, the README's and the tests' policy documents, and updates signed with the
//! test key. The output is the same on every run.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certpin_fuzz::abi::{Store, c_ptr, c_string};
use certpin_fuzz::cases::*;
use certpin_fuzz::samples::{
    BACKUP_PINS, IN_2030, Moment, base_policy, base_update, sample, sample_der, sample_pin,
    sign_update,
};

fn main() {
    let root = std::env::args_os().nth(1).map(PathBuf::from).unwrap_or_else(|| "corpus".into());
    let mut seeds = Seeds { root, count: 0 };
    verify_chain(&mut seeds);
    explain(&mut seeds);
    store_add(&mut seeds);
    trust_anchor(&mut seeds);
    spki_sha256(&mut seeds);
    policy_document(&mut seeds);
    signed_update(&mut seeds);
    println!("wrote {} seeds under {}", seeds.count, seeds.root.display());
}

struct Seeds {
    root: PathBuf,
    count: usize,
}

impl Seeds {
    fn write(&mut self, target: &str, name: &str, bytes: &[u8]) {
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        let path: &Path = &dir.join(name);
        std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self.count += 1;
    }
}

/// A sample as inline DER (so that mutations change real certificate bytes).
fn der(index: usize) -> CertSource<'static> {
    CertSource::Der(sample_der(index))
}

const API: &[u8] = b"api.example.com";

fn verify_chain(seeds: &mut Seeds) {
    let base = VerifyCase {
        config: 0,
        time: IN_2030,
        later: Moment::Preset(4), // one second past the samples' notAfter
        port: 443,
        small: 40,
        domain_flags: 0,
        expires: Moment::Preset(6), // 0: never
        warn: Moment::Preset(6),
        anchors: vec![der(sample::ROOT)],
        pins: vec![
            (PatternSource::Host, PinSource::Sample(sample::INTERMEDIATE)),
            (PatternSource::Host, PinSource::Backup(0)),
        ],
        host: API,
        chain: vec![der(sample::LEAF), der(sample::INTERMEDIATE)],
    };
    let mut put =
        |name: &str, case: VerifyCase<'_>| seeds.write("verify_chain", name, &case.write());
    put("rsa-chain-pinned", base.clone());
    put(
        "rsa-chain-sample-refs",
        VerifyCase {
            anchors: vec![CertSource::Sample(sample::ROOT)],
            chain: vec![CertSource::Sample(sample::LEAF), CertSource::Sample(sample::INTERMEDIATE)],
            later: Moment::Preset(1),
            ..base.clone()
        },
    );
    put(
        "ec-chain-domain",
        VerifyCase {
            config: 16,
            anchors: vec![der(sample::EC_ROOT)],
            pins: vec![
                (PatternSource::AnyDepthHost, PinSource::Sample(sample::EC_ROOT)),
                (PatternSource::Host, PinSource::Backup(1)),
            ],
            chain: vec![der(sample::EC_LEAF), der(sample::EC_INTERMEDIATE)],
            expires: Moment::Raw(2_000_000_000),
            warn: Moment::Raw(1_900_000_000),
            ..base.clone()
        },
    );
    put(
        "mitm-mismatch-reported",
        VerifyCase {
            config: 8,
            anchors: vec![der(sample::ROGUE_CA), der(sample::ROOT)],
            pins: vec![
                (PatternSource::Host, PinSource::Sample(sample::LEAF)),
                (PatternSource::Text(b"*.example.com"), PinSource::Sample(sample::INTERMEDIATE)),
            ],
            chain: vec![der(sample::MITM_LEAF)],
            ..base.clone()
        },
    );
    put(
        "expired-leaf",
        VerifyCase {
            time: Moment::Preset(5),
            later: IN_2030,
            chain: vec![der(sample::EXPIRED_LEAF), der(sample::INTERMEDIATE)],
            ..base.clone()
        },
    );
    let mut long = vec![CertSource::Sample(sample::LEAF)];
    long.extend(std::iter::repeat_n(CertSource::Sample(sample::INTERMEDIATE), 16));
    put("seventeen-certificates", VerifyCase { chain: long, ..base.clone() });
    put(
        "size-limits",
        VerifyCase { chain: vec![CertSource::AtLimit, CertSource::OverLimit], ..base.clone() },
    );
    put(
        "pins-only",
        VerifyCase {
            config: 16,
            domain_flags: 2,
            anchors: vec![],
            pins: vec![
                (PatternSource::Text(b"device.local"), PinSource::Sample(sample::LEAF)),
                (PatternSource::Host, PinSource::Backup(0)),
            ],
            host: b"device.local",
            chain: vec![der(sample::LEAF)],
            ..base.clone()
        },
    );
    put("tofu", VerifyCase { config: 16, domain_flags: 8, pins: vec![], ..base.clone() });
    put(
        "report-only",
        VerifyCase {
            config: 16 | 8,
            domain_flags: 1,
            pins: vec![(PatternSource::AnyDepthHost, PinSource::Backup(0))],
            ..base.clone()
        },
    );
    put(
        "unpinned-refused-ip",
        VerifyCase {
            config: 4,
            pins: vec![(
                PatternSource::Text(b"www.example.com"),
                PinSource::Text(b"sha256/not-a-pin"),
            )],
            host: b"127.0.0.1",
            ..base.clone()
        },
    );
    put(
        "unicode-host-garbage-chain",
        VerifyCase {
            anchors: vec![],
            pins: vec![(PatternSource::Host, PinSource::Backup(0))],
            host: "B\u{fc}cher.example.".as_bytes(),
            chain: vec![
                CertSource::Der(b"\x30\x82\x01\x00\x30\x03\x02\x01\x02"),
                der(sample::EC_ROOT),
            ],
            time: Moment::Raw(u64::MAX - 1),
            ..base.clone()
        },
    );
}

fn explain(seeds: &mut Seeds) {
    let base = ExplainCase {
        policy: 0,
        config: 1,
        host: Ok(0),
        time: IN_2030,
        port: 8443,
        small: 64,
        chain: vec![der(sample::LEAF), der(sample::INTERMEDIATE)],
    };
    let ec = vec![der(sample::EC_LEAF), der(sample::EC_INTERMEDIATE)];
    let mitm = vec![der(sample::MITM_LEAF)];
    let mut put = |name: &str, case: ExplainCase<'_>| seeds.write("explain", name, &case.write());
    put("enforced-pinned", base.clone());
    put("enforced-mismatch", ExplainCase { host: Ok(1), config: 1 | 8, ..base.clone() });
    put("enforced-ec-broad-pattern", ExplainCase { config: 2, chain: ec.clone(), ..base.clone() });
    put("builtin-roots-unknown-issuer", ExplainCase { config: 0, ..base.clone() });
    put("report-only", ExplainCase { policy: 1, config: 1 | 8, ..base.clone() });
    put("unpinned-refused", ExplainCase { policy: 1, host: Ok(5), ..base.clone() });
    put("tofu-ca", ExplainCase { policy: 2, ..base.clone() });
    put(
        "tofu-pins-only",
        ExplainCase { policy: 2, host: Ok(3), chain: mitm.clone(), ..base.clone() },
    );
    put("pins-only", ExplainCase { policy: 3, config: 0, chain: ec.clone(), ..base.clone() });
    put(
        "pins-only-report",
        ExplainCase { policy: 3, host: Ok(1), chain: mitm.clone(), config: 8, ..base.clone() },
    );
    put("pins-expired", ExplainCase { policy: 4, ..base.clone() });
    put("pins-expiring", ExplainCase { policy: 4, host: Ok(1), ..base.clone() });
    put(
        "rogue-root-pinned",
        ExplainCase { policy: 5, config: 4, chain: mitm.clone(), ..base.clone() },
    );
    put(
        "raw-host",
        ExplainCase { policy: 5, config: 7, host: Err(b"WWW.example.com."), ..base.clone() },
    );
    put(
        "expired-leaf",
        ExplainCase {
            time: Moment::Preset(5),
            chain: vec![der(sample::EXPIRED_LEAF), der(sample::INTERMEDIATE)],
            ..base.clone()
        },
    );
}

fn store_add(seeds: &mut Seeds) {
    let pin = |index: usize| sample_pin(index).as_bytes();
    let ops = vec![
        StoreOp::Add { pattern: CText::Terminated(API), pin: CText::Terminated(pin(sample::LEAF)) },
        StoreOp::Add {
            pattern: CText::Terminated(b"API.Example.COM."),
            pin: CText::Terminated(pin(sample::LEAF)),
        },
        StoreOp::Add {
            pattern: CText::Terminated(b"*.example.com"),
            pin: CText::Terminated(BACKUP_PINS[0].as_bytes()),
        },
        StoreOp::SetUnpinned(1),
        StoreOp::SetDomain {
            pattern: CText::Terminated(b"**.example.org"),
            pins: vec![Some(PinSource::Sample(sample::ROOT)), Some(PinSource::Backup(1))],
            options: Some((0, Moment::Raw(2_000_000_000), Moment::Raw(1_900_000_000))),
        },
    ];
    let mut put = |name: &str, ops: Vec<StoreOp<'_>>| {
        seeds.write("store_add", name, &StoreCase { ops }.write())
    };
    put("adds-and-domain", ops);
    put(
        "domains-with-rules",
        vec![
            StoreOp::SetDomain {
                pattern: CText::Terminated(b"printer.local"),
                pins: vec![],
                options: Some((8 | 2, Moment::Preset(6), Moment::Preset(6))),
            },
            StoreOp::Add {
                pattern: CText::Terminated(b"printer.local"),
                pin: CText::Terminated(pin(sample::LEAF)),
            },
            StoreOp::SetDomain {
                pattern: CText::Terminated(b"legacy.example.com"),
                pins: vec![],
                options: Some((4, Moment::Preset(6), Moment::Preset(6))),
            },
            StoreOp::SetDomain {
                pattern: CText::Terminated(b"[::1]"),
                pins: vec![Some(PinSource::Backup(0))],
                options: Some((1, Moment::Preset(0), Moment::Preset(2))),
            },
            StoreOp::SetUnpinned(7),
        ],
    );
    put(
        "odd-strings",
        vec![
            StoreOp::Add {
                pattern: CText::Terminated(b"\xff\xfe.example"),
                pin: CText::Terminated(pin(0)),
            },
            StoreOp::Add {
                pattern: CText::Terminated("b\u{fc}cher.example".as_bytes()),
                pin: CText::Terminated(pin(1)),
            },
            StoreOp::Add {
                pattern: CText::Terminated(b"a\0b.example"),
                pin: CText::Terminated(b"sha256/\0"),
            },
            StoreOp::Add {
                pattern: CText::Unterminated(b"long.example."),
                pin: CText::Terminated(pin(2)),
            },
            StoreOp::Add { pattern: CText::Terminated(API), pin: CText::Unterminated(pin(3)) },
            StoreOp::SetDomain {
                pattern: CText::Terminated(API),
                pins: vec![Some(PinSource::Sample(4)), None],
                options: None,
            },
            StoreOp::Add {
                pattern: CText::Terminated(b"**.127.0.0.1"),
                pin: CText::Terminated(pin(5)),
            },
        ],
    );
    let long = "a".repeat(1025);
    put(
        "long-pattern",
        vec![
            StoreOp::Add {
                pattern: CText::Terminated(long.as_bytes()),
                pin: CText::Terminated(pin(0)),
            },
            StoreOp::Add {
                pattern: CText::Terminated(&long.as_bytes()[..1024]),
                pin: CText::Terminated(pin(0)),
            },
        ],
    );
}

fn trust_anchor(seeds: &mut Seeds) {
    for (index, sample) in certpin_fuzz::samples::SAMPLES.iter().enumerate() {
        let case = AnchorCase { config: (index % 4) as u8, der: sample.der };
        seeds.write("trust_anchor", sample.name, &case.write());
    }
    seeds.write(
        "trust_anchor",
        "root-twice",
        &AnchorCase { config: 4, der: sample_der(sample::ROOT) }.write(),
    );
    seeds.write(
        "trust_anchor",
        "ec-root-ec-chain",
        &AnchorCase { config: 1, der: sample_der(sample::EC_ROOT) }.write(),
    );
    seeds.write(
        "trust_anchor",
        "garbage",
        &AnchorCase { config: 0, der: b"\x30\x80\x02\x01" }.write(),
    );
}

fn spki_sha256(seeds: &mut Seeds) {
    for (index, sample) in certpin_fuzz::samples::SAMPLES.iter().enumerate() {
        let out_len = [52, 51, 60, 0][index % 4];
        seeds.write("spki_sha256", sample.name, &SpkiCase { out_len, der: sample.der }.write());
    }
    let mut trailing = sample_der(sample::LEAF).to_vec();
    trailing.push(0);
    seeds.write("spki_sha256", "trailing-byte", &SpkiCase { out_len: 52, der: &trailing }.write());
    seeds.write("spki_sha256", "empty", &SpkiCase { out_len: 52, der: b"" }.write());
}

/// The README's policy document (section "Policy documents"), as it stands.
fn readme_policy() -> Option<String> {
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find("### Policy documents")?..];
    let start = section.find("```json\n")? + "```json\n".len();
    let end = start + section[start..].find("```")?;
    Some(section[start..end].to_owned())
}

fn policy_documents() -> Vec<(&'static str, String)> {
    let [b0, b1] = BACKUP_PINS;
    let leaf = sample_pin(sample::LEAF);
    let mut documents = vec![
        ("base", base_policy()),
        ("minimal", r#"{"certpin_policy": 1}"#.to_owned()),
        ("every-key", format!(
            r#"{{"certpin_policy": 1, "version": 18446744073709551615, "expires": "2030-01-01T12:00:00+02:00",
                "unpinned_hosts": "refuse", "domains": {{
                "Example.com": {{"pins": ["{b0}", "{b1}"], "include_subdomains": true,
                                 "warn_after": "2027-05-01", "expires": "2027-06-01T00:00:00Z"}},
                "old.example.com": {{"exclude": true}},
                "*.cdn.example.com": {{"pins": ["{b0}"], "mode": "report_only", "trust": "ca_and_pins"}},
                "device.local": {{"tofu": true, "trust": "pins_only"}},
                "[2001:DB8::1]": {{"pins": ["{leaf}"], "mode": "report_only"}},
                "192.0.2.1": {{"pins": ["{leaf}", "{b0}"], "mode": "enforce"}},
                "bücher.example": {{"pins": ["{leaf}"], "mode": "report_only"}}}}}}"#
        )),
        ("one-pin-refused", format!(r#"{{"certpin_policy": 1, "domains": {{"a.example": {{"pins": ["{b0}"]}}}}}}"#)),
        ("same-pattern-twice", format!(
            r#"{{"certpin_policy": 1, "domains": {{"a.example": {{"pins": ["{b0}","{b1}"]}}, "A.example.": {{"pins": ["{b0}","{b1}"]}}}}}}"#
        )),
        ("same-key-twice", r#"{"certpin_policy": 1, "domains": {"a.example": {"exclude": true}, "a.example": {"exclude": true}}}"#.to_owned()),
        ("bad-date", format!(
            r#"{{"certpin_policy": 1, "domains": {{"a.example": {{"pins": ["{b0}","{b1}"], "expires": "soon", "warn_after": "1969-12-31"}}}}}}"#
        )),
        ("unknown-key", r#"{"certpin_policy": 1, "domain": {}}"#.to_owned()),
        ("wrong-format", r#"{"certpin_policy": 2}"#.to_owned()),
        ("truncated", "{\"certpin_policy\": 1, \"domains\": {\"a".to_owned()),
        ("deep-nesting", format!("{}{}", "[".repeat(200), "]".repeat(200))),
        ("doc-comment", include_str!("../../src/document.rs")
            .lines()
            .skip_while(|line| !line.starts_with("//! ```json"))
            .skip(1)
            .take_while(|line| !line.starts_with("//! ```"))
            .map(|line| line.trim_start_matches("//!").trim_start_matches(' '))
            .collect::<Vec<_>>()
            .join("\n")),
    ];
    if let Some(readme) = readme_policy() {
        documents.push(("readme", readme));
    }
    // The same store's export, as pin_store_export_policy writes it.
    let store = Store::new();
    let document = base_policy();
    // SAFETY: a live store and the document's bytes; no error buffer.
    let code = unsafe {
        certpin::pin_store_load_policy(
            store.ptr(),
            document.as_ptr(),
            document.len(),
            std::ptr::null_mut(),
            0,
        )
    };
    assert_eq!(code, certpin::PIN_OK);
    let host = c_string(b"learned.example");
    // SAFETY: a live store and two NUL-terminated strings.
    unsafe { certpin::pin_store_add(store.ptr(), c_ptr(&host), c_ptr(&c_string(b0.as_bytes()))) };
    documents.push(("export", store.export()));
    documents
}

fn policy_document(seeds: &mut Seeds) {
    for (index, (name, document)) in policy_documents().iter().enumerate() {
        // Alternate the base policy and the error buffer sizes.
        let config = ((index % 2) | ((index % 8) << 1)) as u8;
        seeds.write(
            "policy_document",
            name,
            &PolicyCase { config, document: document.as_bytes() }.write(),
        );
    }
}

fn signed_update(seeds: &mut Seeds) {
    let update = |version: u64, expires: &str| {
        let [b0, b1] = BACKUP_PINS;
        let root = sample_pin(sample::ROOT);
        format!(
            r#"{{"certpin_policy": 1, "version": {version}, "expires": "{expires}", "unpinned_hosts": "refuse",
                "domains": {{"**.example.com": {{"pins": ["{root}", "{b0}"]}}, "cdn.example.com": {{"pins": ["{b1}"], "mode": "report_only"}}}}}}"#
        )
        .into_bytes()
    };
    let v2 = update(2, "2040-01-01T00:00:00Z");
    let base = UpdateCase {
        mode: 1,
        base_version: 1,
        time: IN_2030,
        error_len: 5,
        signature: b"",
        document: &v2,
    };
    let mut put =
        |name: &str, case: UpdateCase<'_>| seeds.write("signed_update", name, &case.write());
    put("signed-raw", base.clone());
    put("signed-base64", UpdateCase { mode: 3, ..base.clone() });
    put("signed-base64-spaces", UpdateCase { mode: 7, base_version: 0, ..base.clone() });
    put("signed-two-keys", UpdateCase { mode: 1 | 8, ..base.clone() });
    put("stale-version", UpdateCase { base_version: 9, ..base.clone() });
    put("expired", UpdateCase { time: Moment::Preset(4), ..base.clone() });
    let no_expiry = br#"{"certpin_policy": 1, "version": 4}"#;
    put("no-expiry", UpdateCase { document: no_expiry, ..base.clone() });
    let version_zero = br#"{"certpin_policy": 1, "expires": "2046-01-01"}"#;
    put("version-zero", UpdateCase { document: version_zero, ..base.clone() });
    put("no-key-trusted", UpdateCase { mode: 1 | 16, ..base.clone() });
    // Raw mode with real signatures: the fuzzer must keep the two in step.
    let signature = sign_update(&v2);
    put("raw-valid-signature", UpdateCase { mode: 0, signature: &signature, ..base.clone() });
    let encoded = STANDARD.encode(signature);
    put(
        "raw-valid-base64",
        UpdateCase { mode: 0, signature: encoded.as_bytes(), base_version: 0, ..base.clone() },
    );
    let base_doc = base_update(1);
    let base_signature = sign_update(&base_doc);
    put(
        "raw-base-replayed",
        UpdateCase { mode: 0, signature: &base_signature, document: &base_doc, ..base.clone() },
    );
    put("raw-bad-signature", UpdateCase { mode: 0, signature: &[0u8; 64], ..base.clone() });
}
