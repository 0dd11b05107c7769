/*
 * pin_verify_gnutls.h: certpin as GnuTLS's certificate check (tested with GnuTLS 3.7).
 *
 * Install pin_gnutls_verify_function as the session's verify function, with its config as
 * the session's pointer:
 *
 *     pin_gnutls_config config = {store, "api.example.com", 0, 0};
 *     gnutls_server_name_set(session, GNUTLS_NAME_DNS, "api.example.com", strlen(...));
 *     gnutls_session_set_ptr(session, &config);
 *     gnutls_session_set_verify_function(session, pin_gnutls_verify_function);
 *
 * in place of gnutls_session_set_verify_cert(session, host, 0): the function runs that same
 * check itself first (gnutls_certificate_verify_peers3: the credentials' trust store and the
 * host name), then hands the chain exactly as the server sent it, leaf first, to certpin.
 * GnuTLS calls it as soon as the server's Certificate message arrives; any verdict other than
 * PIN_OK fails the handshake with GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR, as a failed
 * gnutls_session_set_verify_cert check does. (gnutls_certificate_set_verify_function takes the
 * same function for every session of a credentials structure.)
 *
 * The verify function gets only the session, so the config travels as the session pointer
 * (gnutls_session_set_ptr); an app that already uses that pointer for something else keeps
 * the config in its own struct and calls pin_gnutls_check from its own verify function.
 *
 * Header-only: every function is static inline.
 */

#ifndef PIN_VERIFY_GNUTLS_H
#define PIN_VERIFY_GNUTLS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "certpin.h"

/* Room for certpin's explanation of any usual chain (see pin_verify_chain_explain). */
#define PIN_GNUTLS_EXPLANATION_LEN 4096

/*
 * What the verify function needs: the session pointer. It is only read, so one config may
 * serve many sessions to its host, on many threads at once.
 */
typedef struct pin_gnutls_config {
    /* Borrowed: must outlive every handshake that uses this config. Never NULL. */
    const pin_store *store;
    /* The host to verify as, by GnuTLS and by certpin. NULL is refused. */
    const char *host;
    /* Non-zero: certpin verifies at unix_time (seconds since the Unix epoch) instead of now. */
    int have_time;
    uint64_t unix_time;
} pin_gnutls_config;

/*
 * The verdict of certpin on the certificates the server sent (gnutls_certificate_get_peers:
 * DER, in the server's order, leaf first). GnuTLS keeps the DER, so nothing is copied but the
 * array of pointers; if that allocation fails the verdict is certpin's for an empty chain, so
 * the result fails closed.
 */
static inline pin_result pin_verify_gnutls_chain(gnutls_session_t session,
                                                 const pin_gnutls_config *config,
                                                 char *explanation, size_t explanation_len)
{
    unsigned int count = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &count);
    pin_bytes *chain = calloc(count > 0 ? count : 1, sizeof *chain);
    size_t chain_len = 0;
    pin_result verdict;

    if (peers != NULL && chain != NULL) {
        for (; chain_len < count; chain_len++) {
            chain[chain_len].data = peers[chain_len].data;
            chain[chain_len].len = peers[chain_len].size;
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
 * GnuTLS's check, then certpin's, for a session and a config. Returns 0 to go on with the
 * handshake, GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR to fail it.
 *
 * Logs like an example should: "certpin: PIN_..." on stdout, certpin's explanation (and
 * GnuTLS's reason when its own check fails) on stderr. A real app would log elsewhere.
 */
static inline int pin_gnutls_check(gnutls_session_t session, const pin_gnutls_config *config)
{
    char explanation[PIN_GNUTLS_EXPLANATION_LEN] = "";
    unsigned int status = 0;
    gnutls_datum_t reason = {NULL, 0};
    pin_result verdict;
    size_t text_len;
    int rc;

    if (config == NULL || config->host == NULL) {
        fprintf(stderr, "certpin: no config or no host for this session: refused\n");
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    }

    /* 1. The platform check: a path to the credentials' trust store, and the host name. */
    rc = gnutls_certificate_verify_peers3(session, config->host, &status);
    if (rc < 0) {
        fprintf(stderr, "platform check failed: %s\n", gnutls_strerror(rc));
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    }
    if (status != 0) {
        rc = gnutls_certificate_verification_status_print(
            status, gnutls_certificate_type_get(session), &reason, 0);
        fprintf(stderr, "platform check failed: %s\n",
                rc == 0 ? (const char *)reason.data : "(no description)");
        gnutls_free(reason.data);
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    }

    /* 2. certpin: its own path validation against its anchors, and the pins. */
    verdict = pin_verify_gnutls_chain(session, config, explanation, sizeof explanation);

    printf("certpin: %s\n", pin_result_name(verdict));
    text_len = strlen(explanation);
    fputs(explanation, stderr);
    if (text_len == 0 || explanation[text_len - 1] != '\n') {
        fputc('\n', stderr);
    }
    return verdict == PIN_OK ? 0 : GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
}

/*
 * The verify function for gnutls_session_set_verify_function (or
 * gnutls_certificate_set_verify_function): the config is the session pointer.
 */
static inline int pin_gnutls_verify_function(gnutls_session_t session)
{
    return pin_gnutls_check(session, gnutls_session_get_ptr(session));
}

#endif /* PIN_VERIFY_GNUTLS_H */
