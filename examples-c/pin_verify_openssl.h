/*
 * pin_verify_openssl.h: certpin as OpenSSL's certificate check, shared by openssl_client.c
 * and curl_client.c.
 *
 * For any OpenSSL 3 client: pin_openssl_verify_callback, installed with
 *
 *     SSL_CTX_set_cert_verify_callback(ssl_ctx, pin_openssl_verify_callback, &config);
 *
 * on an SSL_CTX of your own, or from libcurl's CURLOPT_SSL_CTX_FUNCTION. During the handshake
 * it runs OpenSSL's own check first (X509_verify_cert: the trust store, and the host name set
 * with SSL_set1_host), then hands the chain exactly as the server sent it, leaf first, to
 * certpin, and fails the handshake on any verdict other than PIN_OK. The SSL_CTX must verify
 * peers (SSL_VERIFY_PEER), or OpenSSL carries on after a failed check.
 *
 * The example programs' common command line is in pin_client.h.
 *
 * Header-only, so each example stays one compile command: every function is static inline,
 * and a program that uses only some of them still builds with -Wall -Wextra -Werror.
 * Needs OpenSSL 3.0 or later.
 */

#ifndef PIN_VERIFY_OPENSSL_H
#define PIN_VERIFY_OPENSSL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certpin.h"

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

#endif /* PIN_VERIFY_OPENSSL_H */
