//! The `monitor` subcommand: for each host a policy pins, fetch the chain the server sends now
//! and tell what will break before it does: the verdict now and at every date within the
//! window that changes it, pin sets with no backup off the chain, pinned certificates that
//! expire before their pin set, and the pin a rotation to a backup key would leave behind.
//!
//! Every verdict, now or at a future date, is the library's (`PinStore::verify` at that time):
//! the monitor only chooses the dates to ask about.

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;

use certpin::PIN_OK;
use certpin::cert_fields::CertFields;
use certpin::document::format_time;
use certpin::explain::printable;
use certpin::host::{HostName, HostPattern};
use certpin::pin::Pin;
use certpin::policy::PinSet;
use certpin::store::PinStore;
use serde::Serialize;

use crate::certs::Role;
use crate::check::{Trust, VerdictReport};
use crate::fetch::fetch_chain;
use crate::output::{Failure, Status, print_json};
use crate::validated::{anchor_store, validated_keys};

/// One day in seconds.
const DAY: u64 = 86_400;

/// `certpin monitor POLICY [--host HOST]... [--connect HOST=ADDR:PORT]... [--days N]
/// [--anchor ROOT.pem]... [--at UNIX]`
#[derive(clap::Args)]
pub struct Args {
    /// The policy document (JSON) whose hosts to check.
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// Also check this host: needed for wildcard patterns (`*.name`, `**.name`), which name
    /// no host to connect to. Repeatable.
    #[arg(long = "host", value_name = "HOST")]
    hosts: Vec<String>,
    /// Reach HOST at ADDR:PORT instead of resolving HOST on port 443. Repeatable.
    #[arg(long = "connect", value_name = "HOST=ADDR:PORT")]
    connect: Vec<String>,
    /// How many days ahead to look for dates that change a verdict.
    #[arg(long, value_name = "N", default_value_t = 30)]
    days: u64,
    #[command(flatten)]
    trust: Trust,
}

/// How serious a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Level {
    /// All is well (the verdict now, when it is `PIN_OK` with no note).
    Ok,
    /// Worth knowing, nothing to do yet.
    Info,
    /// Something to act on (exit 1).
    Finding,
    /// The host or pattern could not be checked (exit 2).
    Unchecked,
}

/// One line of the report: a host (or pattern) and one thing found about it.
#[derive(Serialize)]
struct Line {
    /// The host checked, or the pattern that could not be.
    host: String,
    /// The port connected to, when a connection was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    level: Level,
    /// `now`, `change`, `notes`, `no_backup`, `expires_first`, `rotation`, `unreachable`,
    /// `no_host`.
    kind: &'static str,
    /// For `change`: when the verdict changes (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<String>,
    /// The verdict then, for `now` and `change`.
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'static str>,
    message: String,
}

/// What `monitor --json` prints.
#[derive(Serialize)]
struct MonitorReport {
    /// The time the hosts were checked at (Unix seconds).
    checked_at: u64,
    /// The end of the window looked at (Unix seconds).
    until: u64,
    /// `ok`, `findings` or `unchecked`: the exit status 0, 1 or 2 in words.
    status: &'static str,
    lines: Vec<Line>,
    /// The verdict now for each host that could be reached.
    verdicts: Vec<VerdictReport>,
}

/// A host to check, with where to connect.
struct Target {
    host: HostName,
    address: Option<SocketAddr>,
}

/// Runs `certpin monitor`.
pub fn run(args: &Args, json: bool) -> Result<Status, Failure> {
    let store = args.trust.store(&args.policy)?;
    let anchors = args.trust.anchor_certificates()?;
    // Plain validation (the --anchor roots or the built-in ones), for the keys of each chain.
    let plain = anchor_store(&anchors)?;
    let now = args.trust.time();
    let until = now.saturating_add(args.days.saturating_mul(DAY));
    let connect = connect_map(&args.connect)?;
    let (targets, mut lines) = targets(&store, &args.hosts, &connect)?;
    if targets.is_empty() && lines.is_empty() {
        // Saying "all good" about nothing would hide a policy the monitor cannot read.
        return Err(Failure::file(&args.policy, "pins no host, and no --host was given"));
    }
    let mut verdicts = Vec::new();
    for target in targets {
        let name = target.host.to_string();
        let address = match target.address {
            Some(address) => Ok(address),
            None => resolve(&name),
        };
        let fetched = address.and_then(|address| {
            fetch_chain(&target.host, address).map(|chain| (address.port(), chain))
        });
        let (port, chain) = match fetched {
            Ok(fetched) => fetched,
            Err(problem) => {
                lines.push(Line::new(&name, None, Level::Unchecked, "unreachable", problem));
                continue;
            }
        };
        let host = HostCheck { store: &store, name: &name, port, chain: &chain, now, until };
        let verdict = host.verdict_at(now);
        let keys = validated_keys(&plain, &chain, Some(&target.host), now, &anchors);
        let keys: Vec<(Pin, Role, String)> =
            keys.into_iter().map(|key| (key.pin, key.role, key.subject)).collect();
        lines.extend(host.lines(&verdict, &keys));
        verdicts.push(verdict);
    }
    let worst = lines.iter().map(|line| line.level).max().unwrap_or(Level::Ok);
    let (status, word) = match worst {
        Level::Ok | Level::Info => (Status::Ok, "ok"),
        Level::Finding => (Status::Negative, "findings"),
        Level::Unchecked => (Status::Incomplete, "unchecked"),
    };
    if json {
        print_json(&MonitorReport { checked_at: now, until, status: word, lines, verdicts });
    } else {
        for line in &lines {
            line.print();
        }
    }
    Ok(status)
}

/// `HOST=ADDR:PORT` options as host → address.
fn connect_map(options: &[String]) -> Result<BTreeMap<HostName, SocketAddr>, Failure> {
    let mut map = BTreeMap::new();
    for option in options {
        let bad = || Failure(format!("--connect {option}: expected HOST=ADDR:PORT"));
        let (host, address) = option.split_once('=').ok_or_else(bad)?;
        let host = HostName::parse(host).map_err(|_| bad())?;
        let address = address
            .to_socket_addrs()
            .map_err(|error| Failure(format!("--connect {option}: {error}")))?
            .next()
            .ok_or_else(bad)?;
        map.insert(host, address);
    }
    Ok(map)
}

/// The first address of `host` on port 443.
fn resolve(host: &str) -> Result<SocketAddr, String> {
    (host, 443)
        .to_socket_addrs()
        .map_err(|error| format!("cannot resolve {host}: {error}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))
}

/// The hosts to check: every exact pattern with pins (not excluded), then every `--host`; and
/// a `no_host` line for each wildcard pattern with pins that no `--host` falls under.
fn targets(
    store: &PinStore,
    extra: &[String],
    connect: &BTreeMap<HostName, SocketAddr>,
) -> Result<(Vec<Target>, Vec<Line>), Failure> {
    let snapshot = store.snapshot();
    let policy = &snapshot.policy;
    let mut hosts: Vec<HostName> = Vec::new();
    for text in extra {
        let host = HostName::parse(text)
            .map_err(|_| Failure(format!("--host {text}: not a valid host name or IP address")))?;
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    let mut lines = Vec::new();
    let mut from_policy = Vec::new();
    for set in policy.pin_sets() {
        if set.rules.excluded || set.pins.is_empty() {
            continue;
        }
        match &set.pattern {
            HostPattern::Exact(host) => from_policy.push(host.clone()),
            pattern => {
                let covered = hosts.iter().any(|host| {
                    policy.lookup(host).is_some_and(|applied| applied.pattern == *pattern)
                });
                if !covered {
                    let message =
                        "a wildcard pattern names no host to connect to: give one with --host"
                            .to_owned();
                    lines.push(Line::new(
                        &pattern.to_string(),
                        None,
                        Level::Unchecked,
                        "no_host",
                        message,
                    ));
                }
            }
        }
    }
    from_policy.retain(|host| !hosts.contains(host));
    from_policy.extend(hosts);
    if let Some(host) = connect.keys().find(|host| !from_policy.contains(host)) {
        return Err(Failure(format!(
            "--connect names {host}, which is not checked: the policy has no exact pattern for \
             it and no --host gives it"
        )));
    }
    let targets = from_policy
        .into_iter()
        .map(|host| Target { address: connect.get(&host).copied(), host })
        .collect();
    Ok((targets, lines))
}

/// One host's chain, and what to ask about it.
struct HostCheck<'a> {
    store: &'a PinStore,
    name: &'a str,
    port: u16,
    chain: &'a [Vec<u8>],
    now: u64,
    until: u64,
}

impl HostCheck<'_> {
    /// The library's verdict on the chain at `time`.
    fn verdict_at(&self, time: u64) -> VerdictReport {
        VerdictReport::verify(self.store, self.chain, self.name, Some(self.port), time)
    }

    /// The pin set that applies to the host, if any.
    fn pin_set(&self) -> Option<Arc<PinSet>> {
        let host = HostName::parse(self.name).ok()?;
        self.store.snapshot().policy.lookup(&host).cloned()
    }

    fn line(&self, level: Level, kind: &'static str, message: String) -> Line {
        Line::new(self.name, Some(self.port), level, kind, message)
    }

    /// Every line for this host: the verdict now, its notes, the dated changes, and what the
    /// pin set and the chain say about backups, expiry and rotation.
    fn lines(&self, now: &VerdictReport, keys: &[(Pin, Role, String)]) -> Vec<Line> {
        let set = self.pin_set();
        let mut lines = Vec::new();
        let level =
            if now.code == PIN_OK && now.notes.is_empty() { Level::Ok } else { Level::Finding };
        let mut first = self.line(level, "now", describe(now));
        first.result = Some(now.result);
        lines.push(first);
        lines.extend(self.changes(now, set.as_deref()));
        let Some(set) = set.filter(|set| !set.pins.is_empty() && !set.rules.excluded) else {
            return lines;
        };
        lines.extend(self.backup_lines(&set, keys));
        lines.extend(self.expiry_lines(&set));
        lines
    }

    /// The dates within the window at which something the verdict depends on changes: each
    /// certificate's end of validity (the first second after notAfter), the pin set's
    /// `warn_after` and `expires`. With what happens then.
    fn dates(&self, set: Option<&PinSet>) -> BTreeMap<u64, Vec<String>> {
        let mut dates: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for (index, der) in self.chain.iter().enumerate() {
            let Some(fields) = CertFields::of(der) else { continue };
            if let Some((_, not_after)) = fields.validity_secs() {
                let subject = fields.subject_text().map_or_else(String::new, |s| printable(&s));
                dates.entry(not_after.saturating_add(1)).or_default().push(format!(
                    "certificate [{index}] {subject} expired (notAfter {})",
                    format_time(not_after)
                ));
            }
        }
        if let Some(set) = set {
            let pattern = &set.pattern;
            if let Some(warn) = set.rules.warn_after {
                dates.entry(warn).or_default().push(format!("{pattern}: warn_after reached"));
            }
            if let Some(expires) = set.rules.expires_at {
                dates
                    .entry(expires)
                    .or_default()
                    .push(format!("{pattern}: pins expire, no longer enforced"));
            }
        }
        dates.retain(|time, _| *time > self.now && *time <= self.until);
        dates
    }

    /// A `change` line for each date within the window whose verdict differs from the one
    /// before it.
    fn changes(&self, now: &VerdictReport, set: Option<&PinSet>) -> Vec<Line> {
        let mut lines = Vec::new();
        let mut before = summary(now);
        for (time, reasons) in self.dates(set) {
            let then = self.verdict_at(time);
            let after = summary(&then);
            if after != before {
                let message = format!(
                    "{} -> {} ({})",
                    before.describe(),
                    after.describe(),
                    reasons.join("; ")
                );
                let mut line = self.line(Level::Finding, "change", message);
                line.at = Some(format_time(time));
                line.result = Some(then.result);
                lines.push(line);
                before = after;
            }
        }
        lines
    }

    /// `no_backup` when every pin of the set is a key of the current chain (a new key would
    /// match none), and `rotation`: which pin stops matching when the server moves its leaf
    /// to a backup key.
    fn backup_lines(&self, set: &PinSet, keys: &[(Pin, Role, String)]) -> Vec<Line> {
        let on_chain: Vec<&(Pin, Role, String)> =
            keys.iter().filter(|(pin, _, _)| set.contains(pin)).collect();
        let backups: Vec<String> = set
            .pins
            .iter()
            .filter(|pin| !keys.iter().any(|(key, _, _)| key == *pin))
            .map(Pin::to_string)
            .collect();
        let mut lines = Vec::new();
        let pattern = &set.pattern;
        if backups.is_empty() {
            lines.push(self.line(
                Level::Finding,
                "no_backup",
                format!(
                    "every pin of {pattern} is a key of the current chain: a new key would \
                     match none (add a backup pin for a key that is not on this chain)"
                ),
            ));
        }
        let leaf = on_chain.iter().find(|(_, role, _)| *role == Role::Leaf);
        let others: Vec<String> = on_chain
            .iter()
            .filter(|(_, role, _)| *role != Role::Leaf)
            .map(|(pin, role, _)| format!("{pin} ({})", role.name()))
            .collect();
        let message = match (leaf, backups.is_empty(), others.is_empty()) {
            (None, _, true) => return lines,
            (None, _, false) => format!(
                "the leaf key is not pinned: a new leaf key under the same CA keeps matching on {}",
                others.join(", ")
            ),
            (Some((pin, _, _)), false, _) => format!(
                "when the server moves to a backup key ({}), {pin} (the leaf's key) stops \
                 matching{}",
                backups.join(", "),
                match others.is_empty() {
                    true => String::new(),
                    false => format!("; {} still match", others.join(", ")),
                }
            ),
            (Some((pin, _, _)), true, _) => format!(
                "a new leaf key would stop {pin} (the leaf's key) from matching, and no backup \
                 pin would take its place"
            ),
        };
        lines.push(self.line(Level::Info, "rotation", message));
        lines
    }

    /// An `expires_first` line for each pinned certificate of the chain whose notAfter comes
    /// before the pin set expires: its renewal must keep the key, or new pins must ship first.
    fn expiry_lines(&self, set: &PinSet) -> Vec<Line> {
        let mut lines = Vec::new();
        for (index, der) in self.chain.iter().enumerate() {
            let Ok(pin) = Pin::of_certificate(der) else { continue };
            let Some(fields) = CertFields::of(der) else { continue };
            let Some((_, not_after)) = fields.validity_secs() else { continue };
            if !set.contains(&pin) || set.rules.expires_at.is_some_and(|e| not_after >= e) {
                continue;
            }
            let subject = fields.subject_text().map_or_else(String::new, |s| printable(&s));
            let until = set
                .rules
                .expires_at
                .map_or("never expire".to_owned(), |e| format!("expire {}", format_time(e)));
            lines.push(self.line(
                Level::Info,
                "expires_first",
                format!(
                    "certificate [{index}] {subject} (pinned key {pin}) expires {}, while the \
                     pins of {} {until}: renew it with the same key, or ship a new pin first",
                    format_time(not_after),
                    set.pattern
                ),
            ));
        }
        lines
    }
}

/// What a change of verdict is judged on.
#[derive(PartialEq, Eq)]
struct Summary {
    result: &'static str,
    notes: Vec<&'static str>,
    matched_pin: Option<String>,
}

impl Summary {
    fn describe(&self) -> String {
        match self.notes.is_empty() {
            true => self.result.to_owned(),
            false => format!("{} [{}]", self.result, self.notes.join(", ")),
        }
    }
}

fn summary(verdict: &VerdictReport) -> Summary {
    Summary {
        result: verdict.result,
        notes: verdict.notes.clone(),
        matched_pin: verdict.matched_pin.clone(),
    }
}

/// The verdict in one line: result, notes, the pin that matched and the pattern.
fn describe(verdict: &VerdictReport) -> String {
    let mut text = summary(verdict).describe();
    if let Some(pin) = &verdict.matched_pin {
        text.push_str(&format!(", matched {pin}"));
    }
    match &verdict.pattern {
        Some(pattern) => text.push_str(&format!(" under {pattern}")),
        None => text.push_str(", no pattern covers the host"),
    }
    text
}

impl Line {
    fn new(
        host: &str,
        port: Option<u16>,
        level: Level,
        kind: &'static str,
        message: String,
    ) -> Self {
        Self { host: host.to_owned(), port, level, kind, at: None, result: None, message }
    }

    /// `HOST:PORT  LEVEL  KIND  [AT]  MESSAGE` on one line.
    fn print(&self) {
        let place = match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        };
        let level = match self.level {
            Level::Ok => "ok",
            Level::Info => "info",
            Level::Finding => "finding",
            Level::Unchecked => "unchecked",
        };
        let at = self.at.as_deref().map_or_else(String::new, |at| format!("{at}  "));
        println!("{place}  {level}  {}  {at}{}", self.kind, self.message);
    }
}
