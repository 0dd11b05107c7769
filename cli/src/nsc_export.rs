//! A certpin policy written as Android's Network Security Config (the rules Android applies
//! are in nsc.rs): one top-level `<domain-config>` per pattern, so nothing is inherited, and a
//! note for every rule Android cannot express; where the file cannot say what the policy
//! says, it says more (more pinning, or a refusal), never less.

use certpin::document::{LoadedPolicy, format_time};
use certpin::host::HostPattern;
use certpin::policy::{Enforcement, PinSet, TrustMode, UnpinnedHosts};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::convert::Note;
use crate::nsc::TIME_ZONE;

/// Writes a policy as a Network Security Config: one top-level `<domain-config>` per pattern
/// (no nesting, so nothing is inherited), with a note for every rule Android cannot express.
pub fn export(loaded: &LoadedPolicy) -> Result<(String, Vec<Note>), String> {
    let mut notes = Vec::new();
    let policy = &loaded.policy;
    if loaded.version != 0 || loaded.expires_at.is_some() {
        notes.push(Note::new(
            "(document)",
            "the policy's version and expiry (for signed updates) have no place in a Network \
             Security Config: not written",
        ));
    }
    let refuse = policy.unpinned_hosts == UnpinnedHosts::Refuse;
    if refuse {
        notes.push(Note::new(
            "unpinned_hosts",
            "\"refuse\" written as a base-config with no trust anchors, so that Android refuses \
             hosts no domain-config covers; every domain-config names the system anchors \
             (add <certificates> for a private CA)",
        ));
    }
    let mut configs: Vec<(String, bool, &PinSet)> = Vec::new();
    for set in policy.pin_sets() {
        let item = format!("domains.{:?}", set.pattern.to_string());
        let (name, include) = match &set.pattern {
            HostPattern::Exact(host) => (host.to_string(), false),
            HostPattern::AnyDepth(base) => (base.clone(), true),
            HostPattern::OneLabel(base) if set.rules.excluded => {
                notes.push(Note::new(
                    &item,
                    format!(
                        "Android has no one-label wildcard, and excluding {base} and every name \
                         below it would unpin more: not written, these hosts keep the pins of \
                         any broader domain (fail closed)"
                    ),
                ));
                continue;
            }
            HostPattern::OneLabel(base) => {
                notes.push(Note::new(
                    &item,
                    format!(
                        "Android has no one-label wildcard: written as {base} with \
                         includeSubdomains, which also pins {base} and names deeper below it"
                    ),
                ));
                (base.clone(), true)
            }
        };
        if configs.iter().any(|(other, _, _)| *other == name) {
            return Err(format!("{item}: {name} would be named twice, which Android refuses"));
        }
        set_notes(set, &item, &mut notes);
        configs.push((name, include, set));
    }
    let xml = write_xml(&configs, refuse).map_err(|error| format!("writing XML: {error}"))?;
    Ok((xml, notes))
}

/// The notes for one pin set's rules that Android cannot express.
fn set_notes(set: &PinSet, item: &str, notes: &mut Vec<Note>) {
    let rules = &set.rules;
    let mut note = |text: String| notes.push(Note::new(item, text));
    if rules.excluded {
        return;
    }
    if rules.tofu && set.pins.is_empty() {
        note(
            "trust on first use cannot be expressed: written with an empty <trust-anchors>, \
              so that Android refuses the host as certpin does before its first pin (fail closed)"
                .to_owned(),
        );
    } else if rules.tofu {
        note(
            "trust on first use cannot be expressed: the pins learned so far are written as \
              ordinary pins"
                .to_owned(),
        );
    }
    if rules.enforcement == Enforcement::ReportOnly {
        note(
            "report_only cannot be expressed: the pins are written enforced (fail closed)"
                .to_owned(),
        );
    }
    if rules.trust == TrustMode::PinsOnly {
        note(
            "pins_only cannot be expressed: Android also validates the chain against its trust \
              anchors (a self-signed server needs its certificate in <trust-anchors>)"
                .to_owned(),
        );
    }
    if let Some(warn) = rules.warn_after {
        note(format!("warn_after {} cannot be expressed: not written", format_time(warn)));
    }
    if let Some(expires) = rules.expires_at {
        let (date, exact) = expiration_date(expires);
        let rounded = match exact {
            true => String::new(),
            false => format!(
                " (rounded up from {}: the pins stay enforced longer)",
                format_time(expires)
            ),
        };
        note(format!("expires written as expiration=\"{date}\"{rounded}; {TIME_ZONE}"));
    }
    if set.pins.len() == 1 && set.needs_backup() {
        note("one pin, no backup".to_owned());
    }
}

/// The date for `expiration`: the day that begins at `expires`, or the next one when it
/// does not fall at 00:00 UTC; and whether it was exact.
fn expiration_date(expires: u64) -> (String, bool) {
    let moment = i64::try_from(expires)
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let exact = expires.is_multiple_of(86_400);
    let date = match exact {
        true => moment.date(),
        false => moment.date().next_day().unwrap_or(moment.date()),
    };
    let text = date.format(format_description!("[year]-[month]-[day]")).unwrap_or_default();
    (text, exact)
}

type XmlResult = std::io::Result<()>;

/// The file: one domain-config per pattern; with `refuse`, a base-config without anchors and
/// the system anchors named in every domain-config that is not refused outright.
fn write_xml(configs: &[(String, bool, &PinSet)], refuse: bool) -> std::io::Result<String> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 4);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let system_anchors = |w: &mut Writer<Vec<u8>>| -> XmlResult {
        w.create_element("trust-anchors").write_inner_content(|w: &mut Writer<Vec<u8>>| {
            w.create_element("certificates").with_attribute(("src", "system")).write_empty()?;
            XmlResult::Ok(())
        })?;
        Ok(())
    };
    writer.create_element("network-security-config").write_inner_content(
        |w: &mut Writer<Vec<u8>>| -> XmlResult {
            if refuse {
                w.create_element("base-config").write_inner_content(
                    |w: &mut Writer<Vec<u8>>| -> XmlResult {
                        w.create_element("trust-anchors").write_empty()?;
                        Ok(())
                    },
                )?;
            }
            for (name, include, set) in configs {
                w.create_element("domain-config").write_inner_content(
                    |w: &mut Writer<Vec<u8>>| -> XmlResult {
                        w.create_element("domain")
                            .with_attribute((
                                "includeSubdomains",
                                if *include { "true" } else { "false" },
                            ))
                            .write_text_content(BytesText::new(name))?;
                        if !set.rules.excluded && set.pins.is_empty() {
                            // Trust on first use before the first pin: refuse, as certpin does.
                            w.create_element("trust-anchors").write_empty()?;
                            return Ok(());
                        }
                        if refuse {
                            system_anchors(w)?;
                        }
                        if set.rules.excluded {
                            return Ok(());
                        }
                        let mut pin_set = w.create_element("pin-set");
                        let date = set.rules.expires_at.map(|expires| expiration_date(expires).0);
                        if let Some(date) = &date {
                            pin_set = pin_set.with_attribute(("expiration", date.as_str()));
                        }
                        pin_set.write_inner_content(|w: &mut Writer<Vec<u8>>| -> XmlResult {
                            for pin in &set.pins {
                                w.create_element("pin")
                                    .with_attribute(("digest", "SHA-256"))
                                    .write_text_content(BytesText::new(&pin.base64()))?;
                            }
                            Ok(())
                        })?;
                        Ok(())
                    },
                )?;
            }
            Ok(())
        },
    )?;
    let mut text = String::from_utf8(writer.into_inner()).expect("the writer writes UTF-8");
    text.push('\n');
    Ok(text)
}
