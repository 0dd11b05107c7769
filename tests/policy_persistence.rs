//! Saving a store's policy survives a crash: a writer process saving again and again is
//! killed (SIGKILL) at random moments, and the file it was writing must then hold the old
//! document or the new one, whole, every time. Loading it back gives the same policy.
//!
//! A killed process cannot show what a power cut would (the kernel still writes its page
//! cache out): that the data reaches the disk before the rename makes it the file. So a save
//! is also run under `strace`, and the system calls must come in the durable order: every
//! write of the temporary file, then its fsync, then the rename over the target, then an
//! fsync of the directory that holds the new name.

use std::ffi::{CString, c_char};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use certpin::*;

const PIN_A: &str = "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const PIN_B: &str = "sha256/ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

/// Domains per policy: documents of about 300 KiB.
const DOMAINS: usize = 2000;

/// A store with `count` pinned domains named after `label`: large enough (hundreds of KiB)
/// that a kill often lands mid-write. Loaded as one document, as an app would.
fn store_with(label: &str, count: usize) -> *mut pin_store {
    let domains: Vec<String> = (0..count)
        .map(|i| format!(r#""host{i}.{label}.example.com": {{"pins": ["{PIN_A}", "{PIN_B}"]}}"#))
        .collect();
    let json = format!(r#"{{"certpin_policy": 1, "domains": {{{}}}}}"#, domains.join(","));
    let store = pin_store_new();
    // SAFETY: live store, a readable document, no error buffer.
    let code =
        unsafe { pin_store_load_policy(store, json.as_ptr(), json.len(), std::ptr::null_mut(), 0) };
    assert_eq!(code, PIN_OK);
    store
}

fn export(store: *const pin_store) -> String {
    let mut needed = 0usize;
    // SAFETY: live store; a NULL buffer only asks for the size.
    let code = unsafe { pin_store_export_policy(store, std::ptr::null_mut(), 0, &mut needed) };
    assert_eq!(code, PIN_ERR_NULL_ARGUMENT);
    let mut out = vec![0 as c_char; needed];
    // SAFETY: a buffer of the size asked for.
    let code = unsafe { pin_store_export_policy(store, out.as_mut_ptr(), out.len(), &mut needed) };
    assert_eq!(code, PIN_OK);
    // SAFETY: NUL-terminated on success.
    unsafe { std::ffi::CStr::from_ptr(out.as_ptr()) }.to_str().unwrap().to_owned()
}

fn c_path(path: &Path) -> CString {
    CString::new(path.to_str().unwrap()).unwrap()
}

/// Run by `a_killed_writer_never_leaves_a_torn_file` as a child process: saves two policies
/// in turn to the file named by CERTPIN_WRITER_TARGET until it is killed.
#[test]
#[ignore = "a child process of a_killed_writer_never_leaves_a_torn_file"]
fn writer_child() {
    let target = std::env::var("CERTPIN_WRITER_TARGET").expect("run by the parent test");
    let path = c_path(Path::new(&target));
    let marker = std::env::var("CERTPIN_WRITER_MARKER").expect("run by the parent test");
    let stores = [store_with("a", DOMAINS), store_with("b", DOMAINS)];
    for round in 0.. {
        // SAFETY: live stores, NUL-terminated path.
        let code = unsafe { pin_store_save(stores[round % 2], path.as_ptr()) };
        assert_eq!(code, PIN_OK);
        if round == 0 {
            std::fs::write(&marker, b"writing").unwrap();
        }
    }
}

/// Whether `dir` holds a file besides the target and the marker: a save's temporary file.
fn writing(dir: &Path, target: &Path, marker: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let path = entry.path();
            path != target && path != marker
        })
    })
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("certpin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_killed_writer_never_leaves_a_torn_file() {
    let expected = [export(store_with("a", DOMAINS)), export(store_with("b", DOMAINS))];
    assert!(expected[0].len() > 200_000, "documents large enough to be caught mid-write");
    let dir = scratch_dir("persist");
    let target = dir.join("policy.json");
    let marker = dir.join("writer-started");
    let mut seen = [0usize; 2];
    let mut torn_writes = 0;
    let mut rounds = 0u64;
    // At least 6 kills, and more (up to 40) until one has landed mid-write.
    while rounds < 6 || (torn_writes == 0 && rounds < 40) {
        let round = rounds;
        rounds += 1;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "writer_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env("CERTPIN_WRITER_TARGET", &target)
            .env("CERTPIN_WRITER_MARKER", &marker)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Let it write for a while, a different while each round, then kill it outright.
        let start = Instant::now();
        while !marker.exists() && start.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(marker.exists(), "the writer saved once");
        std::thread::sleep(Duration::from_millis(20 + (round * 37) % 150));
        // Most rounds kill the moment a temporary file is seen (a write under way, so the kill
        // is likely to cut it: a test that only hoped to land there was flaky); every third
        // round kills wherever the writer happens to be.
        if round % 3 != 2 {
            let seen_at = Instant::now();
            while !writing(&dir, &target, &marker) && seen_at.elapsed() < Duration::from_secs(2) {
                std::hint::spin_loop();
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        std::fs::remove_file(&marker).unwrap();
        // A temporary file left behind is a write the kill cut short: the case this is about.
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path != target {
                torn_writes += 1;
                std::fs::remove_file(path).unwrap();
            }
        }

        let on_disk = std::fs::read_to_string(&target).unwrap();
        let which = expected.iter().position(|doc| *doc == on_disk);
        let which = which
            .unwrap_or_else(|| panic!("round {round}: a torn file of {} bytes", on_disk.len()));
        seen[which] += 1;

        // And a store loads it back to the same policy.
        let store = pin_store_new();
        let mut error = [0 as c_char; 256];
        // SAFETY: live store, NUL-terminated path, an error buffer.
        let code = unsafe {
            pin_store_load_file(store, c_path(&target).as_ptr(), error.as_mut_ptr(), error.len())
        };
        assert_eq!(code, PIN_OK);
        assert_eq!(export(store), on_disk);
        // SAFETY: made above.
        unsafe { pin_store_free(store) };
    }
    assert!(torn_writes > 0, "no kill landed mid-write in {rounds} rounds: nothing was proved");
    println!(
        "after {rounds} kills: {} whole documents a, {} b; {torn_writes} writes cut short",
        seen[0], seen[1]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn save_to_an_unwritable_place_is_an_io_error_and_changes_nothing() {
    let store = store_with("c", 2);
    let path = CString::new("/nonexistent-dir/certpin/policy.json").unwrap();
    // SAFETY: live store, NUL-terminated path.
    assert_eq!(unsafe { pin_store_save(store, path.as_ptr()) }, PIN_ERR_IO);
    let mut error = [0 as c_char; 256];
    // SAFETY: as above, with an error buffer.
    let code =
        unsafe { pin_store_load_file(store, path.as_ptr(), error.as_mut_ptr(), error.len()) };
    assert_eq!(code, PIN_ERR_IO);
    // SAFETY: NUL-terminated by the call.
    let text = unsafe { std::ffi::CStr::from_ptr(error.as_ptr()) }.to_string_lossy();
    assert!(text.starts_with("/nonexistent-dir/certpin/policy.json: "), "{text}");
    let fresh = store_with("c", 2);
    assert_eq!(export(store), export(fresh));
    // SAFETY: made above, each freed once.
    unsafe {
        pin_store_free(store);
        pin_store_free(fresh);
    }
}

/// Run by `a_save_flushes_the_data_before_the_rename` under strace: saves a small store once.
#[test]
#[ignore = "a child process of a_save_flushes_the_data_before_the_rename"]
fn save_child() {
    let target = std::env::var("CERTPIN_SAVE_TARGET").expect("run by the parent test");
    let store = store_with("d", 3);
    // SAFETY: a live store, a NUL-terminated path.
    assert_eq!(unsafe { pin_store_save(store, c_path(Path::new(&target)).as_ptr()) }, PIN_OK);
    // SAFETY: made above.
    unsafe { pin_store_free(store) };
}

/// One traced system call on a path of interest: its name, the path it acted on (with
/// `strace -y`, the file behind the descriptor) and, for a rename, the new name.
#[derive(Debug, PartialEq)]
struct Call {
    name: String,
    path: String,
    to: Option<String>,
}

/// Parses `strace -f -y` lines such as `123 fsync(3</d/.policy.json.tmp-9-0>) = 0` and
/// `123 rename("/d/.policy.json.tmp-9-0", "/d/policy.json") = 0`, keeping successful calls
/// that name a path under `dir`.
fn traced_calls(log: &str, dir: &str) -> Vec<Call> {
    let quoted = |text: &str| -> Vec<String> {
        text.split('"').skip(1).step_by(2).map(str::to_owned).collect()
    };
    let mut calls = Vec::new();
    for line in log.lines() {
        // "PID name(args) = result"; resumed and signal lines do not match and are skipped.
        let Some((call, result)) = line.rsplit_once(" = ") else { continue };
        if !result.trim_start().starts_with('0') && !line.contains("write(") {
            continue;
        }
        let call = call.split_once(' ').map_or(call, |(_, rest)| rest).trim_start();
        let Some((name, args)) = call.split_once('(') else { continue };
        let (path, to) = if name.starts_with("rename") {
            let names = quoted(args);
            let Some([from, to]) =
                names.get(names.len().saturating_sub(2)..).map(|n| [&n[0], &n[1]])
            else {
                continue;
            };
            (from.clone(), Some(to.clone()))
        } else {
            // The descriptor's path: between the first '<' and its '>'.
            let Some(path) = args.split_once('<').and_then(|(_, rest)| rest.split_once('>')) else {
                continue;
            };
            (path.0.to_owned(), None)
        };
        if path.starts_with(dir) {
            calls.push(Call { name: name.to_owned(), path, to });
        }
    }
    calls
}

#[test]
fn a_save_flushes_the_data_before_the_rename() {
    let dir = scratch_dir("durable");
    // strace -y prints the canonical path; the scratch directory may sit behind a symlink.
    let dir = std::fs::canonicalize(&dir).unwrap();
    let target = dir.join("policy.json");
    let log = dir.join("strace.log");
    let status = strace()
        .args(["-f", "-y", "-e", "trace=write,fsync,fdatasync,rename,renameat,renameat2", "-o"])
        .arg(&log)
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "save_child", "--ignored", "--test-threads=1"])
        .env("CERTPIN_SAVE_TARGET", &target)
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|error| {
            panic!("strace could not run ({error}): install it with `apt-get install strace`")
        });
    assert!(status.success(), "the traced save failed: {status}");
    assert!(std::fs::read_to_string(&target).unwrap().contains("host0.d.example.com"));
    let calls = traced_calls(&std::fs::read_to_string(&log).unwrap(), dir.to_str().unwrap());
    let target_name = target.to_str().unwrap();

    // The one rename onto the target, from a temporary file in the same directory.
    let renames: Vec<usize> =
        (0..calls.len()).filter(|&i| calls[i].to.as_deref() == Some(target_name)).collect();
    assert_eq!(renames.len(), 1, "one rename onto the target: {calls:#?}");
    let rename = renames[0];
    let temporary = calls[rename].path.clone();
    assert_ne!(temporary, target_name);
    let flushes = |path: &str, range: std::ops::Range<usize>| {
        range
            .filter(|&i| {
                calls[i].path == path && matches!(calls[i].name.as_str(), "fsync" | "fdatasync")
            })
            .collect::<Vec<usize>>()
    };
    // The data: written to the temporary file, then flushed, all before the rename.
    let writes: Vec<usize> = (0..calls.len())
        .filter(|&i| calls[i].name == "write" && calls[i].path == temporary)
        .collect();
    assert!(!writes.is_empty(), "the document is written to {temporary}: {calls:#?}");
    assert!(writes.iter().all(|&i| i < rename), "no write after the rename: {calls:#?}");
    let last_write = *writes.last().unwrap();
    assert!(
        !flushes(&temporary, last_write..rename).is_empty(),
        "the temporary file is flushed after its last write and before the rename: {calls:#?}"
    );
    // The new name: the directory is flushed after the rename.
    assert!(
        !flushes(dir.to_str().unwrap(), rename..calls.len()).is_empty(),
        "the directory is flushed after the rename: {calls:#?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `pin_store_save(store, path)`, with a small store.
fn save_small(path: &Path) -> u32 {
    let store = store_with("small", 2);
    // SAFETY: live store, NUL-terminated path.
    let code = unsafe { pin_store_save(store, c_path(path).as_ptr()) };
    // SAFETY: made above, freed once.
    unsafe { pin_store_free(store) };
    code
}

#[test]
fn save_keeps_the_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch_dir("mode");
    let target = dir.join("policy.json");
    for mode in [0o600, 0o640, 0o444] {
        std::fs::write(&target, b"{}").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode)).unwrap();
        assert_eq!(save_small(&target), PIN_OK);
        let kept = std::fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
        assert_eq!(kept, mode, "a {mode:o} file became {kept:o}");
        assert!(std::fs::read_to_string(&target).unwrap().contains("small.example.com"));
        std::fs::remove_file(&target).unwrap();
    }
}

#[test]
fn save_through_a_symlink_writes_its_target_and_keeps_the_link() {
    let dir = scratch_dir("symlink");
    let real_dir = dir.join("real");
    std::fs::create_dir(&real_dir).unwrap();
    let target = real_dir.join("policy.json");
    std::fs::write(&target, b"{}").unwrap();
    // A relative link, followed from the link's own directory, through a second link.
    let link = dir.join("policy.json");
    std::os::unix::fs::symlink("real/policy.json", &link).unwrap();
    let outer = dir.join("current.json");
    std::os::unix::fs::symlink(&link, &outer).unwrap();
    assert_eq!(save_small(&outer), PIN_OK);
    for path in [&link, &outer] {
        let meta = std::fs::symlink_metadata(path).unwrap();
        assert!(meta.file_type().is_symlink(), "{} is still a link", path.display());
    }
    assert!(std::fs::read_to_string(&target).unwrap().contains("small.example.com"));
    // No temporary file left in either directory.
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&dir), ["current.json", "policy.json", "real"]);
    assert_eq!(names(&real_dir), ["policy.json"]);
}

#[test]
fn a_temporary_file_left_by_an_earlier_process_does_not_stop_a_save() {
    let dir = scratch_dir("stale-temporary");
    let target = dir.join("policy.json");
    // What a killed writer with this process's pid left (names as earlier versions made
    // them): none may be opened, replaced or fail the save.
    let pid = std::process::id();
    for n in 0..4 {
        std::fs::write(dir.join(format!(".policy.json.tmp-{pid}-{n}")), b"stale").unwrap();
    }
    assert_eq!(save_small(&target), PIN_OK);
    assert_eq!(save_small(&target), PIN_OK);
    assert!(std::fs::read_to_string(&target).unwrap().contains("small.example.com"));
    for n in 0..4 {
        let stale = std::fs::read(dir.join(format!(".policy.json.tmp-{pid}-{n}"))).unwrap();
        assert_eq!(stale, b"stale");
    }
}

/// Run by `save_flushes_the_directory_the_file_lives_in` under strace: saves to the path in
/// CERTPIN_SAVE_PATH (relative to its working directory).
#[test]
#[ignore = "a child process of save_flushes_the_directory_the_file_lives_in"]
fn saver_child() {
    let path = std::env::var("CERTPIN_SAVE_PATH").expect("run by the parent test");
    assert_eq!(save_small(Path::new(&path)), PIN_OK);
}

/// `strace`, to run a child test process under. LeakSanitizer cannot run under ptrace, so when
/// the suite runs under AddressSanitizer (.ci/sanitizers.sh) the traced child keeps ASan's
/// other checks but not its leak check, which would otherwise fail the child at exit.
fn strace() -> Command {
    let mut command = Command::new("strace");
    let asan = std::env::var("ASAN_OPTIONS").unwrap_or_default();
    command.env("ASAN_OPTIONS", format!("{asan}:detect_leaks=0").trim_start_matches(':'));
    command
}

/// The system calls of `saver_child` saving `path` from `cwd`, as strace records them.
fn traced_save(cwd: &Path, path: &str) -> String {
    let log = cwd.join("strace.log");
    let status = strace()
        .args(["-f", "-qq", "-e", "trace=openat,open,fsync,fdatasync,rename,renameat,renameat2"])
        .arg("-o")
        .arg(&log)
        .arg(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "saver_child", "--test-threads=1", "-q"])
        .env("CERTPIN_SAVE_PATH", path)
        .current_dir(cwd)
        .stdout(Stdio::null())
        .status()
        .expect("strace is missing: apt-get install strace (listed in .ci/apt-packages)");
    assert!(status.success(), "the traced save failed");
    std::fs::read_to_string(&log).unwrap()
}

/// Whether `trace` opens `dir` and then fsyncs that descriptor after the rename.
fn fsyncs_directory(trace: &str, dir: &str) -> bool {
    let renamed = trace.lines().position(|line| line.contains("rename")).expect("a rename");
    let mut descriptor = None;
    for (index, line) in trace.lines().enumerate() {
        if line.contains("open") && line.contains(&format!("\"{dir}\"")) {
            descriptor = line.rsplit_once("= ").and_then(|(_, fd)| fd.trim().parse::<i32>().ok());
        }
        if index > renamed
            && let Some(fd) = descriptor
            && line.contains(&format!("fsync({fd})"))
        {
            return true;
        }
    }
    false
}

#[test]
fn save_flushes_the_directory_the_file_lives_in() {
    // A bare file name: the directory is the working directory.
    let dir = scratch_dir("dir-fsync");
    let trace = traced_save(&dir, "policy.json");
    assert!(fsyncs_directory(&trace, "."), "no fsync of the working directory:\n{trace}");
    assert!(std::fs::read_to_string(dir.join("policy.json")).unwrap().contains("small"));

    // Through a link into another directory: that directory, not the link's.
    let elsewhere = scratch_dir("dir-fsync-target");
    let target = elsewhere.join("policy.json");
    std::fs::write(&target, b"{}").unwrap();
    std::os::unix::fs::symlink(&target, dir.join("linked.json")).unwrap();
    let trace = traced_save(&dir, "linked.json");
    let real = elsewhere.to_str().unwrap();
    assert!(fsyncs_directory(&trace, real), "no fsync of {real}:\n{trace}");
    assert!(std::fs::read_to_string(&target).unwrap().contains("small"));
}
