//! Host names through the C ABI: every spelling of a pinned host (case, trailing dot,
//! full-width forms, IDN Unicode and A-labels, IP literals in any notation) meets its pins,
//! malformed hosts are refused, and host patterns (`*.`, `**.`) cover exactly what they say
//! with the most specific pattern alone applying.

mod common;

use std::sync::OnceLock;

use certpin::*;
use common::*;

/// Every DNS name the genuine and the MITM leaves are valid for.
const NAMES: &[&str] = &[
    "api.example.com",
    "www.example.com",
    "example.com",
    "a.example.com",
    "a.b.example.com",
    "v1.api.example.com",
    "v2.api.example.com",
    "a.v2.api.example.com",
    "badexample.com",
    "example.org",
    "xn--bcher-kva.example",
    "shop.xn--bcher-kva.example",
    "xn--pple-43d.example", // "аpple.example", with a Cyrillic "а": mixed scripts
    "shop.xn--pple-43d.example",
];

/// The IP addresses the IP leaves are valid for.
const ADDRESSES: &[&str] = &["2001:db8::1", "192.0.2.1"];

struct Fixture {
    genuine: Hierarchy,
    genuine_ip: Cert,
    rogue: Cert,
    mitm: Cert,
    mitm_ip: Cert,
    /// The rogue root's leaf for every name under example.net.
    mitm_wildcard: Cert,
}

fn fx() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let genuine = Hierarchy::new("Genuine", NAMES);
        let genuine_ip =
            Pki::leaf(ADDRESSES).cn("Genuine IP Leaf").signed_by(&genuine.intermediate);
        let rogue = Pki::root("Rogue Proxy CA").self_signed();
        let mitm = Pki::leaf(NAMES).cn("MITM Leaf").signed_by(&rogue);
        let mitm_ip = Pki::leaf(ADDRESSES).cn("MITM IP Leaf").signed_by(&rogue);
        let mitm_wildcard = Pki::leaf(&["*.example.net"]).cn("MITM Wildcard").signed_by(&rogue);
        Fixture { genuine, genuine_ip, rogue, mitm, mitm_ip, mitm_wildcard }
    })
}

/// A store trusting the genuine and the rogue roots, with no pins yet.
fn new_store() -> Store {
    Store::with_anchors(&[fx().genuine.root.der(), fx().rogue.der()])
}

fn genuine() -> Vec<&'static [u8]> {
    fx().genuine.chain().to_vec()
}

fn genuine_ip() -> Vec<&'static [u8]> {
    vec![fx().genuine_ip.der(), fx().genuine.intermediate.der()]
}

fn mitm() -> Vec<&'static [u8]> {
    vec![fx().mitm.der()]
}

fn mitm_ip() -> Vec<&'static [u8]> {
    vec![fx().mitm_ip.der()]
}

// ---------------------------------------------------------------------------------------------
// No spelling escapes the pins

/// For a store with the genuine root pinned under `pattern`: each spelling passes with the
/// genuine chain and is a pin mismatch with the MITM chain.
fn assert_spellings_pinned(pattern: &str, spellings: &[&str], genuine: &[&[u8]], mitm: &[&[u8]]) {
    let store = new_store();
    store.pin(pattern, &fx().genuine.root.pin());
    for host in spellings {
        expect(verify(&store, genuine, host, T), PIN_OK, &format!("genuine chain, {host:?}"));
        expect(
            verify(&store, mitm, host, T),
            PIN_ERR_PIN_MISMATCH,
            &format!("MITM chain, {host:?} (pattern {pattern:?})"),
        );
    }
}

#[test]
fn every_spelling_of_a_pinned_name_meets_its_pins() {
    let spellings = [
        "api.example.com",
        "API.EXAMPLE.COM",
        "Api.Example.Com",
        "api.example.com.",
        "API.Example.COM.",
        "api\u{3002}example\u{3002}com", // ideographic full stop
        "api\u{ff0e}example\u{ff0e}com", // full-width full stop
        "api\u{ff61}example\u{ff61}com", // half-width ideographic full stop
        "api.example.com\u{3002}",       // a trailing ideographic full stop
        "\u{ff41}\u{ff50}\u{ff49}.example.com", // full-width "api"
        "\u{ff21}\u{ff30}\u{ff29}\u{ff0e}\u{ff25}\u{ff38}\u{ff21}\u{ff2d}\u{ff30}\u{ff2c}\u{ff25}\u{ff0e}\u{ff23}\u{ff2f}\u{ff2d}", // full-width "API.EXAMPLE.COM"
        "api.exam\u{00ad}ple.com", // a soft hyphen, which IDNA ignores
    ];
    for pattern in ["api.example.com", "API.Example.Com.", "api\u{3002}example\u{3002}com"] {
        assert_spellings_pinned(pattern, &spellings, &genuine(), &mitm());
    }
}

#[test]
fn every_spelling_of_a_pinned_idn_meets_its_pins() {
    let spellings = [
        "bücher.example",
        "BÜCHER.example",
        "Bücher.Example.",
        "bu\u{0308}cher.example", // decomposed: u + combining diaeresis
        "xn--bcher-kva.example",
        "XN--BCHER-KVA.EXAMPLE",
        "xn--bcher-kva.example.",
        "b\u{ff55}cher.example", // not a spelling of it: see below
    ];
    // U+FF55 is a full-width "u", so the last one is "bucher.example", another name: the leaf is
    // not valid for it. Every other spelling is the pinned name.
    let (last, same) = spellings.split_last().unwrap();
    for pattern in ["bücher.example", "xn--bcher-kva.example", "BÜCHER.EXAMPLE."] {
        assert_spellings_pinned(pattern, same, &genuine(), &mitm());
        let store = new_store();
        store.pin(pattern, &fx().genuine.root.pin());
        expect(verify(&store, &mitm(), last, T), PIN_ERR_HOST_MISMATCH, "bucher.example");
    }
}

/// A-labels that IDNA refuses, each with what is wrong with it. Each is a well-formed DNS
/// name to a certificate (letters, digits, hyphens), so a MITM certificate can name it: only
/// IDNA's check of the label stands between it and an unpinned name.
const INVALID_A_LABELS: &[(&str, &str)] = &[
    ("xn--bucher-xyd.example", "not NFC: u + combining diaeresis (bücher decomposed)"),
    ("shop.xn--bucher-xyd.example", "the same label below another"),
    ("xn--a-xbb.example", "not NFC: a + combining acute accent"),
    ("xn--a-wbb.example", "a label starting with a combining mark"),
    ("xn--bcher-2pa.example", "an upper-case Ü, which IDNA maps: not a valid A-label"),
    ("xn--ab-m1t.example", "a zero-width joiner outside a joining context (CONTEXTJ)"),
    ("xn--a-0hc.example", "Latin and Hebrew in one label (the bidi rule)"),
    ("xn--bcher-.example", "decodes to ASCII only"),
    ("xn--.example", "an empty Punycode part"),
    ("xn--a.example", "Punycode that does not decode"),
    ("xn--zzzzzzzzzzzzzzzzz.example", "Punycode that overflows"),
    ("xn--xn--bcher-kva.example", "an A-label inside an A-label"),
];

/// The MITM leaf (from the trusted rogue root) naming every invalid A-label, and a control
/// name that shows it would pass as an unpinned name.
fn mitm_for_invalid_a_labels() -> &'static Cert {
    static LEAF: OnceLock<Cert> = OnceLock::new();
    LEAF.get_or_init(|| {
        let mut names: Vec<&str> = INVALID_A_LABELS.iter().map(|(name, _)| *name).collect();
        names.push("control.example");
        Pki::leaf(&names).cn("MITM A-labels").signed_by(&fx().rogue)
    })
}

#[test]
fn invalid_a_labels_are_bad_hosts_never_unpinned_names() {
    let store = new_store();
    store.pin("bücher.example", &fx().genuine.root.pin());
    let mitm = [mitm_for_invalid_a_labels().der()];
    // The control: the rogue root is trusted, and the MITM leaf passes for an unpinned name.
    expect(verify(&store, &mitm, "control.example", T), PIN_OK, "control.example");
    for (host, why) in INVALID_A_LABELS {
        expect(verify(&store, &mitm, host, T), PIN_ERR_BAD_HOST, &format!("MITM, {host} ({why})"));
        let upper = host.to_ascii_uppercase();
        expect(verify(&store, &mitm, &upper, T), PIN_ERR_BAD_HOST, &format!("MITM, {upper}"));
        expect(verify(&store, &genuine(), host, T), PIN_ERR_BAD_HOST, &format!("{host} ({why})"));
    }
}

#[test]
fn invalid_a_labels_are_refused_as_patterns() {
    let store = new_store();
    for (host, why) in INVALID_A_LABELS {
        for pattern in [host.to_string(), format!("*.{host}"), format!("**.{host}")] {
            let code = store.add(&pattern, &fx().genuine.root.pin());
            expect(code, PIN_ERR_BAD_HOST, &format!("pattern {pattern} ({why})"));
        }
    }
    // Nothing was added: the store pins nothing, so the control name still passes.
    let mitm = [mitm_for_invalid_a_labels().der()];
    expect(verify(&store, &mitm, "control.example", T), PIN_OK, "control.example");
}

/// IDNA (UTS #46) does not refuse a label that mixes scripts: `аpple.example` with a Cyrillic
/// "а" is a valid name of its own (whether to show it is a browser's concern, not a pinning
/// library's). Its A-label and its Unicode spellings are one pinned name, and the Latin
/// `apple.example`'s pins do not cover it.
#[test]
fn a_mixed_script_name_is_one_name_in_every_spelling() {
    let spellings = [
        "xn--pple-43d.example",
        "XN--PPLE-43D.EXAMPLE",
        "xn--pple-43d.example.",
        "\u{430}pple.example",
        "\u{410}PPLE.EXAMPLE",
    ];
    for pattern in ["xn--pple-43d.example", "\u{430}pple.example"] {
        assert_spellings_pinned(pattern, &spellings, &genuine(), &mitm());
    }
    assert_covers("*.\u{430}pple.example", &["shop.xn--pple-43d.example"], &spellings);
    assert_covers("apple.example", &[], &spellings);
    assert_covers("**.apple.example", &[], &["xn--pple-43d.example", "shop.xn--pple-43d.example"]);
}

#[test]
fn every_spelling_of_a_pinned_ipv6_address_meets_its_pins() {
    let spellings = [
        "2001:db8::1",
        "[2001:db8::1]",
        "2001:DB8::1",
        "2001:db8:0::1",
        "2001:db8::0:1",
        "2001:0db8:0000:0000:0000:0000:0000:0001",
        "[2001:0DB8:0:0:0:0:0:1]",
    ];
    for pattern in ["2001:db8::1", "[2001:0DB8::0001]", "2001:db8:0:0:0:0:0:1"] {
        assert_spellings_pinned(pattern, &spellings, &genuine_ip(), &mitm_ip());
    }
}

#[test]
fn every_spelling_of_a_pinned_ipv4_address_meets_its_pins() {
    let spellings = [
        "192.0.2.1",
        "192.0.2.1.",
        "::ffff:192.0.2.1",
        "[::ffff:192.0.2.1]",
        "::FFFF:C000:0201",
        "[::ffff:c000:201]",
        "0:0:0:0:0:ffff:192.0.2.1",
        "\u{ff11}\u{ff19}\u{ff12}\u{ff0e}\u{ff10}\u{ff0e}\u{ff12}\u{ff0e}\u{ff11}", // full-width
        "192\u{3002}0\u{3002}2\u{3002}1",
    ];
    for pattern in ["192.0.2.1", "::ffff:192.0.2.1", "[::ffff:c000:201]"] {
        assert_spellings_pinned(pattern, &spellings, &genuine_ip(), &mitm_ip());
    }
}

#[test]
fn other_addresses_are_not_the_pinned_address() {
    let store = new_store();
    store.pin("2001:db8::1", &fx().genuine.root.pin());
    store.pin("192.0.2.1", &fx().genuine.root.pin());
    // Other addresses, among them the IPv4-compatible (not -mapped) form of 192.0.2.1: the
    // leaf is not valid for them.
    for host in ["2001:db8::2", "192.0.2.2", "::c000:201", "::1"] {
        expect(verify(&store, &mitm_ip(), host, T), PIN_ERR_HOST_MISMATCH, host);
    }
}

#[test]
fn malformed_hosts_are_refused() {
    let store = new_store();
    store.pin("api.example.com", &fx().genuine.root.pin());
    let long_label = format!("{}.com", "a".repeat(64));
    let long_name = format!("{}com", "a.".repeat(126)); // 255 bytes
    let bad: Vec<&str> = vec![
        "",
        ".",
        "..",
        ".api.example.com",
        "api..example.com",
        "api.example.com..",
        "api example.com",
        "api.example.com ",
        " api.example.com",
        "api.example.com\t",
        "api.example.com/",
        "api.example.com:443",
        "https://api.example.com",
        "user@api.example.com",
        "api.exa%6dple.com",
        "api.example.com#",
        "api.example.com?",
        "*.example.com",
        "**.example.com",
        "api.*.com",
        "[192.0.2.1]",
        "[2001:db8::1",
        "2001:db8::1]",
        "[2001:db8::1]:443",
        "2001:db8::1::2",
        "fe80::1%eth0",
        "[fe80::1%25eth0]",
        "127.1",
        "0x7f.0.0.1",
        "0x7f000001",
        "2130706433",
        "0177.0.0.1",
        "192.0.2.256",
        "1.2.3.4.5",
        "example.123",
        "example.0x7f", // a hex number last: an IPv4 address to a URL parser
        "EXAMPLE.0X7F",
        "example.0x",
        "a.b.0xff",
        "-",
        "-api.example.com",
        &long_label,
        &long_name,
    ];
    for host in bad {
        expect(verify(&store, &genuine(), host, T), PIN_ERR_BAD_HOST, &format!("{host:?}"));
        expect(verify(&store, &mitm(), host, T), PIN_ERR_BAD_HOST, &format!("MITM, {host:?}"));
    }
    // The longest valid name: 253 bytes.
    let longest = format!("{}com", "a.".repeat(125));
    assert_eq!(longest.len(), 253);
    expect(verify(&store, &genuine(), &longest, T), PIN_ERR_HOST_MISMATCH, "253-byte name");
}

// ---------------------------------------------------------------------------------------------
// Patterns: what `*.` and `**.` cover

/// Checks, for a store with one unrelated pin under `pattern`, which names the pattern covers:
/// covered names are pin mismatches even with the genuine chain, the rest pass.
fn assert_covers(pattern: &str, covered: &[&str], not_covered: &[&str]) {
    let store = new_store();
    store.pin(pattern, UNRELATED_PIN);
    for host in covered {
        expect(
            verify(&store, &genuine(), host, T),
            PIN_ERR_PIN_MISMATCH,
            &format!("{pattern:?} should cover {host:?}"),
        );
    }
    for host in not_covered {
        expect(
            verify(&store, &genuine(), host, T),
            PIN_OK,
            &format!("{pattern:?} should not cover {host:?}"),
        );
    }
}

#[test]
fn a_one_label_wildcard_covers_exactly_one_more_label() {
    let covered = ["a.example.com", "www.example.com", "api.example.com", "WWW.Example.COM."];
    let not_covered =
        ["example.com", "a.b.example.com", "v1.api.example.com", "badexample.com", "example.org"];
    for pattern in ["*.example.com", "*.EXAMPLE.com.", "*.example\u{3002}com"] {
        assert_covers(pattern, &covered, &not_covered);
    }
}

#[test]
fn an_any_depth_wildcard_covers_the_name_and_everything_below() {
    let covered =
        ["example.com", "a.example.com", "a.b.example.com", "a.v2.api.example.com", "Example.COM."];
    let not_covered = ["badexample.com", "example.org", "xn--bcher-kva.example"];
    for pattern in ["**.example.com", "**.Example.Com."] {
        assert_covers(pattern, &covered, &not_covered);
    }
    let covered = ["api.example.com", "v1.api.example.com", "a.v2.api.example.com"];
    let not_covered = ["example.com", "www.example.com", "a.example.com"];
    assert_covers("**.api.example.com", &covered, &not_covered);
}

#[test]
fn wildcards_over_an_idn_cover_its_a_label_names() {
    let covered = ["shop.xn--bcher-kva.example", "SHOP.bücher.example"];
    assert_covers("*.bücher.example", &covered, &["bücher.example", "example.com"]);
    let covered = ["bücher.example", "xn--bcher-kva.example", "shop.bücher.example"];
    assert_covers("**.xn--bcher-kva.example", &covered, &["example.com"]);
}

#[test]
fn wildcards_never_cover_ip_addresses() {
    let store = new_store();
    store.pin("**.example.com", UNRELATED_PIN);
    expect(store.add("*.0.2.1", UNRELATED_PIN), PIN_ERR_BAD_HOST, "a wildcard over an IPv4 tail");
    for host in ADDRESSES {
        expect(verify(&store, &genuine_ip(), host, T), PIN_OK, host);
    }
}

// ---------------------------------------------------------------------------------------------
// Precedence: only the most specific pattern applies

#[test]
fn the_most_specific_pattern_alone_applies() {
    let f = fx();
    let (root, int, leaf) =
        (f.genuine.root.pin(), f.genuine.intermediate.pin(), f.genuine.leaf.pin());
    // Each pattern gets either a pin on the genuine path ("good") or an unrelated one ("bad"),
    // alternating with specificity, so every verdict shows which pattern applied.
    let store = new_store();
    store.pin("**.example.com", &root); // good
    store.pin("**.api.example.com", UNRELATED_PIN); // bad
    store.pin("*.api.example.com", &int); // good
    store.pin("v1.api.example.com", UNRELATED_PIN_2); // bad
    let cases = [
        ("v1.api.example.com", PIN_ERR_PIN_MISMATCH, "exact beats *. and **."),
        ("V1.API.example.com.", PIN_ERR_PIN_MISMATCH, "exact, another spelling"),
        ("v2.api.example.com", PIN_OK, "*. beats **."),
        ("a.v2.api.example.com", PIN_ERR_PIN_MISMATCH, "longest **. suffix first"),
        ("api.example.com", PIN_ERR_PIN_MISMATCH, "**.api covers api itself"),
        ("www.example.com", PIN_OK, "only **.example.com"),
        ("example.com", PIN_OK, "**.example.com covers example.com"),
        ("example.org", PIN_OK, "not pinned"),
    ];
    for (host, want, why) in cases {
        expect(verify(&store, &genuine(), host, T), want, &format!("{host}: {why}"));
    }

    // The same patterns with good and bad swapped: every verdict flips.
    let store = new_store();
    store.pin("**.example.com", UNRELATED_PIN); // bad
    store.pin("**.api.example.com", &leaf); // good
    store.pin("*.api.example.com", UNRELATED_PIN_2); // bad
    store.pin("v1.api.example.com", &int); // good
    let cases = [
        ("v1.api.example.com", PIN_OK, "exact beats *. and **."),
        ("v2.api.example.com", PIN_ERR_PIN_MISMATCH, "*. beats **."),
        ("a.v2.api.example.com", PIN_OK, "longest **. suffix first"),
        ("api.example.com", PIN_OK, "**.api covers api itself"),
        ("www.example.com", PIN_ERR_PIN_MISMATCH, "only **.example.com"),
        ("example.com", PIN_ERR_PIN_MISMATCH, "**.example.com covers example.com"),
        ("example.org", PIN_OK, "not pinned"),
    ];
    for (host, want, why) in cases {
        expect(verify(&store, &genuine(), host, T), want, &format!("{host}, swapped: {why}"));
    }
}

#[test]
fn a_one_label_wildcard_beats_an_any_depth_suffix_of_no_more_labels() {
    // The most fixed labels win, then `*.` before `**.`. For a.b.example.com, a `*.` pattern
    // (three fixed labels) beats `**.b.example.com` (three) and `**.example.com` (two)...
    let store = new_store();
    store.pin("*.b.example.com", &fx().genuine.root.pin());
    store.pin("**.b.example.com", UNRELATED_PIN);
    store.pin("**.example.com", UNRELATED_PIN);
    expect(verify(&store, &genuine(), "a.b.example.com", T), PIN_OK, "*. before **.");
    // ...but "**.a.b.example.com" names all four labels of the host: it is the more specific
    // (README: the refinement of the contract's order).
    store.pin("**.a.b.example.com", UNRELATED_PIN_2);
    let code = verify(&store, &genuine(), "a.b.example.com", T);
    expect(code, PIN_ERR_PIN_MISMATCH, "**.host beats *.parent");
}

#[test]
fn a_more_specific_pattern_replaces_a_less_specific_one_entirely() {
    let f = fx();
    let store = new_store();
    // The genuine root is pinned for the whole domain, but api.example.com has its own pin,
    // on no certificate of the chain: the domain's pin does not rescue it.
    store.pin("**.example.com", &f.genuine.root.pin());
    store.pin("api.example.com", UNRELATED_PIN);
    expect(verify(&store, &genuine(), "api.example.com", T), PIN_ERR_PIN_MISMATCH, "exact only");
    expect(verify(&store, &genuine(), "www.example.com", T), PIN_OK, "the domain's pin");
    // Likewise a "*." pattern over a "**." one.
    store.pin("*.example.com", UNRELATED_PIN_2);
    expect(verify(&store, &genuine(), "www.example.com", T), PIN_ERR_PIN_MISMATCH, "*. only");
    expect(verify(&store, &genuine(), "example.com", T), PIN_OK, "**. still for the apex");
    expect(verify(&store, &genuine(), "a.b.example.com", T), PIN_OK, "**. still deeper down");
    // And adding the root as a backup under the exact pattern fixes it.
    store.pin("api.example.com", &f.genuine.root.pin());
    expect(verify(&store, &genuine(), "api.example.com", T), PIN_OK, "backup pin, exact");
    expect(verify(&store, &mitm(), "api.example.com", T), PIN_ERR_PIN_MISMATCH, "MITM, exact");
}

#[test]
fn an_ip_pattern_applies_only_to_that_address() {
    let store = new_store();
    store.pin("192.0.2.1", UNRELATED_PIN);
    expect(verify(&store, &genuine_ip(), "192.0.2.1", T), PIN_ERR_PIN_MISMATCH, "pinned IPv4");
    expect(verify(&store, &genuine_ip(), "2001:db8::1", T), PIN_OK, "IPv6 not pinned");
    store.pin("2001:db8::1", &fx().genuine.intermediate.pin());
    expect(verify(&store, &genuine_ip(), "[2001:db8::1]", T), PIN_OK, "pinned IPv6, right pin");
    expect(verify(&store, &mitm_ip(), "[2001:db8::1]", T), PIN_ERR_PIN_MISMATCH, "MITM IPv6");
}

#[test]
fn trusted_verdicts_for_other_names_never_answer_for_a_pinned_name() {
    // The MITM chain is trusted for every unpinned name under example.net. However many such
    // verdicts the store has reached (and may remember), the pinned name's verdict is its own.
    let store = new_store();
    store.pin("pinned.example.net", &fx().genuine.root.pin());
    let mitm = [fx().mitm_wildcard.der()];
    for round in 0..2 {
        for i in 0..1500 {
            let host = format!("u{i}.example.net");
            expect(verify(&store, &mitm, &host, T), PIN_OK, &format!("round {round}, {host}"));
        }
        for host in ["pinned.example.net", "PINNED.example.net", "pinned.example.net."] {
            expect(verify(&store, &mitm, host, T), PIN_ERR_PIN_MISMATCH, host);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// pin_store_add and per-domain rules

/// `pin_store_set_domain(store, pattern, NULL, 0, {flags})`.
fn set_domain_flags(store: &Store, pattern: &str, flags: u32) -> u32 {
    let pattern = cstring(pattern);
    let options = pin_domain_options { flags, expires_at: 0, warn_after: 0 };
    // SAFETY: a live store, a NUL-terminated pattern, no pins, readable options.
    unsafe { pin_store_set_domain(store.ptr(), pattern.as_ptr(), std::ptr::null(), 0, &options) }
}

#[test]
fn a_pin_added_under_an_excluded_pattern_is_enforced_or_refused() {
    // api.example.com is excluded from pinning (PIN_DOMAIN_EXCLUDE, "give no pins with it").
    // If pin_store_add then takes a pin for it and says PIN_OK, the host must be pinned: a
    // PIN_OK that leaves the pin silently unenforced lets the MITM chain through.
    let f = fx();
    let store = new_store();
    expect(set_domain_flags(&store, "api.example.com", PIN_DOMAIN_EXCLUDE), PIN_OK, "exclude");
    expect(verify(&store, &mitm(), "api.example.com", T), PIN_OK, "excluded: plain validation");
    let code = store.add("api.example.com", &f.genuine.root.pin());
    let after = verify(&store, &mitm(), "api.example.com", T);
    if code == PIN_OK {
        expect(after, PIN_ERR_PIN_MISMATCH, "MITM after pin_store_add returned PIN_OK");
    } else {
        expect(code, PIN_ERR_BAD_CONFIG, "pin_store_add under an excluded pattern");
        expect(after, PIN_OK, "refused: the store is unchanged");
    }
    // Whatever state pin_store_add left, the store's own export must load back.
    let (loaded, error) = reload(&store);
    expect(loaded, PIN_OK, &format!("loading the store's own export: {error}"));
}

/// Exports `store`'s policy and loads it into a new store: the load's result and error text.
fn reload(store: &Store) -> (u32, String) {
    let mut needed = 0usize;
    // SAFETY: a live store; no buffer yet, only the size asked for.
    unsafe { pin_store_export_policy(store.ptr(), std::ptr::null_mut(), 0, &mut needed) };
    let mut document = vec![0u8; needed];
    // SAFETY: a live store and a buffer of `needed` bytes.
    let code = unsafe {
        pin_store_export_policy(store.ptr(), document.as_mut_ptr().cast(), needed, &mut needed)
    };
    expect(code, PIN_OK, "pin_store_export_policy");
    let json = std::ffi::CStr::from_bytes_until_nul(&document).unwrap().to_bytes();
    let fresh = new_store();
    let mut error = vec![0u8; 512];
    // SAFETY: a live store, `json.len()` readable bytes, a 512-byte error buffer.
    let code = unsafe {
        pin_store_load_policy(
            fresh.ptr(),
            json.as_ptr(),
            json.len(),
            error.as_mut_ptr().cast(),
            error.len(),
        )
    };
    let error = std::ffi::CStr::from_bytes_until_nul(&error).unwrap().to_string_lossy();
    (code, error.into_owned())
}
