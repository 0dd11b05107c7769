//! The Java binding in `examples-jni/` end to end: its sources are compiled with `javac -h`,
//! the JNI glue with `gcc -Werror` against this build's `libcertpin.a` into
//! `libcertpin_jni.so`, and then `java -Xcheck:jni` runs the pinned HTTPS client against a
//! live `openssl s_server` for each scenario, and the binding's own edge checks.
//!
//! Needs a JDK (`javac` and `java` on PATH, or `JAVA_HOME`), gcc and openssl.

#[path = "support/tls_server.rs"]
mod tls_server;

#[path = "support/static_lib.rs"]
mod static_lib;
use static_lib::static_library;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use tls_server::{Served, TlsServer, testdata};

/// A directory removed (with its contents) when dropped, also when the test panics.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create the temporary directory");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The JDK's home: `JAVA_HOME`, else the one whose `javac` is on PATH (through symlinks such
/// as Debian's `/usr/bin/javac -> /etc/alternatives/javac -> .../bin/javac`).
fn jdk_home() -> PathBuf {
    if let Some(home) = std::env::var_os("JAVA_HOME").map(PathBuf::from)
        && home.join("bin/javac").is_file()
        && home.join("include/jni.h").is_file()
    {
        return home;
    }
    let javac = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("javac"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the JNI test needs a JDK: no `javac` on PATH and no JAVA_HOME with bin/javac \
                 (on Debian: apt-get install openjdk-17-jdk-headless)"
            )
        });
    let javac = javac.canonicalize().expect("resolve javac's symlinks");
    let home = javac.parent().and_then(Path::parent).expect("javac lies in JDK/bin").to_owned();
    assert!(
        home.join("include/jni.h").is_file(),
        "{} has no include/jni.h: a JRE, not a JDK? Set JAVA_HOME to a JDK",
        home.display()
    );
    home
}

/// Runs a build step; panics with its output if it fails.
fn build_step(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every `.java` file under `dir`.
fn java_sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the Java source tree") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            java_sources(&path, found);
        } else if path.extension() == Some(OsStr::new("java")) {
            found.push(path);
        }
    }
}

/// The compiled binding: classes, `libcertpin_jni.so`, and a hosts file for the JVM.
struct Binding {
    jdk: PathBuf,
    classes: PathBuf,
    library_dir: PathBuf,
    hosts: PathBuf,
}

impl Binding {
    fn build(dir: &Path) -> Self {
        let jdk = jdk_home();
        let examples = manifest_dir().join("examples-jni");
        let classes = dir.join("classes");
        let generated = dir.join("generated");

        // --release 8 keeps the binding to old APIs (Android has no Java 9+ library); -h writes
        // dev_certpin_Native.h, which the glue includes so gcc checks it against the natives.
        let mut sources = Vec::new();
        java_sources(&examples.join("src"), &mut sources);
        java_sources(&examples.join("test"), &mut sources);
        build_step(
            Command::new(jdk.join("bin/javac"))
                .args(["--release", "8", "-Xlint:all", "-Werror", "-encoding", "UTF-8"])
                // Half the time of a default javac for these few files.
                .args(["-J-XX:TieredStopAtLevel=1", "-J-XX:-UsePerfData"])
                .arg("-h")
                .arg(&generated)
                .arg("-d")
                .arg(&classes)
                .args(&sources),
        );

        let static_lib = static_library();
        // The .a by full path, so that libcertpin.so beside it is not picked. The Rust staticlib
        // is position-independent on x86_64 Linux, so it links into a shared object.
        // --no-undefined: an unresolved symbol fails here, not in System.loadLibrary.
        // --gc-sections: drops the unused parts of the library (a smaller .so, a faster link).
        // --exclude-libs,ALL and -fvisibility=hidden: only the JNI entry points are exported,
        // not certpin's or Rust's symbols. UBSan (no recovery) aborts the JVM on undefined
        // behaviour in the glue; it needs no preloading, unlike ASan inside a JVM.
        let library = dir.join("libcertpin_jni.so");
        build_step(
            Command::new("gcc")
                .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wpedantic", "-O2", "-g"])
                .args(["-fsanitize=undefined", "-fno-sanitize-recover=all"])
                .args(["-shared", "-fPIC", "-fvisibility=hidden"])
                .arg("-I")
                .arg(manifest_dir().join("include"))
                .arg("-I")
                .arg(&generated)
                .arg("-I")
                .arg(jdk.join("include"))
                .arg("-I")
                .arg(jdk.join("include/linux"))
                .arg(examples.join("native/certpin_jni.c"))
                .arg(&static_lib)
                .args(["-lpthread", "-ldl", "-lm"])
                .args(["-Wl,--no-undefined", "-Wl,--exclude-libs,ALL", "-Wl,--gc-sections"])
                .arg("-o")
                .arg(&library),
        );

        // For the HttpsURLConnection scenarios: api.example.com is the local test server.
        let hosts = dir.join("hosts");
        std::fs::write(&hosts, "127.0.0.1 api.example.com\n").expect("write the hosts file");

        Self { jdk, classes, library_dir: dir.to_owned(), hosts }
    }

    /// `java -Xcheck:jni` on a main class of the binding.
    fn java(&self, main_class: &str, args: &[String]) -> Output {
        let mut command = Command::new(self.jdk.join("bin/java"));
        command
            .arg("-Xcheck:jni")
            // Start-up time matters more than peak speed for these short runs; no hsperfdata
            // files left in /tmp.
            .args(["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData"])
            .arg(format!("-Djava.library.path={}", self.library_dir.display()))
            .arg(format!("-Djdk.net.hosts.file={}", self.hosts.display()))
            .arg("-cp")
            .arg(&self.classes)
            .arg(main_class)
            .args(args)
            // UBSan: print and abort, but leave the JVM's signals (it uses SIGSEGV) alone.
            .env(
                "UBSAN_OPTIONS",
                "print_stacktrace=1:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:\
                 handle_abort=0:handle_sigill=0",
            );
        command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
    }
}

/// One scenario for `dev.certpin.demo.PinnedClient`: what it connects to, with which options,
/// and what it must return and print first.
struct Scenario {
    title: &'static str,
    served: Served,
    options: &'static [&'static str],
    status: i32,
    first_line: &'static str,
}

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

/// One JVM run and what it must return and print.
struct Run {
    title: &'static str,
    main_class: &'static str,
    args: Vec<String>,
    status: i32,
    /// What the first line of stdout must start with.
    first_line: &'static str,
}

impl Run {
    /// What is wrong with the run, if anything: its exit status, its first line, and any
    /// warning from `-Xcheck:jni` ("WARNING in native method: ...") or elsewhere.
    fn problems(&self, binding: &Binding) -> Option<String> {
        let output = binding.java(self.main_class, &self.args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut wrong = Vec::new();
        if output.status.code() != Some(self.status) {
            wrong.push(format!("{} (want exit status {})", output.status, self.status));
        }
        if !stdout.lines().next().unwrap_or_default().starts_with(self.first_line) {
            wrong.push(format!("the first line does not start with {:?}", self.first_line));
        }
        if stdout.lines().chain(stderr.lines()).any(|line| line.contains("WARNING")) {
            wrong.push("a WARNING (from -Xcheck:jni?)".to_owned());
        }
        (!wrong.is_empty()).then(|| {
            format!(
                "{}: {}\n$ java {} {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
                self.title,
                wrong.join(", "),
                self.main_class,
                self.args.join(" ")
            )
        })
    }
}

#[test]
fn java_client_over_jni_refuses_the_mitm_the_platform_accepts() {
    let workdir = TempDir::new("jni-client");
    let binding = Binding::build(&workdir.0);
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

    let mut runs: Vec<Run> = SCENARIOS
        .iter()
        .map(|scenario| Run {
            title: scenario.title,
            main_class: "dev.certpin.demo.PinnedClient",
            args: (scenario.options.iter().map(|&option| option.to_owned()))
                .chain([port_of(scenario.served), samples.clone()])
                .collect(),
            status: scenario.status,
            first_line: scenario.first_line,
        })
        .collect();
    // Exactly the documented number of edge cases ran, and every one passed.
    let all_passed = format!("binding checks: all {BINDING_EDGE_CASES} passed");
    runs.push(Run {
        title: "the binding's edge cases (examples-jni/test/dev/certpin/BindingCheck.java)",
        main_class: "dev.certpin.BindingCheck",
        args: vec![samples.clone()],
        status: 0,
        first_line: Box::leak(all_passed.into_boxed_str()),
    });

    // Each JVM takes about half a second to start: run a few side by side.
    let queue = Mutex::new(runs.iter());
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let Some(run) = queue.lock().unwrap().next() else { break };
                    if let Some(problem) = run.problems(&binding) {
                        failures.lock().unwrap().push(problem);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
