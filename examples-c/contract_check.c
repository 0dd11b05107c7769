/*
 * contract_check: C code written against ../shared/CONTRACT.md, the core C contract, uses
 * every name there exactly as the contract declares it. If this compiles with -Werror (as C
 * and as C++) and links, code written against the contract works unchanged with this header
 * and library. tests/c_examples.rs builds and runs it; it prints nothing and exits 0.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "certpin.h"

/* The result codes with their contract values. */
#define CONTRACT_CODES(X)                                                                    \
    X(PIN_OK, 0)                                                                             \
    X(PIN_ERR_NULL_ARGUMENT, 1)                                                              \
    X(PIN_ERR_INVALID_ARGUMENT, 2)                                                           \
    X(PIN_ERR_BAD_PIN, 3)                                                                    \
    X(PIN_ERR_BAD_HOST, 4)                                                                   \
    X(PIN_ERR_BAD_CERTIFICATE, 5)                                                            \
    X(PIN_ERR_EMPTY_CHAIN, 6)                                                                \
    X(PIN_ERR_UNKNOWN_ISSUER, 7)                                                             \
    X(PIN_ERR_EXPIRED, 8)                                                                    \
    X(PIN_ERR_NOT_YET_VALID, 9)                                                              \
    X(PIN_ERR_HOST_MISMATCH, 10)                                                             \
    X(PIN_ERR_INVALID_CHAIN, 11)                                                             \
    X(PIN_ERR_PIN_MISMATCH, 12)                                                              \
    X(PIN_ERR_NOT_PINNED, 13)                                                                \
    X(PIN_ERR_BAD_CONFIG, 14)                                                                \
    X(PIN_ERR_BAD_SIGNATURE, 15)                                                             \
    X(PIN_ERR_STALE_UPDATE, 16)                                                              \
    X(PIN_ERR_BUFFER_TOO_SMALL, 17)                                                          \
    X(PIN_ERR_INTERNAL, 255)

/* Each code has its value at compile time: a wrong one makes an array of size -1. */
#define CHECK_VALUE(name, value) typedef char contract_##name[(name) == (value) ? 1 : -1];
CONTRACT_CODES(CHECK_VALUE)

/* Each code with its name, to check pin_result_name at run time. */
#define NAME_ROW(name, value) {name, #name},
static const struct {
    pin_result code;
    const char *name;
} contract_names[] = {CONTRACT_CODES(NAME_ROW)};

/* Every function, through a pointer of exactly the contract's type: a different signature is
 * an incompatible-pointer warning in C (an error with -Werror) and an error in C++. */
static pin_store *(*const contract_store_new)(void) = pin_store_new;
static void (*const contract_store_free)(pin_store *store) = pin_store_free;
static pin_result (*const contract_store_add)(pin_store *store, const char *host_pattern,
                                              const char *pin) = pin_store_add;
static pin_result (*const contract_store_add_trust_anchor)(pin_store *store, const uint8_t *der,
                                                           size_t der_len) =
    pin_store_add_trust_anchor;
static pin_result (*const contract_verify_chain)(const pin_store *store, const pin_bytes *chain,
                                                 size_t chain_len, const char *host) =
    pin_verify_chain;
static pin_result (*const contract_verify_chain_at)(const pin_store *store,
                                                    const pin_bytes *chain, size_t chain_len,
                                                    const char *host, uint64_t unix_time) =
    pin_verify_chain_at;
static pin_result (*const contract_spki_sha256)(const uint8_t *der, size_t der_len, char *out,
                                                size_t out_len) = pin_spki_sha256;
static const char *(*const contract_result_name)(uint32_t result) = pin_result_name;

/* A switch over every code, as an app that acts on verdicts writes it (a duplicate value
 * would not compile). Any other value, such as a code added after the contract, is NULL. */
static const char *category(pin_result r)
{
    switch (r) {
    case PIN_OK:
        return "trusted";
    case PIN_ERR_NULL_ARGUMENT:
    case PIN_ERR_INVALID_ARGUMENT:
    case PIN_ERR_EMPTY_CHAIN:
    case PIN_ERR_BUFFER_TOO_SMALL:
        return "caller bug";
    case PIN_ERR_BAD_PIN:
    case PIN_ERR_BAD_HOST:
    case PIN_ERR_NOT_PINNED:
    case PIN_ERR_BAD_CONFIG:
    case PIN_ERR_BAD_SIGNATURE:
    case PIN_ERR_STALE_UPDATE:
        return "policy problem";
    case PIN_ERR_BAD_CERTIFICATE:
    case PIN_ERR_UNKNOWN_ISSUER:
    case PIN_ERR_EXPIRED:
    case PIN_ERR_NOT_YET_VALID:
    case PIN_ERR_HOST_MISMATCH:
    case PIN_ERR_INVALID_CHAIN:
    case PIN_ERR_PIN_MISMATCH:
        return "untrusted server";
    case PIN_ERR_INTERNAL:
        return "certpin bug";
    default:
        return NULL;
    }
}

int main(void)
{
    /* The types, spelled both ways the contract's typedefs allow. */
    pin_result r = PIN_OK;
    struct pin_bytes b;
    pin_bytes c;
    const uint8_t *const *data = &b.data;
    const size_t *len = &c.len;
    static const uint8_t no_certificate[1] = {0};
    pin_store *store;
    struct pin_store *same_store;
    char pin[64];
    int failures = 0;
    size_t i;

    b.data = no_certificate;
    b.len = sizeof no_certificate;
    c = b;
    (void)data;
    (void)len;

    /* Calls through the contract's types. Only results fixed by the contract are checked. */
    store = contract_store_new();
    same_store = store;
    if (store == NULL) {
        return 1;
    }
    failures += contract_store_add(same_store, "api.example.com",
                                   "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=") != PIN_OK;
    failures += contract_store_add(store, "api.example.com", "not a pin") != PIN_ERR_BAD_PIN;
    failures += contract_store_add_trust_anchor(store, NULL, 0) != PIN_ERR_NULL_ARGUMENT;
    failures += contract_verify_chain(store, &c, 0, "api.example.com") != PIN_ERR_EMPTY_CHAIN;
    failures += contract_verify_chain_at(store, &b, 1, NULL, 0) != PIN_ERR_NULL_ARGUMENT;
    failures += contract_spki_sha256(NULL, 0, pin, sizeof pin) != PIN_ERR_NULL_ARGUMENT;
    contract_store_free(store);
    contract_store_free(NULL);

    /* Every contract code has its own name and a category; any unknown value gets
     * PIN_ERR_UNKNOWN (UINT32_MAX stands for one: the project adds codes from 18 upwards). */
    for (i = 0; i < sizeof contract_names / sizeof contract_names[0]; i++) {
        r = contract_names[i].code;
        failures += strcmp(contract_result_name(r), contract_names[i].name) != 0;
        failures += category(r) == NULL;
    }
    failures += strcmp(contract_result_name(UINT32_MAX), "PIN_ERR_UNKNOWN") != 0;
    return failures == 0 ? 0 : 1;
}
