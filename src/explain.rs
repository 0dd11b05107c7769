//! Human-readable explanations of verdicts, modelled on OkHttp's pinning failure message: the
//! result, the policy that applied with its pins, and every certificate's pin and subject, so
//! that a developer can read what happened and paste the right pin.

use std::fmt::Write;

use x509_parser::prelude::{FromDer, X509Name};

use crate::cert_fields::{CertFields, name_text};
use crate::document::format_time;
use crate::pin::Pin;
use crate::policy::{Enforcement, PinSet, TrustMode};
use crate::result::{PinError, pin_result, result_code, result_description, result_name};
use crate::verify::{Verdict, notes};

/// The explanation of `verdict`, which was reached for `chain`.
pub fn explain(verdict: &Verdict, chain: &[&[u8]]) -> String {
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = write_explanation(&mut text, verdict, chain);
    text
}

/// The first line of every explanation: the result's name and description. Alone, it is the
/// explanation of an argument error (no verdict was reached).
pub fn headline(code: pin_result) -> String {
    format!("{}: {}\n", result_name(code), result_description(code))
}

fn write_explanation(out: &mut String, verdict: &Verdict, chain: &[&[u8]]) -> std::fmt::Result {
    out.push_str(&headline(result_code(&verdict.result)));
    match &verdict.host {
        Some(host) => writeln!(out, "  host: {host}")?,
        None => return Ok(()),
    }
    writeln!(out, "  checked at: {} ({})", format_time(verdict.unix_time), verdict.unix_time)?;
    match &verdict.pin_set {
        Some(set) => write_pin_set(out, set)?,
        None => writeln!(out, "  policy: none (host not pinned: plain validation)")?,
    }
    write_notes(out, verdict)?;
    if let Some(pin) = verdict.matched_pin {
        writeln!(out, "  pinned key on the validated path: {pin}")?;
    }
    writeln!(out, "  chain sent by the server:")?;
    for (index, der) in chain.iter().enumerate() {
        match certificate_summary(der) {
            Some((pin, subject)) => {
                writeln!(out, "    [{index}] {pin}  {subject}")?;
                // The leaf's fingerprint, for comparing keys out of band (TOFU, key changes).
                let tofu = verdict.notes & notes::TOFU_FIRST_USE != 0;
                let mismatch = verdict.result == Err(PinError::PinMismatch);
                if index == 0 && (tofu || mismatch) {
                    writeln!(out, "        certificate SHA-256 fingerprint: {}", fingerprint(der))?;
                }
            }
            None => {
                writeln!(out, "    [{index}] (not a parsable certificate, {} bytes)", der.len())?
            }
        }
        if let Some((_, why)) = verdict.ignored.iter().find(|(at, _)| *at == index) {
            writeln!(out, "        ignored for path building: {}", why.text())?;
        }
    }
    if let Some(issuer) = &verdict.refused_issuer {
        let subject = certificate_summary(issuer).map_or_else(
            || "(unparsable certificate)".to_owned(),
            |(pin, subject)| format!("{pin}  {subject}"),
        );
        writeln!(
            out,
            "  path refused: an issuer's keyUsage does not allow signing certificates (no keyCertSign): {subject}"
        )?;
    }
    if verdict.signature_budget_spent && verdict.result.is_err() {
        writeln!(
            out,
            "  path building stopped: the chain needed more signature checks than one verification may make (about 150 with P-256 keys, 10 with P-384)"
        )?;
    }
    if let Some(failure) = &verdict.strict_failure {
        writeln!(out, "  strict profile: {failure}")?;
    }
    if let Some(path) = &verdict.rejected_path {
        writeln!(out, "  valid path with no pinned key (leaf first, trust anchor last):")?;
        for pin in &path.pins {
            writeln!(out, "    {pin}")?;
        }
        writeln!(out, "    trust anchor: {}", anchor_name_text(&path.anchor_subject))?;
    }
    Ok(())
}

fn write_pin_set(out: &mut String, set: &PinSet) -> std::fmt::Result {
    let rules = &set.rules;
    if rules.excluded {
        return writeln!(
            out,
            "  policy: {} (excluded from pinning: plain validation)",
            set.pattern
        );
    }
    let mode = match (rules.tofu, rules.enforcement) {
        (true, _) if set.pins.is_empty() => "trust on first use, no key learned yet",
        (true, _) => "trust on first use, key learned",
        (false, Enforcement::Enforce) => "enforced",
        (false, Enforcement::ReportOnly) => "report-only",
    };
    let trust = match rules.trust {
        TrustMode::CaAndPins => "CA and pins",
        TrustMode::PinsOnly => "pins only (no CA, date or name checks)",
    };
    let count = match set.pins.len() {
        1 => "1 pin".to_owned(),
        n => format!("{n} pins"),
    };
    writeln!(out, "  policy: {} ({count}, {mode}, {trust})", set.pattern)?;
    if let Some(expires) = rules.expires_at {
        writeln!(out, "    pins expire: {}", format_time(expires))?;
    }
    for pin in &set.pins {
        writeln!(out, "    {pin}")?;
    }
    Ok(())
}

fn write_notes(out: &mut String, verdict: &Verdict) -> std::fmt::Result {
    let expiry = verdict.pin_set.as_ref().and_then(|set| set.rules.expires_at).map(format_time);
    let expiry = expiry.as_deref().unwrap_or("?");
    for note in notes::ALL.iter().filter(|note| verdict.notes & note.bit != 0) {
        writeln!(out, "  {}", note.line)?;
        if note.shows_expiry {
            writeln!(out, "    (expiry: {expiry})")?;
        }
    }
    Ok(())
}

/// The SHA-256 fingerprint of a DER certificate, as colon-separated upper-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(der);
    let hex: Vec<String> = hash.iter().map(|byte| format!("{byte:02X}")).collect();
    hex.join(":")
}

/// Text from a certificate (a subject, an issuer) made safe to log or show: control
/// characters (NUL, newlines, terminal escapes) and the Unicode line separators and bidi
/// overrides are written as `\u{..}` escapes, so a server cannot cut the text short, forge
/// lines, or reorder what a person reads.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let hidden = c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if hidden {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// A certificate's pin and subject, or `None` when it does not parse.
fn certificate_summary(der: &[u8]) -> Option<(Pin, String)> {
    let pin = Pin::of_certificate(der).ok()?;
    let subject = match CertFields::of(der).and_then(|fields| fields.subject_text()) {
        Some(subject) => printable(&subject),
        None => "(subject unreadable)".to_owned(),
    };
    Some((pin, subject))
}

/// The text of an anchor's Name, which webpki keeps as DER contents without the outer SEQUENCE.
pub fn anchor_name_text(contents: &[u8]) -> String {
    let mut der = Vec::with_capacity(contents.len() + 6);
    der.extend_from_slice(crate::pin::der_sequence_header(contents.len()).as_slice());
    der.extend_from_slice(contents);
    match X509Name::from_der(&der) {
        Ok((_, name)) => printable(&name_text(&name)),
        Err(_) => "(unparsable name)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn names_cannot_cut_or_forge_text() {
        assert_eq!(printable("CN=api.example.com"), "CN=api.example.com");
        assert_eq!(printable("CN=a\u{0}b"), "CN=a\\u{0}b");
        assert_eq!(printable("CN=a\nPIN_OK: trusted"), "CN=a\\u{a}PIN_OK: trusted");
        assert_eq!(printable("CN=\u{1b}[31mred"), "CN=\\u{1b}[31mred");
        assert_eq!(printable("CN=\u{202e}moc.elpmaxe"), "CN=\\u{202e}moc.elpmaxe");
        assert_eq!(printable("CN=bücher"), "CN=bücher");
    }
}
