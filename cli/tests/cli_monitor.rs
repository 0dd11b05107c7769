//! `certpin monitor` against live `openssl s_server` instances on 127.0.0.1, serving chains
//! made with rcgen: a rotation to a backup key rehearsed before and after, a certificate that
//! expires within the window, a chain that will stop matching (an intermediate and a pin set
//! that expire), a pin set with no backup off the chain, and hosts it could not check.

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/support/tls_server.rs"]
mod tls_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use certpin::document::format_time;
use common::{Cert, DAY, NOT_AFTER, NOT_BEFORE, Pki, T, UNRELATED_PIN};
use serde_json::{Value, json};
use tls_server::TlsServer;

const HOST: &str = "api.monitor.test";

/// A fresh, empty directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("monitor-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A root, an intermediate under it, written to `dir` (root.pem for `--anchor`).
struct Ca {
    root: Cert,
    intermediate: Cert,
    dir: PathBuf,
}

impl Ca {
    fn new(dir: PathBuf) -> Self {
        Self::with_intermediate_until(dir, NOT_AFTER)
    }

    fn with_intermediate_until(dir: PathBuf, not_after: u64) -> Self {
        let root = Pki::root("Monitor Root CA").self_signed();
        let intermediate = Pki::intermediate("Monitor Intermediate CA")
            .valid(NOT_BEFORE, not_after)
            .signed_by(&root);
        std::fs::write(dir.join("root.pem"), root.pem()).unwrap();
        std::fs::write(dir.join("intermediate.pem"), intermediate.pem()).unwrap();
        Self { root, intermediate, dir }
    }

    /// A leaf for HOST valid until `not_after`.
    fn leaf(&self, not_after: u64) -> Cert {
        Pki::leaf(&[HOST]).valid(NOT_BEFORE, not_after).signed_by(&self.intermediate)
    }

    /// A server presenting `leaf` and the intermediate.
    fn serve(&self, leaf: &Cert, name: &str) -> TlsServer {
        let cert = self.dir.join(format!("{name}.pem"));
        let key = self.dir.join(format!("{name}.key"));
        std::fs::write(&cert, leaf.pem()).unwrap();
        std::fs::write(&key, leaf.key_pem()).unwrap();
        TlsServer::start_files(&cert, &key, Some(&self.dir.join("intermediate.pem")))
    }

    /// Writes a policy with `domains` and returns its path.
    fn policy(&self, domains: Value) -> PathBuf {
        let path = self.dir.join("policy.json");
        let document = json!({ "certpin_policy": 1, "version": 1, "domains": domains });
        std::fs::write(&path, document.to_string()).unwrap();
        path
    }

    /// `certpin --json monitor POLICY --connect HOST=... --anchor root.pem --at T ARGS...`.
    fn monitor(&self, policy: &Path, server: &TlsServer, args: &[&str]) -> (i32, Value) {
        let connect = format!("{HOST}={}", server.address());
        let at = T.to_string();
        let anchor = self.dir.join("root.pem");
        let output = certpin(
            &[
                &["--json", "monitor", policy.to_str().unwrap(), "--connect", &connect][..],
                &["--anchor", anchor.to_str().unwrap(), "--at", &at],
                args,
            ]
            .concat(),
        );
        parse(&output)
    }
}

fn certpin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certpin")).args(args).output().expect("certpin runs")
}

fn parse(output: &Output) -> (i32, Value) {
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("stdout is JSON: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code().unwrap(), report)
}

/// The report's lines of `kind`.
fn lines<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["lines"].as_array().unwrap().iter().filter(|line| line["kind"] == kind).collect()
}

fn message(line: &Value) -> &str {
    line["message"].as_str().unwrap()
}

#[test]
fn a_rotation_to_the_backup_key_is_rehearsed_before_and_after() {
    let ca = Ca::new(scratch("rotation"));
    let current = ca.leaf(NOT_AFTER);
    let backup = ca.leaf(NOT_AFTER);
    let policy = ca.policy(json!({ HOST: { "pins": [current.pin(), backup.pin()] } }));

    // Before: the current key matches; the rotation line names it as the pin that will stop
    // matching, and the backup that will take over.
    let before = ca.serve(&current, "current");
    let (code, report) = ca.monitor(&policy, &before, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["status"], "ok");
    assert_eq!(report["verdicts"][0]["matched_pin"], current.pin());
    let rotation = lines(&report, "rotation");
    assert_eq!(rotation.len(), 1, "{report:#}");
    let text = message(rotation[0]);
    assert!(text.contains(&format!("{} (the leaf's key) stops matching", current.pin())), "{text}");
    assert!(text.contains(&format!("backup key ({})", backup.pin())), "{text}");
    assert!(lines(&report, "no_backup").is_empty());
    drop(before);

    // After: the server moved to the backup key, which now matches.
    let after = ca.serve(&backup, "backup");
    let (code, report) = ca.monitor(&policy, &after, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdicts"][0]["matched_pin"], backup.pin());

    // A key the policy does not hold: refused now, and the exit status says so.
    let stranger = ca.leaf(NOT_AFTER);
    let wrong = ca.serve(&stranger, "stranger");
    let (code, report) = ca.monitor(&policy, &wrong, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(lines(&report, "now")[0]["result"], "PIN_ERR_PIN_MISMATCH");
    assert_eq!(lines(&report, "now")[0]["level"], "finding");
}

#[test]
fn a_pin_set_whose_pins_are_all_on_the_chain_has_no_backup() {
    let ca = Ca::new(scratch("no-backup"));
    let leaf = ca.leaf(NOT_AFTER);
    let policy =
        ca.policy(json!({ HOST: { "pins": [leaf.pin(), ca.intermediate.pin(), ca.root.pin()] } }));
    let server = ca.serve(&leaf, "leaf");
    let (code, report) = ca.monitor(&policy, &server, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["status"], "findings");
    assert_eq!(report["verdicts"][0]["result"], "PIN_OK");
    assert_eq!(lines(&report, "no_backup").len(), 1, "{report:#}");
    assert!(message(lines(&report, "rotation")[0]).contains("no backup pin"));

    // One pin off the chain is a backup: no finding.
    let policy = ca.policy(json!({ HOST: { "pins": [leaf.pin(), UNRELATED_PIN] } }));
    let (code, report) = ca.monitor(&policy, &server, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(lines(&report, "no_backup").is_empty());
}

#[test]
fn an_expiring_certificate_is_reported_at_the_second_it_expires() {
    let ca = Ca::new(scratch("expiring"));
    let not_after = T + 10 * DAY;
    let leaf = ca.leaf(not_after);
    let policy = ca.policy(json!({ HOST: { "pins": [leaf.pin(), UNRELATED_PIN] } }));
    let server = ca.serve(&leaf, "leaf");

    let (code, report) = ca.monitor(&policy, &server, &[]);
    assert_eq!(code, 1, "{report:#}");
    let changes = lines(&report, "change");
    assert_eq!(changes.len(), 1, "{report:#}");
    // webpki accepts a certificate through its notAfter second: the verdict changes after it.
    assert_eq!(changes[0]["at"], format_time(not_after + 1));
    assert_eq!(changes[0]["result"], "PIN_ERR_EXPIRED");
    assert!(message(changes[0]).starts_with("PIN_OK -> PIN_ERR_EXPIRED"), "{report:#}");
    // The pinned leaf expires before its pin set (which never does).
    let expiring = lines(&report, "expires_first");
    assert_eq!(expiring.len(), 1, "{report:#}");
    assert!(message(expiring[0]).contains("certificate [0]"), "{report:#}");

    // Outside a 5-day window, nothing changes: all good.
    let (code, report) = ca.monitor(&policy, &server, &["--days", "5"]);
    assert_eq!(code, 0, "{report:#}");
    assert!(lines(&report, "change").is_empty());
}

#[test]
fn a_chain_that_will_stop_matching_is_dated() {
    // The pinned intermediate expires in 15 days; the leaf lives on.
    let ca = Ca::with_intermediate_until(scratch("stop-matching"), T + 15 * DAY);
    let leaf = ca.leaf(NOT_AFTER);
    let warn = T + 5 * DAY;
    let expires = T + 20 * DAY;
    let policy = ca.policy(json!({ HOST: {
        "pins": [ca.intermediate.pin(), UNRELATED_PIN],
        "warn_after": format_time(warn),
        "expires": format_time(expires),
    } }));
    let server = ca.serve(&leaf, "leaf");
    let (code, report) = ca.monitor(&policy, &server, &[]);
    assert_eq!(code, 1, "{report:#}");
    let changes: Vec<(String, String)> = lines(&report, "change")
        .iter()
        .map(|line| (line["at"].as_str().unwrap().to_owned(), message(line).to_owned()))
        .collect();
    assert_eq!(changes.len(), 3, "{changes:#?}");
    assert_eq!(changes[0].0, format_time(warn));
    assert!(changes[0].1.starts_with("PIN_OK -> PIN_OK [pins_expiring]"), "{changes:#?}");
    assert_eq!(changes[1].0, format_time(T + 15 * DAY + 1));
    assert!(changes[1].1.contains("-> PIN_ERR_EXPIRED"), "{changes:#?}");
    assert!(changes[1].1.contains("certificate [1]"), "{changes:#?}");
    assert_eq!(changes[2].0, format_time(expires));
    assert!(changes[2].1.contains("pins expire"), "{changes:#?}");
    // The pinned intermediate expires before the pin set does.
    let expiring = lines(&report, "expires_first");
    assert_eq!(expiring.len(), 1, "{report:#}");
    assert!(message(expiring[0]).contains("certificate [1]"), "{report:#}");
}

#[test]
fn hosts_it_cannot_check_exit_2_and_wildcards_need_a_host() {
    let ca = Ca::new(scratch("unchecked"));
    let leaf = ca.leaf(NOT_AFTER);
    let policy = ca.policy(json!({
        "monitor.test": { "pins": [ca.intermediate.pin(), UNRELATED_PIN], "include_subdomains": true }
    }));
    let server = ca.serve(&leaf, "leaf");

    // A wildcard pattern names no host: unchecked unless --host gives one under it.
    let (code, report) = parse(&certpin(&["--json", "monitor", policy.to_str().unwrap()]));
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(lines(&report, "no_host")[0]["host"], "**.monitor.test");
    assert_eq!(report["lines"].as_array().unwrap().len(), 1, "{report:#}");
    let (code, report) = ca.monitor(&policy, &server, &["--host", HOST]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdicts"][0]["pattern"], "**.monitor.test");

    // A policy that pins nothing to connect to is not "all good".
    let empty = ca.policy(json!({ "old.monitor.test": { "exclude": true } }));
    let output = certpin(&["monitor", empty.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("pins no host"));
    let policy = ca.policy(json!({
        "monitor.test": { "pins": [ca.intermediate.pin(), UNRELATED_PIN], "include_subdomains": true }
    }));

    // --connect for a host that is not checked is a usage error, not silence.
    let output = certpin(&[
        "monitor",
        policy.to_str().unwrap(),
        "--connect",
        &format!("{HOST}=127.0.0.1:1"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not checked"));

    // A server that is gone: unchecked, with the reason.
    let address = server.address();
    drop(server);
    let connect = format!("{HOST}={address}");
    let output = certpin(&[
        "--json",
        "monitor",
        policy.to_str().unwrap(),
        "--host",
        HOST,
        "--connect",
        &connect,
    ]);
    let (code, report) = parse(&output);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["status"], "unchecked");
    assert!(message(lines(&report, "unreachable")[0]).contains("cannot connect"), "{report:#}");
}

#[test]
fn text_output_is_one_line_per_host_and_finding() {
    let ca = Ca::new(scratch("text"));
    let not_after = T + 10 * DAY;
    let leaf = ca.leaf(not_after);
    let policy = ca.policy(json!({ HOST: { "pins": [leaf.pin(), UNRELATED_PIN] } }));
    let server = ca.serve(&leaf, "leaf");
    let connect = format!("{HOST}={}", server.address());
    let anchor = ca.dir.join("root.pem");
    let output = certpin(&[
        "monitor",
        policy.to_str().unwrap(),
        "--connect",
        &connect,
        "--anchor",
        anchor.to_str().unwrap(),
        "--at",
        &T.to_string(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    let place = format!("{HOST}:{}", server.port);
    let kinds: Vec<&str> = text
        .lines()
        .map(|line| {
            let mut words = line.split("  ");
            assert_eq!(words.next(), Some(place.as_str()), "{line}");
            words.nth(1).unwrap()
        })
        .collect();
    assert_eq!(kinds, ["now", "change", "rotation", "expires_first"], "{text}");
}
