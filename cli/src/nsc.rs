//! Android's Network Security Config, read into a certpin policy (written from one in
//! nsc_export.rs), with Android's own rules (android.security.net.config):
//!
//! - A `<domain-config>` names one or more `<domain>`s; `includeSubdomains="true"` also covers
//!   every name below. A domain name appears once in the whole file.
//! - A nested `<domain-config>` inherits what it does not set from the one it is nested in,
//!   the `<pin-set>` included; a `<pin-set>` it declares replaces the inherited one (the pins
//!   are not merged). An empty `<pin-set>` means no pins.
//! - For a host, the exact `<domain>` wins; otherwise the longest `<domain>` with
//!   `includeSubdomains` that the host is under. Its pin-set applies, and nothing else's: a
//!   domain without pins under a pinned one is not pinned (certpin: `exclude`).
//! - `<pin-set expiration="yyyy-MM-dd">`: the pins are not enforced after that date begins
//!   (Android reads the date in the device's time zone; certpin's date means 00:00 UTC).
//! - Pins are `<pin digest="SHA-256">` base64 SPKI hashes, checked on the validated chain.
//! - Trust anchors are inherited like the pin-set, from the base-config last. Where none
//!   apply (an empty `<trust-anchors/>`), Android refuses every connection: a base-config
//!   without anchors becomes `unpinned_hosts: "refuse"`, a domain without anchors a
//!   trust-on-first-use entry without pins (refused until the app learns a pin), and `export`
//!   writes those two the same way back.
//! - `<trust-anchors>` (with `overridePins`), `cleartextTrafficPermitted`, `<base-config>` and
//!   `<debug-overrides>` have no place in a certpin policy: each gets a note, and
//!   `overridePins="true"` (which turns pinning off for chains to those anchors) is not
//!   carried over: the pins stay enforced.

use std::collections::{BTreeMap, HashSet};

use certpin::document::{Document, DomainEntry};
use certpin::host::HostPattern;
use certpin::pin::Pin;
use roxmltree::Node;
use time::Date;
use time::macros::format_description;

use crate::convert::{Note, is_below};

/// The note every expiration date carries, imported or exported.
pub const TIME_ZONE: &str = "Android ends the pins when this date begins in the device's time \
                         zone; certpin at 00:00 UTC";

/// A `<pin-set>` as declared.
#[derive(Clone, Debug)]
struct PinSetXml {
    pins: Vec<String>,
    expiration: Option<String>,
    item: String,
}

/// A `<domain>` with the pin-set that applies to it (its own domain-config's or inherited).
#[derive(Debug)]
struct DomainXml {
    name: String,
    include_subdomains: bool,
    pin_set: Option<PinSetXml>,
    /// No trust anchor applies: Android refuses every connection.
    refused: bool,
    item: String,
}

/// What a walk over the file collects.
struct Reader<'a> {
    document: &'a roxmltree::Document<'a>,
    domains: Vec<DomainXml>,
    seen: HashSet<String>,
    notes: Vec<Note>,
    /// The base-config has an empty `<trust-anchors/>`: what inherits it trusts nothing.
    base_refuses: bool,
}

/// Reads a Network Security Config into a policy document, with a note for every item that
/// the policy cannot hold or that changes meaning.
pub fn import(bytes: &[u8]) -> Result<(Document, Vec<Note>), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())?;
    let document = roxmltree::Document::parse(text).map_err(|error| error.to_string())?;
    let root = document.root_element();
    if root.tag_name().name() != "network-security-config" {
        return Err("the root element is not <network-security-config>".to_owned());
    }
    let mut reader = Reader {
        document: &document,
        domains: Vec::new(),
        seen: HashSet::new(),
        notes: Vec::new(),
        base_refuses: false,
    };
    reader.attributes(root, &[]);
    // The base-config first: every domain-config inherits from it, wherever it stands.
    for child in root.children().filter(|child| child.has_tag_name("base-config")) {
        reader.base_config(child)?;
    }
    for child in root.children().filter(Node::is_element) {
        match child.tag_name().name() {
            "domain-config" => reader.domain_config(child, None, None)?,
            "base-config" => {}
            "debug-overrides" => reader.note(
                child,
                "applies only to debuggable builds: not imported, the release behaviour is kept",
            ),
            _ => reader.unknown(child),
        }
    }
    let Reader { domains, mut notes, base_refuses, .. } = reader;
    let entries = entries(&domains, base_refuses, &mut notes)?;
    let document = Document {
        certpin_policy: 1,
        version: 1,
        unpinned_hosts: base_refuses.then(|| "refuse".to_owned()),
        domains: entries,
        ..Document::default()
    };
    Ok((document, notes))
}

impl Reader<'_> {
    /// `line N <name>` for an element.
    fn item(&self, node: Node<'_, '_>) -> String {
        let position = self.document.text_pos_at(node.range().start);
        format!("line {} <{}>", position.row, node.tag_name().name())
    }

    fn note(&mut self, node: Node<'_, '_>, note: impl Into<String>) {
        let item = self.item(node);
        self.notes.push(Note::new(item, note));
    }

    fn error(&self, node: Node<'_, '_>, problem: &str) -> String {
        format!("{}: {problem}", self.item(node))
    }

    fn unknown(&mut self, node: Node<'_, '_>) {
        self.note(node, "not an element of the Network Security Config: ignored (as Android does)");
    }

    /// A note for each attribute of `node` not in `known`; `cleartextTrafficPermitted` gets
    /// its own.
    fn attributes(&mut self, node: Node<'_, '_>, known: &[&str]) {
        for attribute in node.attributes() {
            let name = attribute.name();
            if known.contains(&name) {
                continue;
            }
            let note = match name {
                "cleartextTrafficPermitted" => format!(
                    "cleartextTrafficPermitted=\"{}\": certpin pins TLS and has no say over \
                     cleartext traffic: not imported",
                    attribute.value()
                ),
                _ => format!("attribute {name}=\"{}\": not known: ignored", attribute.value()),
            };
            self.note(node, note);
        }
    }

    fn base_config(&mut self, node: Node<'_, '_>) -> Result<(), String> {
        self.attributes(node, &[]);
        for child in node.children().filter(Node::is_element) {
            match child.tag_name().name() {
                "trust-anchors" => {
                    if self.trust_anchors(child) {
                        self.base_refuses = true;
                        self.note(
                            child,
                            "no trust anchors: Android refuses hosts no domain-config covers: \
                             imported as unpinned_hosts \"refuse\"",
                        );
                    }
                }
                "pin-set" | "domain" | "domain-config" => {
                    return Err(self.error(child, "Android allows this only in a <domain-config>"));
                }
                _ => self.unknown(child),
            }
        }
        Ok(())
    }

    /// One note for the element (unless it is empty), and one more for
    /// `overridePins="true"`. Returns whether it is empty: no anchor at all.
    fn trust_anchors(&mut self, node: Node<'_, '_>) -> bool {
        let sources: Vec<String> = node
            .children()
            .filter(|child| child.has_tag_name("certificates"))
            .map(|child| format!("\"{}\"", child.attribute("src").unwrap_or("?")))
            .collect();
        if sources.is_empty() {
            return true;
        }
        self.note(
            node,
            format!(
                "trust anchors ({}) are the app's, not the policy's: give them to the store \
                 (pin_store_add_trust_anchor, --anchor); not imported",
                sources.join(", ")
            ),
        );
        for child in node.children().filter(|child| child.has_tag_name("certificates")) {
            if child.attribute("overridePins") == Some("true") {
                let note = format!(
                    "overridePins=\"true\" turns pinning off for chains to {:?} anchors: \
                     certpin cannot express it; the pins stay enforced for every chain \
                     (fail closed)",
                    child.attribute("src").unwrap_or("?")
                );
                self.note(child, note);
            }
        }
        false
    }

    /// A domain-config and the ones nested in it; `inherited` is the pin-set of the
    /// domain-config it is nested in, if any, and `inherited_refused` whether the nearest
    /// enclosing `<trust-anchors>` was empty (`None`: no enclosing one).
    fn domain_config(
        &mut self,
        node: Node<'_, '_>,
        inherited: Option<&PinSetXml>,
        inherited_refused: Option<bool>,
    ) -> Result<(), String> {
        self.attributes(node, &[]);
        let mut own: Option<PinSetXml> = None;
        let mut names = Vec::new();
        let mut nested = Vec::new();
        let mut anchors = 0;
        let mut own_refused = None;
        for child in node.children().filter(Node::is_element) {
            match child.tag_name().name() {
                "domain" => names.push(self.domain(child)?),
                "pin-set" if own.is_some() => {
                    return Err(
                        self.error(child, "Android allows one <pin-set> per <domain-config>")
                    );
                }
                "pin-set" => own = Some(self.pin_set(child)?),
                "trust-anchors" if anchors > 0 => {
                    return Err(
                        self.error(child, "Android allows one <trust-anchors> per <domain-config>")
                    );
                }
                "trust-anchors" => {
                    anchors += 1;
                    own_refused = Some(self.trust_anchors(child));
                }
                "domain-config" => nested.push(child),
                _ => self.unknown(child),
            }
        }
        if names.is_empty() {
            return Err(self.error(
                node,
                "a <domain-config> needs at least one <domain> (Android refuses the file)",
            ));
        }
        let applies = own.as_ref().or(inherited).cloned();
        let declared = own_refused.or(inherited_refused);
        let refused = declared.unwrap_or(self.base_refuses);
        if refused {
            self.note(
                node,
                "no trust anchors apply: Android refuses every connection to these domains, \
                 whatever the pins; imported as trust on first use without a pin, which certpin \
                 refuses (PIN_ERR_NOT_PINNED) until the app adds one",
            );
        }
        for (name, include_subdomains, item) in names {
            self.domains.push(DomainXml {
                name,
                include_subdomains,
                pin_set: applies.clone(),
                refused,
                item,
            });
        }
        for child in nested {
            self.domain_config(child, applies.as_ref(), declared)?;
        }
        Ok(())
    }

    /// A `<domain>`: its name (lower case, as Android keeps it), includeSubdomains, and item.
    fn domain(&mut self, node: Node<'_, '_>) -> Result<(String, bool, String), String> {
        self.attributes(node, &["includeSubdomains"]);
        let include = match node.attribute("includeSubdomains") {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(self
                    .error(node, &format!("includeSubdomains=\"{other}\" is not true or false")));
            }
        };
        let name = node.text().unwrap_or("").trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(self.error(node, "an empty domain name"));
        }
        if !self.seen.insert(name.clone()) {
            return Err(
                self.error(node, &format!("{name} is named twice (Android refuses the file)"))
            );
        }
        Ok((name, include, self.item(node)))
    }

    fn pin_set(&mut self, node: Node<'_, '_>) -> Result<PinSetXml, String> {
        self.attributes(node, &["expiration"]);
        let expiration = match node.attribute("expiration") {
            None => None,
            Some(text) => {
                Date::parse(text, format_description!("[year]-[month]-[day]")).map_err(|_| {
                    self.error(node, &format!("expiration=\"{text}\" is not a yyyy-MM-dd date"))
                })?;
                Some(text.to_owned())
            }
        };
        let mut pins = Vec::new();
        for child in node.children().filter(Node::is_element) {
            if !child.has_tag_name("pin") {
                self.unknown(child);
                continue;
            }
            self.attributes(child, &["digest"]);
            if child.attribute("digest") != Some("SHA-256") {
                return Err(self.error(child, "Android accepts only digest=\"SHA-256\""));
            }
            let text = child.text().unwrap_or("").trim();
            let pin: Pin = format!("sha256/{text}")
                .parse()
                .map_err(|_| self.error(child, "not the base64 of a 32-byte SHA-256 hash"))?;
            let pin = pin.to_string();
            if !pins.contains(&pin) {
                pins.push(pin);
            }
        }
        Ok(PinSetXml { pins, expiration, item: self.item(node) })
    }
}

/// The longest other domain with includeSubdomains that `name` is below: the domain whose
/// pin-set Android applies to `name`'s hosts when `name`'s own config is not there.
fn cover<'a>(domains: &'a [DomainXml], name: &str) -> Option<&'a DomainXml> {
    domains
        .iter()
        .filter(|d| d.include_subdomains)
        .filter(|d| is_below(name, &d.name))
        .max_by_key(|d| d.name.len())
}

/// The document's domains. A domain with pins becomes an entry with them; a domain without
/// pins becomes an `exclude` entry when the domain Android would otherwise apply has pins
/// (else it is simply not pinned, and noted).
fn entries(
    domains: &[DomainXml],
    base_refuses: bool,
    notes: &mut Vec<Note>,
) -> Result<BTreeMap<String, DomainEntry>, String> {
    // What certpin would apply to a domain's hosts without an entry of its own: its cover's
    // pins or refusal, or the unpinned-hosts rule.
    let restricted = |domain: &DomainXml| match cover(domains, &domain.name) {
        Some(cover) => {
            cover.refused || cover.pin_set.as_ref().is_some_and(|set| !set.pins.is_empty())
        }
        None => base_refuses,
    };
    let mut entries = BTreeMap::new();
    let mut noted_expirations = HashSet::new();
    for domain in domains {
        let pins = domain.pin_set.as_ref().filter(|set| !set.pins.is_empty());
        let key = HostPattern::parse(&domain.name)
            .map_err(|_| format!("{}: {} is not a valid host name", domain.item, domain.name))?
            .to_string();
        let entry = match pins {
            _ if domain.refused => DomainEntry {
                include_subdomains: domain.include_subdomains,
                tofu: true,
                ..DomainEntry::default()
            },
            Some(set) => {
                if set.pins.len() == 1 {
                    notes.push(Note::new(
                        domain.item.clone(),
                        format!("{}: one pin, no backup: imported with single_pin", domain.name),
                    ));
                }
                if let Some(date) = &set.expiration
                    && noted_expirations.insert(set.item.clone())
                {
                    notes.push(Note::new(
                        set.item.clone(),
                        format!("expiration=\"{date}\": {TIME_ZONE}"),
                    ));
                }
                DomainEntry {
                    pins: set.pins.clone(),
                    include_subdomains: domain.include_subdomains,
                    expires: set.expiration.clone(),
                    single_pin: set.pins.len() == 1,
                    ..DomainEntry::default()
                }
            }
            None if restricted(domain) => DomainEntry {
                include_subdomains: domain.include_subdomains,
                exclude: true,
                ..DomainEntry::default()
            },
            None => {
                notes.push(Note::new(
                    domain.item.clone(),
                    format!("{}: no pins apply: not pinned, nothing to import", domain.name),
                ));
                continue;
            }
        };
        entries.insert(key, entry);
    }
    Ok(entries)
}
