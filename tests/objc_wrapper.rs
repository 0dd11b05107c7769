//! The Objective-C wrapper (`examples-objc/CPPinStore.m`) builds with GNUstep against the
//! static library cargo built for this run, and its test program (`verify_main.m`) passes
//! every case on the sample certificates: plainly, and under AddressSanitizer,
//! LeakSanitizer and UBSan.
//!
//! Needs gcc's Objective-C compiler and GNUstep base (`gobjc`, `libgnustep-base-dev`,
//! `gnustep-make`), which the README's test command `bash .ci/test` installs. Without them
//! these tests fail instead of skipping, so that a CI machine cannot pass without running them.

#[path = "support/static_lib.rs"]
mod static_lib;
use static_lib::static_library;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
