//! Writing files so that a crash mid-write leaves the old file or the new one, whole, never a
//! torn one: write a temporary file beside the target, flush it to disk, rename it over the
//! target (atomic on POSIX file systems), then flush the directory entry.
//!
//! A symbolic link is followed: the file it points to is replaced, in that file's directory
//! (which is the one flushed), and the link stays a link. The new file keeps the old one's
//! permission bits; a file that did not exist gets the process's default (0666 less the umask).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ring::rand::{SecureRandom, SystemRandom};

/// Symbolic links followed before giving up (as Linux's `ELOOP` limit).
const MAX_LINKS: usize = 40;

/// Attempts at a fresh temporary name before giving up.
const MAX_ATTEMPTS: usize = 16;

/// Replaces the file at `path` with `bytes`, atomically.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = resolve_links(path)?;
    let (file, temporary) = create_temporary(&target)?;
    let written = fill(file, &target, bytes).and_then(|()| std::fs::rename(&temporary, &target));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    // The rename is durable once the directory it happened in is flushed. Some file systems
    // refuse to open or sync a directory; the file itself is whole either way.
    if let Ok(dir) = File::open(directory_of(&target)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The file `path` names once every symbolic link on its last component is followed (a
/// relative link target is taken from the link's own directory). A path that does not exist
/// yet is itself.
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = directory_of(&current).join(target);
            }
            Ok(_) => return Ok(current),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::new(io::ErrorKind::InvalidInput, "too many levels of symbolic links"))
}

/// The directory a file lives in: `.` for a bare file name.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to the new temporary `file`, with `target`'s permission bits when it
/// exists, and flushes it to disk.
fn fill(mut file: File, target: &Path, bytes: &[u8]) -> io::Result<()> {
    match std::fs::metadata(target) {
        Ok(meta) => file.set_permissions(meta.permissions())?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    file.write_all(bytes)?;
    file.sync_all()
}

/// A new file beside `target` (so the rename stays on one file system), created exclusively
/// under a random name: `.NAME.tmp-` and 16 hex digits. A name that exists (another writer's,
/// or one a killed writer left) is never opened; another is drawn.
fn create_temporary(target: &Path) -> io::Result<(File, PathBuf)> {
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let random = SystemRandom::new();
    for _ in 0..MAX_ATTEMPTS {
        let mut unique = [0u8; 8];
        random
            .fill(&mut unique)
            .map_err(|_| io::Error::other("the system random number generator failed"))?;
        let mut temporary = std::ffi::OsString::from(".");
        temporary.push(name);
        temporary.push(format!(".tmp-{:016x}", u64::from_le_bytes(unique)));
        let temporary = target.with_file_name(temporary);
        match OpenOptions::new().write(true).create_new(true).open(&temporary) {
            Ok(file) => return Ok((file, temporary)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary file name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("certpin-persist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("policy.json");
        write_atomically(&path, b"old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("policy.json")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
