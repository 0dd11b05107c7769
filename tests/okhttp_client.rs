//! The JNI trust manager under a real OkHttp 3 (Debian's `libokhttp-java`): the binding and
//! `examples-jni/okhttp/.../OkHttpPinnedClient.java` are compiled against OkHttp's jars and run
//! under `java -Xcheck:jni` against a live `openssl s_server` on 127.0.0.1. The client is
//! pinned through `CertPin.Builder` (OkHttp's `CertificatePinner.Builder` names): the genuine
//! chain is accepted; a MITM chain from a proxy root the platform trusts is refused with
//! `PIN_ERR_PIN_MISMATCH`, also with the genuine intermediate appended; OkHttp without
//! certpin accepts that MITM (the control). OkHttp's own pinner with the same pins refuses
//! the MITM too: the code an app moves from behaves the same on these chains.
//!
//! Needs a JDK, gcc, openssl, and OkHttp's jars: without them the test fails and says what to
//! install.

#[path = "support/tls_server.rs"]
mod tls_server;

#[path = "support/static_lib.rs"]
mod static_lib;

#[path = "support/temp_dir.rs"]
mod temp_dir;

#[path = "support/jni_binding.rs"]
mod jni_binding;

use std::path::PathBuf;

use jni_binding::{Binding, Scenario, check_scenarios};
use temp_dir::TempDir;
use tls_server::Served;

const MAIN_CLASS: &str = "dev.certpin.demo.OkHttpPinnedClient";

/// Where Debian's `libokhttp-java` (OkHttp 3.13) and `libokio-java` put their jars.
const OKHTTP_JARS: &[&str] = &["/usr/share/java/okhttp.jar", "/usr/share/java/okio.jar"];

/// OkHttp's jars; fails (never skips) with the install command when they are missing.
fn okhttp_jars() -> Vec<PathBuf> {
    let jars: Vec<PathBuf> = OKHTTP_JARS.iter().map(PathBuf::from).collect();
    let missing: Vec<&PathBuf> = jars.iter().filter(|jar| !jar.is_file()).collect();
    assert!(
        missing.is_empty(),
        "OkHttp is not installed ({missing:?} missing): install it with `bash .ci/test` (it \
         installs what .ci/apt-packages lists and the machine lacks, then runs the tests) or \
         `apt-get install --no-install-recommends libokhttp-java`"
    );
    jars
}

/// The OkHttp runs: what each connects to, with which options, what it must return and print.
const SCENARIOS: &[Scenario] = &[
    Scenario {
        title: "(a) genuine chain, certpin: trusted",
        served: Served::Genuine,
        options: &[],
        status: 0,
        first_line: "connected: HTTP/1.0 200 ok",
    },
    Scenario {
        title: "(b) MITM from a root the platform trusts, certpin: refused",
        served: Served::Mitm,
        options: &[],
        status: 1,
        first_line: "refused: PIN_ERR_PIN_MISMATCH",
    },
    Scenario {
        title: "(c) MITM with the genuine intermediate appended, certpin: refused",
        served: Served::MitmWithGenuineIntermediate,
        options: &[],
        status: 1,
        first_line: "refused: PIN_ERR_PIN_MISMATCH",
    },
    Scenario {
        title: "control: MITM, OkHttp with the platform trust manager alone: accepted",
        served: Served::Mitm,
        options: &["--no-pinning"],
        status: 0,
        first_line: "connected: HTTP/1.0 200 ok",
    },
    Scenario {
        title: "(b) under **.example.com (the name and any depth below): refused",
        served: Served::Mitm,
        options: &["--pattern", "**.example.com"],
        status: 1,
        first_line: "refused: PIN_ERR_PIN_MISMATCH",
    },
    Scenario {
        title: "(b) under *.example.com (one more label): refused",
        served: Served::Mitm,
        options: &["--pattern", "*.example.com"],
        status: 1,
        first_line: "refused: PIN_ERR_PIN_MISMATCH",
    },
    Scenario {
        title: "a pattern certpin refuses: CertPin.Builder.build() throws",
        served: Served::Genuine,
        options: &["--pattern", "api.*.example.com"],
        status: 2,
        first_line: "error: java.lang.IllegalArgumentException: PIN_ERR_BAD_HOST",
    },
    Scenario {
        title: "before: genuine chain, OkHttp's CertificatePinner: trusted",
        served: Served::Genuine,
        options: &["--okhttp-pinner"],
        status: 0,
        first_line: "connected: HTTP/1.0 200 ok",
    },
    Scenario {
        title: "before: MITM, OkHttp's CertificatePinner: refused",
        served: Served::Mitm,
        options: &["--okhttp-pinner"],
        status: 1,
        first_line: "refused: SSLPeerUnverifiedException: Certificate pinning failure!",
    },
];

#[test]
fn okhttp_with_certpin_refuses_the_mitm_okhttp_alone_accepts() {
    let jars = okhttp_jars();
    let workdir = TempDir::new("okhttp-client");
    let binding = Binding::build(workdir.path(), &["okhttp"], &jars);
    check_scenarios(&binding, MAIN_CLASS, SCENARIOS, Vec::new());
}
