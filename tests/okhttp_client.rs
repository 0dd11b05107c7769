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

#[path = "support/jni_binding.rs"]
mod jni_binding;

use std::path::PathBuf;

use jni_binding::{Binding, Run, TempDir, run_all};
use tls_server::{Served, TlsServer, testdata};

const MAIN_CLASS: &str = "dev.certpin.demo.OkHttpPinnedClient";

/// Where Debian's `libokhttp-java` (OkHttp 3.13) and `libokio-java` put their jars.
const OKHTTP_JARS: &[&str] = &["/usr/share/java/okhttp.jar", "/usr/share/java/okio.jar"];

/// OkHttp's jars; fails (never skips) with the install command when they are missing.
fn okhttp_jars() -> Vec<PathBuf> {
    let jars: Vec<PathBuf> = OKHTTP_JARS.iter().map(PathBuf::from).collect();
    let missing: Vec<&PathBuf> = jars.iter().filter(|jar| !jar.is_file()).collect();
    assert!(
        missing.is_empty(),
        "OkHttp is not installed ({missing:?} missing): run `apt-get install libokhttp-java` \
         (the install step of .ci/run installs what .ci/apt-packages lists)"
    );
    jars
}

/// One OkHttp run: what it connects to, with which options, what it must return and print.
struct Scenario {
    title: &'static str,
    served: Served,
    options: &'static [&'static str],
    status: i32,
    first_line: &'static str,
}

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
    let binding = Binding::build(&workdir.0, &["okhttp"], &jars);
    let servers: Vec<(Served, TlsServer)> =
        [Served::Genuine, Served::Mitm, Served::MitmWithGenuineIntermediate]
            .into_iter()
            .map(|served| (served, TlsServer::start(served)))
            .collect();
    let port_of = |served: Served| {
        let (_, server) = servers.iter().find(|(s, _)| *s == served).expect("a server");
        server.port.to_string()
    };
    let samples = testdata().display().to_string();

    let runs: Vec<Run> = SCENARIOS
        .iter()
        .map(|scenario| Run {
            title: scenario.title.to_owned(),
            main_class: MAIN_CLASS,
            args: (scenario.options.iter().map(|&option| option.to_owned()))
                .chain([port_of(scenario.served), samples.clone()])
                .collect(),
            status: scenario.status,
            first_line: scenario.first_line,
        })
        .collect();
    run_all(&binding, &runs);
}
