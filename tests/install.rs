//! `make install` proven the way C and C++ users consume it:
//!
//! - `make install PREFIX=<tmp>` lays out the static and shared libraries (with the SONAME
//!   `libcertpin.so.MAJOR` and the two links), both headers, `certpin.pc` and the CMake
//!   package;
//! - `examples-c/verify_chain.c` builds with `pkg-config --cflags --libs certpin` and runs with
//!   `LD_LIBRARY_PATH` (it needs `libcertpin.so.MAJOR`, the SONAME), and builds with
//!   `pkg-config --static` against a static-only install (`LIBRARY_TYPES=static`, in a custom
//!   `LIBDIR`) and runs with no libcertpin.so at all: genuine chain trusted, MITM refused;
//! - `examples-cpp/` builds with CMake's `find_package(certpin)`, against the shared and the
//!   static target, and runs; a request for a newer major version is refused;
//! - `DESTDIR` stages the files without writing the staging root into them;
//! - `make uninstall` leaves none of our files behind.
//!
//! The release build goes to `<target>/install/` and is kept between runs (a fresh one takes a
//! few minutes, later ones a second). Needs make, gcc, g++, pkg-config, cmake and readelf
//! (`apt-get install make gcc g++ pkg-config cmake binutils`).

#[path = "support/temp_dir.rs"]
mod temp_dir;
use temp_dir::TempDir;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const MAJOR: &str = env!("CARGO_PKG_VERSION_MAJOR");

/// 2027-01-01T00:00:00Z: inside the validity of the sample certificates.
const AT: &str = "1798761600";

fn repo(path: &str) -> PathBuf {
    Path::new(ROOT).join(path)
}

/// Runs a command; a missing tool fails with the package that provides it.
fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| {
        panic!(
            "running {command:?}: {e}\n(install the tools: apt-get install make gcc g++ \
             pkg-config cmake binutils)"
        )
    })
}

/// Runs a command that must succeed; returns its stdout.
fn succeed(what: &str, command: &mut Command) -> String {
    let output = run(command);
    assert!(
        output.status.success(),
        "{what} failed: {:?}\n{command:?}\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The target directory of the test run (test binaries run from `<target>/<profile>/deps/`),
/// where `make` keeps its own release build: never the one `cargo test` is holding.
fn make_target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "deps"))
        .and_then(|deps| deps.parent()?.parent())
        .map_or_else(|| repo("target"), Path::to_path_buf)
        .join("install")
}

/// `make TARGET VARIABLES...` in the repository, building into `make_target_dir()`.
fn make(target: &str, variables: &[String]) -> String {
    let mut command = Command::new("make");
    command
        .arg("--no-print-directory")
        .arg(target)
        .args(variables)
        .current_dir(ROOT)
        .env("CARGO_TARGET_DIR", make_target_dir())
        // The outer run's sanitizer or coverage flags are for Rust test code, not this build.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET");
    succeed(&format!("make {target} {variables:?}"), &mut command)
}

fn var(name: &str, value: &Path) -> String {
    format!("{name}={}", value.display())
}

/// Every file and link under `dir` (directories themselves not listed).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let kind = std::fs::symlink_metadata(&path).expect("metadata").file_type();
        if kind.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// `pkg-config ARGS certpin` over the `.pc` file in `pkgconfig_dir` only, split into arguments.
fn pkg_config(pkgconfig_dir: &Path, args: &[&str]) -> Vec<String> {
    let out = succeed(
        &format!("pkg-config {args:?} certpin"),
        Command::new("pkg-config")
            .args(args)
            .arg("certpin")
            .env("PKG_CONFIG_LIBDIR", pkgconfig_dir)
            .env_remove("PKG_CONFIG_PATH"),
    );
    out.split_whitespace().map(str::to_owned).collect()
}

/// The `NEEDED` entries and the `SONAME` of an ELF file, from `readelf -d`.
fn dynamic_entries(elf: &Path) -> String {
    succeed("readelf -d", Command::new("readelf").arg("-d").arg(elf))
}

fn sample(name: &str) -> PathBuf {
    repo(&format!("testdata/{name}.der"))
}

fn sample_pin(name: &str) -> String {
    let pins = std::fs::read_to_string(repo("testdata/pins.txt")).expect("testdata/pins.txt");
    pins.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} in testdata/pins.txt"))
        .trim()
        .to_owned()
}

/// Runs `verify_chain` (examples-c) on the genuine chain and on the MITM chain, with the
/// genuine and the rogue root trusted and the intermediate pinned.
fn check_verify_chain(program: &Path, library_path: Option<&Path>) {
    let pin = format!("api.example.com={}", sample_pin("intermediate-ca"));
    for (chain, verdict, code) in [
        (&["leaf", "intermediate-ca"][..], "verdict: PIN_OK", 0),
        (&["mitm-leaf"][..], "verdict: PIN_ERR_PIN_MISMATCH", 1),
    ] {
        let mut command = Command::new(program);
        command
            .args(["--anchor"])
            .arg(sample("root-ca"))
            .args(["--anchor"])
            .arg(sample("rogue-ca"))
            .args(["--pin", &pin, "--at", AT, "api.example.com"])
            .args(chain.iter().map(|name| sample(name)));
        match library_path {
            Some(dir) => command.env("LD_LIBRARY_PATH", dir),
            None => command.env_remove("LD_LIBRARY_PATH"),
        };
        let output = run(&mut command);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.code() == Some(code) && stdout.starts_with(verdict),
            "{} on {chain:?}: {:?}, wanted exit {code} and {verdict:?}:\n{stdout}\n{}",
            program.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The strict C flags the examples are held to.
const STRICT_C: &[&str] = &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"];

#[test]
fn make_install_serves_pkg_config_and_cmake_and_uninstalls_cleanly() {
    let tmp = TempDir::new("install");
    let prefix = tmp.join("usr");
    let lib = prefix.join("lib");

    // 1. The shared and static install.
    make("install", &[var("PREFIX", &prefix)]);
    let so_versioned = format!("libcertpin.so.{VERSION}");
    let so_major = format!("libcertpin.so.{MAJOR}");
    for file in [
        "lib/libcertpin.a",
        &format!("lib/{so_versioned}"),
        "include/certpin.h",
        "include/certpin.hpp",
        "lib/pkgconfig/certpin.pc",
        "lib/cmake/certpin/certpinConfig.cmake",
        "lib/cmake/certpin/certpinConfigVersion.cmake",
    ] {
        assert!(prefix.join(file).is_file(), "make install did not install {file}");
    }
    for (link, target) in [(&so_major, &so_versioned), (&"libcertpin.so".to_owned(), &so_major)] {
        let points_to = std::fs::read_link(lib.join(link))
            .unwrap_or_else(|e| panic!("lib/{link} is not a link: {e}"));
        assert_eq!(points_to, Path::new(target), "lib/{link}");
    }
    let soname = dynamic_entries(&lib.join(&so_versioned));
    assert!(
        soname.contains(&format!("Library soname: [{so_major}]")),
        "the installed library has no SONAME {so_major}:\n{soname}"
    );
    let pc = std::fs::read_to_string(lib.join("pkgconfig/certpin.pc")).unwrap();
    assert!(pc.contains(&format!("Version: {VERSION}")), "certpin.pc:\n{pc}");
    assert!(pc.contains("Libs.private: -l"), "certpin.pc has no native libraries:\n{pc}");

    // 2. C, shared, through pkg-config: linked against the SONAME, run with LD_LIBRARY_PATH.
    let pkgconfig_dir = lib.join("pkgconfig");
    let shared_program = tmp.join("verify_chain_shared");
    succeed(
        "gcc verify_chain.c $(pkg-config --cflags --libs certpin)",
        Command::new("gcc")
            .args(STRICT_C)
            .arg(repo("examples-c/verify_chain.c"))
            .args(pkg_config(&pkgconfig_dir, &["--cflags", "--libs"]))
            .arg("-o")
            .arg(&shared_program),
    );
    let needed = dynamic_entries(&shared_program);
    assert!(
        needed.contains(&format!("Shared library: [{so_major}]")),
        "verify_chain does not need {so_major}:\n{needed}"
    );
    check_verify_chain(&shared_program, Some(&lib));

    // 3. C++ through CMake's find_package(certpin): the shared and the static target.
    let build = tmp.join("cmake-build");
    succeed(
        "cmake configure of examples-cpp",
        Command::new("cmake")
            .arg("-S")
            .arg(repo("examples-cpp"))
            .arg("-B")
            .arg(&build)
            .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display())),
    );
    succeed("cmake --build", Command::new("cmake").arg("--build").arg(&build));
    for program in ["pinning_check", "pinning_check_static"] {
        let out = succeed(
            program,
            Command::new(build.join(program)).arg(repo("testdata")).env_remove("LD_LIBRARY_PATH"),
        );
        assert!(out.ends_with("all checks passed\n"), "{program}:\n{out}");
    }
    assert!(
        dynamic_entries(&build.join("pinning_check")).contains(&so_major),
        "pinning_check is not linked against {so_major}"
    );
    assert!(
        !dynamic_entries(&build.join("pinning_check_static")).contains("libcertpin"),
        "pinning_check_static needs a libcertpin shared library"
    );
    let newer = format!("{}.0", MAJOR.parse::<u32>().unwrap() + 1);
    let refused = run(Command::new("cmake")
        .arg("-S")
        .arg(repo("examples-cpp"))
        .arg("-B")
        .arg(tmp.join("cmake-newer"))
        .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()))
        .arg(format!("-DCERTPIN_MIN_VERSION={newer}")));
    assert!(
        !refused.status.success()
            && String::from_utf8_lossy(&refused.stderr).contains("not compatible"),
        "find_package(certpin {newer}) accepted {VERSION}:\n{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // 4. C, static, through pkg-config --static, from a static-only install in its own LIBDIR.
    let static_prefix = tmp.join("static");
    let static_lib = static_prefix.join("lib64");
    let static_vars =
        [var("PREFIX", &static_prefix), var("LIBDIR", &static_lib), "LIBRARY_TYPES=static".into()];
    make("install", &static_vars);
    assert!(static_lib.join("libcertpin.a").is_file(), "no lib64/libcertpin.a");
    assert!(!static_lib.join("libcertpin.so").exists(), "a static-only install has a .so");
    let static_program = tmp.join("verify_chain_static");
    succeed(
        "gcc verify_chain.c $(pkg-config --static --cflags --libs certpin)",
        Command::new("gcc")
            .args(STRICT_C)
            .arg(repo("examples-c/verify_chain.c"))
            .args(pkg_config(&static_lib.join("pkgconfig"), &["--static", "--cflags", "--libs"]))
            .arg("-o")
            .arg(&static_program),
    );
    assert!(
        !dynamic_entries(&static_program).contains("libcertpin"),
        "the static build needs a libcertpin shared library"
    );
    check_verify_chain(&static_program, None);

    // 5. DESTDIR: files land under the staging root, paths inside them do not name it.
    let stage = tmp.join("stage");
    let destdir_vars = [var("DESTDIR", &stage), "PREFIX=/opt/certpin".to_owned()];
    make("install", &destdir_vars);
    let staged_pc =
        std::fs::read_to_string(stage.join("opt/certpin/lib/pkgconfig/certpin.pc")).unwrap();
    assert!(staged_pc.starts_with("prefix=/opt/certpin\n"), "staged certpin.pc:\n{staged_pc}");
    assert!(!staged_pc.contains(&stage.display().to_string()), "certpin.pc names DESTDIR");

    // 6. make uninstall removes every file install made, in each layout.
    make("uninstall", &[var("PREFIX", &prefix)]);
    make("uninstall", &static_vars);
    make("uninstall", &destdir_vars);
    for root in [&prefix, &static_prefix, &stage] {
        let left = files_under(root);
        assert!(left.is_empty(), "make uninstall left {left:?}");
    }
}

/// The mobile build script cannot run here (no Xcode, no NDK): it must at least parse, and
/// refuse to guess what to build.
#[test]
fn mobile_build_script_parses_and_asks_for_a_platform() {
    let script = repo("scripts/build-mobile.sh");
    succeed("bash -n scripts/build-mobile.sh", Command::new("bash").arg("-n").arg(&script));
    let output = run(Command::new("bash").arg(&script));
    assert_eq!(output.status.code(), Some(2), "without a platform: {output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage:"), "{output:?}");
}
