//! certpin inside two more C TLS stacks, against a live TLS server: `mbedtls_client.c`
//! (Mbed TLS 2.28, through its verify callback: `pin_verify_mbedtls.h`) and
//! `gnutls_client.c` (GnuTLS 3, through the session's verify function:
//! `pin_verify_gnutls.h`).
//!
//! Each client is built plainly and under AddressSanitizer + UBSan and run against
//! `openssl s_server` on 127.0.0.1: the genuine chain is accepted; a MITM chain from a rogue
//! CA the client's trust store holds is refused with `PIN_ERR_PIN_MISMATCH`, also with the
//! genuine pinned intermediate appended; the same client with `--no-pinning` accepts the MITM
//! chain (the control). The cases are those of the OpenSSL and libcurl clients
//! (`support/tls_clients.rs`). Needs `libmbedtls-dev` and `libgnutls28-dev`: without them the
//! tests fail and name the package.

#[path = "support/tls_server.rs"]
mod tls_server;

#[path = "support/static_lib.rs"]
mod static_lib;

#[path = "support/temp_dir.rs"]
mod temp_dir;

#[path = "support/tls_clients.rs"]
mod tls_clients;
use tls_clients::{Client, check_client};

const MBEDTLS_CLIENT: Client = Client {
    name: "mbedtls_client",
    libs: &["-lmbedtls", "-lmbedx509", "-lmbedcrypto"],
    header: "mbedtls/ssl.h",
    package: "libmbedtls-dev",
};

const GNUTLS_CLIENT: Client = Client {
    name: "gnutls_client",
    libs: &["-lgnutls"],
    header: "gnutls/gnutls.h",
    package: "libgnutls28-dev",
};

#[test]
fn mbedtls_client_refuses_mitm_chains_its_trust_store_accepts() {
    check_client(&MBEDTLS_CLIENT);
}

#[test]
fn gnutls_client_refuses_mitm_chains_its_trust_store_accepts() {
    check_client(&GNUTLS_CLIENT);
}
