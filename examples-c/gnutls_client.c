/*
 * gnutls_client: a GnuTLS 3 HTTPS client that pins the server's keys with certpin.
 *
 *   gnutls_client --cafile FILE [--pin PATTERN=sha256/...]... [--anchor ROOT.der]...
 *                 [--no-pinning] [--at UNIX_TIME] HOST PORT
 *
 * The command line is that of openssl_client (pin_client.h): connects to 127.0.0.1:PORT,
 * sends HOST as SNI and verifies the server as HOST against the PEM bundle --cafile; with
 * --no-pinning (the control) GnuTLS's own check (gnutls_session_set_verify_cert) decides.
 *
 * During the handshake the session's verify function (pin_verify_gnutls.h) runs GnuTLS's
 * check, then certpin's, printing "certpin: PIN_..." and logging certpin's explanation on
 * stderr. On success the program sends "GET / HTTP/1.0", prints "connected: <status line>"
 * and exits 0; a refused certificate prints "refused" and exits 1; anything else exits 2.
 *
 * Build:
 *   gcc -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Iinclude \
 *       examples-c/gnutls_client.c target/release/libcertpin.a \
 *       -lgnutls -lpthread -ldl -lm -o gnutls_client
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "certpin.h"
#include "pin_client.h"
#include "pin_verify_gnutls.h"

static const char *program = "gnutls_client";

/* A TCP connection to 127.0.0.1:port, or -1 after reporting why. */
static int connect_local(const char *port)
{
    struct sockaddr_in address;
    int fd;

    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)strtoul(port, NULL, 10)); /* checked by pin_client_parse */
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)&address, sizeof address) != 0) {
        fprintf(stderr, "%s: cannot connect to 127.0.0.1:%s: %s\n", program, port,
                strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

/*
 * Sends the request and reads the whole response (until the server closes), keeping its
 * status line in line. Returns 0, or -1 after reporting the error.
 */
static int http_get(gnutls_session_t session, pin_client_status_line *line)
{
    static const char request[] = "GET / HTTP/1.0\r\n\r\n";
    char buffer[4096];
    size_t sent = 0;

    while (sent < sizeof request - 1) {
        ssize_t rc = gnutls_record_send(session, request + sent, sizeof request - 1 - sent);

        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            continue;
        }
        if (rc < 0) {
            fprintf(stderr, "%s: sending the request failed: %s\n", program,
                    gnutls_strerror((int)rc));
            return -1;
        }
        sent += (size_t)rc;
    }
    for (;;) {
        ssize_t rc = gnutls_record_recv(session, buffer, sizeof buffer);

        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            continue;
        }
        /* The end: a close_notify (0), or a plain close of the connection, which HTTP/1.0
           allows after the response (the status line is all this client keeps). */
        if (rc == 0 || rc == GNUTLS_E_PREMATURE_TERMINATION) {
            break;
        }
        if (rc < 0) {
            fprintf(stderr, "%s: reading the response failed: %s\n", program,
                    gnutls_strerror((int)rc));
            return -1;
        }
        pin_client_status_line_add(line, buffer, (size_t)rc);
    }
    return pin_client_status_line_check(program, line);
}

/* Connects, verifies and fetches "/". Returns the exit status. */
static int run(const pin_client_args *args)
{
    int status = PIN_CLIENT_ERROR;
    pin_client_status_line line = PIN_CLIENT_STATUS_LINE_INIT;
    /* The session pointer: the store, the host, --at. */
    pin_gnutls_config config = {args->store, args->host, args->have_time, args->unix_time};
    gnutls_certificate_credentials_t credentials = NULL;
    gnutls_session_t session = NULL;
    int fd = -1;
    int rc;

    rc = gnutls_certificate_allocate_credentials(&credentials);
    if (rc < 0) {
        fprintf(stderr, "%s: gnutls_certificate_allocate_credentials: %s\n", program,
                gnutls_strerror(rc));
        credentials = NULL;
        goto done;
    }
    /* The trust store GnuTLS checks against: only the given bundle (the count it loaded). */
    rc = gnutls_certificate_set_x509_trust_file(credentials, args->cafile, GNUTLS_X509_FMT_PEM);
    if (rc <= 0) {
        fprintf(stderr, "%s: cannot load CA certificates from %s: %s\n", program, args->cafile,
                rc < 0 ? gnutls_strerror(rc) : "none found");
        goto done;
    }
    rc = gnutls_init(&session, GNUTLS_CLIENT);
    if (rc < 0) {
        fprintf(stderr, "%s: gnutls_init: %s\n", program, gnutls_strerror(rc));
        session = NULL;
        goto done;
    }
    if ((rc = gnutls_set_default_priority(session)) < 0 ||
        (rc = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, credentials)) < 0 ||
        /* SNI (the name GnuTLS's check and certpin's use is the config's host). */
        (rc = gnutls_server_name_set(session, GNUTLS_NAME_DNS, args->host,
                                     strlen(args->host))) < 0) {
        fprintf(stderr, "%s: cannot set up the session: %s\n", program, gnutls_strerror(rc));
        goto done;
    }
    if (args->no_pinning) {
        gnutls_session_set_verify_cert(session, args->host, 0);
    } else {
        gnutls_session_set_ptr(session, &config);
        gnutls_session_set_verify_function(session, pin_gnutls_verify_function);
    }

    fd = connect_local(args->port);
    if (fd < 0) {
        goto done;
    }
    gnutls_transport_set_int(session, fd);
    gnutls_handshake_set_timeout(session, GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT);

    do {
        rc = gnutls_handshake(session);
    } while (rc < 0 && gnutls_error_is_fatal(rc) == 0);
    if (rc < 0) {
        if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
            fprintf(stderr, "%s: handshake refused: %s\n", program, gnutls_strerror(rc));
            printf("refused\n");
            status = PIN_CLIENT_REFUSED;
        } else {
            fprintf(stderr, "%s: TLS handshake failed: %s\n", program, gnutls_strerror(rc));
        }
        goto done;
    }

    if (http_get(session, &line) != 0) {
        goto done;
    }
    printf("connected: %s\n", line.text);
    gnutls_bye(session, GNUTLS_SHUT_WR); /* a failure changes nothing */
    status = PIN_CLIENT_CONNECTED;

done:
    if (session != NULL) {
        gnutls_deinit(session);
    }
    if (fd >= 0) {
        close(fd);
    }
    if (credentials != NULL) {
        gnutls_certificate_free_credentials(credentials);
    }
    return status;
}

int main(int argc, char **argv)
{
    return pin_client_main(&program, argc, argv, run);
}
