//! What every subcommand shares: how it ends, how it fails, reading files, JSON output.

use std::fmt::Display;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

/// How a subcommand that ran to the end came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The answer is yes: `PIN_OK`, no lint error, the file was written (exit 0).
    Ok,
    /// The answer is no: another verdict, or lint errors (exit 1).
    Negative,
    /// The command ran to the end but could not check everything it was asked to (exit 2),
    /// as when `monitor` cannot reach a host; what it could check is in its report.
    Incomplete,
}

/// Why a subcommand could not do its job (exit 2): one line naming the file and the problem.
#[derive(Debug)]
pub struct Failure(pub String);

impl Failure {
    /// A problem with the file at `path`.
    pub fn file(path: &Path, problem: impl Display) -> Self {
        Self(format!("{}: {problem}", path.display()))
    }
}

/// The bytes of the file at `path`.
pub fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|error| Failure::file(path, error))
}

/// Prints `value` on standard output as one pretty-printed JSON document.
pub fn print_json(value: &impl Serialize) {
    // Our report types always serialise (string keys, no failing Serialize impls).
    let text = serde_json::to_string_pretty(value).expect("reports serialise to JSON");
    println!("{text}");
}

/// Serialises a value by its `Display` text (a `Pin` as `sha256/...`).
pub fn as_text<T: Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Seconds since the Unix epoch, now.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}
