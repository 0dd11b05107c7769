//! The policy document: the JSON form of a store's policy, read with serde. The same format
//! is loaded from a string or file, exported by a store, and signed for updates.
//!
//! ```json
//! {
//!   "certpin_policy": 1,
//!   "version": 3,
//!   "unpinned_hosts": "allow",
//!   "validation_profile": "strict",
//!   "domains": {
//!     "api.example.com": {
//!       "pins": ["sha256/...current...", "sha256/...backup..."],
//!       "include_subdomains": true,
//!       "mode": "enforce",
//!       "trust": "ca_and_pins",
//!       "warn_after": "2027-05-01",
//!       "expires": "2027-06-01T00:00:00Z"
//!     },
//!     "legacy.api.example.com": { "exclude": true },
//!     "device.local": { "tofu": true, "trust": "pins_only" }
//!   }
//! }
//! ```
//!
//! A document is read whole or refused whole: the first problem found is reported with the
//! key it is under (`domains."api.example.com".pins[1]: ...`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

use crate::host::HostPattern;
use crate::limits::{CERTPIN_MAX_POLICY_LEN, CERTPIN_MAX_TIME};
use crate::pin::Pin;
use crate::policy::{
    Enforcement, PinRules, PinSet, Policy, Stated, TrustMode, UnpinnedHosts, ValidationProfile,
};

/// The only document format this library reads and writes.
pub const CERTPIN_POLICY_FORMAT: u32 = 1;

/// Why a document was refused: the key it is under, and the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentError {
    /// Where: `domains."api.example.com".pins[1]`, or the JSON position for syntax errors.
    pub key: String,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.problem)
    }
}

impl std::error::Error for DocumentError {}

fn refuse(key: impl Into<String>, problem: impl Into<String>) -> DocumentError {
    DocumentError { key: key.into(), problem: problem.into() }
}

/// The keys a document may have at the top level (the fields of [`Document`]).
pub const DOCUMENT_KEYS: &[&str] = &[
    "certpin_policy",
    "version",
    "min_update_version",
    "expires",
    "unpinned_hosts",
    "validation_profile",
    "domains",
];

/// The keys a domain entry may have (the fields of [`DomainEntry`]).
pub const DOMAIN_ENTRY_KEYS: &[&str] = &[
    "pins",
    "include_subdomains",
    "mode",
    "trust",
    "expires",
    "warn_after",
    "exclude",
    "tofu",
    "single_pin",
];

/// The document as JSON has it.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Must be [`CERTPIN_POLICY_FORMAT`].
    pub certpin_policy: u32,
    /// The policy's version number; signed updates must increase it.
    #[serde(default)]
    pub version: u64,
    /// Anti-rollback: no signed update older than this version is accepted, whatever the
    /// policy's own version (a store's save writes the highest version it ever accepted, so
    /// that loading the file restores it). A load only ever raises the store's floor.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_update_version: u64,
    /// When the document itself stops being acceptable as an update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// `"allow"` (plain validation) or `"refuse"` (`PIN_ERR_NOT_PINNED`) for hosts no domain covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpinned_hosts: Option<String>,
    /// `"webpki"` (the default) or `"strict"`: the X.509 rules paths must follow. Exported
    /// only when strict, so a default policy's document is as it was before the key existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_profile: Option<String>,
    /// Host pattern → its entry.
    #[serde(default, deserialize_with = "domain_entries")]
    pub domains: BTreeMap<String, DomainEntry>,
}

/// Reads the `domains` object, naming the entry in any error about it. (A key given twice is
/// refused before, by [`check_unique_keys`].)
fn domain_entries<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, DomainEntry>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = BTreeMap<String, DomainEntry>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of host patterns")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut domains = BTreeMap::new();
            use serde::de::Error;
            while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                // serde would also read a struct from an array; an entry must be an object.
                if !value.is_object() {
                    return Err(A::Error::custom(format!("domains.{key:?}: must be an object")));
                }
                let entry = DomainEntry::deserialize(value)
                    .map_err(|error| A::Error::custom(format!("domains.{key:?}: {error}")))?;
                domains.insert(key, entry);
            }
            Ok(domains)
        }
    }
    deserializer.deserialize_map(Visitor)
}

/// One domain of a document.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DomainEntry {
    /// `sha256/` pins; an enforced set needs at least two.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<String>,
    /// Also pin every name below (the pattern becomes `**.name`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub include_subdomains: bool,
    /// `"enforce"` (default) or `"report_only"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// `"ca_and_pins"` (default) or `"pins_only"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<String>,
    /// When the pins stop being enforced (RFC 3339 date-time, or a date meaning 00:00 UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// When verdicts start warning of the coming expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_after: Option<String>,
    /// Exclude these hosts from a broader domain's pins.
    #[serde(default, skip_serializing_if = "is_false")]
    pub exclude: bool,
    /// Trust on first use.
    #[serde(default, skip_serializing_if = "is_false")]
    pub tofu: bool,
    /// Waives the backup-pin rule for an enforced entry with one pin, as `pin_store_add`
    /// makes (an export writes it where needed, so a saved store loads back).
    #[serde(default, skip_serializing_if = "is_false")]
    pub single_pin: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// Walks a JSON text with serde_json, refusing an object that gives a key twice, at any depth
/// (serde_json keeps the last value silently: `"expires"` twice would mean the later date).
/// Returns whether the text is a JSON object.
fn check_unique_keys(json: &[u8]) -> Result<bool, DocumentError> {
    use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
    use std::cell::RefCell;

    /// Where the walk is (`domains."a.example".pins`), and the first key given twice.
    struct Walk<'a> {
        path: String,
        twice: &'a RefCell<Option<String>>,
    }
    impl<'de> DeserializeSeed<'de> for Walk<'_> {
        type Value = bool;
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
            deserializer.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Walk<'_> {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                let plain = key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
                let path = match (self.path.is_empty(), plain) {
                    (true, _) => key.clone(),
                    (false, true) => format!("{}.{key}", self.path),
                    (false, false) => format!("{}.{key:?}", self.path),
                };
                if !seen.insert(key) {
                    *self.twice.borrow_mut() = Some(path);
                    return Err(A::Error::custom("a key given twice"));
                }
                map.next_value_seed(Walk { path, twice: self.twice })?;
            }
            Ok(true)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            let mut index = 0;
            let element =
                |index| Walk { path: format!("{}[{index}]", self.path), twice: self.twice };
            while seq.next_element_seed(element(index))?.is_some() {
                index += 1;
            }
            Ok(false)
        }
        fn visit_bool<E: Error>(self, _: bool) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E: Error>(self, _: i64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_u64<E: Error>(self, _: u64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_f64<E: Error>(self, _: f64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E: Error>(self, _: &str) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_unit<E: Error>(self) -> Result<bool, E> {
            Ok(false)
        }
    }

    let twice = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let walked = Walk { path: String::new(), twice: &twice }
        .deserialize(&mut deserializer)
        .and_then(|is_object| deserializer.end().map(|()| is_object));
    match (walked, twice.into_inner()) {
        (_, Some(path)) => Err(refuse(path, "given twice (a key may appear once per object)")),
        (Ok(is_object), None) => Ok(is_object),
        (Err(error), None) => Err(json_error(error)),
    }
}

/// A serde_json error as a document error: the position as the key, the message without it.
fn json_error(error: serde_json::Error) -> DocumentError {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let problem = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
    refuse(format!("line {} column {}", error.line(), error.column()), problem)
}

/// A document read into a policy, with its document-level fields.
#[derive(Clone, Debug)]
pub struct LoadedPolicy {
    /// The policy to install.
    pub policy: Policy,
    /// The document's version number.
    pub version: u64,
    /// The document's anti-rollback floor (`min_update_version`, 0 when absent).
    pub min_update_version: u64,
    /// The document's own expiry, in Unix seconds.
    pub expires_at: Option<u64>,
}

/// Reads a policy document. Every pin, pattern, date and rule is checked; the first problem
/// refuses the whole document.
pub fn parse_document(json: &[u8]) -> Result<LoadedPolicy, DocumentError> {
    if json.len() > CERTPIN_MAX_POLICY_LEN {
        return Err(refuse("(document)", format!("larger than {CERTPIN_MAX_POLICY_LEN} bytes")));
    }
    // serde would also read the document from an array: it must be an object.
    if !check_unique_keys(json)? {
        return Err(refuse("(document)", "must be a JSON object"));
    }
    let document: Document = serde_json::from_slice(json).map_err(json_error)?;
    if document.certpin_policy != CERTPIN_POLICY_FORMAT {
        return Err(refuse("certpin_policy", format!("must be {CERTPIN_POLICY_FORMAT}")));
    }
    let mut policy = Policy::default();
    policy.unpinned_hosts = match document.unpinned_hosts.as_deref() {
        None | Some("allow") => UnpinnedHosts::Allow,
        Some("refuse") => UnpinnedHosts::Refuse,
        Some(_) => return Err(refuse("unpinned_hosts", "must be \"allow\" or \"refuse\"")),
    };
    policy.validation_profile = match document.validation_profile.as_deref() {
        None | Some("webpki") => ValidationProfile::WebPki,
        Some("strict") => ValidationProfile::Strict,
        Some(_) => return Err(refuse("validation_profile", "must be \"webpki\" or \"strict\"")),
    };
    let expires_at =
        document.expires.as_deref().map(|text| parse_time("expires", text)).transpose()?;
    for (name, entry) in &document.domains {
        let key = format!("domains.{name:?}");
        let set = pin_set(&key, name, entry)?;
        if policy.get(&set.pattern).is_some() {
            return Err(refuse(
                key,
                format!("names the same pattern ({}) as another entry", set.pattern),
            ));
        }
        policy.insert_pin_set(set).map_err(|_| {
            refuse(&key, "the document has more pins or patterns than a store can hold")
        })?;
    }
    Ok(LoadedPolicy {
        policy,
        version: document.version,
        min_update_version: document.min_update_version,
        expires_at,
    })
}

/// The pattern of the entry under `key` for `name`, with `include_subdomains` applied (an
/// exact DNS name becomes `**.name`). An unreadable name is an error at `key`; subdomains of
/// an IP address or of a wildcard, an error at `key.include_subdomains`.
pub fn entry_pattern(
    key: &str,
    name: &str,
    include_subdomains: bool,
) -> Result<HostPattern, DocumentError> {
    let pattern =
        HostPattern::parse(name).map_err(|_| match crate::host::ambiguous_idna(name) {
            Some(why) => refuse(key, why),
            None => refuse(key, "not a valid host, IP address, *.name or **.name pattern"),
        })?;
    match (include_subdomains, pattern) {
        (false, pattern) => Ok(pattern),
        (true, HostPattern::Exact(host)) => match host.dns() {
            Some(dns) => Ok(HostPattern::AnyDepth(dns.to_owned())),
            None => {
                Err(refuse(format!("{key}.include_subdomains"), "an IP address has no subdomains"))
            }
        },
        (true, _) => Err(refuse(
            format!("{key}.include_subdomains"),
            "a wildcard pattern already covers subdomains",
        )),
    }
}

fn pin_set(key: &str, name: &str, entry: &DomainEntry) -> Result<PinSet, DocumentError> {
    let pattern = entry_pattern(key, name, entry.include_subdomains)?;
    let mut pins: Vec<Pin> = Vec::with_capacity(entry.pins.len());
    let mut seen = std::collections::HashSet::with_capacity(entry.pins.len());
    for (index, text) in entry.pins.iter().enumerate() {
        let pin: Pin = text.parse().map_err(|_| {
            refuse(format!("{key}.pins[{index}]"), "not a pin (\"sha256/\" + base64 of 32 bytes)")
        })?;
        if !seen.insert(pin) {
            return Err(refuse(format!("{key}.pins[{index}]"), "the same pin twice"));
        }
        pins.push(pin);
    }
    let set = PinSet { pattern, pins, rules: entry_rules(key, entry)? };
    set.check_configured(stated(entry)).map_err(|problem| refuse(key, problem.to_string()))?;
    Ok(set)
}

/// What an entry states besides its pins and rules.
pub fn stated(entry: &DomainEntry) -> Stated {
    Stated {
        single_pin: entry.single_pin,
        mode_or_trust: entry.mode.is_some() || entry.trust.is_some(),
    }
}

/// The rules an entry gives (`mode`, `trust`, dates, `exclude`, `tofu`), each read and named
/// at its key; whether they make a sound entry is [`PinSet::check_configured`]'s to say.
pub fn entry_rules(key: &str, entry: &DomainEntry) -> Result<PinRules, DocumentError> {
    Ok(PinRules {
        enforcement: match entry.mode.as_deref() {
            None | Some("enforce") => Enforcement::Enforce,
            Some("report_only") => Enforcement::ReportOnly,
            Some(_) => {
                return Err(refuse(
                    format!("{key}.mode"),
                    "must be \"enforce\" or \"report_only\"",
                ));
            }
        },
        trust: match entry.trust.as_deref() {
            None | Some("ca_and_pins") => TrustMode::CaAndPins,
            Some("pins_only") => TrustMode::PinsOnly,
            Some(_) => {
                return Err(refuse(
                    format!("{key}.trust"),
                    "must be \"ca_and_pins\" or \"pins_only\"",
                ));
            }
        },
        expires_at: entry
            .expires
            .as_deref()
            .map(|t| parse_time(&format!("{key}.expires"), t))
            .transpose()?,
        warn_after: entry
            .warn_after
            .as_deref()
            .map(|t| parse_time(&format!("{key}.warn_after"), t))
            .transpose()?,
        excluded: entry.exclude,
        tofu: entry.tofu,
    })
}

/// Unix seconds from an RFC 3339 date-time (`2027-06-01T00:00:00Z`) or a date (`2027-06-01`,
/// meaning 00:00 UTC).
pub fn parse_time(key: &str, text: &str) -> Result<u64, DocumentError> {
    let bad = || refuse(key, format!("{text:?} is not an RFC 3339 date-time or a YYYY-MM-DD date"));
    let moment = match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(moment) => moment,
        Err(_) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let date = Date::parse(text, format).map_err(|_| bad())?;
            PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc()
        }
    };
    let seconds = u64::try_from(moment.unix_timestamp())
        .map_err(|_| refuse(key, "dates before 1970 are not accepted"))?;
    Ok(seconds.min(CERTPIN_MAX_TIME))
}

/// An RFC 3339 date-time (UTC) for Unix seconds.
pub fn format_time(unix_time: u64) -> String {
    i64::try_from(unix_time)
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|moment| moment.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix_time.to_string())
}

/// The document for a policy: what a store exports, and reads back the same.
pub fn policy_document(
    policy: &Policy,
    version: u64,
    min_update_version: u64,
    expires_at: Option<u64>,
) -> Document {
    let domains = policy
        .pin_sets()
        .into_iter()
        .map(|set| (set.pattern.to_string(), domain_entry(set)))
        .collect();
    Document {
        certpin_policy: CERTPIN_POLICY_FORMAT,
        version,
        min_update_version,
        expires: expires_at.map(format_time),
        unpinned_hosts: Some(
            match policy.unpinned_hosts {
                UnpinnedHosts::Allow => "allow",
                UnpinnedHosts::Refuse => "refuse",
            }
            .to_owned(),
        ),
        validation_profile: (policy.validation_profile == ValidationProfile::Strict)
            .then(|| "strict".to_owned()),
        domains,
    }
}

fn domain_entry(set: &PinSet) -> DomainEntry {
    let rules = &set.rules;
    DomainEntry {
        pins: set.pins.iter().map(Pin::to_string).collect(),
        include_subdomains: false,
        mode: (rules.enforcement == Enforcement::ReportOnly).then(|| "report_only".to_owned()),
        trust: (rules.trust == TrustMode::PinsOnly).then(|| "pins_only".to_owned()),
        expires: rules.expires_at.map(format_time),
        warn_after: rules.warn_after.map(format_time),
        exclude: rules.excluded,
        tofu: rules.tofu,
        single_pin: set.needs_backup() && set.pins.len() < 2,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_key_lists_are_the_fields() {
        let keys = |value: serde_json::Value| -> Vec<String> {
            value.as_object().unwrap().keys().cloned().collect()
        };
        let entry = DomainEntry {
            pins: vec!["p".into()],
            include_subdomains: true,
            mode: Some("m".into()),
            trust: Some("t".into()),
            expires: Some("e".into()),
            warn_after: Some("w".into()),
            exclude: true,
            tofu: true,
            single_pin: true,
        };
        let mut entry_keys = keys(serde_json::to_value(&entry).unwrap());
        let mut expected: Vec<String> = DOMAIN_ENTRY_KEYS.iter().map(|k| k.to_string()).collect();
        entry_keys.sort();
        expected.sort();
        assert_eq!(entry_keys, expected);

        let document = Document {
            min_update_version: 1,
            expires: Some("e".into()),
            unpinned_hosts: Some("u".into()),
            validation_profile: Some("v".into()),
            ..Document::default()
        };
        let mut document_keys = keys(serde_json::to_value(&document).unwrap());
        let mut expected: Vec<String> = DOCUMENT_KEYS.iter().map(|k| k.to_string()).collect();
        document_keys.sort();
        expected.sort();
        assert_eq!(document_keys, expected);
    }

    use super::*;
    use crate::host::HostName;

    const A: &str = "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const B: &str = "sha256/ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

    fn error_of(json: &str) -> String {
        parse_document(json.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn reads_a_full_document() {
        let json = format!(
            r#"{{"certpin_policy": 1, "version": 4, "unpinned_hosts": "refuse",
                "domains": {{
                  "Example.com": {{"pins": ["{A}", "{B}"], "include_subdomains": true,
                                   "warn_after": "2027-05-01", "expires": "2027-06-01T00:00:00Z"}},
                  "old.example.com": {{"exclude": true}},
                  "*.cdn.example.com": {{"pins": ["{A}"], "mode": "report_only"}},
                  "device.local": {{"tofu": true, "trust": "pins_only"}}
                }}}}"#
        );
        let loaded = parse_document(json.as_bytes()).unwrap();
        assert_eq!(loaded.version, 4);
        let policy = &loaded.policy;
        assert_eq!(policy.unpinned_hosts, UnpinnedHosts::Refuse);
        let set = policy.lookup(&HostName::parse("a.b.example.com").unwrap()).unwrap();
        assert_eq!(set.pattern.to_string(), "**.example.com");
        assert_eq!(set.rules.expires_at, Some(1_811_808_000));
        assert_eq!(set.rules.warn_after, Some(1_809_129_600));
        assert!(
            policy.lookup(&HostName::parse("old.example.com").unwrap()).unwrap().rules.excluded
        );
        // Export and read back: the same policy.
        let exported = serde_json::to_vec(&policy_document(policy, 4, 0, None)).unwrap();
        let again = parse_document(&exported).unwrap();
        assert_eq!(again.policy.pin_sets().len(), 4);
        for (a, b) in policy.pin_sets().iter().zip(again.policy.pin_sets()) {
            assert_eq!(**a, *b);
        }
    }

    #[test]
    fn names_the_offending_key() {
        let one_pin =
            format!(r#"{{"certpin_policy": 1, "domains": {{"a.example": {{"pins": ["{A}"]}}}}}}"#);
        assert!(error_of(&one_pin).starts_with("domains.\"a.example\": an enforced pin set needs"));
        let bad_pin = format!(
            r#"{{"certpin_policy": 1, "domains": {{"a.example": {{"pins": ["{A}", "sha1/x"]}}}}}}"#
        );
        assert!(error_of(&bad_pin).starts_with("domains.\"a.example\".pins[1]: not a pin"));
        let bad_date = format!(
            r#"{{"certpin_policy": 1, "domains": {{"a.example": {{"pins": ["{A}","{B}"], "expires": "soon"}}}}}}"#
        );
        assert!(error_of(&bad_date).starts_with("domains.\"a.example\".expires: \"soon\""));
        assert!(
            error_of(r#"{"certpin_policy": 1, "domain": {}}"#).contains("unknown field `domain`")
        );
        assert!(error_of(r#"{"certpin_policy": 2}"#).starts_with("certpin_policy: must be 1"));
        assert!(
            error_of(r#"{"certpin_policy": 1, "domains": {"a..b": {}}}"#)
                .starts_with("domains.\"a..b\"")
        );
        let twice = format!(
            r#"{{"certpin_policy": 1, "domains": {{"a.example": {{"pins": ["{A}","{B}"]}}, "A.example.": {{"pins": ["{A}","{B}"]}}}}}}"#
        );
        assert!(error_of(&twice).contains("same pattern"));
        assert!(error_of("{").starts_with("line 1 column 1"));
        let same_key = r#"{"certpin_policy": 1, "domains": {"a.example": {"exclude": true}, "a.example": {"exclude": true}}}"#;
        assert!(error_of(same_key).contains("given twice"));
    }
}
