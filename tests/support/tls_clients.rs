//! The harness for the example TLS clients of `examples-c/` that share `pin_client.h`'s
//! command line: each client is compiled with `-Wall -Wextra -Werror` against the static
//! library, plainly and with AddressSanitizer + UBSan (leak checks on), and run against
//! `openssl s_server` presenting the genuine chain, two man-in-the-middle chains that its
//! trust store accepts, and controls. The trust store (`--cafile`) holds both the sample root
//! and the rogue proxy root, as a device with a user-installed proxy CA would.
//!
//! A missing TLS library, or sanitizers that do not work, fail the test with the command that
//! installs what is missing: nothing is skipped.
//!
//! Include it with `#[path = "support/tls_clients.rs"] mod tls_clients;` beside
//! `support/tls_server.rs` (as `mod tls_server`), `support/static_lib.rs` (as
//! `mod static_lib`) and `support/temp_dir.rs` (as `mod temp_dir`).

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::static_lib::static_library;
use crate::temp_dir::TempDir;
use crate::tls_server::{Served, TlsServer, testdata};

/// The host the clients verify the server as (the samples' leaf name).
pub const HOST: &str = "api.example.com";

/// 2020-01-01T00:00:00Z: before the samples' validity, for `--at`.
const BEFORE_VALIDITY: &str = "1577836800";

/// The C compiler (the one TOOLCHAIN.md lists, with ASan and UBSan).
const CC: &str = "gcc";

/// Longest a client may run before it is killed and the case fails.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// One example client: `examples-c/<name>.c`, and the TLS library it is built on.
pub struct Client {
    /// The source's name without `.c`.
    pub name: &'static str,
    /// The libraries it links besides certpin.
    pub libs: &'static [&'static str],
    /// A header of the TLS library, to tell a missing package from a broken example.
    pub header: &'static str,
    /// The Debian package that has the header and the libraries (listed in
    /// `.ci/apt-packages` unless a fresh machine has it).
    pub package: &'static str,
}

/// How a client is compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Build {
    Plain,
    /// AddressSanitizer (with LeakSanitizer) and UBSan; any report fails the run.
    Sanitized,
}

impl Build {
    fn flags(self) -> &'static [&'static str] {
        match self {
            Build::Plain => &["-O2"],
            Build::Sanitized => &[
                "-O1",
                "-g",
                "-fsanitize=address,undefined",
                "-fno-sanitize-recover=all",
                "-fno-omit-frame-pointer",
            ],
        }
    }

    /// The environment a program of this build runs with. Exit codes 98/99 keep a sanitizer
    /// report apart from the clients' own 0/1/2.
    fn env(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Build::Plain => &[],
            Build::Sanitized => &[
                ("ASAN_OPTIONS", "detect_leaks=1:exitcode=99"),
                ("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1:exitcode=98"),
            ],
        }
    }
}

/// Which PEM bundle the client's trust store (`--cafile`) is.
#[derive(Clone, Copy, Debug)]
enum TrustStore {
    /// The sample root and the rogue proxy root.
    WithProxyRoot,
    /// The sample root only.
    GenuineOnly,
}

/// One run of a client and what it must give.
struct Case {
    title: &'static str,
    served: Served,
    trust_store: TrustStore,
    flags: &'static [&'static str],
    exit_code: i32,
    /// The callback's `certpin: PIN_...` line; `None`: certpin must not have been asked.
    verdict: Option<&'static str>,
    /// The start of the client's last line: `connected: HTTP/...` or `refused`.
    outcome: &'static str,
}

const CASES: &[Case] = &[
    Case {
        title: "(a) genuine chain, pinned intermediate",
        served: Served::Genuine,
        trust_store: TrustStore::WithProxyRoot,
        flags: &[],
        exit_code: 0,
        verdict: Some("PIN_OK"),
        outcome: "connected: HTTP/1.0 200",
    },
    Case {
        title: "(b) MITM chain from the trusted proxy root",
        served: Served::Mitm,
        trust_store: TrustStore::WithProxyRoot,
        flags: &[],
        exit_code: 1,
        verdict: Some("PIN_ERR_PIN_MISMATCH"),
        outcome: "refused",
    },
    Case {
        title: "(c) MITM chain with the genuine intermediate appended",
        served: Served::MitmWithGenuineIntermediate,
        trust_store: TrustStore::WithProxyRoot,
        flags: &[],
        exit_code: 1,
        verdict: Some("PIN_ERR_PIN_MISMATCH"),
        outcome: "refused",
    },
    Case {
        title: "control: MITM chain, --no-pinning (the trust store alone accepts it)",
        served: Served::Mitm,
        trust_store: TrustStore::WithProxyRoot,
        flags: &["--no-pinning"],
        exit_code: 0,
        verdict: None,
        outcome: "connected: HTTP/1.0 200",
    },
    Case {
        title: "control: genuine chain, --at before its validity (certpin's own clock)",
        served: Served::Genuine,
        trust_store: TrustStore::WithProxyRoot,
        flags: &["--at", BEFORE_VALIDITY],
        exit_code: 1,
        verdict: Some("PIN_ERR_NOT_YET_VALID"),
        outcome: "refused",
    },
    Case {
        title: "control: MITM chain, proxy root not trusted (the stack refuses before certpin)",
        served: Served::Mitm,
        trust_store: TrustStore::GenuineOnly,
        flags: &[],
        exit_code: 1,
        verdict: None,
        outcome: "refused",
    },
];

/// Builds `client` both ways and runs every case on both builds; panics with every failure.
pub fn check_client(client: &Client) {
    require_headers(client);
    let dir = TempDir::new(&format!("tls-clients-{}", client.name));
    let library = static_library();
    // Never skipped: a machine that cannot run the sanitized build fails here.
    if let Err(why) = sanitizers_supported(dir.path()) {
        panic!(
            "{}: the sanitized build cannot run: {why}\n(gcc's sanitizer runtimes: \
             `apt-get install --no-install-recommends libasan8 libubsan1`; LeakSanitizer \
             does not work under ptrace, e.g. inside strace or gdb)",
            client.name
        );
    }
    let builds = [Build::Plain, Build::Sanitized]
        .map(|build| (build, compile(client, build, &library, dir.path())));

    let with_proxy = dir.join("trust-store-with-proxy-root.pem");
    let genuine_only = dir.join("trust-store-genuine-only.pem");
    let root = read(&testdata().join("root-ca.pem"));
    let rogue = read(&testdata().join("rogue-ca.pem"));
    fs::write(&with_proxy, [root.as_slice(), rogue.as_slice()].concat()).expect("write bundle");
    fs::write(&genuine_only, &root).expect("write bundle");

    // The app pins the intermediate CA's key, with the sample EC root's key as the backup pin
    // (a spare key kept offline). certpin validates on its own: its anchors are the same two
    // roots the trust store holds, so the MITM chains are valid paths and only the pins stop
    // them (with the sample root alone they would already fail as PIN_ERR_UNKNOWN_ISSUER).
    let pins = read_pins();
    let mut common: Vec<String> = Vec::new();
    for name in ["intermediate-ca", "ec-root-ca"] {
        common.push("--pin".into());
        common.push(format!("{HOST}={}", pin_of(&pins, name)));
    }
    for anchor in ["root-ca.der", "rogue-ca.der"] {
        common.push("--anchor".into());
        common.push(testdata().join(anchor).display().to_string());
    }

    let servers: Vec<(Served, TlsServer)> =
        [Served::Genuine, Served::Mitm, Served::MitmWithGenuineIntermediate]
            .into_iter()
            .map(|served| (served, TlsServer::start(served)))
            .collect();

    let start = Instant::now();
    let mut failures = Vec::new();
    for (build, program) in &builds {
        for case in CASES {
            let server = &servers.iter().find(|(served, _)| *served == case.served).unwrap().1;
            let cafile = match case.trust_store {
                TrustStore::WithProxyRoot => &with_proxy,
                TrustStore::GenuineOnly => &genuine_only,
            };
            let mut args = vec!["--cafile".to_string(), cafile.display().to_string()];
            args.extend(common.iter().cloned());
            args.extend(case.flags.iter().map(|flag| flag.to_string()));
            args.push(HOST.into());
            args.push(server.port.to_string());

            let run = run(program, *build, &args, dir.path());
            println!(
                "{} {:?} {}: exit {:?}, {}",
                client.name,
                build,
                case.title,
                run.code,
                run.stdout.lines().collect::<Vec<_>>().join(" | ")
            );
            if let Err(why) = check(case, *build, &run) {
                failures.push(format!(
                    "{} ({:?}) {}: {why}\n$ {} {}\n--- stdout\n{}--- stderr\n{}",
                    client.name,
                    build,
                    case.title,
                    program.display(),
                    args.join(" "),
                    run.stdout,
                    run.stderr
                ));
            }
        }
    }
    println!("{}: {} runs in {:.1?}", client.name, builds.len() * CASES.len(), start.elapsed());
    assert!(failures.is_empty(), "{} case(s) failed:\n\n{}", failures.len(), failures.join("\n"));
}

/// Whether a run gave what `case` wants.
fn check(case: &Case, build: Build, run: &Run) -> Result<(), String> {
    if build == Build::Sanitized
        && (run.stderr.contains("Sanitizer") || run.stderr.contains("runtime error"))
    {
        return Err("the sanitizers reported an error".into());
    }
    if run.code != Some(case.exit_code) {
        return Err(format!("exit {:?}, wanted {}", run.code, case.exit_code));
    }
    let verdicts: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("certpin:")).collect();
    match case.verdict {
        Some(verdict) if verdicts != [format!("certpin: {verdict}")] => {
            return Err(format!("verdict lines {verdicts:?}, wanted [\"certpin: {verdict}\"]"));
        }
        None if !verdicts.is_empty() => {
            return Err(format!("certpin was asked ({verdicts:?}) where it must not be"));
        }
        _ => {}
    }
    match run.stdout.lines().last() {
        Some(last) if last.starts_with(case.outcome) => Ok(()),
        last => Err(format!("last line {last:?}, wanted one starting {:?}", case.outcome)),
    }
}

/// A finished client run.
struct Run {
    /// `None` when killed by a signal or by the time limit.
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `program` with `args`, its output going to files in `dir`; kills it after
/// `RUN_LIMIT`.
fn run(program: &Path, build: Build, args: &[String], dir: &Path) -> Run {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let number = RUNS.fetch_add(1, Ordering::Relaxed);
    let stdout_path = dir.join(format!("run-{number}.stdout"));
    let stderr_path = dir.join(format!("run-{number}.stderr"));
    let mut child = Command::new(program)
        .args(args)
        .envs(build.env().iter().copied())
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout_path).expect("create stdout file"))
        .stderr(fs::File::create(&stderr_path).expect("create stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait for client") {
            break status.code();
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let text = |path: &Path| String::from_utf8_lossy(&read(path)).into_owned();
    Run { code, stdout: text(&stdout_path), stderr: text(&stderr_path) }
}

/// Compiles `examples-c/<client>.c` into `dir`; panics with gcc's messages on failure.
fn compile(client: &Client, build: Build, library: &Path, dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = root.join("examples-c").join(format!("{}.c", client.name));
    let output = dir.join(format!("{}-{build:?}", client.name));
    let result = Command::new(CC)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg("-D_POSIX_C_SOURCE=200809L")
        .args(build.flags())
        .arg("-I")
        .arg(root.join("include"))
        .arg(&source)
        // By full path, so that the libcertpin.so beside it is not picked instead.
        .arg(library)
        .args(client.libs)
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&output)
        .output()
        .expect("run gcc");
    assert!(
        result.status.success(),
        "compiling {} ({build:?}) failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&result.stderr)
    );
    output
}

/// Whether gcc can build and run a program with ASan+UBSan here, with leak checks working.
fn sanitizers_supported(dir: &Path) -> Result<(), String> {
    let source = dir.join("probe.c");
    let program = dir.join("probe");
    fs::write(
        &source,
        "#include <stdlib.h>\n\
         void *volatile kept;\n\
         int main(int argc, char **argv) {\n\
             (void)argv;\n\
             kept = malloc(16);\n\
             if (argc == 1) free(kept);\n\
             kept = NULL;\n\
             return 0;\n\
         }\n",
    )
    .expect("write probe");
    let built = Command::new(CC)
        .args(Build::Sanitized.flags())
        .arg(&source)
        .arg("-o")
        .arg(&program)
        .output()
        .map_err(|e| format!("gcc: {e}"))?;
    if !built.status.success() {
        return Err(format!("gcc cannot build with sanitizers: {}", stderr_text(&built)));
    }
    let envs = Build::Sanitized.env().iter().copied();
    let clean = Command::new(&program).envs(envs.clone()).output().map_err(|e| e.to_string())?;
    if !clean.status.success() {
        return Err(format!("a sanitized program cannot run: {}", stderr_text(&clean)));
    }
    // Prove that a leak would be reported, so that a clean run means something.
    let leaky =
        Command::new(&program).arg("leak").envs(envs).output().map_err(|e| e.to_string())?;
    if leaky.status.code() != Some(99) || !stderr_text(&leaky).contains("LeakSanitizer") {
        return Err(format!("LeakSanitizer does not work here: {}", stderr_text(&leaky)));
    }
    Ok(())
}

/// Fails (never skips) when the client's TLS library is not installed, naming its package.
fn require_headers(client: &Client) {
    let probe = Command::new(CC)
        .args(["-fsyntax-only", "-x", "c", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            let include = format!("#include <{}>\n", client.header);
            child.stdin.take().expect("stdin").write_all(include.as_bytes())?;
            child.wait_with_output()
        })
        .expect("run gcc");
    assert!(
        probe.status.success(),
        "{}: {} is missing: install it with `bash .ci/test` (it installs what \
         .ci/apt-packages lists and the machine lacks, then runs the tests) or \
         `apt-get install --no-install-recommends {}`\n{}",
        client.name,
        client.header,
        client.package,
        stderr_text(&probe)
    );
}

/// `testdata/pins.txt` as (name, pin) pairs.
fn read_pins() -> Vec<(String, String)> {
    let text = String::from_utf8(read(&testdata().join("pins.txt"))).expect("pins.txt is UTF-8");
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some((fields.next()?.to_string(), fields.next()?.to_string()))
        })
        .collect()
}

fn pin_of(pins: &[(String, String)], name: &str) -> String {
    let pin = pins.iter().find(|(n, _)| n == name).map(|(_, pin)| pin.clone());
    pin.unwrap_or_else(|| panic!("testdata/pins.txt has no pin for {name}"))
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn stderr_text(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
