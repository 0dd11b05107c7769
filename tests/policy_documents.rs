//! Policy documents through the C ABI: loading (`pin_store_load_policy`, `pin_store_load_file`),
//! exporting (`pin_store_export_policy`, `pin_store_save`) and the round trip between them;
//! and malformed documents, each refused whole with `PIN_ERR_BAD_CONFIG`, the offending key
//! named in the error text, and the store's previous policy kept exactly.

mod policy_support;

use std::ffi::{CStr, c_char};

use certpin::*;
use policy_support::*;

/// The policy the malformed-document tests start from: api.example.com pinned to the genuine
/// pins, hosts no pattern covers refused.
fn base_document() -> String {
    let [current, backup] = genuine_pins();
    format!(
        r#"{{"certpin_policy": 1, "version": 7, "unpinned_hosts": "refuse",
             "domains": {{"api.example.com": {{"pins": ["{current}", "{backup}"]}}}}}}"#
    )
}

/// What a store decides, and its policy as text: equal before and after a refused document.
#[derive(Debug, PartialEq)]
struct Observed {
    generation: u64,
    export: String,
    verdicts: Vec<(u32, u32, u64)>,
}

fn observe(store: &Store) -> Observed {
    let cases: [(Vec<&[u8]>, &str); 4] =
        [(genuine(), HOST), (mitm(), HOST), (genuine(), WWW), (mitm_www(), WWW)];
    let verdicts = cases
        .iter()
        .map(|(chain, host)| store.verify(chain, host, T))
        .map(|v| (v.result, v.flags, v.generation))
        .collect();
    Observed { generation: store.generation(), export: store.export(), verdicts }
}

/// A store with the base document loaded, checked to decide as it says.
fn base_store() -> Store {
    let store = Store::with_proxy_installed();
    store.load_ok(&base_document());
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "base: genuine api");
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "base: MITM api");
    store.verify(&genuine(), WWW, T).expect(PIN_ERR_NOT_PINNED, 0, "base: www unpinned, refused");
    store
}

// ---------------------------------------------------------------------------------------------
// Loading

#[test]
fn a_full_document_sets_every_rule() {
    let [current, backup] = genuine_pins();
    let store = Store::with_proxy_installed();
    store.load_ok(&format!(
        r#"{{
          "certpin_policy": 1,
          "version": 3,
          "unpinned_hosts": "allow",
          "domains": {{
            "example.com": {{
              "include_subdomains": true,
              "pins": ["{current}", "{backup}"],
              "warn_after": "2027-05-01",
              "expires": "2027-06-01T00:00:00Z"
            }},
            "api.example.com": {{ "exclude": true }},
            "*.cdn.example.com": {{ "pins": ["{backup}"], "mode": "report_only" }},
            "printer.local": {{ "tofu": true, "trust": "pins_only" }},
            "10.0.0.7": {{ "pins": ["{rogue}", "{backup}"], "trust": "pins_only" }}
          }}
        }}"#,
        rogue = pin("rogue-ca"),
    ));
    let (warn, expires) = (1_809_129_600, 1_811_808_000);
    let s = samples();
    store.verify(&mitm_www(), WWW, T).expect(PIN_ERR_PIN_MISMATCH, 0, "MITM www");
    store.verify(&mitm_www(), WWW, warn).expect(
        PIN_ERR_PIN_MISMATCH,
        PIN_VERDICT_PINS_EXPIRING,
        "MITM www, warning",
    );
    store.verify(&mitm_www(), WWW, expires).expect(PIN_OK, PIN_VERDICT_PINS_EXPIRED, "expired");
    store.verify(&mitm(), HOST, T).expect(PIN_OK, 0, "api.example.com is excluded");
    store.verify(&[&s.leaf], "printer.local", T).expect(
        PIN_ERR_NOT_PINNED,
        PIN_VERDICT_TOFU_FIRST_USE,
        "printer: first use",
    );
    store.verify(&[&s.rogue], "10.0.0.7", T).expect(PIN_OK, 0, "self-signed, pinned");
    store.verify(&[&s.leaf], "10.0.0.7", T).expect(PIN_ERR_PIN_MISMATCH, 0, "another key");
}

#[test]
fn a_document_replaces_the_policy_but_not_the_trust_anchors() {
    let store = Store::with_proxy_installed();
    store.domain(WWW, &genuine_pins(), 0, 0, 0);
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_REFUSE), PIN_OK, "refuse");
    store.verify(&mitm_www(), WWW, T).expect(PIN_ERR_PIN_MISMATCH, 0, "before: www pinned");
    let [current, backup] = genuine_pins();
    store.load_ok(&format!(
        r#"{{"certpin_policy": 1, "domains": {{"api.example.com": {{"pins": ["{current}", "{backup}"]}}}}}}"#
    ));
    store.verify(&mitm_www(), WWW, T).expect(PIN_OK, 0, "www's entry and the refusal are gone");
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "api pinned, rogue trusted");
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "the genuine root is still trusted");
    // An empty policy unpins everything.
    store.load_ok(r#"{"certpin_policy": 1}"#);
    store.verify(&mitm(), HOST, T).expect(PIN_OK, 0, "nothing pinned");
}

// ---------------------------------------------------------------------------------------------
// Malformed documents

/// A refused document: its text, and what the error text must contain (the key, and why).
struct Malformed {
    what: &'static str,
    json: Vec<u8>,
    error: Vec<String>,
}

fn malformed(what: &'static str, json: impl Into<Vec<u8>>, error: &[&str]) -> Malformed {
    Malformed { what, json: json.into(), error: error.iter().map(|e| (*e).to_owned()).collect() }
}

/// A document with one entry for `key`, whose body is `entry`.
fn with_entry(key: &str, entry: &str) -> String {
    format!(r#"{{"certpin_policy": 1, "domains": {{"{key}": {{{entry}}}}}}}"#)
}

fn malformed_documents() -> Vec<Malformed> {
    let [current, backup] = genuine_pins();
    let two = format!(r#""pins": ["{current}", "{backup}"]"#);
    vec![
        malformed("empty", "", &["line 1 column 0", "EOF while parsing"]),
        malformed("cut short", r#"{"certpin_policy": 1,"#, &["line 1 column 21", "EOF"]),
        malformed(
            "syntax error on line 3",
            "{\n  \"certpin_policy\": 1,\n  \"domains\": {,}\n}",
            &["line 3 column 15"],
        ),
        malformed("trailing text", r#"{"certpin_policy": 1} {}"#, &["trailing characters"]),
        malformed("not JSON", "certpin_policy = 1", &["line 1 column 1", "expected value"]),
        malformed(
            "not UTF-8",
            b"{\"certpin_policy\": 1, \"domains\": {\"\xff.example\": {}}}".to_vec(),
            &["line 1 column 36", "invalid unicode code point"],
        ),
        malformed("a number", "1", &["(document): must be a JSON object"]),
        malformed("no format", r#"{"domains": {}}"#, &["missing field `certpin_policy`"]),
        malformed("format 2", r#"{"certpin_policy": 2}"#, &["certpin_policy: must be 1"]),
        malformed("format 0", r#"{"certpin_policy": 0}"#, &["certpin_policy: must be 1"]),
        malformed("format as text", r#"{"certpin_policy": "1"}"#, &["invalid type: string"]),
        malformed(
            "unknown top-level key",
            r#"{"certpin_policy": 1, "domain": {}}"#,
            &["unknown field `domain`"],
        ),
        malformed(
            "misspelt expires",
            with_entry(HOST, &format!(r#"{two}, "expire": "2027-06-01""#)),
            &["unknown field `expire`"],
        ),
        malformed(
            "negative version",
            r#"{"certpin_policy": 1, "version": -1}"#,
            &["invalid value"],
        ),
        malformed(
            "unpinned_hosts",
            r#"{"certpin_policy": 1, "unpinned_hosts": "deny"}"#,
            &[r#"unpinned_hosts: must be "allow" or "refuse""#],
        ),
        malformed(
            "document expiry",
            r#"{"certpin_policy": 1, "expires": "never"}"#,
            &[r#"expires: "never" is not an RFC 3339 date-time"#],
        ),
        malformed(
            "domains not an object",
            r#"{"certpin_policy": 1, "domains": ["api.example.com"]}"#,
            &["an object of host patterns"],
        ),
        malformed(
            "pins not a list",
            with_entry(HOST, &format!(r#""pins": "{current}""#)),
            &["invalid type: string", "expected a sequence"],
        ),
        malformed(
            "bad pin",
            with_entry(HOST, &format!(r#""pins": ["{current}", "sha1/AAAA"]"#)),
            &[r#"domains."api.example.com".pins[1]: not a pin"#],
        ),
        malformed(
            "pin of 31 bytes",
            with_entry(
                HOST,
                &format!(
                    r#""pins": ["sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", "{backup}"]"#
                ),
            ),
            &[r#"domains."api.example.com".pins[0]: not a pin"#],
        ),
        malformed(
            "the same pin twice",
            with_entry(HOST, &format!(r#""pins": ["{current}", "{current}"]"#)),
            &[r#"domains."api.example.com".pins[1]: the same pin twice"#],
        ),
        malformed(
            "one enforced pin",
            with_entry(HOST, &format!(r#""pins": ["{current}"]"#)),
            &[r#"domains."api.example.com": an enforced pin set needs at least two pins"#],
        ),
        malformed(
            "empty label",
            with_entry("a..example.com", &two),
            &[r#"domains."a..example.com": not a valid host"#],
        ),
        malformed(
            "two wildcards",
            with_entry("*.*.example.com", &two),
            &[r#"domains."*.*.example.com": not a valid host"#],
        ),
        malformed(
            "host with a port",
            with_entry("api.example.com:443", &two),
            &[r#"domains."api.example.com:443": not a valid host"#],
        ),
        malformed(
            "an IDNA deviation character (two hosts, depending on the app's stack)",
            with_entry("faß.example", &two),
            &[r#"domains."faß.example": "#, "xn--fa-hia.example", "fass.example"],
        ),
        malformed(
            "wildcard over an IP address",
            with_entry("*.10.0.0.1", &two),
            &[r#"domains."*.10.0.0.1": not a valid host"#],
        ),
        malformed(
            "a key given twice",
            format!(
                r#"{{"certpin_policy": 1, "domains": {{"api.example.com": {{{two}}}, "api.example.com": {{{two}}}}}}}"#
            ),
            &[r#"domains."api.example.com": given twice"#],
        ),
        // A key given twice anywhere: serde_json alone would keep the last value silently.
        malformed(
            "expires twice in an entry",
            with_entry(
                HOST,
                &format!(r#"{two}, "expires": "2027-06-01", "expires": "2099-01-01""#),
            ),
            &[r#"domains."api.example.com".expires: given twice"#],
        ),
        malformed(
            "pins twice in an entry",
            with_entry(HOST, &format!(r#"{two}, "pins": ["{current}", "{backup}"]"#)),
            &[r#"domains."api.example.com".pins: given twice"#],
        ),
        malformed(
            "exclude twice",
            with_entry(HOST, r#""exclude": false, "exclude": true"#),
            &[r#"domains."api.example.com".exclude: given twice"#],
        ),
        malformed(
            "version twice",
            r#"{"certpin_policy": 1, "version": 9, "version": 2, "domains": {}}"#,
            &["version: given twice"],
        ),
        malformed(
            "unpinned_hosts twice",
            r#"{"certpin_policy": 1, "unpinned_hosts": "refuse", "unpinned_hosts": "allow"}"#,
            &["unpinned_hosts: given twice"],
        ),
        malformed(
            "domains twice",
            format!(
                r#"{{"certpin_policy": 1, "domains": {{"api.example.com": {{{two}}}}}, "domains": {{}}}}"#
            ),
            &["domains: given twice"],
        ),
        malformed(
            "one pattern spelt twice",
            format!(
                r#"{{"certpin_policy": 1, "domains": {{"api.example.com": {{{two}}}, "API.example.com.": {{{two}}}}}}}"#
            ),
            &[r#"domains."api.example.com": names the same pattern (api.example.com)"#],
        ),
        malformed(
            "include_subdomains beside the same **.",
            format!(
                r#"{{"certpin_policy": 1, "domains": {{"example.com": {{{two}, "include_subdomains": true}}, "**.example.com": {{{two}}}}}}}"#
            ),
            &["names the same pattern (**.example.com)"],
        ),
        malformed(
            "bad expiry",
            with_entry(HOST, &format!(r#"{two}, "expires": "soon""#)),
            &[r#"domains."api.example.com".expires: "soon" is not an RFC 3339"#],
        ),
        malformed(
            "month 13",
            with_entry(HOST, &format!(r#"{two}, "warn_after": "2027-13-01""#)),
            &[r#"domains."api.example.com".warn_after: "2027-13-01""#],
        ),
        malformed(
            "before 1970",
            with_entry(HOST, &format!(r#"{two}, "expires": "1969-12-31""#)),
            &[r#"domains."api.example.com".expires: dates before 1970"#],
        ),
        malformed(
            "warning after expiry",
            with_entry(
                HOST,
                &format!(r#"{two}, "warn_after": "2027-06-02", "expires": "2027-06-01""#),
            ),
            &[r#"domains."api.example.com": the warning date comes after the expiry date"#],
        ),
        malformed(
            "bad mode",
            with_entry(HOST, &format!(r#"{two}, "mode": "enforced""#)),
            &[r#"domains."api.example.com".mode: must be "enforce" or "report_only""#],
        ),
        malformed(
            "bad trust",
            with_entry(HOST, &format!(r#"{two}, "trust": "pins-only""#)),
            &[r#"domains."api.example.com".trust: must be "ca_and_pins" or "pins_only""#],
        ),
        malformed(
            "exclude with pins",
            with_entry("legacy.example.com", &format!(r#"{two}, "exclude": true"#)),
            &[r#"domains."legacy.example.com": an excluded domain takes no pins"#],
        ),
        malformed(
            "exclude with tofu",
            with_entry("legacy.example.com", r#""exclude": true, "tofu": true"#),
            &[r#"domains."legacy.example.com": an excluded domain takes no pins and no other"#],
        ),
        malformed(
            "include_subdomains on *.",
            with_entry("*.example.com", &format!(r#"{two}, "include_subdomains": true"#)),
            &[r#"domains."*.example.com".include_subdomains: a wildcard pattern already covers"#],
        ),
        malformed(
            "include_subdomains on **.",
            with_entry("**.example.com", &format!(r#"{two}, "include_subdomains": true"#)),
            &[r#"domains."**.example.com".include_subdomains: a wildcard pattern already covers"#],
        ),
        malformed(
            "include_subdomains on an IP address",
            with_entry("10.0.0.1", &format!(r#"{two}, "include_subdomains": true"#)),
            &[r#"domains."10.0.0.1".include_subdomains: an IP address has no subdomains"#],
        ),
        malformed(
            "a bad entry after good ones",
            format!(
                r#"{{"certpin_policy": 1, "domains": {{"a.example.com": {{{two}}}, "b.example.com": {{{two}, "mode": "x"}}}}}}"#
            ),
            &[r#"domains."b.example.com".mode"#],
        ),
    ]
}

/// Loads each document into `store`, and returns what went wrong with each: a code other
/// than `PIN_ERR_BAD_CONFIG`, an error text lacking a part, or a change to the store.
fn refusals(store: &Store, cases: &[Malformed]) -> Vec<String> {
    let before = observe(store);
    let mut problems = Vec::new();
    for case in cases {
        let (code, error) = store.load_bytes(&case.json);
        if code != PIN_ERR_BAD_CONFIG {
            problems.push(format!("{}: {} ({error:?})", case.what, name_of(code)));
        }
        for part in &case.error {
            if !error.contains(part.as_str()) {
                problems.push(format!("{}: {error:?} lacks {part:?}", case.what));
            }
        }
        if observe(store) != before {
            problems.push(format!("{}: the store's policy changed", case.what));
            store.load_ok(&base_document());
        }
    }
    problems
}

#[test]
fn a_malformed_document_is_refused_whole_naming_the_key_and_the_store_keeps_its_policy() {
    let store = base_store();
    let cases = malformed_documents();
    assert!(cases.len() >= 30);
    let problems = refusals(&store, &cases);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_json_array_is_not_a_document() {
    // serde's derived Deserialize also reads a struct from a JSON array, field by field, so
    // `[1]` would be a document with certpin_policy 1, and an entry could be given as
    // `[["sha256/...", "sha256/..."], true]`. Neither is the documented format.
    let [current, backup] = genuine_pins();
    let cases = [
        malformed("the document as an array", "[1]", &["object"]),
        malformed(
            "a whole policy as arrays",
            format!(r#"[1, 3, null, "allow", {{"api.example.com": [["{current}", "{backup}"]]}}]"#),
            &["object"],
        ),
        malformed(
            "an entry as an array",
            format!(
                r#"{{"certpin_policy": 1, "domains": {{"api.example.com": [["{current}", "{backup}"]]}}}}"#
            ),
            &["object"],
        ),
    ];
    let store = base_store();
    let problems = refusals(&store, &cases);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_document_over_the_size_limit_is_an_invalid_argument() {
    let store = base_store();
    // Exactly the limit: a valid document (unpinning everything) padded with spaces loads.
    let mut json = br#"{"certpin_policy": 1, "version": 8}"#.to_vec();
    json.resize(CERTPIN_MAX_POLICY_LEN, b' ');
    expect_code(store.load_bytes(&json).0, PIN_OK, "exactly CERTPIN_MAX_POLICY_LEN bytes");
    store.verify(&mitm(), HOST, T).expect(PIN_OK, 0, "the padded document was loaded");
    let before = observe(&store);
    // One byte more: the base document (which pins api.example.com) is not even read.
    let mut json = base_document().into_bytes();
    json.resize(CERTPIN_MAX_POLICY_LEN + 1, b' ');
    let mut error = [0x5a as c_char; 64];
    // SAFETY: a live store, `json.len()` readable bytes, `error.len()` writable bytes.
    let code = unsafe {
        pin_store_load_policy(store.ptr(), json.as_ptr(), json.len(), error.as_mut_ptr(), 64)
    };
    expect_code(code, PIN_ERR_INVALID_ARGUMENT, "CERTPIN_MAX_POLICY_LEN + 1 bytes");
    assert_eq!(observe(&store), before, "the store kept its policy");
}

#[test]
fn the_error_text_is_cut_to_fit_and_always_terminated() {
    let store = base_store();
    let before = observe(&store);
    let bad = with_entry(HOST, r#""pins": ["sha256/x", "sha256/y"]"#);
    let full = store.load(&bad).1;
    assert!(full.starts_with(r#"domains."api.example.com".pins[0]: not a pin"#), "{full}");
    for len in [1usize, 2, 5, 24, full.len(), full.len() + 1] {
        let mut error = vec![0x5a as c_char; len + 8];
        // SAFETY: a live store, the document's bytes, `len` writable bytes of a larger buffer.
        let code = unsafe {
            pin_store_load_policy(store.ptr(), bad.as_ptr(), bad.len(), error.as_mut_ptr(), len)
        };
        expect_code(code, PIN_ERR_BAD_CONFIG, &format!("error buffer of {len}"));
        // SAFETY: the buffer is NUL-terminated within `len` bytes (checked below).
        let text = unsafe { CStr::from_ptr(error.as_ptr()) }.to_str().unwrap();
        assert!(text.len() < len, "{len}: {text:?} fits with its NUL");
        assert!(error[len..].iter().all(|c| *c == 0x5a), "{len}: nothing written past the end");
        if len > full.len() {
            assert_eq!(text, full);
        } else if len > 4 {
            assert!(text.ends_with("...\n"), "{len}: a cut text says so: {text:?}");
            assert!(full.starts_with(&text[..text.len() - 4]), "{len}: {text:?}");
        }
    }
    let mut untouched = [0x5a as c_char; 8];
    // SAFETY: as above; error_len 0 means no error text.
    let code = unsafe {
        pin_store_load_policy(store.ptr(), bad.as_ptr(), bad.len(), untouched.as_mut_ptr(), 0)
    };
    expect_code(code, PIN_ERR_BAD_CONFIG, "error_len 0");
    assert!(untouched.iter().all(|c| *c == 0x5a), "error_len 0: nothing written");
    // SAFETY: NULL error buffer: no error text.
    let code = unsafe {
        pin_store_load_policy(store.ptr(), bad.as_ptr(), bad.len(), std::ptr::null_mut(), 64)
    };
    expect_code(code, PIN_ERR_BAD_CONFIG, "NULL error buffer");
    assert_eq!(observe(&store), before);
}

#[test]
fn load_policy_checks_its_pointers() {
    let store = base_store();
    let before = observe(&store);
    let json = base_document();
    // SAFETY: NULL where the contract refuses it; everything else valid.
    unsafe {
        let code = pin_store_load_policy(
            std::ptr::null_mut(),
            json.as_ptr(),
            json.len(),
            std::ptr::null_mut(),
            0,
        );
        expect_code(code, PIN_ERR_NULL_ARGUMENT, "NULL store");
        let code = pin_store_load_policy(store.ptr(), std::ptr::null(), 0, std::ptr::null_mut(), 0);
        expect_code(code, PIN_ERR_NULL_ARGUMENT, "NULL document");
    }
    assert_eq!(observe(&store), before);
}

// ---------------------------------------------------------------------------------------------
// Export and the round trip

/// A store holding every kind of entry, made with the C calls an app would use.
fn store_with_every_kind_of_entry() -> Store {
    let store = Store::with_proxy_installed();
    let s = samples();
    store.domain(HOST, &genuine_pins(), 0, T + 30 * DAY, T + 10 * DAY);
    store.domain("**.example.com", &[pin("root-ca"), BACKUP_PIN], 0, 0, 0);
    store.domain("legacy.example.com", &[], PIN_DOMAIN_EXCLUDE, 0, 0);
    store.domain("*.example.org", &[BACKUP_PIN], PIN_DOMAIN_REPORT_ONLY, 0, 0);
    store.domain("10.0.0.7", &[pin("rogue-ca"), BACKUP_PIN_2], PIN_DOMAIN_PINS_ONLY, 0, 0);
    store.domain("printer.local", &[], PIN_DOMAIN_TOFU | PIN_DOMAIN_PINS_ONLY, 0, 0);
    let first_use = store.verify(&[&s.leaf], "printer.local", T);
    first_use.expect(PIN_ERR_NOT_PINNED, PIN_VERDICT_TOFU_FIRST_USE, "first use");
    expect_code(store.add("printer.local", &first_use.leaf_pin), PIN_OK, "remember the key");
    store.domain("[2001:DB8::1]", &genuine_pins(), PIN_DOMAIN_REPORT_ONLY, T + DAY, 0);
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_REFUSE), PIN_OK, "refuse");
    store
}

/// Every verdict of interest: chains × hosts × times, as (result, flags, explanation).
fn decisions(store: &Store) -> Vec<(u32, u32, String)> {
    let s = samples();
    let expired: Vec<&[u8]> = vec![&s.expired, &s.intermediate];
    let chains: Vec<Vec<&[u8]>> = vec![
        genuine(),
        mitm(),
        mitm_appending_genuine(),
        mitm_www(),
        vec![&s.leaf],
        vec![&s.rogue],
        expired,
    ];
    let hosts = [
        HOST,
        WWW,
        "legacy.example.com",
        "a.example.org",
        "10.0.0.7",
        "printer.local",
        "2001:db8::1",
        "unlisted.example.net",
    ];
    let mut out = Vec::new();
    for chain in &chains {
        for host in hosts {
            for time in [T, T + 10 * DAY, T + 30 * DAY, AFTER_VALIDITY] {
                let v = store.verify(chain, host, time);
                out.push((v.result, v.flags, v.explanation));
            }
        }
    }
    out
}

#[test]
fn an_export_loads_back_to_the_same_text_and_the_same_verdicts() {
    let store = store_with_every_kind_of_entry();
    let exported = store.export();
    let again = Store::with_proxy_installed();
    again.load_ok(&exported);
    assert_eq!(again.export(), exported, "export → load → export gives the same text");
    let (a, b) = (decisions(&store), decisions(&again));
    assert_eq!(a.len(), b.len());
    for (index, (a, b)) in a.iter().zip(&b).enumerate() {
        assert_eq!(a, b, "verdict {index} differs after the round trip");
    }
    // The exported document is what it says it is.
    let json: serde_json::Value = serde_json::from_str(&exported).expect("JSON");
    assert_eq!(json["certpin_policy"], 1);
    assert_eq!(json["unpinned_hosts"], "refuse");
    let domains = json["domains"].as_object().expect("domains");
    let mut keys: Vec<&str> = domains.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "**.example.com",
            "*.example.org",
            "10.0.0.7",
            "2001:db8::1",
            "api.example.com",
            "legacy.example.com",
            "printer.local"
        ]
    );
    let api = &domains[HOST];
    assert_eq!(api["pins"], serde_json::json!(genuine_pins()));
    assert_eq!(api["expires"], "2027-01-31T00:00:00Z");
    assert_eq!(api["warn_after"], "2027-01-11T00:00:00Z");
    assert_eq!(domains["printer.local"]["pins"], serde_json::json!([pin("leaf")]));
    assert_eq!(domains["printer.local"]["tofu"], true);
    assert_eq!(domains["printer.local"]["trust"], "pins_only");
    assert_eq!(domains["legacy.example.com"], serde_json::json!({"exclude": true}));
    assert_eq!(domains["*.example.org"]["mode"], "report_only");
}

#[test]
fn an_export_writes_patterns_and_dates_in_normal_form() {
    let [current, backup] = genuine_pins();
    let store = Store::new();
    store.load_ok(&format!(
        r#"{{"certpin_policy": 1, "version": 9, "expires": "2028-01-01",
             "domains": {{
               "API.Example.COM.": {{"pins": ["{current}", "{backup}"], "expires": "2027-06-01T02:00:00+02:00"}},
               "Example.org": {{"pins": ["{current}", "{backup}"], "include_subdomains": true}},
               "[::FFFF:10.0.0.1]": {{"pins": ["{current}", "{backup}"], "mode": "enforce", "trust": "ca_and_pins"}}
             }}}}"#
    ));
    let json: serde_json::Value = serde_json::from_str(&store.export()).expect("JSON");
    let expected = serde_json::json!({
        "certpin_policy": 1,
        "version": 9,
        "expires": "2028-01-01T00:00:00Z",
        "unpinned_hosts": "allow",
        "domains": {
            "api.example.com": {"pins": [current, backup], "expires": "2027-06-01T00:00:00Z"},
            "**.example.org": {"pins": [current, backup]},
            "10.0.0.1": {"pins": [current, backup]}
        }
    });
    assert_eq!(json, expected);
}

#[test]
fn an_export_that_does_not_fit_writes_nothing_and_says_what_it_needs() {
    let store = store_with_every_kind_of_entry();
    let text = store.export();
    let needed_exactly = text.len() + 1;
    for len in [0usize, 1, needed_exactly / 2, needed_exactly - 1] {
        let mut out = vec![0x5a as c_char; needed_exactly + 8];
        let mut needed = 0usize;
        // SAFETY: a live store, `len` writable bytes of a larger buffer, a writable `needed`.
        let code =
            unsafe { pin_store_export_policy(store.ptr(), out.as_mut_ptr(), len, &mut needed) };
        expect_code(code, PIN_ERR_BUFFER_TOO_SMALL, &format!("{len} bytes"));
        assert_eq!(needed, needed_exactly, "{len} bytes: `needed`");
        assert!(out.iter().all(|c| *c == 0x5a), "{len} bytes: the buffer is untouched");
    }
    let mut out = vec![0x5a as c_char; needed_exactly + 8];
    let mut needed = 0usize;
    // SAFETY: as above, with exactly the bytes needed.
    let code = unsafe {
        pin_store_export_policy(store.ptr(), out.as_mut_ptr(), needed_exactly, &mut needed)
    };
    expect_code(code, PIN_OK, "exactly the bytes needed");
    assert_eq!(needed, needed_exactly);
    // SAFETY: NUL-terminated on success.
    assert_eq!(unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().unwrap(), text);
    assert!(out[needed_exactly..].iter().all(|c| *c == 0x5a), "nothing past the NUL");
    // `needed` may be NULL; a NULL buffer is refused but still says what it needs.
    let mut out = vec![0 as c_char; needed_exactly];
    // SAFETY: as above, `needed` NULL.
    let code = unsafe {
        pin_store_export_policy(store.ptr(), out.as_mut_ptr(), out.len(), std::ptr::null_mut())
    };
    expect_code(code, PIN_OK, "NULL needed");
    let mut needed = 0usize;
    // SAFETY: a NULL buffer, refused.
    let code =
        unsafe { pin_store_export_policy(store.ptr(), std::ptr::null_mut(), 0, &mut needed) };
    expect_code(code, PIN_ERR_NULL_ARGUMENT, "NULL buffer");
    assert_eq!(needed, needed_exactly, "NULL buffer: `needed` is still set");
    // SAFETY: a NULL store, refused.
    let code = unsafe {
        pin_store_export_policy(std::ptr::null(), out.as_mut_ptr(), out.len(), &mut needed)
    };
    expect_code(code, PIN_ERR_NULL_ARGUMENT, "NULL store");
}

#[test]
fn a_store_pinned_with_pin_store_add_exports_a_document_that_loads_back() {
    // pin_store_add is the contract's way to pin ("pins accumulate: add a backup pin the same
    // way"), so a store may hold one pin under a pattern. Its export must load back: it is
    // what pin_store_save writes and pin_store_load_file reads on the next start.
    let store = Store::with_proxy_installed();
    expect_code(store.add(HOST, pin("intermediate-ca")), PIN_OK, "one pin");
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "MITM");
    let exported = store.export();
    let again = Store::with_proxy_installed();
    let (code, error) = again.load(&exported);
    assert!(code == PIN_OK, "{}: {error}\n{exported}", name_of(code));
    again.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "MITM after reload");
    again.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "genuine after reload");
}

#[test]
fn a_pin_added_under_an_excluded_pattern_is_refused() {
    // pin_store_add keeps a pattern's rules, so a pin added under an excluded pattern would
    // make an excluded entry with a pin: silently ignored by verification, and refused by the
    // loader ("an excluded domain takes no pins"). The header documents the refusal:
    // PIN_ERR_BAD_CONFIG, and nothing changes.
    let store = Store::with_proxy_installed();
    store.domain("**.example.com", &genuine_pins(), 0, 0, 0);
    store.domain(HOST, &[], PIN_DOMAIN_EXCLUDE, 0, 0);
    let before = store.export();
    expect_code(
        store.add(HOST, pin("leaf")),
        PIN_ERR_BAD_CONFIG,
        "a pin under an excluded pattern",
    );
    assert_eq!(store.export(), before, "a refused add changes nothing");
}

#[test]
fn an_expiry_past_max_time_is_refused_and_one_at_it_exported_loadably() {
    // `expires_at` is a u64 ("0: never"), and a C caller may well pass UINT64_MAX for "never".
    // The document format's dates end at 9999-12-31T23:59:59Z (CERTPIN_MAX_TIME): later dates
    // are refused with PIN_ERR_INVALID_ARGUMENT, as the README's limits table says, and a date
    // at the limit exports as a date that loads back.
    for (expires_at, warn_after, accepted) in [
        (253_402_300_799u64, 0u64, true),
        (253_402_300_799, 253_402_300_798, true),
        (253_402_300_800, 0, false),
        (u64::MAX, 0, false),
        (u64::MAX, u64::MAX - 1, false),
        (0, u64::MAX, false),
    ] {
        let what = format!("expires_at {expires_at}, warn_after {warn_after}");
        let store = Store::with_proxy_installed();
        let options = pin_domain_options { flags: 0, expires_at, warn_after };
        let code = store.set_domain(HOST, &genuine_pins(), Some(&options));
        if !accepted {
            expect_code(code, PIN_ERR_INVALID_ARGUMENT, &what);
            store.verify(&mitm(), HOST, T).expect(PIN_OK, 0, "nothing was pinned");
            continue;
        }
        expect_code(code, PIN_OK, &what);
        store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, &what);
        let exported = store.export();
        let again = Store::with_proxy_installed();
        let (code, error) = again.load(&exported);
        assert!(code == PIN_OK, "{what}: {}: {error}", name_of(code));
        again.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, &what);
        assert_eq!(again.export(), exported, "{what}");
    }
}

#[test]
fn save_and_load_file_round_trip_and_report_problems() {
    let dir = std::env::temp_dir().join(format!("certpin-policy-documents-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("policy.json");
    let c_path = cstring(path.to_str().unwrap());
    let store = store_with_every_kind_of_entry();
    // SAFETY: a live store and a NUL-terminated path.
    expect_code(unsafe { pin_store_save(store.ptr(), c_path.as_ptr()) }, PIN_OK, "save");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), store.export(), "the file is the export");
    let again = Store::with_proxy_installed();
    let mut error = [0 as c_char; 256];
    // SAFETY: a live store, a NUL-terminated path, a 256-byte error buffer.
    let code =
        unsafe { pin_store_load_file(again.ptr(), c_path.as_ptr(), error.as_mut_ptr(), 256) };
    expect_code(code, PIN_OK, "load_file");
    assert_eq!(again.export(), store.export());

    std::fs::write(&path, with_entry(HOST, r#""mode": "report_only", "tofu": 1"#)).unwrap();
    let before = again.export();
    // SAFETY: as above.
    let code =
        unsafe { pin_store_load_file(again.ptr(), c_path.as_ptr(), error.as_mut_ptr(), 256) };
    expect_code(code, PIN_ERR_BAD_CONFIG, "a bad file");
    // SAFETY: NUL-terminated.
    let text = unsafe { CStr::from_ptr(error.as_ptr()) }.to_str().unwrap();
    assert!(text.contains("invalid type: integer `1`, expected a boolean"), "{text}");
    assert_eq!(again.export(), before, "the store kept its policy");

    let missing = cstring(dir.join("missing.json").to_str().unwrap());
    // SAFETY: as above.
    let code =
        unsafe { pin_store_load_file(again.ptr(), missing.as_ptr(), error.as_mut_ptr(), 256) };
    expect_code(code, PIN_ERR_IO, "a missing file");
    // SAFETY: NUL-terminated.
    let text = unsafe { CStr::from_ptr(error.as_ptr()) }.to_str().unwrap();
    assert!(text.contains("missing.json"), "the error names the file: {text}");
    assert_eq!(again.export(), before, "the store kept its policy");

    // A file past CERTPIN_MAX_POLICY_LEN is refused as the same document in memory is: with
    // the limit's code (README: Limits), not as an I/O failure.
    let big = dir.join("big.json");
    std::fs::write(&big, vec![b' '; CERTPIN_MAX_POLICY_LEN + 1]).unwrap();
    let c_big = cstring(big.to_str().unwrap());
    // SAFETY: as above.
    let code = unsafe { pin_store_load_file(again.ptr(), c_big.as_ptr(), error.as_mut_ptr(), 256) };
    expect_code(code, PIN_ERR_INVALID_ARGUMENT, "a file past the limit");
    // SAFETY: NUL-terminated.
    let text = unsafe { CStr::from_ptr(error.as_ptr()) }.to_str().unwrap();
    assert!(text.contains("big.json") && text.contains("larger than"), "{text}");
    let in_memory = vec![b' '; CERTPIN_MAX_POLICY_LEN + 1];
    let (code, _) = again.load_bytes(&in_memory);
    expect_code(code, PIN_ERR_INVALID_ARGUMENT, "the same bytes in memory");
    assert_eq!(again.export(), before, "the store kept its policy");
    std::fs::remove_dir_all(&dir).unwrap();
}
