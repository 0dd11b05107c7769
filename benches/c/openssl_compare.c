/*
 * openssl_compare.c: certpin's chain verification against what a C TLS stack does itself
 * with OpenSSL, in one process, on the same sample chains, at the same fixed time.
 *
 * For the RSA-2048 and the P-256 sample chains (leaf + intermediate sent, root trusted,
 * host api.example.com, the intermediate's key pinned) it measures:
 *
 *   openssl (d2i)      X509_STORE holding the root (built once, like an SSL_CTX's), then per
 *                      call: d2i_X509 of leaf and intermediate, X509_STORE_CTX_init, time
 *                      and purpose (SSL server), X509_verify_cert, X509_check_host, SHA-256 of
 *                      each validated SPKI until one equals the pin; everything freed.
 *   openssl (parsed)   the same with leaf and intermediate parsed once, outside the loop.
 *   signatures only    X509_verify(leaf, intermediate key) + X509_verify(intermediate, root
 *                      key) on parsed certificates: the two signatures any path check makes.
 *   certpin cold       pin_verify_chain_at with the verdict cache off.
 *   certpin warm       pin_verify_chain_at with the verdict cache on, the same chain again.
 *
 * Each is run in batches of BATCH calls after a warm-up; the figure is the median batch time
 * divided by BATCH (p10 and p90 are printed beside it to show the spread, and "others" is how
 * many CPUs' worth of time other processes used meanwhile, from /proc/stat). Then throughput of
 * cold verification on one thread and on two threads sharing one store, for certpin and, as a
 * control for what the machine allows, for OpenSSL (d2i each call): rounds alternate 1 and 2
 * threads, the best round of each is the figure, and each round says how many CPUs' worth of
 * time other processes took meanwhile (on a 2-CPU machine, anything but ~0 spoils 2T).
 *
 * Usage: openssl_compare TESTDATA_DIR [cold_iterations warm_iterations]
 *        openssl_compare TESTDATA_DIR --only WAY rsa|p256 ITERATIONS
 * The second form runs one way alone, untimed, for a profiler (perf, callgrind); WAY is one
 * of openssl_d2i, openssl_parsed, signatures_only, certpin_cold, certpin_warm.
 * Built and run by benches/c/run.sh.
 */

#define _GNU_SOURCE
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "certpin.h"

/* 2027-01-01T00:00:00Z: inside the samples' validity (2026..2046). */
#define AT ((uint64_t)1798761600)
#define HOST "api.example.com"
#define BATCH 10
#define THREAD_SECONDS 1.0

static void die(const char *what) {
    fprintf(stderr, "openssl_compare: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct {
    unsigned char *data;
    size_t len;
} der_file;

static der_file read_der(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.der", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "openssl_compare: cannot open %s\n", path);
        exit(1);
    }
    der_file out = {malloc(65536), 0};
    if (!out.data) die("out of memory");
    out.len = fread(out.data, 1, 65536, f);
    fclose(f);
    if (out.len == 0) die("empty certificate file");
    return out;
}

static X509 *parse(const der_file *der) {
    const unsigned char *p = der->data;
    X509 *cert = d2i_X509(NULL, &p, (long)der->len);
    if (!cert) die("d2i_X509 failed");
    return cert;
}

/* One key type's material, shared read-only by every measurement and thread. */
typedef struct {
    const char *name;
    der_file leaf, intermediate, root;
    X509 *leaf_x509, *intermediate_x509, *root_x509; /* parsed once */
    X509_STORE *x509_store;                            /* holds the root */
    unsigned char pin_sha256[32];                      /* the intermediate's SPKI SHA-256 */
    pin_store *cold;                                   /* verdict cache off */
    pin_store *warm;                                   /* verdict cache on */
    pin_bytes chain[2];
} key_case;

static int spki_sha256(X509 *cert, unsigned char out[32]) {
    unsigned char *der = NULL;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (len <= 0) return 0;
    int ok = EVP_Digest(der, (size_t)len, out, NULL, EVP_sha256(), NULL);
    OPENSSL_free(der);
    return ok;
}

/* What a C stack does itself: validate the path, check the host, then look for the pin among
 * the SPKIs of the validated path. Returns 1 when trusted. */
static int openssl_verify(const key_case *k, X509 *leaf, X509 *intermediate) {
    int trusted = 0;
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!untrusted || !ctx || !sk_X509_push(untrusted, intermediate)) goto done;
    if (!X509_STORE_CTX_init(ctx, k->x509_store, leaf, untrusted)) goto done;
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)AT);
    if (!X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER)) goto done;
    if (X509_verify_cert(ctx) != 1) goto done;
    if (X509_check_host(leaf, HOST, strlen(HOST), 0, NULL) != 1) goto done;
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    for (int i = 0; i < sk_X509_num(path); i++) {
        unsigned char digest[32];
        if (!spki_sha256(sk_X509_value(path, i), digest)) goto done;
        if (memcmp(digest, k->pin_sha256, 32) == 0) {
            trusted = 1;
            break;
        }
    }
done:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    return trusted;
}

static int openssl_d2i(const key_case *k) {
    X509 *leaf = parse(&k->leaf);
    X509 *intermediate = parse(&k->intermediate);
    int trusted = openssl_verify(k, leaf, intermediate);
    X509_free(leaf);
    X509_free(intermediate);
    return trusted;
}

static int openssl_parsed(const key_case *k) {
    return openssl_verify(k, k->leaf_x509, k->intermediate_x509);
}

static int signatures_only(const key_case *k) {
    EVP_PKEY *intermediate_key = X509_get0_pubkey(k->intermediate_x509);
    EVP_PKEY *root_key = X509_get0_pubkey(k->root_x509);
    return X509_verify(k->leaf_x509, intermediate_key) == 1 &&
           X509_verify(k->intermediate_x509, root_key) == 1;
}

static int certpin_cold(const key_case *k) {
    return pin_verify_chain_at(k->cold, k->chain, 2, HOST, AT) == PIN_OK;
}

static int certpin_warm(const key_case *k) {
    return pin_verify_chain_at(k->warm, k->chain, 2, HOST, AT) == PIN_OK;
}

typedef int (*measured_fn)(const key_case *);

static const struct {
    const char *name;
    measured_fn fn;
} ways[] = {
    {"openssl_d2i", openssl_d2i},         {"openssl_parsed", openssl_parsed},
    {"signatures_only", signatures_only}, {"certpin_cold", certpin_cold},
    {"certpin_warm", certpin_warm},
};

/* CPU time (seconds) used by the whole machine (all CPUs, not idle) and by this process. */
static double machine_busy_s(void) {
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return 0;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n != 8) return 0;
    /* user nice system [idle iowait] irq softirq steal */
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

static double self_busy_s(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

typedef struct {
    double median_us, p10_us, p90_us;
    double others_cpus; /* CPUs' worth of time other processes used meanwhile */
} timing;

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs `fn` `warmup` times, then `iterations` times in batches of BATCH, and returns the
 * median (and p10, p90) of batch time / BATCH. Every call must succeed. */
static timing measure(measured_fn fn, const key_case *k, int warmup, int iterations) {
    for (int i = 0; i < warmup; i++)
        if (!fn(k)) die("a verification failed during warm-up");
    int batches = iterations / BATCH;
    double machine0 = machine_busy_s(), self0 = self_busy_s(), start0 = now_ns();
    double *per_call = malloc(sizeof(double) * (size_t)batches);
    if (!per_call) die("out of memory");
    for (int b = 0; b < batches; b++) {
        int ok = 1;
        double start = now_ns();
        for (int i = 0; i < BATCH; i++) ok &= fn(k);
        double elapsed = now_ns() - start;
        if (!ok) die("a verification failed");
        per_call[b] = elapsed / BATCH / 1000.0;
    }
    double wall = (now_ns() - start0) / 1e9;
    double others = (machine_busy_s() - machine0) - (self_busy_s() - self0);
    qsort(per_call, (size_t)batches, sizeof(double), compare_double);
    timing t = {per_call[batches / 2], per_call[batches / 10], per_call[batches * 9 / 10],
                /* /proc/stat counts in 10 ms ticks: too coarse for a run under 0.1 s */
                wall < 0.1 ? -1 : others > 0 ? others / wall : 0};
    free(per_call);
    return t;
}

/* Throughput: `threads` threads call `fn` in a loop over the same material until the time is
 * up; the total count over the elapsed time is ops/s. */
typedef struct {
    measured_fn fn;
    const key_case *k;
    volatile int *go;
    volatile int *stop;
    long count;
    int failed;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    while (!__atomic_load_n(w->go, __ATOMIC_ACQUIRE)) {
    }
    long n = 0;
    while (!__atomic_load_n(w->stop, __ATOMIC_ACQUIRE)) {
        if (!w->fn(w->k)) w->failed = 1;
        n++;
    }
    w->count = n;
    return NULL;
}

typedef struct {
    double ops_per_s;
    double others_cpus; /* CPUs' worth of time other processes used meanwhile */
} rate;

static rate throughput(measured_fn fn, const key_case *k, int threads) {
    pthread_t ids[2];
    worker workers[2];
    volatile int go = 0, stop = 0;
    for (int i = 0; i < threads; i++) {
        workers[i] = (worker){fn, k, &go, &stop, 0, 0};
        if (pthread_create(&ids[i], NULL, work, &workers[i]) != 0) die("pthread_create failed");
    }
    double machine0 = machine_busy_s(), self0 = self_busy_s();
    double start = now_ns();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    struct timespec pause = {0, 10 * 1000 * 1000};
    while (now_ns() - start < THREAD_SECONDS * 1e9) nanosleep(&pause, NULL);
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        if (workers[i].failed) die("a verification failed in a thread");
        total += workers[i].count;
    }
    double elapsed = (now_ns() - start) / 1e9;
    double others = (machine_busy_s() - machine0) - (self_busy_s() - self0);
    rate r = {(double)total / elapsed, others > 0 ? others / elapsed : 0};
    return r;
}

/* One thread against two, alternated ROUNDS times; the best round of each is the figure
 * (other processes only ever slow a round down), and every round is printed. */
#define ROUNDS 3
static void scaling(const char *label, measured_fn fn, const key_case *k) {
    rate one[ROUNDS], two[ROUNDS];
    double best1 = 0, best2 = 0;
    for (int r = 0; r < ROUNDS; r++) {
        one[r] = throughput(fn, k, 1);
        two[r] = throughput(fn, k, 2);
        if (one[r].ops_per_s > best1) best1 = one[r].ops_per_s;
        if (two[r].ops_per_s > best2) best2 = two[r].ops_per_s;
    }
    printf("  %-16s 1T best %7.0f ops/s, 2T best %7.0f ops/s, 2T/1T = %.2f\n", label, best1, best2,
           best2 / best1);
    printf("  %-16s rounds (ops/s, other processes' CPUs):", "");
    for (int r = 0; r < ROUNDS; r++)
        printf(" 1T %.0f (%.2f) 2T %.0f (%.2f)%s", one[r].ops_per_s, one[r].others_cpus,
               two[r].ops_per_s, two[r].others_cpus, r + 1 < ROUNDS ? ";" : "\n");
}

static void setup(key_case *k, const char *dir, const char *name, const char *prefix) {
    char file[64];
    k->name = name;
    snprintf(file, sizeof file, "%sleaf", prefix);
    k->leaf = read_der(dir, file);
    snprintf(file, sizeof file, "%sintermediate-ca", prefix);
    k->intermediate = read_der(dir, file);
    snprintf(file, sizeof file, "%sroot-ca", prefix);
    k->root = read_der(dir, file);
    k->leaf_x509 = parse(&k->leaf);
    k->intermediate_x509 = parse(&k->intermediate);
    k->root_x509 = parse(&k->root);

    k->x509_store = X509_STORE_new();
    if (!k->x509_store || !X509_STORE_add_cert(k->x509_store, k->root_x509))
        die("X509_STORE setup failed");
    if (!spki_sha256(k->intermediate_x509, k->pin_sha256)) die("SPKI hash failed");

    /* The same pin as certpin computes it; checked against OpenSSL's digest below. */
    char pin[CERTPIN_PIN_BUFFER_LEN];
    if (pin_spki_sha256(k->intermediate.data, k->intermediate.len, pin, sizeof pin) != PIN_OK)
        die("pin_spki_sha256 failed");
    unsigned char b64[64];
    EVP_EncodeBlock(b64, k->pin_sha256, 32);
    if (strncmp(pin, "sha256/", 7) != 0 || strcmp(pin + 7, (const char *)b64) != 0)
        die("certpin's pin differs from OpenSSL's SPKI SHA-256");

    pin_store **stores[2] = {&k->cold, &k->warm};
    for (int i = 0; i < 2; i++) {
        pin_store *s = pin_store_new();
        if (!s) die("pin_store_new failed");
        if (pin_store_add_trust_anchor(s, k->root.data, k->root.len) != PIN_OK ||
            pin_store_add(s, HOST, pin) != PIN_OK)
            die("pin store setup failed");
        *stores[i] = s;
    }
    if (pin_store_set_verdict_cache(k->cold, 0) != PIN_OK) die("cache off failed");
    k->chain[0] = (pin_bytes){k->leaf.data, k->leaf.len};
    k->chain[1] = (pin_bytes){k->intermediate.data, k->intermediate.len};

    /* Each way must trust the chain before it is timed. */
    if (!openssl_d2i(k) || !openssl_parsed(k) || !signatures_only(k) || !certpin_cold(k) ||
        !certpin_warm(k))
        die("a chain that should verify did not");
}

/* `--only WAY KEY N`: one way alone, for a profiler. */
static int run_only(const char *dir, const char *way, const char *key, int n) {
    key_case k;
    if (strcmp(key, "rsa") == 0)
        setup(&k, dir, "RSA-2048", "");
    else if (strcmp(key, "p256") == 0)
        setup(&k, dir, "P-256", "ec-");
    else
        die("the key type is rsa or p256");
    for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
        if (strcmp(ways[w].name, way) != 0) continue;
        for (int i = 0; i < n; i++)
            if (!ways[w].fn(&k)) die("a verification failed");
        return 0;
    }
    die("unknown way");
    return 1;
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[2], "--only") == 0)
        return run_only(argv[1], argv[3], argv[4], atoi(argv[5]));
    if (argc != 2 && argc != 4) {
        fprintf(stderr,
                "usage: %s TESTDATA_DIR [cold_iterations warm_iterations]\n"
                "       %s TESTDATA_DIR --only WAY rsa|p256 ITERATIONS\n",
                argv[0], argv[0]);
        return 2;
    }
    int cold_n = argc == 4 ? atoi(argv[2]) : 2000;
    int warm_n = argc == 4 ? atoi(argv[3]) : 200000;
    if (cold_n < 10 * BATCH || warm_n < 10 * BATCH) die("too few iterations");

    key_case cases[2];
    setup(&cases[0], argv[1], "RSA-2048", "");
    setup(&cases[1], argv[1], "P-256", "ec-");

    printf("certpin %s, %s; time %llu; median of batches of %d calls (p10..p90)\n",
           pin_version(), OpenSSL_version(OPENSSL_VERSION), (unsigned long long)AT, BATCH);
    printf("iterations: %d cold (after %d warm-up), %d warm (after %d warm-up)\n\n", cold_n,
           cold_n / 10, warm_n, warm_n / 20);

    for (int c = 0; c < 2; c++) {
        key_case *k = &cases[c];
        struct {
            const char *label;
            measured_fn fn;
            int n;
            timing t;
        } rows[] = {
            {"openssl (d2i each call)", openssl_d2i, cold_n, {0, 0, 0, 0}},
            {"openssl (pre-parsed X509)", openssl_parsed, cold_n, {0, 0, 0, 0}},
            {"signatures only (2x X509_verify)", signatures_only, cold_n, {0, 0, 0, 0}},
            {"certpin cold (cache off)", certpin_cold, cold_n, {0, 0, 0, 0}},
            {"certpin warm (cache on)", certpin_warm, warm_n, {0, 0, 0, 0}},
        };
        int nrows = (int)(sizeof rows / sizeof rows[0]);
        for (int r = 0; r < nrows; r++) {
            int warmup = rows[r].n == warm_n ? warm_n / 20 : cold_n / 10;
            rows[r].t = measure(rows[r].fn, k, warmup, rows[r].n);
        }
        printf("%s chain (leaf + intermediate sent, root trusted)\n", k->name);
        printf("  %-34s %12s %22s %9s\n", "", "median us", "p10 .. p90 us", "others");
        for (int r = 0; r < nrows; r++) {
            char others[16] = "-";
            if (rows[r].t.others_cpus >= 0)
                snprintf(others, sizeof others, "%.2f", rows[r].t.others_cpus);
            printf("  %-34s %12.3f %10.3f .. %9.3f %9s\n", rows[r].label, rows[r].t.median_us,
                   rows[r].t.p10_us, rows[r].t.p90_us, others);
        }
        double d2i = rows[0].t.median_us, parsed = rows[1].t.median_us;
        double sigs = rows[2].t.median_us, cold = rows[3].t.median_us;
        double warm = rows[4].t.median_us;
        printf("  ratios: certpin_cold/openssl_d2i = %.3f   certpin_cold/openssl_parsed = %.3f\n",
               cold / d2i, cold / parsed);
        printf("          certpin_cold/signatures_only = %.3f   certpin_cold/certpin_warm = %.1f\n",
               cold / sigs, cold / warm);

        printf("  threads, cold, one store shared (%d rounds of %.0f s per thread count):\n", ROUNDS,
               THREAD_SECONDS);
        scaling("certpin cold", certpin_cold, k);
        scaling("control: openssl", openssl_d2i, k);
        printf("\n");
    }

    for (int c = 0; c < 2; c++) {
        key_case *k = &cases[c];
        pin_store_free(k->cold);
        pin_store_free(k->warm);
        X509_STORE_free(k->x509_store);
        X509_free(k->leaf_x509);
        X509_free(k->intermediate_x509);
        X509_free(k->root_x509);
        free(k->leaf.data);
        free(k->intermediate.data);
        free(k->root.data);
    }
    return 0;
}
