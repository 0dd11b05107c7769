//! The C++ face, `include/certpin.hpp`, compiled and run by `cargo test`:
//!
//! - the header compiles alone as C++17 with every warning an error, conversions included,
//!   and without exceptions (`-fno-exceptions`);
//! - `examples-cpp/pinning_check.cpp` is built with g++ under AddressSanitizer, UBSan and
//!   libstdc++'s assertions against the static library cargo made for these tests, and run on
//!   the sample certificates: genuine chain trusted, MITM chains refused with the explanation,
//!   argument errors as results, move semantics (LeakSanitizer sees a lost store, ASan a
//!   freed one used again);
//! - `certpin::result` names every `PIN_*` code the C header defines.
//!
//! Needs g++ with libasan (`apt-get install g++`: gcc 12 on Debian 12 has both).

#[path = "support/static_lib.rs"]
mod static_lib;
#[path = "support/temp_dir.rs"]
mod temp_dir;

use static_lib::static_library;
use temp_dir::TempDir;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The warnings the header and the example must compile without.
const STRICT: &[&str] = &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"];

/// AddressSanitizer (with LeakSanitizer) and UBSan, every finding fatal; libstdc++'s bounds
/// checks, which see an overrun inside an object (a `std::array` member) that ASan does not.
const SANITIZERS: &[&str] = &[
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=all",
    "-D_GLIBCXX_ASSERTIONS",
];

/// What the static library needs besides libc (see tests/c_examples.rs).
const NATIVE_LIBS: &[&str] = &["-lpthread", "-ldl", "-lm"];

fn repo(path: &str) -> PathBuf {
    Path::new(ROOT).join(path)
}

fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| {
        panic!("running {command:?}: {e} (install the compiler: apt-get install g++)")
    })
}

fn compile(what: &str, command: &mut Command) {
    let output = run(command);
    assert!(
        output.status.success(),
        "{what} does not compile:\n{command:?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn gxx() -> Command {
    let mut command = Command::new("g++");
    command.args(STRICT).arg("-I").arg(repo("include"));
    command
}

#[test]
fn header_compiles_alone_strictly_and_without_exceptions() {
    compile(
        "include/certpin.hpp",
        gxx()
            .args(["-Wconversion", "-Wsign-conversion", "-Wshadow", "-Wold-style-cast"])
            .args(["-fno-exceptions", "-fsyntax-only", "-x", "c++"])
            .arg(repo("include/certpin.hpp")),
    );
}

#[test]
fn pinning_check_runs_clean_under_sanitizers() {
    let dir = TempDir::new("cpp");
    let program = dir.join("pinning_check");
    compile(
        "examples-cpp/pinning_check.cpp under ASan and UBSan",
        gxx()
            .args(SANITIZERS)
            .arg(repo("examples-cpp/pinning_check.cpp"))
            .arg(static_library())
            .args(NATIVE_LIBS)
            .arg("-o")
            .arg(&program),
    );
    let output = run(Command::new(&program)
        .arg(repo("testdata"))
        .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.ends_with("all checks passed\n"),
        "pinning_check failed: {:?}\n{stdout}\n{stderr}",
        output.status
    );
    for report in ["ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error"] {
        assert!(!stderr.contains(report), "sanitizer report:\n{stderr}");
    }
    // The program's own list of checks: each must have run and passed.
    for check in [
        "ok: genuine chain -> PIN_OK",
        "ok: MITM chain -> PIN_ERR_PIN_MISMATCH",
        "ok: the MITM refusal is explained",
        "ok: MITM chain + genuine intermediate appended -> PIN_ERR_PIN_MISMATCH",
        "ok: a bad pin -> PIN_ERR_BAD_PIN",
        "ok: a NULL anchor -> PIN_ERR_NULL_ARGUMENT",
        "ok: a host with a NUL inside -> PIN_ERR_INVALID_ARGUMENT",
        "ok: a chain longer than CERTPIN_MAX_CHAIN_LEN -> PIN_ERR_INVALID_ARGUMENT",
        "ok: a moved-from store -> PIN_ERR_NULL_ARGUMENT",
        "ok: move assignment takes the handle",
        "ok: self move-assignment keeps the handle",
    ] {
        assert!(stdout.contains(check), "missing {check:?} in:\n{stdout}");
    }
}

/// `#define PIN_OK 0`, `#define PIN_ERR_...`: the result codes of the generated C header.
fn header_result_codes() -> Vec<String> {
    let header = std::fs::read_to_string(repo("include/certpin.h")).expect("include/certpin.h");
    header
        .lines()
        .filter_map(|line| line.strip_prefix("#define "))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|name| *name == "PIN_OK" || name.starts_with("PIN_ERR_"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn result_enum_names_every_code_of_the_c_header() {
    let hpp = std::fs::read_to_string(repo("include/certpin.hpp")).expect("include/certpin.hpp");
    let codes = header_result_codes();
    assert!(codes.len() >= 19, "too few PIN_* codes read from certpin.h: {codes:?}");
    let missing: Vec<&String> =
        codes.iter().filter(|code| !hpp.contains(&format!(" = {code},"))).collect();
    assert!(
        missing.is_empty(),
        "certpin::result in include/certpin.hpp lacks {missing:?}: add an enumerator for each"
    );
}
