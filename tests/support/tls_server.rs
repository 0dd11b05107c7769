//! A real TLS server on 127.0.0.1 for end-to-end tests: `openssl s_server` on a free port,
//! started by the test and stopped by PID when dropped, so none is ever left behind.
//!
//! Include it with `#[path = "support/tls_server.rs"] mod tls_server;`.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What the server presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// The genuine chain: leaf.pem and intermediate-ca.pem (root: root-ca.pem).
    Genuine,
    /// A man-in-the-middle leaf for api.example.com from the rogue CA (root: rogue-ca.pem).
    Mitm,
    /// The MITM leaf with the genuine, pinned intermediate appended to the chain.
    MitmWithGenuineIntermediate,
}

/// The bundled sample directory, at the repository root: the nearest `testdata/` above the
/// package that compiles this file (the library, or the CLI in `cli/`).
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("testdata"))
        .find(|dir| dir.is_dir())
        .expect("a testdata/ directory at the repository root")
}

/// A running `openssl s_server`; killed and reaped on drop.
pub struct TlsServer {
    child: Child,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
}

impl TlsServer {
    /// Starts a server presenting `served`, answering HTTP GETs (`-www`), and waits until it
    /// accepts connections.
    pub fn start(served: Served) -> Self {
        let data = testdata();
        let (cert, key, chain) = match served {
            Served::Genuine => ("leaf.pem", "leaf.key", Some("intermediate-ca.pem")),
            Served::Mitm => ("mitm-leaf.pem", "mitm-leaf.key", None),
            Served::MitmWithGenuineIntermediate => {
                ("mitm-leaf.pem", "mitm-leaf.key", Some("intermediate-ca.pem"))
            }
        };
        Self::start_files(&data.join(cert), &data.join(key), chain.map(|c| data.join(c)).as_deref())
    }

    /// Starts a server presenting the certificate (PEM) with its private key (PEM) and, when
    /// given, the rest of the chain (PEM), and waits until it accepts connections.
    pub fn start_files(cert: &Path, key: &Path, chain: Option<&Path>) -> Self {
        // Up to three tries: another process may take the free port between probe and bind.
        for _ in 0..3 {
            let port = free_port();
            let mut command = Command::new("openssl");
            command
                .arg("s_server")
                .arg("-accept")
                .arg(format!("127.0.0.1:{port}"))
                .arg("-cert")
                .arg(cert)
                .arg("-key")
                .arg(key)
                .args(["-www", "-quiet", "-naccept", "1000"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Some(chain) = chain {
                command.arg("-cert_chain").arg(chain);
            }
            let child = command.spawn().expect("openssl s_server starts");
            let mut server = Self { child, port };
            if server.wait_ready(Duration::from_secs(10)) {
                return server;
            }
        }
        panic!("openssl s_server did not start");
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn wait_ready(&mut self, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()).expect("bind port 0").port()
}
