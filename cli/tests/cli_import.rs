//! `certpin import` and `certpin export`, run as a process on the sample configurations in
//! testdata/import/ (written from Android's and TrustKit's documented semantics): which pins
//! apply to which host afterwards (asked of the library's own lookup), the notes for what
//! cannot be carried over, what each platform refuses, and round trips.

#[path = "support/run.rs"]
mod run;

use run::certpin;

use std::path::{Path, PathBuf};

use certpin::host::HostName;
use certpin::store::PinStore;
use serde_json::{Value, json};

const NESTED: &str = "testdata/import/nested.xml";
const TRUSTKIT_PLIST: &str = "testdata/import/trustkit.plist";
const TRUSTKIT_JSON: &str = "testdata/import/trustkit.json";

/// The samples' pins (testdata/pins.txt).
const INTERMEDIATE: &str = "sha256/AQvmDL/x7gydMfUF8tH/KLQT4Jsrw2AIMv5DHvQlEe8=";
const EC_INTERMEDIATE: &str = "sha256/SmQBou+OJftPeUt4UkihZapEP1epij2gYbtZ4wJBUKc=";
const LEAF: &str = "sha256/gMB23enBNYvde+DP2RIFAmmhOw91sj0Ix8Sg1MZlFyk=";
const EC_LEAF: &str = "sha256/QbL6V/Fm7dJP8fq+hi8EXemC+KHMjv47pHU7K9OQgos=";
const ROOT: &str = "sha256/p5JNJN/UpdR75s8KA6MCUJsGzs561WIlb033nojUF5o=";

/// `certpin --json ARGS`: the exit status and the JSON document.
fn certpin_json(args: &[&str]) -> (i32, Value) {
    let output = certpin(&[&["--json"], args].concat());
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!("{args:?}: stdout is JSON: {}", String::from_utf8_lossy(&output.stderr))
    });
    (output.status.code().unwrap(), value)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("import-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Imports `file` from `format`: exit status, policy and notes.
fn import(format: &str, file: &str) -> (i32, Value, Vec<(String, String)>) {
    let (code, report) = certpin_json(&["import", "--from", format, file]);
    let notes = report["notes"]
        .as_array()
        .unwrap_or_else(|| panic!("{report:#}"))
        .iter()
        .map(|n| (n["item"].as_str().unwrap().to_owned(), n["note"].as_str().unwrap().to_owned()))
        .collect();
    (code, report["policy"].clone(), notes)
}

/// What the library applies to `host` under `policy`: the pattern, its pins, and whether the
/// host is excluded; `None` when no pattern covers it.
fn applied(policy: &Value, host: &str) -> Option<(String, Vec<String>, bool)> {
    let store = PinStore::new();
    store.load_policy(policy.to_string().as_bytes()).expect("the imported policy loads");
    let snapshot = store.snapshot();
    let set = snapshot.policy.lookup(&HostName::parse(host).unwrap())?;
    let pins = set.pins.iter().map(ToString::to_string).collect();
    Some((set.pattern.to_string(), pins, set.rules.excluded))
}

fn pinned(pattern: &str, pins: &[&str]) -> Option<(String, Vec<String>, bool)> {
    Some((pattern.to_owned(), pins.iter().map(|p| p.to_string()).collect(), false))
}

fn excluded(pattern: &str) -> Option<(String, Vec<String>, bool)> {
    Some((pattern.to_owned(), Vec::new(), true))
}

/// Whether some note's item contains `item` and its text contains `text`.
fn noted(notes: &[(String, String)], item: &str, text: &str) -> bool {
    notes.iter().any(|(i, n)| i.contains(item) && n.contains(text))
}

#[test]
fn nested_nsc_domain_configs_apply_as_android_applies_them() {
    let (code, policy, _) = import("android-nsc", NESTED);
    assert_eq!(code, 1, "the sample has items to note");
    let parent = [INTERMEDIATE, EC_INTERMEDIATE];
    let api = [LEAF, EC_LEAF];
    let table = [
        // includeSubdomains covers the name itself and every name below.
        ("example.com", pinned("**.example.com", &parent)),
        ("www.example.com", pinned("**.example.com", &parent)),
        // A nested config without a pin-set inherits its parent's (and its expiration).
        ("static.example.com", pinned("static.example.com", &parent)),
        // ... for its own domain only: below it, the longest includeSubdomains domain wins.
        ("img.static.example.com", pinned("**.example.com", &parent)),
        // A nested pin-set replaces the inherited one: no merging.
        ("api.example.com", pinned("**.api.example.com", &api)),
        ("v2.api.example.com", pinned("**.api.example.com", &api)),
        // An empty pin-set under a pinned parent: not pinned.
        ("legacy.api.example.com", excluded("legacy.api.example.com")),
        ("x.legacy.api.example.com", pinned("**.api.example.com", &api)),
        // overridePins is not carried over: the inherited pins stay enforced.
        ("debug.example.com", pinned("debug.example.com", &parent)),
        // A top-level domain-config without pins, below a pinned domain: not pinned.
        ("cdn.example.com", excluded("**.cdn.example.com")),
        ("eu.cdn.example.com", excluded("**.cdn.example.com")),
        ("pay.example.org", pinned("pay.example.org", &[ROOT])),
        ("example.org", None),
    ];
    for (host, expected) in table {
        assert_eq!(applied(&policy, host), expected, "{host}");
    }
    let domains = &policy["domains"];
    assert_eq!(domains["static.example.com"]["expires"], "2045-12-01");
    assert_eq!(domains["example.com"]["expires"], "2045-12-01");
    assert_eq!(domains["api.example.com"].get("expires"), None);
    assert_eq!(domains["pay.example.org"]["single_pin"], true);
}

#[test]
fn nsc_items_certpin_cannot_express_get_one_note_each() {
    let (_, _, notes) = import("android-nsc", NESTED);
    let expected = [
        ("line 8 <base-config>", "cleartextTrafficPermitted=\"false\""),
        ("line 9 <trust-anchors>", "trust anchors (\"system\")"),
        ("line 23 <domain-config>", "cleartextTrafficPermitted=\"true\""),
        ("line 45 <trust-anchors>", "(\"system\", \"user\")"),
        ("line 47 <certificates>", "the pins stay enforced for every chain (fail closed)"),
        ("line 66 <debug-overrides>", "debuggable builds"),
        ("line 17 <pin-set>", "device's time zone"),
        ("line 59 <domain>", "one pin, no backup"),
    ];
    for (item, text) in expected {
        assert!(noted(&notes, item, text), "{item}: {text}\n{notes:#?}");
    }
    assert_eq!(notes.len(), expected.len(), "{notes:#?}");

    // Text mode: the policy on stdout, one `note:` line per item on stderr.
    let output = certpin(&["import", "--from", "android-nsc", NESTED]);
    assert_eq!(output.status.code(), Some(1));
    serde_json::from_slice::<Value>(&output.stdout).expect("stdout is the policy");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().filter(|l| l.starts_with("note: ")).count(), expected.len());
}

#[test]
fn nsc_to_certpin_to_nsc_means_the_same() {
    let dir = scratch("nsc-round-trip");
    let (_, first, _) = import("android-nsc", NESTED);
    let policy = write(&dir, "first.json", &first.to_string());
    let (_, exported) = certpin_json(&["export", "--to", "android-nsc", &policy]);
    let xml = write(&dir, "exported.xml", exported["android_nsc"].as_str().unwrap());
    let (_, second, notes) = import("android-nsc", &xml);
    assert_eq!(first, second);
    // What was lost on the first import is not there to note again; what Android and certpin
    // both hold (pins, subdomains, exclusions, expiry) came back the same.
    assert!(!noted(&notes, "", "overridePins"), "{notes:#?}");
    assert!(noted(&notes, "<pin-set>", "device's time zone"), "{notes:#?}");
}

#[test]
fn certpin_to_nsc_to_certpin_keeps_what_android_can_express() {
    let dir = scratch("certpin-round-trip");
    let original = json!({
        "certpin_policy": 1,
        "version": 0,
        "domains": {
            "example.com": { "pins": [INTERMEDIATE, EC_INTERMEDIATE], "include_subdomains": true,
                             "expires": "2040-01-01" },
            "api.example.com": { "pins": [LEAF, EC_LEAF] },
            "old.example.com": { "exclude": true, "include_subdomains": true },
            "solo.example.net": { "pins": [ROOT], "single_pin": true }
        }
    });
    let policy = write(&dir, "policy.json", &original.to_string());
    let output = certpin(&["export", "--to", "android-nsc", &policy]);
    let xml = write(&dir, "nsc.xml", &String::from_utf8(output.stdout).unwrap());
    let (_, back, _) = import("android-nsc", &xml);
    for host in [
        "example.com",
        "a.b.example.com",
        "api.example.com",
        "x.api.example.com",
        "old.example.com",
        "y.old.example.com",
        "solo.example.net",
        "other.net",
    ] {
        assert_eq!(applied(&back, host), applied(&original, host), "{host}");
    }
    let store = |policy: &Value| {
        let store = PinStore::new();
        store.load_policy(policy.to_string().as_bytes()).unwrap();
        store.snapshot().policy.clone()
    };
    let mut back = back;
    back["version"] = json!(0);
    assert_eq!(store(&back), store(&original));
}

#[test]
fn refusals_round_trip_through_empty_trust_anchors() {
    let dir = scratch("refusals");
    let original = json!({
        "certpin_policy": 1,
        "version": 0,
        "unpinned_hosts": "refuse",
        "domains": {
            "example.com": { "pins": [INTERMEDIATE, EC_INTERMEDIATE], "include_subdomains": true },
            "open.example.com": { "exclude": true },
            "device.example.com": { "tofu": true, "include_subdomains": true },
            "plain.example.org": { "exclude": true }
        }
    });
    let policy = write(&dir, "policy.json", &original.to_string());
    let (_, report) = certpin_json(&["export", "--to", "android-nsc", &policy]);
    let xml = report["android_nsc"].as_str().unwrap();
    assert!(xml.contains("<base-config>\n        <trust-anchors/>\n    </base-config>"), "{xml}");
    let (_, back, notes) = import("android-nsc", &write(&dir, "nsc.xml", xml));
    assert_eq!(back["unpinned_hosts"], "refuse", "{back:#}");
    let hosts = [
        "example.com",
        "a.example.com",
        "open.example.com",
        "x.open.example.com",
        "device.example.com",
        "d.device.example.com",
        "plain.example.org",
        "other.org",
    ];
    for host in hosts {
        assert_eq!(applied(&back, host), applied(&original, host), "{host}");
    }
    assert!(noted(&notes, "line 4 <trust-anchors>", "unpinned_hosts \"refuse\""), "{notes:#?}");
    assert!(noted(&notes, "<domain-config>", "trust on first use without a pin"), "{notes:#?}");

    // Android's own way to write it: a nested domain-config inherits the empty anchors of the
    // one it is nested in, and a pinless domain below a refused one must stay open.
    let text = format!(
        "<network-security-config><domain-config><domain includeSubdomains=\"true\">\
         locked.example.com</domain><trust-anchors/><pin-set><pin digest=\"SHA-256\">{}</pin>\
         </pin-set><domain-config><domain>inner.locked.example.com</domain></domain-config>\
         </domain-config><domain-config><domain>open.locked.example.com</domain>\
         <trust-anchors><certificates src=\"system\"/></trust-anchors></domain-config>\
         </network-security-config>",
        &LEAF[7..]
    );
    let (_, policy, _) = import("android-nsc", &write(&dir, "locked.xml", &text));
    let store = PinStore::new();
    store.load_policy(policy.to_string().as_bytes()).unwrap();
    let snapshot = store.snapshot();
    let rules = |host: &str| snapshot.policy.lookup(&HostName::parse(host).unwrap()).unwrap().rules;
    assert!(rules("locked.example.com").tofu);
    assert!(rules("x.locked.example.com").tofu);
    assert!(rules("inner.locked.example.com").tofu);
    assert!(rules("open.locked.example.com").excluded);
}

#[test]
fn export_fails_closed_where_android_cannot_follow() {
    let dir = scratch("export-notes");
    let policy = write(&dir, "policy.json", &json!({
        "certpin_policy": 1,
        "version": 7,
        "unpinned_hosts": "refuse",
        "domains": {
            "report.example.com": { "pins": [LEAF, EC_LEAF], "mode": "report_only",
                                    "warn_after": "2039-12-01", "expires": "2040-01-01T12:00:00Z" },
            "*.wild.example.com": { "pins": [LEAF, EC_LEAF] },
            "example.net": { "pins": [ROOT, INTERMEDIATE], "include_subdomains": true },
            "*.open.example.net": { "exclude": true },
            "device.example.com": { "tofu": true, "trust": "pins_only" },
            "self.example.com": { "pins": [LEAF, EC_LEAF], "trust": "pins_only" }
        }
    }).to_string());
    let (code, report) = certpin_json(&["export", "--to", "android-nsc", &policy]);
    assert_eq!(code, 1);
    let notes: Vec<(String, String)> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["item"].as_str().unwrap().to_owned(), n["note"].as_str().unwrap().to_owned()))
        .collect();
    for (item, text) in [
        ("(document)", "version"),
        ("unpinned_hosts", "base-config with no trust anchors"),
        ("report.example.com", "the pins are written enforced (fail closed)"),
        ("report.example.com", "warn_after"),
        ("report.example.com", "rounded up from 2040-01-01T12:00:00Z"),
        ("*.wild.example.com", "no one-label wildcard"),
        ("*.open.example.net", "these hosts keep the pins of any broader domain (fail closed)"),
        ("device.example.com", "empty <trust-anchors>"),
        ("self.example.com", "pins_only cannot be expressed"),
    ] {
        assert!(noted(&notes, item, text), "{item}: {text}\n{notes:#?}");
    }
    let xml = report["android_nsc"].as_str().unwrap();
    let xml_path = write(&dir, "nsc.xml", xml);
    let (_, back, _) = import("android-nsc", &xml_path);
    // Report-only came back enforced, with the expiry a day later rather than earlier.
    assert_eq!(back["domains"]["report.example.com"].get("mode"), None, "{back:#}");
    assert_eq!(back["domains"]["report.example.com"]["expires"], "2040-01-02");
    // The one-label wildcard became the broader includeSubdomains: more pinning, not less.
    assert_eq!(
        applied(&back, "a.wild.example.com"),
        pinned("**.wild.example.com", &[LEAF, EC_LEAF])
    );
    // The one-label exclusion was left out: those hosts keep the broader pins.
    assert_eq!(
        applied(&back, "a.open.example.net"),
        pinned("**.example.net", &[ROOT, INTERMEDIATE])
    );
    assert!(!xml.contains("open.example.net"), "{xml}");
    // Trust on first use before any pin: an empty trust-anchors, which Android refuses.
    assert!(xml.contains("<domain includeSubdomains=\"false\">device.example.com</domain>\n        <trust-anchors/>"), "{xml}");
}

#[test]
fn nsc_files_android_refuses_are_refused() {
    let dir = scratch("nsc-refused");
    let wrap = |body: &str| format!("<network-security-config>{body}</network-security-config>");
    let pin_set = format!("<pin-set><pin digest=\"SHA-256\">{}</pin></pin-set>", &LEAF[7..]);
    let cases = [
        (
            "twice",
            wrap(&format!(
                "<domain-config><domain>a.example.com</domain>{pin_set}</domain-config>\
             <domain-config><domain>A.example.com</domain></domain-config>"
            )),
        ),
        (
            "sha1",
            wrap(
                "<domain-config><domain>a.example.com</domain><pin-set>\
             <pin digest=\"SHA-1\">AAAA</pin></pin-set></domain-config>",
            ),
        ),
        (
            "short-pin",
            wrap(
                "<domain-config><domain>a.example.com</domain><pin-set>\
             <pin digest=\"SHA-256\">AAAA</pin></pin-set></domain-config>",
            ),
        ),
        ("no-domain", wrap(&format!("<domain-config>{pin_set}</domain-config>"))),
        ("base-pins", wrap(&format!("<base-config>{pin_set}</base-config>"))),
        (
            "two-pin-sets",
            wrap(&format!(
                "<domain-config><domain>a.example.com</domain>{pin_set}{pin_set}</domain-config>"
            )),
        ),
        (
            "bad-date",
            wrap(&format!(
                "<domain-config><domain>a.example.com</domain>{}</domain-config>",
                pin_set.replace("<pin-set>", "<pin-set expiration=\"2040-13-01\">")
            )),
        ),
        ("root", "<other/>".to_owned()),
    ];
    for (name, text) in cases {
        let file = write(&dir, &format!("{name}.xml"), &text);
        let output = certpin(&["import", "--from", "android-nsc", &file]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{name}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

#[test]
fn trustkit_plist_json_and_binary_plist_mean_what_trustkit_means() {
    let (code, policy, notes) = import("trustkit", TRUSTKIT_PLIST);
    assert_eq!(code, 1);
    let parent = [INTERMEDIATE, EC_INTERMEDIATE];
    assert_eq!(applied(&policy, "example.com"), pinned("**.example.com", &parent));
    assert_eq!(applied(&policy, "a.b.example.com"), pinned("**.example.com", &parent));
    // The exclusion is for that exact domain: TrustKit applies the parent below it.
    assert_eq!(applied(&policy, "legacy.example.com"), excluded("legacy.example.com"));
    assert_eq!(applied(&policy, "x.legacy.example.com"), pinned("**.example.com", &parent));
    assert_eq!(policy["domains"]["example.com"]["expires"], "2045-12-01");
    // TSKEnforcePinning NO: report only, which needs one pin.
    assert_eq!(policy["domains"]["beta.example.org"]["mode"], "report_only");
    for (item, text) in [
        ("TSKIgnorePinningForUserDefinedTrustAnchors", "fail closed"),
        ("TSKSwizzleNetworkDelegates", "swizzling"),
        ("\"example.com\".TSKReportUris", "report callback"),
        ("TSKDisableDefaultReportUri", "no default report URI"),
    ] {
        assert!(noted(&notes, item, text), "{item}: {text}\n{notes:#?}");
    }
    assert_eq!(notes.len(), 4, "{notes:#?}");

    // The same dictionary in binary plist form reads the same.
    let dir = scratch("trustkit-binary");
    let binary = dir.join("trustkit.bplist");
    let value = plist::Value::from_file(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(TRUSTKIT_PLIST),
    )
    .unwrap();
    value.to_file_binary(&binary).unwrap();
    let (_, from_binary, _) = import("trustkit", binary.to_str().unwrap());
    assert_eq!(from_binary, policy);

    // JSON with the constants' names; two includeSubdomains parents are noted.
    let (_, policy, notes) = import("trustkit", TRUSTKIT_JSON);
    assert_eq!(
        applied(&policy, "v1.api.example.com"),
        pinned("**.api.example.com", &[LEAF, EC_LEAF])
    );
    assert_eq!(applied(&policy, "legacy.example.com"), excluded("legacy.example.com"));
    assert!(noted(&notes, "\"api.example.com\"", "whichever it finds first"), "{notes:#?}");
}

#[test]
fn trustkit_configurations_trustkit_refuses_are_refused() {
    let dir = scratch("trustkit-refused");
    let pins = json!([&LEAF[7..], &EC_LEAF[7..]]);
    let cases = [
        (
            "one-pin",
            json!({ "TSKPinnedDomains": { "a.example.com": {
            "TSKPublicKeyHashes": [&LEAF[7..]] } } }),
        ),
        ("no-domains", json!({ "TSKPinnedDomains": {} })),
        (
            "exclude-and-pins",
            json!({ "TSKPinnedDomains": {
            "example.com": { "TSKIncludeSubdomains": true, "TSKPublicKeyHashes": pins },
            "x.example.com": { "kSKExcludeSubdomainFromParentPolicy": true,
                               "TSKPublicKeyHashes": pins } } }),
        ),
        (
            "exclude-no-parent",
            json!({ "TSKPinnedDomains": {
            "example.com": { "TSKPublicKeyHashes": pins },
            "x.example.com": { "kTSKExcludeSubdomainFromParentPolicy": true } } }),
        ),
        (
            "bad-pin",
            json!({ "TSKPinnedDomains": { "a.example.com": {
            "TSKPublicKeyHashes": ["AAAA", &LEAF[7..]] } } }),
        ),
        (
            "bad-date",
            json!({ "TSKPinnedDomains": { "a.example.com": {
            "TSKPublicKeyHashes": pins, "TSKExpirationDate": "2040/01/01" } } }),
        ),
    ];
    for (name, value) in cases {
        let file = write(&dir, &format!("{name}.json"), &value.to_string());
        let output = certpin(&["import", "--from", "trustkit", &file]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{name}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}
