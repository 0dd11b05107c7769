/*
 * pin_client.h: the command line shared by the example TLS clients of examples-c
 * (openssl_client.c, curl_client.c, mbedtls_client.c, gnutls_client.c), the certpin store it
 * builds, their exit codes, the status line they keep of the response, and their main
 * (pin_client_main):
 *
 *   PROGRAM --cafile FILE [--pin PATTERN=sha256/...]... [--anchor ROOT.der]...
 *           [--no-pinning] [--at UNIX_TIME] HOST PORT
 *
 * For the examples only: an app builds its store its own way. The stack-specific part, the
 * verify callback, is in pin_verify_<stack>.h and needs nothing from here.
 *
 * Header-only, so each example stays one compile command: every function is static inline.
 */

#ifndef PIN_CLIENT_H
#define PIN_CLIENT_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certpin.h"

enum {
    PIN_CLIENT_CONNECTED = 0, /* the handshake passed and the server answered */
    PIN_CLIENT_REFUSED = 1,   /* the certificate check (the TLS stack's or certpin's) refused */
    PIN_CLIENT_ERROR = 2      /* bad arguments, unreadable files, network or TLS errors */
};

typedef struct pin_client_args {
    const char *cafile;        /* --cafile: the trust store stand-in (PEM bundle) */
    int no_pinning;            /* --no-pinning: skip certpin entirely */
    const char *host;          /* HOST: the name to verify as */
    const char *port;          /* PORT: on 127.0.0.1, digits only */
    pin_store *store;          /* owned; NULL with --no-pinning */
    int have_time;             /* --at given: certpin verifies at unix_time, not now */
    uint64_t unix_time;
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
                args->have_time = 1;
                args->unix_time = (uint64_t)number;
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
    return 0;
}

/* The response's first line, the status line: all a client keeps of the response. */
typedef struct pin_client_status_line {
    char text[256]; /* always NUL-terminated; cut at 255 bytes */
    size_t used;    /* bytes in text */
    int done;       /* the line's end (CR or LF) was seen: later bytes are dropped */
} pin_client_status_line;

#define PIN_CLIENT_STATUS_LINE_INIT {"", 0, 0}

/* Adds the next len bytes of the response: they extend the status line until its end. */
static inline void pin_client_status_line_add(pin_client_status_line *line, const void *data,
                                              size_t len)
{
    const char *bytes = data;
    size_t i;

    for (i = 0; i < len && !line->done; i++) {
        if (bytes[i] == '\r' || bytes[i] == '\n') {
            line->done = 1;
        } else if (line->used + 1 < sizeof line->text) {
            line->text[line->used++] = bytes[i];
        }
    }
    line->text[line->used] = '\0';
}

/* Once the response is read: 0 if it had a status line, else -1 after reporting it. */
static inline int pin_client_status_line_check(const char *program,
                                               const pin_client_status_line *line)
{
    if (line->used == 0) {
        fprintf(stderr, "%s: the server sent no response\n", program);
        return -1;
    }
    return 0;
}

/*
 * The whole main of an example client: takes the program name from argv[0] into *program
 * (for messages), parses the command line, ignores SIGPIPE (a write to a connection the server
 * has closed must fail, not kill the program), calls run, frees the arguments and flushes
 * stdout. Returns the exit status: run's, or PIN_CLIENT_ERROR.
 */
static inline int pin_client_main(const char **program, int argc, char **argv,
                                  int (*run)(const pin_client_args *args))
{
    pin_client_args args;
    int status;

    if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
        *program = argv[0];
    }
    if (pin_client_parse(*program, argc, argv, &args) != 0) {
        return PIN_CLIENT_ERROR;
    }
    signal(SIGPIPE, SIG_IGN);

    status = run(&args);

    pin_client_free(&args);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: cannot write the output\n", *program);
        status = PIN_CLIENT_ERROR;
    }
    return status;
}

#endif /* PIN_CLIENT_H */
