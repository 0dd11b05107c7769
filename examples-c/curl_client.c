/*
 * curl_client: a libcurl HTTPS client that pins the server's keys with certpin.
 *
 *   curl_client --cafile FILE [--pin PATTERN=sha256/...]... [--anchor ROOT.der]...
 *               [--no-pinning] [--at UNIX_TIME] HOST PORT
 *
 * Fetches https://HOST:PORT/ with HOST resolved to 127.0.0.1 (CURLOPT_RESOLVE). The flags,
 * output and exit codes are those of openssl_client.c: "certpin: PIN_..." from the verify
 * callback, then "connected: <status line>" (exit 0) or "refused" (exit 1); other errors
 * exit 2 with curl's error text on stderr.
 *
 * certpin is installed with CURLOPT_SSL_CTX_FUNCTION, which hands over the SSL_CTX curl made
 * for the connection; so this needs libcurl built with OpenSSL (Debian's
 * libcurl4-openssl-dev). libcurl checks the host name itself after the handshake; the
 * callback takes the host from the SNI name curl sends.
 *
 * Build:
 *   gcc -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Iinclude \
 *       examples-c/curl_client.c target/release/libcertpin.a \
 *       -lcurl -lssl -lcrypto -lpthread -ldl -lm -o curl_client
 */

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "certpin.h"
#include "pin_client.h"
#include "pin_verify_openssl.h"

static const char *program = "curl_client";

/*
 * CURLOPT_SSL_CTX_FUNCTION: called with each new SSL_CTX, after curl has loaded the
 * CAfile into it and before the handshake. arg is the const pin_openssl_config *.
 */
static CURLcode install_pinning(CURL *curl, void *ssl_ctx, void *arg)
{
    (void)curl;
    SSL_CTX_set_cert_verify_callback((SSL_CTX *)ssl_ctx, pin_openssl_verify_callback, arg);
    return CURLE_OK;
}

/* CURLOPT_HEADERFUNCTION: keeps the first header line, the status line. */
static size_t keep_status_line(char *data, size_t size, size_t count, void *arg)
{
    pin_client_status_line_add(arg, data, size * count);
    return size * count;
}

/* CURLOPT_WRITEFUNCTION: the body is not needed (the default would print it). */
static size_t drop_body(char *data, size_t size, size_t count, void *arg)
{
    (void)data;
    (void)arg;
    return size * count;
}

/* Fetches https://HOST:PORT/. Returns the exit status. */
static int run(const pin_client_args *args)
{
    int status = PIN_CLIENT_ERROR;
    char url[CERTPIN_MAX_HOST_LEN + 32];
    char resolve_entry[CERTPIN_MAX_HOST_LEN + 32];
    char error[CURL_ERROR_SIZE] = "";
    struct curl_slist *resolve = NULL;
    pin_client_status_line line = PIN_CLIENT_STATUS_LINE_INIT;
    CURL *curl = NULL;
    CURLcode rc;
    /* The callback's arg: the store and --at; the host comes from the connection. */
    pin_openssl_config config = {args->store, NULL, args->have_time, args->unix_time};

    if (strlen(args->host) > CERTPIN_MAX_HOST_LEN) {
        fprintf(stderr, "%s: HOST is longer than %d bytes\n", program, CERTPIN_MAX_HOST_LEN);
        return PIN_CLIENT_ERROR;
    }
    snprintf(url, sizeof url, "https://%s:%s/", args->host, args->port);
    snprintf(resolve_entry, sizeof resolve_entry, "%s:%s:127.0.0.1", args->host, args->port);

    curl = curl_easy_init();
    resolve = curl_slist_append(NULL, resolve_entry);
    if (curl == NULL || resolve == NULL) {
        fprintf(stderr, "%s: cannot set up libcurl\n", program);
        goto done;
    }
    /* Set first, so that every later failure is explained in it. */
    if ((rc = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error)) != CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_URL, url)) != CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https")) != CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve)) != CURLE_OK ||
        /* The trust store curl's OpenSSL checks against: only the given bundle. */
        (rc = curl_easy_setopt(curl, CURLOPT_CAINFO, args->cafile)) != CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_CAPATH, NULL)) != CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L)) != CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L)) != CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_0)) !=
            CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, keep_status_line)) != CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_HEADERDATA, &line)) != CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, drop_body)) != CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
        (rc = curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L)) != CURLE_OK) {
        fprintf(stderr, "%s: curl_easy_setopt: %s\n", program,
                error[0] != '\0' ? error : curl_easy_strerror(rc));
        goto done;
    }
    if (!args->no_pinning) {
        /* Fails with CURLE_NOT_BUILT_IN on a libcurl whose TLS backend is not OpenSSL. */
        if ((rc = curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, install_pinning)) !=
                CURLE_OK ||
            (rc = curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &config)) != CURLE_OK) {
            fprintf(stderr, "%s: cannot install certpin in libcurl: %s\n", program,
                    error[0] != '\0' ? error : curl_easy_strerror(rc));
            goto done;
        }
    }

    rc = curl_easy_perform(curl);
    if (rc == CURLE_PEER_FAILED_VERIFICATION) {
        fprintf(stderr, "%s: handshake refused: %s\n", program,
                error[0] != '\0' ? error : curl_easy_strerror(rc));
        printf("refused\n");
        status = PIN_CLIENT_REFUSED;
        goto done;
    }
    if (rc != CURLE_OK) {
        fprintf(stderr, "%s: %s: %s\n", program, url,
                error[0] != '\0' ? error : curl_easy_strerror(rc));
        goto done;
    }
    if (pin_client_status_line_check(program, &line) != 0) {
        goto done;
    }
    printf("connected: %s\n", line.text);
    status = PIN_CLIENT_CONNECTED;

done:
    curl_easy_cleanup(curl);
    curl_slist_free_all(resolve);
    return status;
}

/* run, with libcurl's global state set up around it. Returns the exit status. */
static int run_with_libcurl(const pin_client_args *args)
{
    CURLcode rc;
    int status;

    /* The callback is OpenSSL code: make sure libcurl's TLS is OpenSSL. */
    if (curl_global_sslset(CURLSSLBACKEND_OPENSSL, NULL, NULL) != CURLSSLSET_OK) {
        fprintf(stderr, "%s: this libcurl does not use OpenSSL\n", program);
        return PIN_CLIENT_ERROR;
    }
    rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        fprintf(stderr, "%s: curl_global_init: %s\n", program, curl_easy_strerror(rc));
        return PIN_CLIENT_ERROR;
    }

    status = run(args);

    curl_global_cleanup();
    return status;
}

int main(int argc, char **argv)
{
    int status = pin_client_main(&program, argc, argv, run_with_libcurl);

    OPENSSL_cleanup();
    return status;
}
