//! The C side of certpin, compiled and run by `cargo test`:
//!
//! - `include/certpin.h` compiles as C99, C11, C++11 and C++17 with every warning an error;
//! - `examples-c/contract_check.c`, written against `../shared/CONTRACT.md` alone, compiles
//!   the same ways and runs, so code written against the contract builds unchanged;
//! - `examples-c/verify_chain.c` is built against the static library cargo made for these
//!   tests, plain and (where the compiler has them) with AddressSanitizer and UBSan, and run on
//!   the sample certificates: its exit codes, verdict lines and pins are checked.
//!
//! Needs gcc and g++. Build outputs go to a temporary directory removed at the end.

#[path = "support/static_lib.rs"]
mod static_lib;
#[path = "support/temp_dir.rs"]
mod temp_dir;
use static_lib::static_library;
use temp_dir::TempDir;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The warnings every C file here must compile without.
const STRICT: &[&str] = &["-Wall", "-Wextra", "-Werror", "-pedantic"];

/// AddressSanitizer and UBSan, with every UBSan finding fatal.
const SANITIZERS: &[&str] =
    &["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"];

/// What the static library needs besides libc. `cargo rustc --lib --crate-type staticlib --
/// --print native-static-libs` lists `-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc`; gcc adds
/// libgcc_s and libc itself, and glibc keeps librt and libutil inside libc.
const NATIVE_LIBS: &[&str] = &["-lpthread", "-ldl", "-lm"];

/// 2027-01-01T00:00:00Z: inside the validity of the sample certificates.
const AT: &str = "1798761600";

const HOST: &str = "api.example.com";

/// What a sanitizer prints when it finds something.
const SANITIZER_REPORTS: &[&str] =
    &["ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error"];

fn repo(path: &str) -> PathBuf {
    Path::new(ROOT).join(path)
}

/// Runs a command to completion, with its output captured.
fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("running {command:?}: {e}"))
}

/// Runs a compiler and fails the test with its messages if it fails.
fn compile(what: &str, command: &mut Command) {
    let output = run(command);
    assert!(
        output.status.success(),
        "{what} does not compile:\n{command:?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `compiler` with the include directory, a language standard and the strict warnings.
fn strict_compiler(compiler: &str, std: &str) -> Command {
    let mut command = Command::new(compiler);
    command.arg(format!("-std={std}")).args(STRICT).arg("-I").arg(repo("include"));
    command
}

/// Fails (never skips) unless gcc can build and link a program with the sanitizers: their
/// runtimes come with gcc on a fresh machine, but a trimmed one may lack them.
fn require_sanitizer_runtimes(dir: &TempDir) {
    let source = dir.join("probe.c");
    std::fs::write(&source, "int main(void) { return 0; }\n").unwrap();
    let output =
        run(Command::new("gcc").args(SANITIZERS).arg(&source).arg("-o").arg(dir.join("probe")));
    assert!(
        output.status.success(),
        "gcc cannot build with {SANITIZERS:?}: its sanitizer runtimes are missing; install them \
         with `apt-get install --no-install-recommends libasan8 libubsan1`\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Compiles `examples-c/NAME.c` as C99 with `extra` flags and links it with the static
/// library (by full path, so the `.so` beside it is never picked). Returns the program.
fn build_c_program(name: &str, extra: &[&str], dir: &TempDir) -> PathBuf {
    let program = dir.join(name);
    compile(
        &format!("examples-c/{name}.c {extra:?}"),
        strict_compiler("gcc", "c99")
            .args(extra)
            .arg(repo(&format!("examples-c/{name}.c")))
            .arg(static_library())
            .args(NATIVE_LIBS)
            .arg("-o")
            .arg(&program),
    );
    program
}

#[test]
fn header_compiles_as_c_and_cxx() {
    for (compiler, language, std) in
        [("gcc", "c", "c99"), ("gcc", "c", "c11"), ("g++", "c++", "c++11"), ("g++", "c++", "c++17")]
    {
        compile(
            &format!("include/certpin.h as {std}"),
            strict_compiler(compiler, std)
                .args(["-fsyntax-only", "-x", language])
                .arg(repo("include/certpin.h")),
        );
    }
}

#[test]
fn code_written_against_the_contract_compiles_and_runs() {
    let source = repo("examples-c/contract_check.c");
    for (compiler, language, std) in
        [("gcc", "c", "c11"), ("g++", "c++", "c++11"), ("g++", "c++", "c++17")]
    {
        compile(
            &format!("examples-c/contract_check.c as {std}"),
            strict_compiler(compiler, std).args(["-fsyntax-only", "-x", language]).arg(&source),
        );
    }
    let dir = TempDir::new("contract-check");
    let program = build_c_program("contract_check", &[], &dir);
    let output = run(&mut Command::new(&program));
    assert!(
        output.status.success(),
        "contract_check found calls that break the contract: {:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn verify_chain_example() {
    compile(
        "examples-c/verify_chain.c as c11",
        strict_compiler("gcc", "c11").arg("-fsyntax-only").arg(repo("examples-c/verify_chain.c")),
    );
    let dir = TempDir::new("verify-chain");
    let program = build_c_program("verify_chain", &[], &dir);
    check_verify_chain(&program, "plain");
}

#[test]
fn verify_chain_example_under_sanitizers() {
    let dir = TempDir::new("verify-chain-asan");
    require_sanitizer_runtimes(&dir);
    let program = build_c_program("verify_chain", SANITIZERS, &dir);
    check_verify_chain(&program, "sanitized");
}

/// `NAME -> sha256/...` from `testdata/pins.txt`.
fn sample_pins() -> HashMap<String, String> {
    let text = std::fs::read_to_string(repo("testdata/pins.txt")).expect("testdata/pins.txt");
    text.lines()
        .filter_map(|line| {
            let (name, pin) = line.split_once(' ')?;
            Some((name.to_owned(), pin.trim().to_owned()))
        })
        .collect()
}

/// One run of `verify_chain` and what it must do.
struct Scenario {
    name: &'static str,
    args: Vec<String>,
    /// The sample certificates sent as the chain, leaf first: their pins must be printed.
    chain: &'static [&'static str],
    /// `Some(verdict)`: prints `verdict: <verdict>` first and exits 0 for `PIN_OK`, else 1.
    /// `None`: a usage error, exit 2.
    verdict: Option<&'static str>,
    /// Texts that must appear on stdout (`verdict` is `Some`) or stderr (`None`).
    mentions: Vec<String>,
}

impl Scenario {
    /// A scenario whose chain is `chain` (sample names), after `options`.
    fn new(
        name: &'static str,
        options: &[String],
        chain: &'static [&'static str],
        verdict: Option<&'static str>,
    ) -> Scenario {
        let mut args = options.to_vec();
        args.extend(["--at".to_owned(), AT.to_owned(), HOST.to_owned()]);
        args.extend(chain.iter().map(|name| sample_der(name)));
        Scenario { name, args, chain, verdict, mentions: Vec::new() }
    }

    fn mentioning(mut self, text: &str) -> Scenario {
        self.mentions.push(text.to_owned());
        self
    }
}

fn sample_der(name: &str) -> String {
    repo(&format!("testdata/{name}.der")).display().to_string()
}

fn anchor(name: &str) -> [String; 2] {
    ["--anchor".to_owned(), sample_der(name)]
}

fn pin(pattern: &str, pin: &str) -> [String; 2] {
    ["--pin".to_owned(), format!("{pattern}={pin}")]
}

fn scenarios() -> Vec<Scenario> {
    let pins = sample_pins();
    let pin_of =
        |name: &str| pins.get(name).unwrap_or_else(|| panic!("{name} in pins.txt")).clone();
    // The intermediate's key, and a backup pin for a spare key (the EC root stands in for it).
    let pinned: Vec<String> =
        [pin(HOST, &pin_of("intermediate-ca")), pin(HOST, &pin_of("ec-root-ca"))].concat();
    let genuine_root = anchor("root-ca").to_vec();
    let both_roots = [anchor("root-ca"), anchor("rogue-ca")].concat();
    let with = |parts: &[&[String]]| parts.concat();

    vec![
        Scenario::new(
            "(a) genuine chain, pinned intermediate and a backup pin",
            &with(&[&genuine_root, &pinned]),
            &["leaf", "intermediate-ca"],
            Some("PIN_OK"),
        ),
        // The proxy's root is trusted, so the chain validates, but not on a pinned key; the
        // explanation shows the pins of the path that did validate.
        Scenario::new(
            "(b) MITM chain from a trusted proxy root",
            &with(&[&both_roots, &pinned]),
            &["mitm-leaf"],
            Some("PIN_ERR_PIN_MISMATCH"),
        )
        .mentioning(&pin_of("rogue-ca")),
        // The pinned intermediate is sent but is on no valid path: it must not count.
        Scenario::new(
            "(c) MITM chain with the genuine intermediate appended",
            &with(&[&both_roots, &pinned]),
            &["mitm-leaf", "intermediate-ca"],
            Some("PIN_ERR_PIN_MISMATCH"),
        )
        .mentioning(&pin_of("rogue-ca")),
        Scenario::new(
            "no anchors of its own: the built-in roots do not know the sample root",
            &[],
            &["leaf", "intermediate-ca"],
            Some("PIN_ERR_UNKNOWN_ISSUER"),
        ),
        Scenario::new(
            "a pin that is not a pin",
            &with(&[&genuine_root, &pin(HOST, "sha256/not-base64!")]),
            &["leaf"],
            None,
        )
        .mentioning("PIN_ERR_BAD_PIN"),
        Scenario::new(
            "a certificate file that does not exist",
            &genuine_root,
            &["no-such-certificate"],
            None,
        )
        .mentioning("no-such-certificate"),
        Scenario {
            name: "no arguments",
            args: Vec::new(),
            chain: &[],
            verdict: None,
            mentions: vec!["usage:".to_owned()],
        },
    ]
}

/// Runs every scenario with `program` and checks what it prints and returns.
fn check_verify_chain(program: &Path, variant: &str) {
    let pins = sample_pins();
    let version = format!("certpin {}", env!("CARGO_PKG_VERSION"));
    for scenario in scenarios() {
        let output = run(Command::new(program)
            .args(&scenario.args)
            .env("ASAN_OPTIONS", "detect_leaks=1")
            .env("UBSAN_OPTIONS", "print_stacktrace=1"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let context = format!(
            "{variant} verify_chain, {}: {:?}\n--- stdout\n{stdout}--- stderr\n{stderr}",
            scenario.name, scenario.args
        );

        for report in SANITIZER_REPORTS {
            assert!(!stderr.contains(report), "sanitizer report in {context}");
        }
        let Some(verdict) = scenario.verdict else {
            assert_eq!(output.status.code(), Some(2), "exit code of {context}");
            for text in &scenario.mentions {
                assert!(stderr.contains(text.as_str()), "stderr lacks {text:?} in {context}");
            }
            continue;
        };

        let expected_code = if verdict == "PIN_OK" { 0 } else { 1 };
        assert_eq!(output.status.code(), Some(expected_code), "exit code of {context}");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            lines.first().copied(),
            Some(format!("verdict: {verdict}").as_str()),
            "{context}"
        );
        for (index, name) in scenario.chain.iter().enumerate() {
            let line = format!("pin[{index}]: {}", pins[*name]);
            assert!(lines.contains(&line.as_str()), "stdout lacks `{line}` in {context}");
        }
        let pin_lines = lines.iter().filter(|line| line.starts_with("pin[")).count();
        assert_eq!(pin_lines, scenario.chain.len(), "one pin line per certificate in {context}");
        assert_eq!(lines.last().copied(), Some(version.as_str()), "{context}");
        for text in &scenario.mentions {
            assert!(stdout.contains(text.as_str()), "stdout lacks {text:?} in {context}");
        }
    }
}
