//! The real-client examples of `examples-c/` against a live TLS server: `openssl_client.c`
//! (an OpenSSL 3 client) and `curl_client.c` (libcurl), both with certpin installed as the
//! OpenSSL certificate verify callback (`pin_verify_openssl.h`).
//!
//! Each client is compiled with `-Wall -Wextra -Werror` against the static library, plainly
//! and with AddressSanitizer + UBSan (leak checks on), and run against `openssl s_server`
//! presenting the genuine chain, two man-in-the-middle chains that its trust store accepts,
//! and controls (`support/tls_clients.rs`, shared with the Mbed TLS and GnuTLS clients). The
//! trust store (`--cafile`: OpenSSL's verify file, libcurl's `CURLOPT_CAINFO`) holds both the
//! sample root and the rogue proxy root, as a device with a user-installed proxy CA would.
//! A missing TLS library fails the test with the command that installs it.

#[path = "support/tls_server.rs"]
mod tls_server;

#[path = "support/static_lib.rs"]
mod static_lib;

#[path = "support/temp_dir.rs"]
mod temp_dir;

#[path = "support/tls_clients.rs"]
mod tls_clients;
use tls_clients::{Client, check_client};

const OPENSSL_CLIENT: Client = Client {
    name: "openssl_client",
    libs: &["-lssl", "-lcrypto"],
    header: "openssl/ssl.h",
    package: "libssl-dev",
};

const CURL_CLIENT: Client = Client {
    name: "curl_client",
    libs: &["-lcurl", "-lssl", "-lcrypto"],
    header: "curl/curl.h",
    package: "libcurl4-openssl-dev",
};

#[test]
fn openssl_client_refuses_mitm_chains_its_trust_store_accepts() {
    check_client(&OPENSSL_CLIENT);
}

#[test]
fn curl_client_refuses_mitm_chains_its_trust_store_accepts() {
    check_client(&CURL_CLIENT);
}
