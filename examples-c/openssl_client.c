/*
 * openssl_client: an OpenSSL 3 HTTPS client that pins the server's keys with certpin.
 *
 *   openssl_client --cafile FILE [--pin PATTERN=sha256/...]... [--anchor ROOT.der]...
 *                  [--no-pinning] [--at UNIX_TIME] HOST PORT
 *
 * Connects to 127.0.0.1:PORT, sends HOST as SNI and verifies the server as HOST:
 * --cafile      the platform trust store stand-in: a PEM bundle OpenSSL trusts (it may
 *               hold a user-installed proxy CA, which is what pinning guards against).
 * --pin         pin a key for a host pattern (repeatable; the same pattern again adds a
 *               backup pin).
 * --anchor      a DER root for certpin's own path validation (repeatable; without any,
 *               certpin uses the built-in Mozilla roots).
 * --no-pinning  the control: OpenSSL's check only, certpin is not asked.
 * --at          certpin checks at this time (seconds since the Unix epoch); OpenSSL's own
 *               check always uses the current time.
 *
 * During the handshake the verify callback (pin_verify_openssl.h) runs OpenSSL's check,
 * then certpin's, printing "certpin: PIN_..." and logging certpin's explanation on stderr.
 * On success the program sends "GET / HTTP/1.0", prints "connected: <status line>" and
 * exits 0; a refused certificate prints "refused" and exits 1; anything else exits 2.
 *
 * Build:
 *   gcc -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Iinclude \
 *       examples-c/openssl_client.c target/release/libcertpin.a \
 *       -lssl -lcrypto -lpthread -ldl -lm -o openssl_client
 */

#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "certpin.h"
#include "pin_client.h"
#include "pin_verify_openssl.h"

static const char *program = "openssl_client";

/*
 * Sends the request and reads the whole response (until the server closes), keeping its
 * status line in line. Returns 0, or -1 after reporting the error.
 */
static int http_get(SSL *ssl, pin_client_status_line *line)
{
    static const char request[] = "GET / HTTP/1.0\r\n\r\n";
    char buffer[4096];
    size_t written;

    if (SSL_write_ex(ssl, request, sizeof request - 1, &written) != 1) {
        fprintf(stderr, "%s: sending the request failed\n", program);
        ERR_print_errors_fp(stderr);
        return -1;
    }
    for (;;) {
        size_t got;

        if (SSL_read_ex(ssl, buffer, sizeof buffer, &got) != 1) {
            /* A close_notify, or (with SSL_OP_IGNORE_UNEXPECTED_EOF) a plain close. */
            if (SSL_get_error(ssl, 0) == SSL_ERROR_ZERO_RETURN) {
                break;
            }
            fprintf(stderr, "%s: reading the response failed\n", program);
            ERR_print_errors_fp(stderr);
            return -1;
        }
        pin_client_status_line_add(line, buffer, got);
    }
    return pin_client_status_line_check(program, line);
}

/* Whether host is an IP address literal (which is not sent as SNI). */
static int is_ip_address(const char *host)
{
    ASN1_OCTET_STRING *ip = a2i_IPADDRESS(host);

    ASN1_OCTET_STRING_free(ip);
    return ip != NULL;
}

/* Connects, verifies and fetches "/". Returns the exit status. */
static int run(const pin_client_args *args)
{
    int status = PIN_CLIENT_ERROR;
    char address[64];
    pin_client_status_line line = PIN_CLIENT_STATUS_LINE_INIT;
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    BIO *bio = NULL;
    long verify_result;
    /* The callback's arg: the store and --at; the host comes from the connection. */
    pin_openssl_config config = {args->store, NULL, args->have_time, args->unix_time};

    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        fprintf(stderr, "%s: cannot make an SSL_CTX\n", program);
        goto done;
    }
    /* The trust store OpenSSL checks against: only the given bundle. */
    if (SSL_CTX_load_verify_file(ctx, args->cafile) != 1) {
        fprintf(stderr, "%s: cannot load CA certificates from %s\n", program, args->cafile);
        goto done;
    }
    /* Without SSL_VERIFY_PEER a failed check would not stop the handshake. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (!args->no_pinning) {
        /* Replaces OpenSSL's X509_verify_cert call; the callback makes it itself first. */
        SSL_CTX_set_cert_verify_callback(ctx, pin_openssl_verify_callback, &config);
    }

    snprintf(address, sizeof address, "127.0.0.1:%s", args->port);
    bio = BIO_new_connect(address);
    if (bio == NULL || BIO_do_connect(bio) <= 0) {
        fprintf(stderr, "%s: cannot connect to %s\n", program, address);
        ERR_print_errors_fp(stderr);
        goto done;
    }
    ssl = SSL_new(ctx);
    if (ssl == NULL) {
        fprintf(stderr, "%s: cannot make an SSL\n", program);
        goto done;
    }
    SSL_set_bio(ssl, bio, bio); /* ssl owns the BIO from here */
    bio = NULL;
    /* SNI, and the name OpenSSL checks the leaf against (SSL_set1_host takes IPs too). */
    if ((!is_ip_address(args->host) && SSL_set_tlsext_host_name(ssl, args->host) != 1) ||
        SSL_set1_host(ssl, args->host) != 1) {
        fprintf(stderr, "%s: cannot use %s as the host name\n", program, args->host);
        goto done;
    }

    if (SSL_connect(ssl) != 1) {
        verify_result = SSL_get_verify_result(ssl);
        if (verify_result != X509_V_OK) {
            fprintf(stderr, "%s: handshake refused: %s\n", program,
                    X509_verify_cert_error_string(verify_result));
            ERR_clear_error();
            printf("refused\n");
            status = PIN_CLIENT_REFUSED;
        } else {
            fprintf(stderr, "%s: TLS handshake with %s failed\n", program, address);
            ERR_print_errors_fp(stderr);
        }
        goto done;
    }

    if (http_get(ssl, &line) != 0) {
        goto done;
    }
    printf("connected: %s\n", line.text);
    SSL_shutdown(ssl); /* answers the server's close_notify; a failure changes nothing */
    status = PIN_CLIENT_CONNECTED;

done:
    SSL_free(ssl);
    BIO_free_all(bio);
    SSL_CTX_free(ctx);
    return status;
}

int main(int argc, char **argv)
{
    int status = pin_client_main(&program, argc, argv, run);

    OPENSSL_cleanup();
    return status;
}
