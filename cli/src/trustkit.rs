//! TrustKit's configuration (iOS, macOS), read into a certpin policy with TrustKit's own rules
//! (TrustKit's parse_configuration.m and TSKPinningValidator):
//!
//! - `TSKPinnedDomains` maps a domain to its policy; it must name at least one domain.
//! - `TSKPublicKeyHashes`: base64 SHA-256 SPKI hashes; at least two when pinning is enforced,
//!   one when it is not (TrustKit refuses to start otherwise).
//! - `TSKEnforcePinning` (default YES): NO validates and reports, but lets the connection go
//!   (certpin: `report_only`).
//! - `TSKIncludeSubdomains` (default NO): also every name below (certpin: `**.name`).
//! - `TSKExpirationDate` `yyyy-MM-dd`, read as 00:00 UTC: from then on the domain is not
//!   pinned (certpin: `expires`, the same instant).
//! - `kSKExcludeSubdomainFromParentPolicy` (the string behind kTSKExcludeSubdomainFromParent-
//!   Policy): the domain only (not its subdomains) is taken out of a parent's
//!   includeSubdomains policy; no other key may be set, and a parent must exist.
//! - An exact domain wins over includeSubdomains; among several includeSubdomains parents
//!   TrustKit takes the first in dictionary order, certpin the longest (noted).
//!
//! Reports (`TSKReportUris`, `TSKDisableDefaultReportUri`), swizzling and
//! `TSKIgnorePinningForUserDefinedTrustAnchors` have no place in a certpin policy: each gets a
//! note, and ignoring pins for user-installed anchors is not carried over (fail closed).
//!
//! The file is a plist (XML or binary: an Info.plist with `TSKConfiguration`, or that
//! dictionary alone), or the same dictionary as JSON. Keys may be written as TrustKit's
//! strings (`TSKPublicKeyHashes`) or as its constant names (`kTSKPublicKeyHashes`).

use std::collections::BTreeMap;

use certpin::document::{Document, DomainEntry};
use certpin::host::HostPattern;
use certpin::pin::Pin;
use serde_json::{Map, Value};
use time::Date;
use time::macros::format_description;

use crate::convert::{Note, is_below};

/// Reads a TrustKit configuration into a policy document, with a note for every item that
/// the policy cannot hold or that changes meaning.
pub fn import(bytes: &[u8]) -> Result<(Document, Vec<Note>), String> {
    let value = read_value(bytes)?;
    let mut top = value.as_object().ok_or("the configuration is not a dictionary")?;
    if let Some(inner) = top.get("TSKConfiguration") {
        top = inner.as_object().ok_or("TSKConfiguration is not a dictionary")?;
    }
    let mut notes = Vec::new();
    let mut pinned = None;
    for (key, value) in top {
        match key_name(key) {
            "TSKPinnedDomains" => pinned = Some(value),
            "TSKSwizzleNetworkDelegates" if value == &Value::Bool(true) => notes.push(Note::new(
                key,
                "swizzling is how TrustKit hooks into NSURLSession; certpin is called by the \
                 app's TLS stack: not imported",
            )),
            "TSKIgnorePinningForUserDefinedTrustAnchors" if value == &Value::Bool(true) => notes
                .push(Note::new(
                    key,
                    "YES turns pinning off for chains to user-installed anchors: certpin \
                     cannot express it; the pins stay enforced for every chain (fail closed)",
                )),
            "TSKIgnorePinningForUserDefinedTrustAnchors" | "TSKSwizzleNetworkDelegates" => {}
            _ => notes.push(Note::new(key, "not a TrustKit setting: ignored (as TrustKit does)")),
        }
    }
    let domains = pinned
        .and_then(Value::as_object)
        .filter(|domains| !domains.is_empty())
        .ok_or("TSKPinnedDomains must name at least one domain (TrustKit refuses to start)")?;
    let mut entries = BTreeMap::new();
    for (name, policy) in domains {
        let item = format!("TSKPinnedDomains.{name:?}");
        let policy = policy.as_object().ok_or(format!("{item}: not a dictionary"))?;
        let (key, entry) = domain(name, policy, &item, &mut notes)?;
        if entries.insert(key.clone(), entry).is_some() {
            return Err(format!("{item}: {key} is named twice"));
        }
    }
    check_parents(domains, &mut notes)?;
    let document =
        Document { certpin_policy: 1, version: 1, domains: entries, ..Document::default() };
    Ok((document, notes))
}

/// The file as a JSON value: JSON when it starts with `{`, else a plist (XML or binary).
fn read_value(bytes: &[u8]) -> Result<Value, String> {
    if bytes.trim_ascii_start().starts_with(b"{") {
        return serde_json::from_slice(bytes).map_err(|error| format!("bad JSON: {error}"));
    }
    let plist = plist::Value::from_reader(std::io::Cursor::new(bytes))
        .map_err(|error| format!("neither JSON nor a plist: {error}"))?;
    plist_to_json(plist)
}

/// A plist value as JSON (the types a TrustKit configuration uses; data and dates refused).
fn plist_to_json(value: plist::Value) -> Result<Value, String> {
    Ok(match value {
        plist::Value::Dictionary(dict) => Value::Object(
            dict.into_iter()
                .map(|(key, value)| Ok((key, plist_to_json(value)?)))
                .collect::<Result<Map<_, _>, String>>()?,
        ),
        plist::Value::Array(items) => {
            Value::Array(items.into_iter().map(plist_to_json).collect::<Result<_, _>>()?)
        }
        plist::Value::Boolean(flag) => Value::Bool(flag),
        plist::Value::String(text) => Value::String(text),
        plist::Value::Integer(number) => {
            number.as_signed().map(Value::from).ok_or("an integer out of range")?
        }
        plist::Value::Real(number) => Value::from(number),
        other => return Err(format!("a plist {other:?} has no place in a TrustKit configuration")),
    })
}

/// TrustKit's key string for `key`, which may be written as the constant's name.
fn key_name(key: &str) -> &str {
    match key {
        // TrustKit's constant holds this string, spelled without the T.
        "kTSKExcludeSubdomainFromParentPolicy" | "kSKExcludeSubdomainFromParentPolicy" => {
            "ExcludeSubdomainFromParentPolicy"
        }
        _ => key.strip_prefix('k').filter(|rest| rest.starts_with("TSK")).unwrap_or(key),
    }
}

/// A boolean setting (plist `<true/>`/`<false/>`, JSON `true`/`false`, or 0/1 as NSNumber).
fn flag(value: &Value, item: &str) -> Result<bool, String> {
    match value {
        Value::Bool(flag) => Ok(*flag),
        Value::Number(number) if number.as_u64() == Some(0) => Ok(false),
        Value::Number(number) if number.as_u64() == Some(1) => Ok(true),
        _ => Err(format!("{item}: not a boolean")),
    }
}

/// One domain's entry, under its pattern.
fn domain(
    name: &str,
    policy: &Map<String, Value>,
    item: &str,
    notes: &mut Vec<Note>,
) -> Result<(String, DomainEntry), String> {
    let host = HostPattern::parse(name).map_err(|_| format!("{item}: not a valid domain"))?;
    let exclude =
        policy.iter().find(|(key, _)| key_name(key) == "ExcludeSubdomainFromParentPolicy");
    if let Some((key, value)) = exclude
        && flag(value, &format!("{item}.{key}"))?
    {
        if policy.len() > 1 {
            return Err(format!("{item}: {key} allows no other key (TrustKit refuses to start)"));
        }
        let entry = DomainEntry { exclude: true, ..DomainEntry::default() };
        return Ok((host.to_string(), entry));
    }
    let mut entry = DomainEntry::default();
    let mut enforce = true;
    for (key, value) in policy {
        let at = format!("{item}.{key}");
        match key_name(key) {
            "TSKPublicKeyHashes" => {
                let hashes = value.as_array().ok_or(format!("{at}: not an array"))?;
                for hash in hashes {
                    let text = hash.as_str().ok_or(format!("{at}: not a string"))?;
                    let pin: Pin = format!("sha256/{text}").parse().map_err(|_| {
                        format!("{at}: {text:?} is not the base64 of a SHA-256 hash")
                    })?;
                    let pin = pin.to_string();
                    if !entry.pins.contains(&pin) {
                        entry.pins.push(pin);
                    }
                }
            }
            "TSKIncludeSubdomains" => entry.include_subdomains = flag(value, &at)?,
            "TSKEnforcePinning" => enforce = flag(value, &at)?,
            "TSKExpirationDate" => {
                let text = value.as_str().ok_or(format!("{at}: not a string"))?;
                Date::parse(text, format_description!("[year]-[month]-[day]"))
                    .map_err(|_| format!("{at}: {text:?} is not a yyyy-MM-dd date"))?;
                entry.expires = Some(text.to_owned());
            }
            "TSKReportUris" => notes.push(Note::new(
                at,
                "certpin sends no reports itself: failure reports go to the store's report \
                 callback (pin_store_set_report_callback), which can post them to these URIs",
            )),
            "TSKDisableDefaultReportUri" => {
                notes.push(Note::new(at, "certpin has no default report URI: nothing to disable"))
            }
            "TSKPublicKeyAlgorithms" => notes.push(Note::new(
                at,
                "certpin pins the whole SubjectPublicKeyInfo of any key type (as TrustKit 1.6 \
                 and later do): ignored",
            )),
            "TSKAdditionalTrustAnchors" => notes.push(Note::new(
                at,
                "trust anchors are the app's, not the policy's: give them to the store \
                 (pin_store_add_trust_anchor, --anchor); not imported",
            )),
            "ExcludeSubdomainFromParentPolicy" => {} // NO: nothing to exclude
            _ => notes.push(Note::new(at, "not a TrustKit setting: ignored (as TrustKit does)")),
        }
    }
    let needed = if enforce { 2 } else { 1 };
    if entry.pins.len() < needed {
        return Err(format!(
            "{item}: TrustKit needs at least {needed} pin(s) here (a backup when enforced) and \
             refuses to start"
        ));
    }
    if !enforce {
        entry.mode = Some("report_only".to_owned());
    }
    Ok((host.to_string(), entry))
}

/// TrustKit's checks across domains: an excluded domain needs an includeSubdomains parent;
/// and a note where a host has several includeSubdomains parents (TrustKit takes the first in
/// dictionary order, certpin the longest).
fn check_parents(domains: &Map<String, Value>, notes: &mut Vec<Note>) -> Result<(), String> {
    let include: Vec<&String> = domains
        .iter()
        .filter(|(_, policy)| {
            policy.as_object().is_some_and(|policy| {
                policy.iter().any(|(key, value)| {
                    key_name(key) == "TSKIncludeSubdomains" && flag(value, "").unwrap_or(false)
                })
            })
        })
        .map(|(name, _)| name)
        .collect();
    for (name, policy) in domains {
        let excluded = policy.as_object().is_some_and(|policy| {
            policy.iter().any(|(key, value)| {
                key_name(key) == "ExcludeSubdomainFromParentPolicy"
                    && flag(value, "").unwrap_or(false)
            })
        });
        let parents: Vec<&&String> =
            include.iter().filter(|parent| is_below(name, parent)).collect();
        if excluded && parents.is_empty() {
            return Err(format!(
                "TSKPinnedDomains.{name:?}: excluded from a parent policy, but no domain above it \
                 has TSKIncludeSubdomains (TrustKit refuses to start)"
            ));
        }
        if include.contains(&name) && !parents.is_empty() {
            notes.push(Note::new(
                format!("TSKPinnedDomains.{name:?}"),
                format!(
                    "below {}, which also includes subdomains: for names under both, TrustKit \
                     applies whichever it finds first; certpin applies the longer, {name}",
                    parents.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    Ok(())
}
