/*
 * pin_verify_openssl.h: certpin as OpenSSL's certificate check, shared by openssl_client.c
 * and curl_client.c.
 *
 * Part 1, for any OpenSSL 3 client: pin_openssl_verify_callback, installed with
 *
 *     SSL_CTX_set_cert_verify_callback(ssl_ctx, pin_openssl_verify_callback, &config);
 *
 * on an SSL_CTX of your own, or from libcurl's CURLOPT_SSL_CTX_FUNCTION. During the handshake
 * it runs OpenSSL's own check first (X509_verify_cert: the trust store, and the host name set
 * with SSL_set1_host), then hands the chain exactly as the server sent it, leaf first, to
 * certpin, and fails the handshake on any verdict other than PIN_OK. The SSL_CTX must verify
 * peers (SSL_VERIFY_PEER), or OpenSSL carries on after a failed check.
 *
 * Part 2, for the two example programs only: their common command line, the certpin store
 * it builds, and their exit codes.
 *
 * Header-only, so each example stays one compile command: every function is static inline,
 * and a program that uses only some of them still builds with -Wall -Wextra -Werror.
 * Needs OpenSSL 3.0 or later.
 */

#ifndef PIN_VERIFY_OPENSSL_H
#define PIN_VERIFY_OPENSSL_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certpin.h"

/* ---------------------------------------------------------------------------------------
 * Part 1: the verify callback.
 * ------------------------------------------------------------------------------------- */

/* Room for certpin's explanation of any usual chain (see pin_verify_chain_explain). */
#define PIN_OPENSSL_EXPLANATION_LEN 4096

/*
 * What the callback needs: the callback's arg. The callback only reads it, so one config
 * may serve many connections and threads at once.
 */
typedef struct pin_openssl_config {
    /* Borrowed: must outlive every handshake that uses this config. Never NULL. */
    const pin_store *store;
    /* The host to verify as. NULL: the host the connection names, see pin_openssl_host. */
    const char *host;
    /* Non-zero: verify at unix_time (seconds since the Unix epoch) instead of now. */
    int have_time;
    uint64_t unix_time;
} pin_openssl_config;

/*
 * The verdict of certpin on a chain as OpenSSL holds it: leaf, then every certificate of
 * sent (the certificates the server sent, in its order) except the leaf itself. Each is
 * encoded to DER for the call and freed after it. The explanation is written as by
 * pin_verify_chain_explain. With leaf NULL, or when OpenSSL cannot encode a certificate,
 * the verdict is certpin's own for an empty or NULL chain, so the result fails closed.
 */
static inline pin_result pin_verify_x509_chain(const pin_openssl_config *config,
                                               const char *host, X509 *leaf,
                                               STACK_OF(X509) *sent, char *explanation,
                                               size_t explanation_len)
{
    int sent_count = sent != NULL ? sk_X509_num(sent) : 0;
    size_t capacity = 1 + (size_t)(sent_count > 0 ? sent_count : 0);
    pin_bytes *chain = calloc(capacity, sizeof *chain);
    unsigned char **der = calloc(capacity, sizeof *der);
    size_t chain_len = 0;
    pin_result verdict;
    size_t i;
    int j;

    if (chain != NULL && der != NULL && leaf != NULL) {
        for (j = -1; j < sent_count; j++) {
            X509 *cert = j < 0 ? leaf : sk_X509_value(sent, j);
            int len;

            if (j >= 0 && X509_cmp(cert, leaf) == 0) {
                continue; /* the leaf went first */
            }
            /* With *out NULL, i2d_X509 allocates the DER (freed with OPENSSL_free). */
            len = i2d_X509(cert, &der[chain_len]);
            if (len <= 0) {
                chain_len = 0; /* fail closed: certpin refuses an empty chain */
                break;
            }
            chain[chain_len].data = der[chain_len];
            chain[chain_len].len = (size_t)len;
            chain_len++;
        }
    }

    if (config->have_time) {
        verdict = pin_verify_chain_explain_at(config->store, chain, chain_len, host,
                                              config->unix_time, explanation, explanation_len);
    } else {
        verdict = pin_verify_chain_explain(config->store, chain, chain_len, host, explanation,
                                           explanation_len);
    }

    if (der != NULL) {
        for (i = 0; i < capacity; i++) {
            OPENSSL_free(der[i]);
        }
    }
    free(der);
    free(chain);
    return verdict;
}

/*
 * The host the handshake in ctx is for: config->host if set, else the name (or else the IP
 * address) OpenSSL checks the leaf against (SSL_set1_host), else the SNI name sent (libcurl
 * sets SNI but checks the name itself). NULL when there is none, which certpin refuses.
 * *ip_text receives a string to OPENSSL_free (or NULL).
 */
static inline const char *pin_openssl_host(X509_STORE_CTX *ctx,
                                           const pin_openssl_config *config, char **ip_text)
{
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    SSL *ssl = X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    const char *host;

    *ip_text = NULL;
    if (config->host != NULL) {
        return config->host;
    }
    host = param != NULL ? X509_VERIFY_PARAM_get0_host(param, 0) : NULL;
    if (host != NULL) {
        return host;
    }
    /* With no IP address set this queues an error, which would hide the real reason a
       handshake fails from whoever reads the queue first (libcurl does): drop it. */
    ERR_set_mark();
    *ip_text = param != NULL ? X509_VERIFY_PARAM_get1_ip_asc(param) : NULL;
    ERR_pop_to_mark();
    if (*ip_text != NULL) {
        return *ip_text;
    }
    return ssl != NULL ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : NULL;
}

/*
 * The callback for SSL_CTX_set_cert_verify_callback; arg is a const pin_openssl_config *.
 * Returns 1 to go on with the handshake, 0 to fail it (the store context then holds the
 * reason: OpenSSL's own, or X509_V_ERR_APPLICATION_VERIFICATION for certpin's refusal).
 *
 * Logs like an example should: "certpin: PIN_..." on stdout, certpin's explanation (and
 * OpenSSL's reason when its own check fails) on stderr. A real app would log elsewhere.
 */
static inline int pin_openssl_verify_callback(X509_STORE_CTX *ctx, void *arg)
{
    const pin_openssl_config *config = arg;
    char explanation[PIN_OPENSSL_EXPLANATION_LEN] = "";
    char *ip_text;
    const char *host;
    pin_result verdict;
    size_t text_len;

    /* 1. The platform check: a path to the trust store, and the host name. */
    if (X509_verify_cert(ctx) <= 0) {
        fprintf(stderr, "platform check failed: %s\n",
                X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        return 0;
    }

    /* 2. certpin: its own path validation against its anchors, and the pins. */
    host = pin_openssl_host(ctx, config, &ip_text);
    verdict = pin_verify_x509_chain(config, host, X509_STORE_CTX_get0_cert(ctx),
                                    X509_STORE_CTX_get0_untrusted(ctx), explanation,
                                    sizeof explanation);
    OPENSSL_free(ip_text);

    printf("certpin: %s\n", pin_result_name(verdict));
    text_len = strlen(explanation);
    fputs(explanation, stderr);
    if (text_len == 0 || explanation[text_len - 1] != '\n') {
        fputc('\n', stderr);
    }
    if (verdict != PIN_OK) {
        X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------
 * Part 2: the example clients' common command line.
 *
 *   PROGRAM --cafile FILE [--pin PATTERN=sha256/...]... [--anchor ROOT.der]...
 *           [--no-pinning] [--at UNIX_TIME] HOST PORT
 * ------------------------------------------------------------------------------------- */

enum {
    PIN_CLIENT_CONNECTED = 0, /* the handshake passed and the server answered */
    PIN_CLIENT_REFUSED = 1,   /* the certificate check (OpenSSL's or certpin's) refused */
    PIN_CLIENT_ERROR = 2      /* bad arguments, unreadable files, network or TLS errors */
};

typedef struct pin_client_args {
    const char *cafile;        /* --cafile: the trust store stand-in (PEM bundle) */
    int no_pinning;            /* --no-pinning: skip certpin entirely */
    const char *host;          /* HOST: the name to verify as */
    const char *port;          /* PORT: on 127.0.0.1, digits only */
    pin_store *store;          /* owned; NULL with --no-pinning */
    pin_openssl_config config; /* the callback's arg: store, and --at */
} pin_client_args;

static inline void pin_client_usage(const char *program)
{
    fprintf(stderr,
            "usage: %s --cafile FILE [--pin PATTERN=sha256/...]... [--anchor ROOT.der]...\n"
            "       %*s [--no-pinning] [--at UNIX_TIME] HOST PORT\n"
            "Connects to 127.0.0.1:PORT and verifies the server as HOST.\n",
            program, (int)strlen(program), "");
}

/* "--anchor FILE": trusts the DER certificate in FILE as a certpin root. Returns 0 or -1. */
static inline int pin_client_add_anchor(const char *program, pin_store *store,
                                        const char *path)
{
    FILE *file = fopen(path, "rb");
    uint8_t *der;
    size_t len;
    int failed;
    pin_result result;

    if (file == NULL) {
        fprintf(stderr, "%s: cannot open %s: %s\n", program, path, strerror(errno));
        return -1;
    }
    /* One byte more than the limit, so that a larger file is noticed. */
    der = malloc(CERTPIN_MAX_CERT_LEN + 1);
    if (der == NULL) {
        fprintf(stderr, "%s: out of memory reading %s\n", program, path);
        fclose(file);
        return -1;
    }
    len = fread(der, 1, CERTPIN_MAX_CERT_LEN + 1, file);
    failed = ferror(file) != 0;
    failed |= fclose(file) != 0;
    if (failed || len == 0 || len > CERTPIN_MAX_CERT_LEN) {
        fprintf(stderr, "%s: cannot read a DER certificate from %s\n", program, path);
        free(der);
        return -1;
    }
    result = pin_store_add_trust_anchor(store, der, len); /* copied into the store */
    free(der);
    if (result != PIN_OK) {
        fprintf(stderr, "%s: --anchor %s: %s (%s)\n", program, path, pin_result_name(result),
                pin_result_description(result));
        return -1;
    }
    return 0;
}

/* "--pin PATTERN=PIN": the pattern ends at the first '=' (a pin ends in '='). 0 or -1. */
static inline int pin_client_add_pin(const char *program, pin_store *store,
                                     const char *argument)
{
    char pattern[CERTPIN_MAX_HOST_LEN + 1];
    const char *equals = strchr(argument, '=');
    size_t pattern_len;
    pin_result result;

    if (equals == NULL || (size_t)(equals - argument) > CERTPIN_MAX_HOST_LEN) {
        fprintf(stderr, "%s: --pin %s: expected PATTERN=sha256/...\n", program, argument);
        return -1;
    }
    pattern_len = (size_t)(equals - argument);
    memcpy(pattern, argument, pattern_len);
    pattern[pattern_len] = '\0';
    result = pin_store_add(store, pattern, equals + 1);
    if (result != PIN_OK) {
        fprintf(stderr, "%s: --pin %s: %s (%s)\n", program, argument, pin_result_name(result),
                pin_result_description(result));
        return -1;
    }
    return 0;
}

/* Whether text is all decimal digits (at least one) and at most max. */
static inline int pin_client_parse_number(const char *text, unsigned long long max,
                                          unsigned long long *out)
{
    unsigned long long value = 0;
    const char *p;

    if (*text == '\0') {
        return 0;
    }
    for (p = text; *p != '\0'; p++) {
        unsigned digit = (unsigned)(*p - '0');

        if (*p < '0' || *p > '9' || value > (max - digit) / 10) {
            return 0;
        }
        value = value * 10 + digit;
    }
    *out = value;
    return 1;
}

/* Frees what pin_client_parse made. Safe on a zeroed or already freed args. */
static inline void pin_client_free(pin_client_args *args)
{
    pin_store_free(args->store);
    args->store = NULL;
    args->config.store = NULL;
}

/*
 * Parses the command line into args and, unless --no-pinning, builds the certpin store
 * from --pin and --anchor (in the order given). Returns 0, or -1 after reporting why on
 * stderr (args then holds nothing to free).
 */
static inline int pin_client_parse(const char *program, int argc, char **argv,
                                   pin_client_args *args)
{
    pin_store *store = NULL;
    unsigned long long number;
    int pass;
    int arg = 1;

    memset(args, 0, sizeof *args);
    /* Pass 0 reads the flags; pass 1 applies --pin and --anchor to a new store. */
    for (pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            if (args->no_pinning) {
                break;
            }
            store = pin_store_new();
            if (store == NULL) {
                fprintf(stderr, "%s: pin_store_new failed\n", program);
                return -1;
            }
        }
        for (arg = 1; arg < argc && strncmp(argv[arg], "--", 2) == 0; arg++) {
            const char *option = argv[arg];
            const char *value;

            if (strcmp(option, "--") == 0) {
                arg++;
                break;
            }
            if (strcmp(option, "--no-pinning") == 0) {
                args->no_pinning = 1;
                continue;
            }
            if (strcmp(option, "--cafile") != 0 && strcmp(option, "--pin") != 0 &&
                strcmp(option, "--anchor") != 0 && strcmp(option, "--at") != 0) {
                fprintf(stderr, "%s: unknown option %s\n", program, option);
                pin_client_usage(program);
                return -1;
            }
            if (arg + 1 >= argc) {
                fprintf(stderr, "%s: %s needs a value\n", program, option);
                return -1;
            }
            value = argv[++arg];
            if (pass == 1) {
                int failed = 0;

                if (strcmp(option, "--pin") == 0) {
                    failed = pin_client_add_pin(program, store, value) != 0;
                } else if (strcmp(option, "--anchor") == 0) {
                    failed = pin_client_add_anchor(program, store, value) != 0;
                }
                if (failed) {
                    pin_store_free(store);
                    return -1;
                }
            } else if (strcmp(option, "--cafile") == 0) {
                args->cafile = value;
            } else if (strcmp(option, "--at") == 0) {
                if (!pin_client_parse_number(value, UINT64_MAX, &number)) {
                    fprintf(stderr, "%s: --at %s: expected seconds since the Unix epoch\n",
                            program, value);
                    return -1;
                }
                args->config.have_time = 1;
                args->config.unix_time = (uint64_t)number;
            }
        }
    }

    if (args->cafile == NULL || argc - arg != 2) {
        pin_client_usage(program);
        pin_store_free(store);
        return -1;
    }
    args->host = argv[arg];
    args->port = argv[arg + 1];
    if (args->host[0] == '\0') {
        fprintf(stderr, "%s: empty HOST\n", program);
        pin_store_free(store);
        return -1;
    }
    if (!pin_client_parse_number(args->port, 65535, &number) || number == 0) {
        fprintf(stderr, "%s: PORT %s: expected 1 to 65535\n", program, args->port);
        pin_store_free(store);
        return -1;
    }
    args->store = store;
    args->config.store = store;
    return 0;
}

#endif /* PIN_VERIFY_OPENSSL_H */
