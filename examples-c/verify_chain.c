/*
 * verify_chain: check a server's certificate chain against pins, the way an app would.
 *
 *   verify_chain [--anchor ROOT.der]... [--pin PATTERN=sha256/...]... [--at UNIX_TIME]
 *                HOST LEAF.der [INTERMEDIATE.der...]
 *
 * --anchor  trust this DER certificate as a root (repeatable). Without any, the store uses
 *           the built-in Mozilla roots.
 * --pin     pin a public key for a host pattern, e.g.
 *           --pin 'api.example.com=sha256/AQvmDL/x7gydMfUF8tH/KLQT4Jsrw2AIMv5DHvQlEe8='
 *           (repeatable; pins under the same pattern accumulate, which is how backup pins
 *           are given). The pattern ends at the first '='.
 * --at      check at this time (seconds since the Unix epoch) instead of now.
 *
 * Prints "verdict: PIN_..." on the first line, then certpin's explanation of the verdict,
 * then the pin of every certificate given ("pin[i]: sha256/...") and the library version.
 * Exits 0 when the chain is trusted (PIN_OK), 1 for any other verdict and 2 for usage,
 * file or setup errors (which are reported on stderr).
 *
 * Build (see run.sh):
 *   cc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude examples-c/verify_chain.c \
 *      target/release/libcertpin.a -lpthread -ldl -lm -o verify_chain
 */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certpin.h"

enum {
    EXIT_TRUSTED = 0,   /* the verdict was PIN_OK */
    EXIT_UNTRUSTED = 1, /* any other verdict */
    EXIT_USAGE = 2      /* bad arguments, unreadable files, a pin or anchor refused */
};

/* Room for the explanation of any usual chain (see pin_verify_chain_explain). */
#define EXPLANATION_LEN 4096

static const char *program = "verify_chain";

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [--anchor ROOT.der]... [--pin PATTERN=sha256/...]... [--at UNIX_TIME]\n"
            "       %*s HOST LEAF.der [INTERMEDIATE.der...]\n",
            program, (int)strlen(program), "");
}

/*
 * Reads a whole DER file into a new buffer of at most CERTPIN_MAX_CERT_LEN bytes, which the
 * caller frees. Returns 0 on success; on failure reports why on stderr and returns -1.
 */
static int read_der_file(const char *path, uint8_t **out, size_t *out_len)
{
    FILE *file;
    uint8_t *buffer;
    size_t len;
    int failed;
    int read_errno;

    file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "%s: cannot open %s: %s\n", program, path, strerror(errno));
        return -1;
    }
    /* One byte more than the limit, so that a file above it is noticed. */
    buffer = malloc(CERTPIN_MAX_CERT_LEN + 1);
    if (buffer == NULL) {
        fprintf(stderr, "%s: out of memory reading %s\n", program, path);
        fclose(file);
        return -1;
    }
    errno = 0;
    len = fread(buffer, 1, CERTPIN_MAX_CERT_LEN + 1, file);
    failed = ferror(file);
    read_errno = errno;
    if (fclose(file) != 0 && !failed) {
        failed = 1;
        read_errno = errno;
    }
    if (failed) {
        fprintf(stderr, "%s: cannot read %s: %s\n", program, path,
                read_errno != 0 ? strerror(read_errno) : "read error");
    } else if (len == 0) {
        fprintf(stderr, "%s: %s is empty\n", program, path);
        failed = 1;
    } else if (len > CERTPIN_MAX_CERT_LEN) {
        fprintf(stderr, "%s: %s is larger than %d bytes: not a certificate\n", program, path,
                CERTPIN_MAX_CERT_LEN);
        failed = 1;
    }
    if (failed) {
        free(buffer);
        return -1;
    }
    *out = buffer;
    *out_len = len;
    return 0;
}

/* Reports a call that certpin refused, by the result's name and meaning. */
static void report_refusal(const char *what, const char *argument, pin_result result)
{
    fprintf(stderr, "%s: %s %s: %s (%s)\n", program, what, argument, pin_result_name(result),
            pin_result_description(result));
}

/* "--anchor FILE": trusts the certificate in FILE as a root. Returns 0 or -1. */
static int add_anchor(pin_store *store, const char *path)
{
    uint8_t *der;
    size_t der_len;
    pin_result result;

    if (read_der_file(path, &der, &der_len) != 0) {
        return -1;
    }
    /* The store copies the certificate: the buffer can go at once. */
    result = pin_store_add_trust_anchor(store, der, der_len);
    free(der);
    if (result != PIN_OK) {
        report_refusal("--anchor", path, result);
        return -1;
    }
    return 0;
}

/* "--pin PATTERN=PIN": pins PIN for PATTERN. Returns 0 or -1. */
static int add_pin(pin_store *store, const char *argument)
{
    char pattern[CERTPIN_MAX_HOST_LEN + 1];
    const char *equals = strchr(argument, '=');
    size_t pattern_len;
    pin_result result;

    /* The pattern ends at the first '=': a host has none, and a pin ends in base64 '='. */
    if (equals == NULL) {
        fprintf(stderr, "%s: --pin %s: expected PATTERN=sha256/...\n", program, argument);
        return -1;
    }
    pattern_len = (size_t)(equals - argument);
    if (pattern_len > CERTPIN_MAX_HOST_LEN) {
        fprintf(stderr, "%s: --pin: host pattern longer than %d bytes\n", program,
                CERTPIN_MAX_HOST_LEN);
        return -1;
    }
    memcpy(pattern, argument, pattern_len);
    pattern[pattern_len] = '\0';

    result = pin_store_add(store, pattern, equals + 1);
    if (result != PIN_OK) {
        report_refusal("--pin", argument, result);
        return -1;
    }
    return 0;
}

/* "--at UNIX_TIME": a decimal number of seconds. Returns 0 or -1. */
static int parse_time(const char *text, uint64_t *out)
{
    char *end;
    unsigned long long value;

    /* strtoull accepts a sign and leading space; a time is plain digits. */
    if (text[0] < '0' || text[0] > '9') {
        fprintf(stderr, "%s: --at %s: expected seconds since the Unix epoch\n", program, text);
        return -1;
    }
    errno = 0;
    value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0') {
        fprintf(stderr, "%s: --at %s: expected seconds since the Unix epoch\n", program, text);
        return -1;
    }
#if ULLONG_MAX > UINT64_MAX
    if (value > UINT64_MAX) {
        fprintf(stderr, "%s: --at %s: out of range\n", program, text);
        return -1;
    }
#endif
    *out = (uint64_t)value;
    return 0;
}

/*
 * Whether the library this program runs with can serve the header it was compiled with:
 * the same major version, a minor version at least the header's, and before 1.0 (where a
 * minor version may break the API) the same minor version.
 */
static int library_matches_header(const char *version)
{
    unsigned major, minor, patch;

    if (sscanf(version, "%u.%u.%u", &major, &minor, &patch) != 3) {
        return 0;
    }
    if (major != CERTPIN_VERSION_MAJOR || minor < CERTPIN_VERSION_MINOR) {
        return 0;
    }
    return major > 0 || minor == CERTPIN_VERSION_MINOR;
}

int main(int argc, char **argv)
{
    int status = EXIT_USAGE;
    pin_store *store = NULL;
    /* The certificates given on the command line, leaf first, and their lengths. */
    uint8_t *der[CERTPIN_MAX_CHAIN_LEN];
    size_t der_len[CERTPIN_MAX_CHAIN_LEN];
    pin_bytes chain[CERTPIN_MAX_CHAIN_LEN];
    size_t chain_len = 0;
    int have_time = 0;
    uint64_t unix_time = 0;
    const char *host;
    const char *version = pin_version();
    char explanation[EXPLANATION_LEN] = "";
    pin_result verdict;
    size_t text_len;
    size_t i;
    int arg;

    if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
        program = argv[0];
    }

    /* A program built against one header must not run with an incompatible library. */
    if (!library_matches_header(version)) {
        fprintf(stderr, "%s: certpin library %s does not match its header %d.%d.%d\n",
                program, version, CERTPIN_VERSION_MAJOR, CERTPIN_VERSION_MINOR,
                CERTPIN_VERSION_PATCH);
        return EXIT_USAGE;
    }

    store = pin_store_new();
    if (store == NULL) {
        fprintf(stderr, "%s: pin_store_new failed\n", program);
        return EXIT_USAGE;
    }

    /* Options first; every option takes a value. "--" ends the options. */
    for (arg = 1; arg < argc && argv[arg][0] == '-'; arg++) {
        const char *option = argv[arg];
        const char *value;

        if (strcmp(option, "--") == 0) {
            arg++;
            break;
        }
        if (strcmp(option, "-h") == 0 || strcmp(option, "--help") == 0) {
            usage();
            goto done;
        }
        if (strcmp(option, "--anchor") != 0 && strcmp(option, "--pin") != 0 &&
            strcmp(option, "--at") != 0) {
            fprintf(stderr, "%s: unknown option %s\n", program, option);
            usage();
            goto done;
        }
        if (arg + 1 >= argc) {
            fprintf(stderr, "%s: %s needs a value\n", program, option);
            usage();
            goto done;
        }
        value = argv[++arg];
        if (strcmp(option, "--anchor") == 0) {
            if (add_anchor(store, value) != 0) {
                goto done;
            }
        } else if (strcmp(option, "--pin") == 0) {
            if (add_pin(store, value) != 0) {
                goto done;
            }
        } else {
            if (parse_time(value, &unix_time) != 0) {
                goto done;
            }
            have_time = 1;
        }
    }

    /* HOST LEAF.der [INTERMEDIATE.der...] */
    if (argc - arg < 2) {
        usage();
        goto done;
    }
    host = argv[arg++];
    if (argc - arg > CERTPIN_MAX_CHAIN_LEN) {
        fprintf(stderr, "%s: at most %d certificates in a chain\n", program,
                CERTPIN_MAX_CHAIN_LEN);
        goto done;
    }
    for (; arg < argc; arg++) {
        if (read_der_file(argv[arg], &der[chain_len], &der_len[chain_len]) != 0) {
            goto done;
        }
        chain[chain_len].data = der[chain_len];
        chain[chain_len].len = der_len[chain_len];
        chain_len++;
    }

    /* The verdict, with its explanation (always NUL-terminated, cut to fit if need be). */
    if (have_time) {
        verdict = pin_verify_chain_explain_at(store, chain, chain_len, host, unix_time,
                                              explanation, sizeof explanation);
    } else {
        verdict = pin_verify_chain_explain(store, chain, chain_len, host, explanation,
                                           sizeof explanation);
    }
    printf("verdict: %s\n", pin_result_name(verdict));
    text_len = strlen(explanation);
    fputs(explanation, stdout);
    if (text_len == 0 || explanation[text_len - 1] != '\n') {
        putchar('\n');
    }

    /* Every certificate's pin: what to paste into a policy. */
    for (i = 0; i < chain_len; i++) {
        char pin[CERTPIN_PIN_BUFFER_LEN];
        pin_result result = pin_spki_sha256(chain[i].data, chain[i].len, pin, sizeof pin);

        if (result == PIN_OK) {
            printf("pin[%lu]: %s\n", (unsigned long)i, pin);
        } else {
            printf("pin[%lu]: none (%s)\n", (unsigned long)i, pin_result_name(result));
        }
    }
    printf("certpin %s\n", version);

    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: cannot write the output\n", program);
        goto done;
    }
    status = verdict == PIN_OK ? EXIT_TRUSTED : EXIT_UNTRUSTED;

done:
    for (i = 0; i < chain_len; i++) {
        free(der[i]);
    }
    pin_store_free(store);
    return status;
}
