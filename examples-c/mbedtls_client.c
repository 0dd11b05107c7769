/*
 * mbedtls_client: an Mbed TLS 2.28 HTTPS client that pins the server's keys with certpin.
 *
 *   mbedtls_client --cafile FILE [--pin PATTERN=sha256/...]... [--anchor ROOT.der]...
 *                  [--no-pinning] [--at UNIX_TIME] HOST PORT
 *
 * The command line is that of openssl_client (pin_client.h): connects to 127.0.0.1:PORT,
 * sends HOST as SNI and verifies the server as HOST against the PEM bundle --cafile; with
 * --no-pinning (the control) Mbed TLS's check alone decides.
 *
 * During the handshake the verify callback (pin_verify_mbedtls.h) gets Mbed TLS's verdict on
 * each certificate and, at the leaf, certpin's on the chain, printing "certpin: PIN_..." and
 * logging certpin's explanation on stderr. On success the program sends "GET / HTTP/1.0",
 * prints "connected: <status line>" and exits 0; a refused certificate prints "refused" and
 * exits 1; anything else exits 2.
 *
 * Build:
 *   gcc -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Iinclude \
 *       examples-c/mbedtls_client.c target/release/libcertpin.a \
 *       -lmbedtls -lmbedx509 -lmbedcrypto -lpthread -ldl -lm -o mbedtls_client
 */

#include <stdio.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "certpin.h"
#include "pin_client.h"
#include "pin_verify_mbedtls.h"

static const char *program = "mbedtls_client";

/* Prints "PROGRAM: what: Mbed TLS's text for code" on stderr. */
static void report(const char *what, int code)
{
    char text[256];

    mbedtls_strerror(code, text, sizeof text);
    fprintf(stderr, "%s: %s: %s (-0x%04x)\n", program, what, text, (unsigned)-code);
}

/*
 * Sends the request and reads the whole response (until the server closes), keeping its
 * status line in line. Returns 0, or -1 after reporting the error.
 */
static int http_get(mbedtls_ssl_context *ssl, pin_client_status_line *line)
{
    static const unsigned char request[] = "GET / HTTP/1.0\r\n\r\n";
    unsigned char buffer[4096];
    size_t sent = 0;
    int rc;

    while (sent < sizeof request - 1) {
        rc = mbedtls_ssl_write(ssl, request + sent, sizeof request - 1 - sent);
        if (rc < 0) {
            report("sending the request failed", rc);
            return -1;
        }
        sent += (size_t)rc;
    }
    for (;;) {
        rc = mbedtls_ssl_read(ssl, buffer, sizeof buffer);
        /* The end: a close_notify, or a plain close of the connection. */
        if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            break;
        }
        if (rc < 0) {
            report("reading the response failed", rc);
            return -1;
        }
        pin_client_status_line_add(line, buffer, (size_t)rc);
    }
    return pin_client_status_line_check(program, line);
}

/* Connects, verifies and fetches "/". Returns the exit status. */
static int run(const pin_client_args *args)
{
    static const char personalization[] = "certpin mbedtls_client";
    int status = PIN_CLIENT_ERROR;
    pin_client_status_line line = PIN_CLIENT_STATUS_LINE_INIT;
    /* The callback's arg: the store, the host (the callback cannot see the connection), --at. */
    pin_mbedtls_config config = {args->store, args->host, args->have_time, args->unix_time};
    mbedtls_net_context net;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt trust_store;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    int rc;

    mbedtls_net_init(&net);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_x509_crt_init(&trust_store);
    mbedtls_ssl_config_init(&conf);
    mbedtls_ssl_init(&ssl);

    rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                               (const unsigned char *)personalization, sizeof personalization);
    if (rc != 0) {
        report("cannot seed the random generator", rc);
        goto done;
    }
    /* The trust store Mbed TLS checks against: only the given bundle. A positive result
       counts certificates it could not read: refuse a partly read bundle too. */
    rc = mbedtls_x509_crt_parse_file(&trust_store, args->cafile);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot load CA certificates from %s\n", program, args->cafile);
        if (rc < 0) {
            report("mbedtls_x509_crt_parse_file", rc);
        }
        goto done;
    }
    rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                     MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc != 0) {
        report("mbedtls_ssl_config_defaults", rc);
        goto done;
    }
    mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_ca_chain(&conf, &trust_store, NULL);
    /* Without REQUIRED a failed check would not stop the handshake. */
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);

    rc = mbedtls_ssl_setup(&ssl, &conf);
    if (rc != 0) {
        report("mbedtls_ssl_setup", rc);
        goto done;
    }
    /* SNI, and the name Mbed TLS checks the leaf against. */
    rc = mbedtls_ssl_set_hostname(&ssl, args->host);
    if (rc != 0) {
        report("cannot use HOST as the host name", rc);
        goto done;
    }
    if (!args->no_pinning) {
        mbedtls_ssl_set_verify(&ssl, pin_mbedtls_verify_callback, &config);
    }

    rc = mbedtls_net_connect(&net, "127.0.0.1", args->port, MBEDTLS_NET_PROTO_TCP);
    if (rc != 0) {
        report("cannot connect to 127.0.0.1", rc);
        goto done;
    }
    mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);

    do {
        rc = mbedtls_ssl_handshake(&ssl);
    } while (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (rc != 0) {
        uint32_t flags = mbedtls_ssl_get_verify_result(&ssl);

        if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
            char reason[512];

            if (mbedtls_x509_crt_verify_info(reason, sizeof reason, "", flags) < 0) {
                reason[0] = '\0';
            }
            fprintf(stderr, "%s: handshake refused: %s", program, reason);
            printf("refused\n");
            status = PIN_CLIENT_REFUSED;
        } else {
            report("TLS handshake failed", rc);
        }
        goto done;
    }

    if (http_get(&ssl, &line) != 0) {
        goto done;
    }
    printf("connected: %s\n", line.text);
    mbedtls_ssl_close_notify(&ssl); /* a failure changes nothing */
    status = PIN_CLIENT_CONNECTED;

done:
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&trust_store);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    mbedtls_net_free(&net);
    return status;
}

int main(int argc, char **argv)
{
    return pin_client_main(&program, argc, argv, run);
}
