/*
 * pin_verify_mbedtls.h: certpin as Mbed TLS's certificate check (tested with Mbed TLS 2.28).
 *
 * Install pin_mbedtls_verify_callback as the verify callback of a client connection:
 *
 *     pin_mbedtls_config config = {store, "api.example.com", 0, 0};
 *     mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
 *     mbedtls_ssl_set_hostname(&ssl, "api.example.com");
 *     mbedtls_ssl_set_verify(&ssl, pin_mbedtls_verify_callback, &config);
 *
 * (or mbedtls_ssl_conf_verify(&conf, ...) for every connection of a configuration that
 * goes to the one host). Mbed TLS calls the callback once per certificate of the path it
 * built, the trust anchor first and the leaf (depth 0) last, each with the flags of its own
 * check: the trust store (mbedtls_ssl_conf_ca_chain), dates, and at depth 0 the name given to
 * mbedtls_ssl_set_hostname. At depth 0 the callback hands the chain exactly as the server sent
 * it, leaf first, to certpin, and adds MBEDTLS_X509_BADCERT_OTHER to the flags on any verdict
 * other than PIN_OK, which fails the handshake with MBEDTLS_ERR_X509_CERT_VERIFY_FAILED
 * (mbedtls_ssl_get_verify_result then has the flag). The configuration must require
 * verification (MBEDTLS_SSL_VERIFY_REQUIRED, the client default), or Mbed TLS carries on
 * after a failed check.
 *
 * Mbed TLS's own check comes first: when it has already flagged the leaf, certpin is not
 * asked (the handshake fails anyway). A flag on a certificate above the leaf is not visible
 * at depth 0, so certpin is then asked too; Mbed TLS still fails the handshake on that flag
 * whatever certpin says, so the order never lets a chain through.
 *
 * Header-only: the function is static inline.
 */

#ifndef PIN_VERIFY_MBEDTLS_H
#define PIN_VERIFY_MBEDTLS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "certpin.h"

/* Room for certpin's explanation of any usual chain (see pin_verify_chain_explain). */
#define PIN_MBEDTLS_EXPLANATION_LEN 4096

/*
 * What the callback needs: the callback's arg. The callback only reads it, so one config
 * may serve many connections to its host, on many threads at once.
 */
typedef struct pin_mbedtls_config {
    /* Borrowed: must outlive every handshake that uses this config. Never NULL. */
    const pin_store *store;
    /* The host to verify as: the name given to mbedtls_ssl_set_hostname. The callback cannot
       see the connection, so it must be here; NULL is refused by certpin. */
    const char *host;
    /* Non-zero: verify at unix_time (seconds since the Unix epoch) instead of now. */
    int have_time;
    uint64_t unix_time;
} pin_mbedtls_config;

/*
 * The verdict of certpin on the chain that starts at leaf: leaf, then every certificate after
 * it in the list, which at depth 0 is the chain as the server sent it (Mbed TLS parses the
 * Certificate message into one list, in order). The DER is Mbed TLS's own copy (raw), so
 * nothing is encoded or allocated but the array of pointers. If that allocation fails the
 * verdict is certpin's for an empty chain, so the result fails closed.
 */
static inline pin_result pin_verify_mbedtls_chain(const pin_mbedtls_config *config,
                                                  const mbedtls_x509_crt *leaf,
                                                  char *explanation, size_t explanation_len)
{
    const mbedtls_x509_crt *cert;
    pin_bytes *chain;
    size_t count = 0;
    size_t chain_len = 0;
    pin_result verdict;

    for (cert = leaf; cert != NULL && cert->raw.p != NULL; cert = cert->next) {
        count++;
    }
    chain = calloc(count > 0 ? count : 1, sizeof *chain);
    if (chain != NULL) {
        for (cert = leaf; chain_len < count; cert = cert->next) {
            chain[chain_len].data = cert->raw.p;
            chain[chain_len].len = cert->raw.len;
            chain_len++;
        }
    }

    if (config->have_time) {
        verdict = pin_verify_chain_explain_at(config->store, chain, chain_len, config->host,
                                              config->unix_time, explanation, explanation_len);
    } else {
        verdict = pin_verify_chain_explain(config->store, chain, chain_len, config->host,
                                           explanation, explanation_len);
    }
    free(chain);
    return verdict;
}

/*
 * The callback for mbedtls_ssl_set_verify / mbedtls_ssl_conf_verify; arg is a
 * const pin_mbedtls_config *. Returns 0 (Mbed TLS decides on the flags); a refusal is
 * MBEDTLS_X509_BADCERT_OTHER in *flags.
 *
 * Logs like an example should: "certpin: PIN_..." on stdout, certpin's explanation (and
 * Mbed TLS's reason when its own check fails) on stderr. A real app would log elsewhere.
 */
static inline int pin_mbedtls_verify_callback(void *arg, mbedtls_x509_crt *crt, int depth,
                                              uint32_t *flags)
{
    const pin_mbedtls_config *config = arg;
    char explanation[PIN_MBEDTLS_EXPLANATION_LEN] = "";
    char reason[512];
    pin_result verdict;
    size_t text_len;

    if (depth != 0) {
        return 0; /* certpin looks at the whole chain once, at the leaf */
    }

    /* 1. The platform check, made by Mbed TLS before calling: its flags for the leaf. */
    if (*flags != 0) {
        if (mbedtls_x509_crt_verify_info(reason, sizeof reason, "", *flags) < 0) {
            snprintf(reason, sizeof reason, "flags 0x%08lx\n", (unsigned long)*flags);
        }
        fprintf(stderr, "platform check failed: %s", reason);
        return 0;
    }

    /* 2. certpin: its own path validation against its anchors, and the pins. */
    verdict = pin_verify_mbedtls_chain(config, crt, explanation, sizeof explanation);

    printf("certpin: %s\n", pin_result_name(verdict));
    text_len = strlen(explanation);
    fputs(explanation, stderr);
    if (text_len == 0 || explanation[text_len - 1] != '\n') {
        fputc('\n', stderr);
    }
    if (verdict != PIN_OK) {
        *flags |= MBEDTLS_X509_BADCERT_OTHER;
    }
    return 0;
}

#endif /* PIN_VERIFY_MBEDTLS_H */
