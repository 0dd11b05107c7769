//! The Objective-C wrapper (`examples-objc/CPPinStore.m`) builds with GNUstep against the
//! static library cargo built for this run, and its test program (`verify_main.m`) passes
//! every case on the sample certificates: plainly, and under AddressSanitizer,
//! LeakSanitizer and UBSan. It also verifies the chains a live `openssl s_server` sends (the
//! genuine one and two MITM chains), with OpenSSL's own verification, trusting the same roots,
//! as the control that accepts the MITM.
//!
//! The URLSession delegate (`CPPinningURLSessionDelegate.m`) cannot run here: GNUstep base
//! 1.28 as Debian builds it has no NSURLSession (`GS_HAVE_NSURLSESSION` is 0), its
//! NSURLProtectionSpace has no `serverTrust`, and there is no Security framework. So it is
//! syntax-checked with clang against GNUstep's Foundation plus the Apple declarations it uses,
//! written for the test in `tests/objc_stubs/` as Apple's SDK declares them.
//!
//! Needs gcc's Objective-C compiler and GNUstep base (`gobjc`, `libgnustep-base-dev`,
//! `gnustep-make`), which the README's test command `bash .ci/test` installs. Without them
//! these tests fail instead of skipping, so that a CI machine cannot pass without running them.

#[path = "support/static_lib.rs"]
mod static_lib;
use static_lib::static_library;

#[path = "support/tls_server.rs"]
mod tls_server;
use tls_server::{Served, TlsServer};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// The cases `verify_main.m` runs, in its order.
const CASES: &[&str] = &[
    "genuine",
    "mitm",
    "mitm-plus-intermediate",
    "bad-pin",
    "expired",
    "chain-too-long",
    "empty-chain",
    "nul-in-host",
    "now",
];

/// What to install when the Objective-C toolchain is missing.
const INSTALL_HINT: &str = "install it with `bash .ci/test` (it installs what \
     .ci/apt-packages lists and the machine lacks, then runs the tests), or \
     `apt-get install --no-install-recommends gobjc libgnustep-base-dev gnustep-make`";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The words `gnustep-config OPTION` prints.
fn gnustep_config(option: &str) -> Vec<String> {
    let output = Command::new("gnustep-config").arg(option).output().unwrap_or_else(|error| {
        panic!("cannot run gnustep-config ({error}): GNUstep is not installed; {INSTALL_HINT}")
    });
    assert!(
        output.status.success(),
        "gnustep-config {option} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("gnustep-config prints UTF-8")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// A directory of its own under the system's temporary directory, removed when dropped
/// (after a failed assertion too).
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("certpin-objc-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compiles the wrapper and its test program into `dir/verify_objc` with gcc, GNUstep's
/// flags, all warnings as errors and `extra_flags`, linking the static library by full path
/// (so that the `.so` beside it is not picked).
fn build(dir: &Path, extra_flags: &[&str]) -> PathBuf {
    let sources = root().join("examples-objc");
    let program = dir.join("verify_objc");
    let output = Command::new("gcc")
        .current_dir(dir)
        .args(gnustep_config("--objc-flags"))
        // The flags ask for a dependency file (-MMD -MP): send it nowhere.
        .args(["-MF", "/dev/null"])
        // -Wno-expansion-to-defined: GNUstep's own headers trip -Wextra's
        // -Wexpansion-to-defined in nearly every Foundation header (their OS_API_VERSION,
        // GS_API_VERSION and GS_EXPOSE macros expand to `defined(...)` inside #if). The
        // wrapper has no such macro; nothing else is turned off.
        .args(["-Wall", "-Wextra", "-Werror", "-Wno-expansion-to-defined"])
        .args(extra_flags)
        .arg(format!("-I{}", root().join("include").display()))
        .arg(format!("-I{}", sources.display()))
        .arg(sources.join("CPPinStore.m"))
        .arg(sources.join("verify_main.m"))
        .arg("-o")
        .arg(&program)
        .arg(static_library())
        // What the static library needs besides libc (see ../shared/TOOLCHAIN.md).
        .args(["-lpthread", "-ldl", "-lm"])
        .args(gnustep_config("--base-libs"))
        .output()
        .expect("run gcc");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "compiling examples-objc failed{}:\n{stderr}",
        if stderr.contains("cc1obj") {
            format!(" (gcc cannot compile Objective-C: {INSTALL_HINT})")
        } else {
            String::new()
        }
    );
    program
}

/// Runs the test program on the sample certificates with `env` set.
fn run(program: &Path, env: &[(&str, String)]) -> Output {
    Command::new(program)
        .arg("--testdata")
        .arg(root().join("testdata"))
        .envs(env.iter().map(|(name, value)| (*name, value)))
        .output()
        .expect("run the Objective-C test program")
}

/// The program passed every case: exit status 0, an "ok" line for each, and the tally.
fn assert_all_cases_pass(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let context = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(output.status.success(), "the program failed ({}):\n{context}", output.status);
    for case in CASES {
        assert!(
            stdout.lines().any(|line| line == format!("case {case}: ok")),
            "{case}:\n{context}"
        );
    }
    assert_eq!(
        stdout.lines().next_back(),
        Some(format!("{} passed, 0 failed", CASES.len()).as_str()),
        "the tally:\n{context}"
    );
}

#[test]
fn wrapper_passes_every_case() {
    let dir = TempDir::new("plain");
    let program = build(&dir.0, &[]);
    assert_all_cases_pass(&run(&program, &[]));
}

#[test]
fn wrapper_is_clean_under_address_leak_and_undefined_behaviour_sanitizers() {
    let dir = TempDir::new("asan");
    let program = build(
        &dir.0,
        &["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"],
    );
    // The Objective-C runtime and GNUstep base keep their class tables and caches until exit
    // by design, and LeakSanitizer reports them: suppress those two libraries only.
    let suppressions = dir.0.join("lsan.supp");
    std::fs::write(&suppressions, "leak:libobjc.so\nleak:libgnustep-base.so\n")
        .expect("write the LeakSanitizer suppressions");
    let output = run(
        &program,
        &[
            ("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0".to_owned()),
            (
                "LSAN_OPTIONS",
                format!("suppressions={}:print_suppressions=0", suppressions.display()),
            ),
            ("UBSAN_OPTIONS", "print_stacktrace=1".to_owned()),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    for report in ["ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error"] {
        assert!(!stderr.contains(report), "a sanitizer reported \"{report}\":\n{stderr}");
    }
    assert_all_cases_pass(&output);
}

/// The chain a live server sends, as `openssl s_client -showcerts` receives it, with OpenSSL's
/// own verdict on it: the roots it trusts are `bundle`, the name `api.example.com`.
fn fetch_chain(port: u16, bundle: &Path) -> (Vec<Vec<u8>>, String) {
    let output = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", "api.example.com", "-verify_hostname", "api.example.com"])
        .args(["-showcerts", "-CAfile"])
        .arg(bundle)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl s_client");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let chain: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(stdout.as_bytes())
        .map(|cert| cert.expect("a PEM certificate from s_client").to_vec())
        .collect();
    let verdict = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("Verify return code: "))
        .unwrap_or_else(|| panic!("s_client printed no verdict:\n{stdout}"))
        .to_owned();
    (chain, verdict)
}

/// The first line `verify_objc --served` prints for `chain`, and its exit status.
fn verify_served(program: &Path, dir: &Path, chain: &[Vec<u8>], pinned: bool) -> (String, i32) {
    let mut command = Command::new(program);
    command.arg("--testdata").arg(root().join("testdata"));
    if !pinned {
        command.arg("--no-pins");
    }
    command.arg("--served");
    for (i, der) in chain.iter().enumerate() {
        let path = dir.join(format!("served-{i}.der"));
        std::fs::write(&path, der).expect("write a served certificate");
        command.arg(path);
    }
    let output = command.output().expect("run verify_objc --served");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = stdout.lines().next().unwrap_or_default().to_owned();
    (first, output.status.code().unwrap_or(-1))
}

#[test]
fn wrapper_refuses_the_live_mitm_chains_that_openssl_accepts() {
    let dir = TempDir::new("live");
    let program = build(&dir.0, &[]);
    // The device's roots: the genuine root and the rogue proxy CA.
    let bundle = dir.0.join("roots.pem");
    let read = |name: &str| std::fs::read_to_string(root().join("testdata").join(name)).unwrap();
    std::fs::write(&bundle, read("root-ca.pem") + &read("rogue-ca.pem")).unwrap();
    let cases = [
        (Served::Genuine, 2, "served: PIN_OK", 0),
        (Served::Mitm, 1, "served: PIN_ERR_PIN_MISMATCH: ", 1),
        (Served::MitmWithGenuineIntermediate, 2, "served: PIN_ERR_PIN_MISMATCH: ", 1),
    ];
    for (served, length, first_line, status) in cases {
        let server = TlsServer::start(served);
        let (chain, openssl) = fetch_chain(server.port, &bundle);
        drop(server);
        assert_eq!(chain.len(), length, "{served:?}: the chain the server sent");
        // The control: the platform's own check (OpenSSL, trusting the same roots) accepts
        // every one of them, the MITM chains included.
        assert_eq!(openssl, "0 (ok)", "{served:?}: OpenSSL's verdict");
        let (line, code) = verify_served(&program, &dir.0, &chain, true);
        assert!(line.starts_with(first_line), "{served:?}: {line:?}");
        assert_eq!(code, status, "{served:?}: exit status ({line})");
        // And the same wrapper without pins trusts it: only the pins refuse the MITM.
        assert_eq!(verify_served(&program, &dir.0, &chain, false), ("served: PIN_OK".into(), 0));
    }
}

/// What to install when clang is missing.
const CLANG_HINT: &str = "install it with `apt-get install --no-install-recommends clang`";

/// clang `-fsyntax-only` over the URLSession delegate, with GNUstep's Foundation, the
/// declarations of `tests/objc_stubs/prelude.h` and the stub Security framework. gcc cannot
/// read it at all (blocks, `@available`); clang with the GNUstep runtime ABI can (property
/// synthesis needs the non-fragile ABI), and checks every call against Apple's signatures.
fn syntax_check_delegate(source: &Path) -> Output {
    let objc_flags: Vec<String> = gnustep_config("--objc-flags")
        .into_iter()
        .filter(|flag| flag != "-MMD" && flag != "-MP")
        .collect();
    Command::new("clang")
        .args(["-fsyntax-only", "-fobjc-runtime=gnustep-2.0", "-fblocks"])
        .args(objc_flags)
        .arg("-I/usr/lib/gcc/x86_64-linux-gnu/12/include")
        .arg(format!("-I{}", root().join("tests/objc_stubs").display()))
        .arg(format!("-I{}", root().join("include").display()))
        .arg(format!("-I{}", root().join("examples-objc").display()))
        .arg("-include")
        .arg(root().join("tests/objc_stubs/prelude.h"))
        .args(["-Wall", "-Wextra", "-Werror", "-x", "objective-c"])
        .arg(source)
        .output()
        .unwrap_or_else(|error| panic!("cannot run clang ({error}): {CLANG_HINT}"))
}

#[test]
fn url_session_delegate_compiles_against_apple_declarations() {
    let delegate = root().join("examples-objc/CPPinningURLSessionDelegate.m");
    let output = syntax_check_delegate(&delegate);
    assert!(
        output.status.success(),
        "the delegate does not compile:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The check reads the delegate's body (inside `#if defined(__APPLE__)`): a call to a
    // Security function that does not exist, and a wrong CPPinStore selector, fail it.
    let dir = TempDir::new("delegate");
    let text = std::fs::read_to_string(&delegate).unwrap();
    for (from, to) in [
        ("SecTrustCopyCertificateChain(trust)", "SecTrustCopyCertificates(trust)"),
        ("verifyChain:chain host:space.host", "verifyChain:chain forHost:space.host"),
    ] {
        assert!(text.contains(from), "the delegate no longer calls {from}");
        let broken = dir.0.join("broken.m");
        std::fs::write(&broken, text.replace(from, to)).unwrap();
        let output = syntax_check_delegate(&broken);
        assert!(!output.status.success(), "{to}: the syntax check passed a broken delegate");
    }
}
