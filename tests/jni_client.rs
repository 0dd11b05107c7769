//! The Java binding in `examples-jni/` end to end: its sources are compiled with `javac -h`,
//! the JNI glue with `gcc -Werror` against this build's `libcertpin.a` into
//! `libcertpin_jni.so`, and then `java -Xcheck:jni` runs the pinned HTTPS client against a
//! live `openssl s_server` for each scenario, and the binding's own edge checks
//! (`support/jni_binding.rs`, shared with the OkHttp test). Any `-Xcheck:jni` warning fails.
//!
//! Needs a JDK (`javac` and `java` on PATH, or `JAVA_HOME`), gcc and openssl.

#[path = "support/tls_server.rs"]
mod tls_server;

#[path = "support/static_lib.rs"]
mod static_lib;

#[path = "support/temp_dir.rs"]
mod temp_dir;

#[path = "support/jni_binding.rs"]
mod jni_binding;

use jni_binding::{Binding, Run, Scenario, check_scenarios, manifest_dir};
use temp_dir::TempDir;
use tls_server::{Served, testdata};

/// The scenarios for `dev.certpin.demo.PinnedClient`: what each connects to, with which
/// options, and what it must return and print first.
const SCENARIOS: &[Scenario] = &[
    Scenario {
        title: "genuine chain, pinned: trusted",
        served: Served::Genuine,
        options: &[],
        status: 0,
        first_line: "connected: HTTP/1.0 200 ok",
    },
    Scenario {
        title: "MITM from a root the platform trusts, pinned: refused",
        served: Served::Mitm,
        options: &[],
        status: 1,
        first_line: "refused: PIN_ERR_PIN_MISMATCH",
    },
    Scenario {
        title: "MITM with the genuine intermediate appended, pinned: refused",
        served: Served::MitmWithGenuineIntermediate,
        options: &[],
        status: 1,
        first_line: "refused: PIN_ERR_PIN_MISMATCH",
    },
    Scenario {
        title: "control: MITM, platform trust manager alone: accepted",
        served: Served::Mitm,
        options: &["--no-pinning"],
        status: 0,
        first_line: "connected: HTTP/1.0 200 ok",
    },
    Scenario {
        title: "genuine chain through HttpsURLConnection: trusted",
        served: Served::Genuine,
        options: &["--url-connection"],
        status: 0,
        first_line: "connected: HTTP/1.0 200 ok",
    },
    Scenario {
        title: "MITM through HttpsURLConnection: refused",
        served: Served::Mitm,
        options: &["--url-connection"],
        status: 1,
        first_line: "refused: PIN_ERR_PIN_MISMATCH",
    },
    Scenario {
        title: "genuine chain, certpin's verdict in 2047 (--at): expired",
        served: Served::Genuine,
        options: &["--at", "2429913600"],
        status: 1,
        first_line: "refused: PIN_ERR_EXPIRED",
    },
];

#[test]
fn java_client_over_jni_refuses_the_mitm_the_platform_accepts() {
    let workdir = TempDir::new("jni-client");
    let binding = Binding::build(workdir.path(), &["test"], &[]);
    // Exactly the documented number of edge cases ran, and every one passed.
    let edge_cases = Run {
        title: "the binding's edge cases (examples-jni/test/dev/certpin/BindingCheck.java)".into(),
        main_class: "dev.certpin.BindingCheck",
        args: vec![testdata().display().to_string()],
        status: 0,
        first_line: format!("binding checks: all {BINDING_EDGE_CASES} passed"),
    };
    check_scenarios(&binding, "dev.certpin.demo.PinnedClient", SCENARIOS, vec![edge_cases]);
}

/// How many checks `BindingCheck.java` makes: the number the README states ("plus 48 edge
/// cases of the binding"), asserted against what the run prints.
const BINDING_EDGE_CASES: usize = 48;

#[test]
fn the_readme_states_the_number_of_binding_edge_cases() {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).expect("README.md");
    let claim = format!("plus {BINDING_EDGE_CASES} edge cases of the binding");
    assert!(readme.contains(&claim), "README.md no longer says {claim:?}");
}

/// `NAME value` for every result code (`PIN_OK`, `PIN_ERR_*`) a text defines, sorted: `#define PIN_OK 0` in the
/// header, `public static final int PIN_OK = 0;` in PinResult.java.
fn result_codes(text: &str, prefix: &str) -> Vec<(String, u32)> {
    let mut codes: Vec<(String, u32)> = text
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix(prefix)?;
            let mut words = rest.split(|c: char| c.is_whitespace() || c == '=' || c == ';');
            let name = words.next()?;
            let value = words.find(|word| !word.is_empty())?.parse().ok()?;
            (name == "PIN_OK" || name.starts_with("PIN_ERR_")).then(|| (name.to_owned(), value))
        })
        .collect();
    codes.sort();
    codes
}

/// The Java binding names every result code of the header, with its value (libsignal's check
/// that the wrappers handle every error code the header has).
#[test]
fn java_result_codes_are_the_headers() {
    let read = |path: &str| std::fs::read_to_string(manifest_dir().join(path)).expect(path);
    let header = result_codes(&read("include/certpin.h"), "#define ");
    let java = result_codes(
        &read("examples-jni/src/dev/certpin/PinResult.java"),
        "public static final int ",
    );
    assert!(header.len() >= 19, "the header's codes were not found: {header:?}");
    assert_eq!(java, header, "PinResult.java and include/certpin.h differ");
}
