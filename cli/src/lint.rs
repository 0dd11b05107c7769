//! The `lint` subcommand: every problem of a policy document at once, where loading it would
//! stop at the first. The raw document (serde_json into `certpin::document::Document`, with
//! unknown keys set aside) is checked for the mistakes that brick or silently open an app;
//! then `parse_document`, the library's own reader, has the last word on anything else.

use std::path::{Path, PathBuf};

use certpin::document::{
    DOCUMENT_KEYS, DOMAIN_ENTRY_KEYS, Document, DomainEntry, entry_pattern, entry_rules,
    format_time, parse_document, parse_time, stated,
};
use certpin::host::{HostName, HostPattern, ambiguous_idna, parent};
use certpin::pin::Pin;
use certpin::policy::{ConfigProblem, Enforcement, PinRules, PinSet, Policy};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::certs::{ChainKey, Role, read_certificates};
use crate::check::Trust;
use crate::output::{Failure, Status, print_json, read_file};
use crate::validated::{anchor_store, validated_keys};

/// An expiry closer than this is worth a warning.
const WARN_DAYS: u64 = 30;
/// Seconds in a day.
const DAY: u64 = 24 * 60 * 60;

/// `certpin lint FILE [--chain CHAIN.pem] [--anchor ROOT.pem]... [--at UNIX]`
#[derive(clap::Args)]
pub struct Args {
    /// The policy document (JSON).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The chain the server sends today (leaf first): each entry must keep a backup pin off
    /// it, and should not pin one CA's keys only.
    #[arg(long, value_name = "CHAIN.pem")]
    chain: Option<PathBuf>,
    #[command(flatten)]
    trust: Trust,
}

/// How bad a finding is: errors fail the lint (exit 1), warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Severity {
    Error,
    Warning,
}

/// One problem: how bad, which check found it, the key it is under, and what is wrong.
#[derive(Debug, Serialize)]
struct Finding {
    severity: Severity,
    /// `bad-json`, `unknown-key`, `bad-pin`, `bad-date`, `bad-pattern`, a rule of the
    /// library's one configuration check (`no-pins`, `missing-backup`,
    /// `exclusion-with-options`, `report-only-without-ca`, `warning-after-expiry`),
    /// `backup-on-chain`, `single-ca`, `expired`, `expiring`, `overlap`, `weaker-wins`,
    /// `duplicate-pattern`, or `invalid` (what `parse_document` refuses otherwise).
    check: &'static str,
    /// Where: `domains."api.example.com".pins[1]`, or a JSON position.
    key: String,
    message: String,
}

/// What `lint` reports.
#[derive(Serialize)]
struct LintReport {
    file: String,
    checked_at: u64,
    errors: usize,
    warnings: usize,
    findings: Vec<Finding>,
}

/// Runs `certpin lint`.
pub fn run(args: &Args, json: bool) -> Result<Status, Failure> {
    let bytes = read_file(&args.file)?;
    let chain = args.chain.as_ref().map(|path| chain_keys(path, &args.trust)).transpose()?;
    let mut linter =
        Linter { findings: Vec::new(), chain: chain.as_deref(), at: args.trust.time() };
    linter.lint(&bytes);
    let mut findings = linter.findings;
    findings.sort_by(|a, b| a.key.cmp(&b.key));
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    let report = LintReport {
        file: args.file.display().to_string(),
        checked_at: linter.at,
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        findings,
    };
    if json {
        print_json(&report);
    } else {
        print_report(&report);
    }
    Ok(if report.errors > 0 { Status::Negative } else { Status::Ok })
}

/// The keys of the `--chain` file's validated path (any host, at the `--at` time, against the
/// `--anchor` roots or the built-in ones); a chain that validates on no path is refused, as
/// its root, if any, is not known.
fn chain_keys(path: &Path, trust: &Trust) -> Result<Vec<ChainKey>, Failure> {
    let chain = read_certificates(path)?;
    let anchors = trust.anchor_certificates()?;
    let keys = validated_keys(&anchor_store(&anchors)?, &chain, None, trust.time(), &anchors);
    if keys.is_empty() {
        return Err(Failure::file(
            path,
            "the chain does not validate (against the --anchor roots or the built-in ones, at \
             the --at time): its trust anchor, and so which keys are on it, is not known",
        ));
    }
    Ok(keys)
}

/// The findings as aligned text: severity, check, key, message.
fn print_report(report: &LintReport) {
    let file = &report.file;
    if report.findings.is_empty() {
        println!("{file}: no problems found");
        return;
    }
    println!("{file}: {} error(s), {} warning(s)", report.errors, report.warnings);
    let check_width = report.findings.iter().map(|f| f.check.len()).max().unwrap_or(0);
    let key_width = report.findings.iter().map(|f| f.key.len()).max().unwrap_or(0);
    for finding in &report.findings {
        let severity = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        println!(
            "  {severity:<7}  {:<check_width$}  {:<key_width$}  {}",
            finding.check, finding.key, finding.message
        );
    }
}

/// Collects findings about one document.
struct Linter<'a> {
    findings: Vec<Finding>,
    /// The keys of the current chain, with `--chain`.
    chain: Option<&'a [ChainKey]>,
    at: u64,
}

impl Linter<'_> {
    /// Records one finding.
    fn add(&mut self, severity: Severity, check: &'static str, key: &str, message: String) {
        self.findings.push(Finding { severity, check, key: key.to_owned(), message });
    }

    /// Checks the document `bytes`: the raw view first, then the library's reader.
    fn lint(&mut self, bytes: &[u8]) {
        let mut value: Value = match serde_json::from_slice(bytes) {
            Ok(value) => value,
            Err(error) => {
                let key = format!("line {} column {}", error.line(), error.column());
                let message = without_position(&error.to_string()).to_owned();
                return self.add(Severity::Error, "bad-json", &key, message);
            }
        };
        self.set_aside_unknown_keys(&mut value);
        // When the shape is wrong (a string for a list...), parse_document says where.
        if let Ok(document) = serde_json::from_value::<Document>(value) {
            self.document(&document);
        }
        self.authoritative(bytes);
    }

    /// Reports and removes unknown keys, so that the rest can still be read and checked.
    fn set_aside_unknown_keys(&mut self, value: &mut Value) {
        let Some(top) = value.as_object_mut() else { return };
        self.unknown_keys(top, DOCUMENT_KEYS, "");
        if let Some(Value::Object(domains)) = top.get_mut("domains") {
            for (name, entry) in domains.iter_mut() {
                if let Value::Object(entry) = entry {
                    self.unknown_keys(entry, DOMAIN_ENTRY_KEYS, &format!("domains.{name:?}."));
                }
            }
        }
    }

    /// Reports and removes the keys of `object` that are not in `known`.
    fn unknown_keys(&mut self, object: &mut Map<String, Value>, known: &[&str], prefix: &str) {
        let unknown: Vec<String> =
            object.keys().filter(|key| !known.contains(&key.as_str())).cloned().collect();
        for key in unknown {
            object.remove(&key);
            let hint = closest(&key, known).map(|k| format!(" (did you mean {k:?}?)"));
            let message = format!(
                "unknown key{}: certpin refuses the whole document",
                hint.unwrap_or_default()
            );
            self.add(Severity::Error, "unknown-key", &format!("{prefix}{key}"), message);
        }
    }

    /// The checks on a document that serde could read: dates, pins, patterns, overlaps.
    fn document(&mut self, document: &Document) {
        if let Some(text) = &document.expires {
            let then = "apps refuse it as a signed update";
            self.expiry("expires", text, "the document", then, Severity::Warning);
        }
        let mut patterns = Vec::new();
        for (name, entry) in &document.domains {
            let key = format!("domains.{name:?}");
            let pattern = self.pattern(&key, name, entry);
            // Dates are checked below, each at its key; a bad one leaves the rules unknown.
            let rules = entry_rules(&key, entry).ok();
            self.pins(&key, entry, pattern.as_ref().zip(rules));
            if let Some(text) = &entry.expires {
                // Its pins do nothing: an error, unlike a document past its own expiry.
                let then = "its pins are not enforced (fail open)";
                let key = format!("{key}.expires");
                self.expiry(&key, text, "the entry", then, Severity::Error);
            }
            if let Some(text) = &entry.warn_after {
                self.date(&format!("{key}.warn_after"), text);
            }
            if let Some(pattern) = pattern {
                patterns.push((key, pattern, rules.unwrap_or_default()));
            }
        }
        self.overlaps(&patterns);
    }

    /// Bad and repeated pins, the library's configuration check on the entry (with its
    /// `pattern` and `rules`, when they read), and (with `--chain`) pins all on the chain.
    fn pins(&mut self, key: &str, entry: &DomainEntry, shape: Option<(&HostPattern, PinRules)>) {
        let mut valid: Vec<(usize, Pin)> = Vec::new();
        for (index, text) in entry.pins.iter().enumerate() {
            let pin_key = format!("{key}.pins[{index}]");
            match text.parse::<Pin>() {
                Err(_) => {
                    let message =
                        format!("{text:?} is not a pin (\"sha256/\" + base64 of 32 bytes)");
                    self.add(Severity::Error, "bad-pin", &pin_key, message);
                }
                Ok(pin) => match valid.iter().find(|(_, seen)| *seen == pin) {
                    Some((first, _)) => {
                        let message = format!("the same pin as pins[{first}]");
                        self.add(Severity::Error, "bad-pin", &pin_key, message);
                    }
                    None => valid.push((index, pin)),
                },
            }
        }
        let pins_key = format!("{key}.pins");
        if let Some((pattern, rules)) = shape
            && valid.len() == entry.pins.len()
        {
            let pins = valid.iter().map(|(_, pin)| *pin).collect();
            let set = PinSet { pattern: pattern.clone(), pins, rules };
            if let Err(problem) = set.check_configured(stated(entry)) {
                let at = match problem {
                    ConfigProblem::NoPins | ConfigProblem::MissingBackup => &pins_key,
                    _ => key,
                };
                let message = format!("{problem}; it has {} pin(s)", entry.pins.len());
                return self.add(Severity::Error, problem.name(), at, message);
            }
        }
        if let Some(chain) = self.chain {
            let pins: Vec<Pin> = valid.into_iter().map(|(_, pin)| pin).collect();
            if pins.len() >= 2 {
                self.pins_on_chain(&pins_key, &pins, chain);
            }
        }
    }

    /// RFC 7469: at least one pin must be a backup that is not on the current chain; and pins
    /// that are all one CA's keys leave no way to change CA.
    fn pins_on_chain(&mut self, key: &str, pins: &[Pin], chain: &[ChainKey]) {
        let on_chain: Vec<&ChainKey> =
            pins.iter().filter_map(|pin| chain.iter().find(|k| k.pin == *pin)).collect();
        if on_chain.len() < pins.len() {
            return;
        }
        let roles: Vec<&str> = on_chain.iter().map(|k| k.role.name()).collect();
        let message = format!(
            "every pin is a key on the current chain ({}): RFC 7469 needs a backup pin for a key \
             that is not on it, or the next key change locks the app out",
            roles.join(", ")
        );
        self.add(Severity::Error, "backup-on-chain", key, message);
        let top_ca = chain.last().filter(|k| k.role != Role::Leaf);
        if let (Some(ca), false) = (top_ca, on_chain.iter().any(|k| k.role == Role::Leaf)) {
            let message = format!(
                "every pin is a key of one CA ({}): if you move to another CA, or it is \
                 distrusted, no pin matches; add a backup from a second CA or a spare key",
                ca.subject
            );
            self.add(Severity::Warning, "single-ca", key, message);
        }
    }

    /// A date that parses; an error finding otherwise.
    fn date(&mut self, key: &str, text: &str) -> Option<u64> {
        parse_time(key, text)
            .map_err(|error| self.add(Severity::Error, "bad-date", key, error.problem))
            .ok()
    }

    /// An expiry that has passed (a finding of `passed` severity) or is less than
    /// [`WARN_DAYS`] away (a warning).
    fn expiry(&mut self, key: &str, text: &str, what: &str, then: &str, passed: Severity) {
        let Some(expires) = self.date(key, text) else { return };
        let when = format_time(expires);
        if expires <= self.at {
            let message = format!("{what} expired at {when}: {then}");
            self.add(passed, "expired", key, message);
        } else if expires - self.at < WARN_DAYS * DAY {
            let days = (expires - self.at) / DAY;
            let message = format!("{what} expires at {when}, in {days} day(s); then {then}");
            self.add(Severity::Warning, "expiring", key, message);
        }
    }

    /// The pattern an entry stands for (`include_subdomains` applied), if it reads.
    fn pattern(&mut self, key: &str, name: &str, entry: &DomainEntry) -> Option<HostPattern> {
        match entry_pattern(key, name, entry.include_subdomains) {
            Ok(pattern) => Some(pattern),
            Err(error) if error.key == key => {
                // An IDNA deviation character: say which two hosts the name could be.
                let problem = ambiguous_idna(name).unwrap_or(error.problem);
                self.add(Severity::Error, "bad-pattern", key, problem);
                None
            }
            // An error with `include_subdomains`: parse_document names it.
            Err(_) => None,
        }
    }

    /// Patterns that cover some host in common: which entry applies there, per the library's
    /// own lookup. Every place where an exclusion or a report-only entry wins over an enforced
    /// one is reported (`weaker-wins`: hosts there lose their enforced pins); any other
    /// overlap is reported unless the winner is an exclusion.
    fn overlaps(&mut self, patterns: &[(String, HostPattern, PinRules)]) {
        let weak =
            |rules: &PinRules| rules.excluded || rules.enforcement == Enforcement::ReportOnly;
        let enforced =
            |rules: &PinRules| !rules.excluded && rules.enforcement == Enforcement::Enforce;
        for (index, (key, pattern, rules)) in patterns.iter().enumerate() {
            for (other_key, other, other_rules) in &patterns[..index] {
                if pattern == other {
                    let message = format!("the same pattern ({pattern}) as {other_key}");
                    self.add(Severity::Error, "duplicate-pattern", key, message);
                    continue;
                }
                let Some((region, sample)) = shared_hosts(pattern, other) else { continue };
                let (winner, loser, winner_rules, loser_rules) =
                    match applied(pattern, other, &sample) {
                        Some(applied) if applied == pattern => (key, other_key, rules, other_rules),
                        Some(_) => (other_key, key, other_rules, rules),
                        None => continue,
                    };
                if weak(winner_rules) && enforced(loser_rules) {
                    let what = if winner_rules.excluded { "an exclusion" } else { "report-only" };
                    let message = format!(
                        "{what}, it wins over the enforced {loser} on {region} (the most \
                         specific pattern applies): a chain there that misses {loser}'s pins is \
                         accepted"
                    );
                    self.add(Severity::Warning, "weaker-wins", winner, message);
                } else if !winner_rules.excluded {
                    let message = format!(
                        "overlaps {loser} on {region}: this entry wins there (the most specific \
                         pattern applies), so none of {loser}'s pins or rules apply to it"
                    );
                    self.add(Severity::Warning, "overlap", winner, message);
                }
            }
        }
    }

    /// The library's verdict on the document, unless it only repeats a finding.
    fn authoritative(&mut self, bytes: &[u8]) {
        let Err(error) = parse_document(bytes) else { return };
        let repeated = if error.key.starts_with("line ") {
            // A serde error: an unknown key is already reported, with its path.
            error.problem.contains("unknown field")
                && self.findings.iter().any(|f| f.check == "unknown-key")
        } else {
            self.findings.iter().any(|f| {
                f.severity == Severity::Error
                    && (f.key.starts_with(&error.key) || error.key.starts_with(&f.key))
            })
        };
        if !repeated {
            let message = without_position(&error.problem).to_owned();
            self.add(Severity::Error, "invalid", &error.key, message);
        }
    }
}

/// A serde_json message without its trailing ` at line L column C` (the finding's key has it).
fn without_position(message: &str) -> &str {
    message.rsplit_once(" at line ").map_or(message, |(text, _)| text)
}

/// The hosts two different patterns both cover, as text (a host or pattern), with one such
/// host to look up; `None` when they share none.
fn shared_hosts(a: &HostPattern, b: &HostPattern) -> Option<(String, HostName)> {
    use HostPattern::{AnyDepth, Exact, OneLabel};
    let under = |name: &str, base: &str| name == base || name.ends_with(&format!(".{base}"));
    let (region, sample) = match (a, b) {
        (Exact(host), other) | (other, Exact(host)) => {
            return other.matches(host).then(|| (host.to_string(), host.clone()));
        }
        (OneLabel(one), AnyDepth(any)) | (AnyDepth(any), OneLabel(one)) => {
            if under(one, any) {
                (format!("*.{one}"), format!("x.{one}"))
            } else if parent(any) == Some(one.as_str()) {
                (any.clone(), any.clone())
            } else {
                return None;
            }
        }
        (AnyDepth(x), AnyDepth(y)) => match (under(x, y), under(y, x)) {
            (true, _) => (format!("**.{x}"), x.clone()),
            (_, true) => (format!("**.{y}"), y.clone()),
            _ => return None,
        },
        // Two different `*.` bases share no host.
        (OneLabel(_), OneLabel(_)) => return None,
    };
    Some((region, HostName::parse(&sample).ok()?))
}

/// Which of two patterns applies to `host` when a policy has both.
fn applied<'p>(a: &'p HostPattern, b: &'p HostPattern, host: &HostName) -> Option<&'p HostPattern> {
    let set = |pattern: &HostPattern| PinSet {
        pattern: pattern.clone(),
        pins: Vec::new(),
        rules: PinRules::default(),
    };
    let policy = Policy::default().with_pin_set(set(a)).ok()?.with_pin_set(set(b)).ok()?;
    let pattern = &policy.lookup(host)?.pattern;
    [a, b].into_iter().find(|candidate| *candidate == pattern)
}

/// The known key closest to a misspelt one (at most two edits away).
fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|candidate| (edit_distance(key, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, one row at a time.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
