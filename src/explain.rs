//! Human-readable explanations of verdicts, modelled on OkHttp's pinning failure message: the
//! result, the policy that applied with its pins, and every certificate's pin and subject, so
//! that a developer can read what happened and paste the right pin.

use std::fmt::Write;

use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use crate::pin::Pin;
use crate::result::{result_code, result_description, result_name};
use crate::verify::Verdict;

/// The explanation of `verdict`, which was reached for `chain`.
pub fn explain(verdict: &Verdict, chain: &[&[u8]]) -> String {
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = write_explanation(&mut text, verdict, chain);
    text
}

fn write_explanation(out: &mut String, verdict: &Verdict, chain: &[&[u8]]) -> std::fmt::Result {
    let code = result_code(&verdict.result);
    writeln!(out, "{}: {}", result_name(code), result_description(code))?;
    match &verdict.host {
        Some(host) => writeln!(out, "  host: {host}")?,
        None => return Ok(()),
    }
    writeln!(out, "  checked at: {} (Unix time)", verdict.unix_time)?;
    match &verdict.pin_set {
        Some(set) => {
            writeln!(out, "  policy: {} ({} pins)", set.pattern, set.pins.len())?;
            for pin in &set.pins {
                writeln!(out, "    {pin}")?;
            }
        }
        None => writeln!(out, "  policy: none (host not pinned: plain validation)")?,
    }
    if let Some(pin) = verdict.matched_pin {
        writeln!(out, "  pinned key on the validated path: {pin}")?;
    }
    writeln!(out, "  chain sent by the server:")?;
    for (index, der) in chain.iter().enumerate() {
        match certificate_summary(der) {
            Some((pin, subject)) => writeln!(out, "    [{index}] {pin}  {subject}")?,
            None => {
                writeln!(out, "    [{index}] (not a parsable certificate, {} bytes)", der.len())?
            }
        }
    }
    if let Some(path) = &verdict.rejected_path {
        writeln!(out, "  valid path with no pinned key (leaf first, trust anchor last):")?;
        for pin in &path.pins {
            writeln!(out, "    {pin}")?;
        }
        writeln!(out, "    trust anchor: {}", name_text(&path.anchor_subject))?;
    }
    Ok(())
}

/// A certificate's pin and subject, or `None` when it does not parse.
fn certificate_summary(der: &[u8]) -> Option<(Pin, String)> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let pin = Pin::of_spki(cert.tbs_certificate.subject_pki.raw);
    Some((pin, cert.subject().to_string()))
}

/// The RFC 4514 text of a Name given as DER contents without the outer SEQUENCE.
fn name_text(contents: &[u8]) -> String {
    let mut der = Vec::with_capacity(contents.len() + 6);
    der.extend_from_slice(crate::pin::der_sequence_header(contents.len()).as_slice());
    der.extend_from_slice(contents);
    match X509Name::from_der(&der) {
        Ok((_, name)) => name.to_string(),
        Err(_) => "(unparsable name)".to_owned(),
    }
}
