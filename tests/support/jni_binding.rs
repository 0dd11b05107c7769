//! The Java binding of `examples-jni/`, built for a test: its sources (and any extra source
//! trees, against extra jars) compiled with `javac -h`, the JNI glue with `gcc -Werror` and
//! UBSan against this build's `libcertpin.a` into `libcertpin_jni.so`, and a way to run a main
//! class under `java -Xcheck:jni` and check what it prints, also against the live test servers
//! of `support/tls_server.rs`.
//!
//! Include it with `#[path = "support/jni_binding.rs"] mod jni_binding;` beside
//! `support/static_lib.rs` (as `mod static_lib`) and `support/tls_server.rs` (as
//! `mod tls_server`).

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::static_lib::static_library;
use crate::tls_server::{Served, TlsServer, testdata};

/// The repository's root.
pub fn manifest_dir() -> &'static Path {
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
pub struct Binding {
    jdk: PathBuf,
    /// The compiled classes, then the extra jars.
    classpath: Vec<PathBuf>,
    library_dir: PathBuf,
    hosts: PathBuf,
}

impl Binding {
    /// Builds into `dir`: `examples-jni/src` and the `source_trees` (relative to
    /// `examples-jni/`), compiled against the `jars`, which the JVM then gets too.
    pub fn build(dir: &Path, source_trees: &[&str], jars: &[PathBuf]) -> Self {
        let jdk = jdk_home();
        let examples = manifest_dir().join("examples-jni");
        let classes = dir.join("classes");
        let generated = dir.join("generated");
        let mut classpath = vec![classes.clone()];
        classpath.extend(jars.iter().cloned());

        // --release 8 keeps the binding to old APIs (Android has no Java 9+ library); -h writes
        // dev_certpin_Native.h, which the glue includes so gcc checks it against the natives.
        let mut sources = Vec::new();
        java_sources(&examples.join("src"), &mut sources);
        for tree in source_trees {
            java_sources(&examples.join(tree), &mut sources);
        }
        let mut javac = Command::new(jdk.join("bin/javac"));
        javac
            .args(["--release", "8", "-Xlint:all", "-Werror", "-encoding", "UTF-8"])
            // Half the time of a default javac for these few files.
            .args(["-J-XX:TieredStopAtLevel=1", "-J-XX:-UsePerfData"]);
        if !jars.is_empty() {
            // The jars only: javac -Xlint warns about the classes directory it is yet to make.
            javac.arg("-cp").arg(std::env::join_paths(jars).expect("a classpath"));
        }
        build_step(javac.arg("-h").arg(&generated).arg("-d").arg(&classes).args(&sources));

        // The .a by full path, so that libcertpin.so beside it is not picked. --no-undefined:
        // an unresolved symbol fails here, not in System.loadLibrary. --exclude-libs,ALL and
        // -fvisibility=hidden: only the JNI entry points are exported. UBSan (no recovery)
        // aborts the JVM on undefined behaviour in the glue; it needs no preloading.
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
                .arg(static_library())
                .args(["-lpthread", "-ldl", "-lm"])
                .args(["-Wl,--no-undefined", "-Wl,--exclude-libs,ALL", "-Wl,--gc-sections"])
                .arg("-o")
                .arg(&library),
        );

        // For clients that connect by URL: api.example.com is the local test server.
        let hosts = dir.join("hosts");
        std::fs::write(&hosts, "127.0.0.1 api.example.com\n").expect("write the hosts file");

        Self { jdk, classpath, library_dir: dir.to_owned(), hosts }
    }

    /// `java -Xcheck:jni` on a main class of the binding.
    pub fn java(&self, main_class: &str, args: &[String]) -> Output {
        let mut command = Command::new(self.jdk.join("bin/java"));
        command
            .arg("-Xcheck:jni")
            // Start-up time matters more than peak speed for these short runs; no hsperfdata
            // files left in /tmp.
            .args(["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData"])
            .arg(format!("-Djava.library.path={}", self.library_dir.display()))
            .arg(format!("-Djdk.net.hosts.file={}", self.hosts.display()))
            .arg("-cp")
            .arg(std::env::join_paths(&self.classpath).expect("a classpath"))
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

/// One JVM run and what it must return and print.
pub struct Run {
    /// What the run shows, for the failure message.
    pub title: String,
    /// The main class `java` runs.
    pub main_class: &'static str,
    /// Its arguments.
    pub args: Vec<String>,
    /// The exit status it must return.
    pub status: i32,
    /// What the first line of stdout must start with.
    pub first_line: String,
}

impl Run {
    /// What is wrong with the run, if anything: its exit status, its first line, and any
    /// warning from `-Xcheck:jni` ("WARNING in native method: ...") or elsewhere.
    pub fn problems(&self, binding: &Binding) -> Option<String> {
        let output = binding.java(self.main_class, &self.args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut wrong = Vec::new();
        if output.status.code() != Some(self.status) {
            wrong.push(format!("{} (want exit status {})", output.status, self.status));
        }
        if !stdout.lines().next().unwrap_or_default().starts_with(&self.first_line) {
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

/// Runs every run, a few JVMs side by side (each takes about half a second to start); panics
/// with every problem found.
pub fn run_all(binding: &Binding, runs: &[Run]) {
    let queue = std::sync::Mutex::new(runs.iter());
    let failures = std::sync::Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let Some(run) = queue.lock().unwrap().next() else { break };
                    if let Some(problem) = run.problems(binding) {
                        failures.lock().unwrap().push(problem);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{} run(s) failed:\n{}", failures.len(), failures.join("\n"));
}

/// One run of a pinned HTTPS client (a main class taking `[OPTIONS...] PORT TESTDATA_DIR`)
/// against a live test server: which chain the server presents, the client's options, and
/// what the client must return and print first.
pub struct Scenario {
    /// What the scenario shows, for the failure message.
    pub title: &'static str,
    /// The chain the server presents.
    pub served: Served,
    /// The client's options before the port.
    pub options: &'static [&'static str],
    /// The exit status the client must return.
    pub status: i32,
    /// What the first line of stdout must start with.
    pub first_line: &'static str,
}

/// Starts a server for each chain, runs `main_class` for every scenario against its server and
/// then the `others` (runs that need no server), and panics with every problem found.
pub fn check_scenarios(
    binding: &Binding,
    main_class: &'static str,
    scenarios: &[Scenario],
    others: Vec<Run>,
) {
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
    let mut runs: Vec<Run> = scenarios
        .iter()
        .map(|scenario| Run {
            title: scenario.title.to_owned(),
            main_class,
            args: (scenario.options.iter().map(|&option| option.to_owned()))
                .chain([port_of(scenario.served), samples.clone()])
                .collect(),
            status: scenario.status,
            first_line: scenario.first_line.to_owned(),
        })
        .collect();
    runs.extend(others);
    run_all(binding, &runs);
}
