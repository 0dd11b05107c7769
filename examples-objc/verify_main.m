/*
 * verify_objc: checks CPPinStore on the sample certificates, the way an app would use it.
 *
 *   verify_objc [--testdata DIR] [--pins FILE] [NAME=FILE.der]...
 *   verify_objc [--testdata DIR] [--pins FILE] [--no-pins] --served LEAF.der [CA.der]...
 *
 * --testdata  read NAME.der for every certificate below, and pins.txt, from DIR
 * --pins      read the "NAME sha256/..." lines from FILE (default: DIR/pins.txt)
 * NAME=FILE   read certificate NAME from FILE instead (leaf, intermediate-ca, root-ca,
 *             rogue-ca, mitm-leaf, expired-leaf)
 *
 * Prints "case NAME: ok" or "case NAME: FAILED (why)" for every case, then "N passed,
 * M failed". Exits 0 when every case passed, 1 when one failed, 2 for usage or file errors.
 * With --served, verifies instead the chain a live server sent (see RunServed);
 * tests/objc_wrapper.rs fetches it from openssl s_server.
 * Uses only CPPinStore and Foundation (the certpin.h constants come with CPPinStore.h).
 *
 * Build on Linux with GNUstep (see build.sh):
 *   gcc $(gnustep-config --objc-flags) -MF /dev/null -Iinclude -Iexamples-objc \
 *       examples-objc/CPPinStore.m examples-objc/verify_main.m -o verify_objc \
 *       target/release/libcertpin.a -lpthread -ldl -lm $(gnustep-config --base-libs)
 */

#import <Foundation/Foundation.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#import "CPPinStore.h"

#if __has_feature(objc_arc)
#define CPAutorelease(object) (object)
#else
#define CPAutorelease(object) [(object) autorelease]
#endif

enum { ExitPassed = 0, ExitFailed = 1, ExitUsage = 2 };

/* 2027-01-01T00:00:00Z: inside the samples' validity (2026 to 2046), after expired-leaf's. */
static const uint64_t SampleTime = 1798761600;

static NSString *const Host = @"api.example.com";

/* Certificate name → NSData (DER), and certificate name → its "sha256/..." pin. */
static NSMutableDictionary *Certificates;
static NSMutableDictionary *Pins;

static NSData *Der(NSString *name)
{
    return [Certificates objectForKey:name];
}

static NSString *Pin(NSString *name)
{
    return [Pins objectForKey:name];
}

/* The chain api.example.com sends: its leaf, then the intermediate CA. */
static NSArray *GenuineChain(void)
{
    return [NSArray arrayWithObjects:Der(@"leaf"), Der(@"intermediate-ca"), nil];
}

/*
 * A store trusting the named anchors, with the app's pins for api.example.com: the
 * intermediate CA's key, and a backup pin for a spare key kept offline (here the sample
 * EC root's), as examples-c/run.sh does. Returns nil and sets *why on failure.
 */
static CPPinStore *PinnedStore(NSArray *anchors, NSString **why)
{
    CPPinStore *store = CPAutorelease([[CPPinStore alloc] init]);
    NSError *error = nil;
    NSUInteger i;

    if (store == nil) {
        *why = @"CPPinStore could not be made";
        return nil;
    }
    for (i = 0; i < [anchors count]; i++) {
        NSString *anchor = [anchors objectAtIndex:i];
        if (![store addTrustAnchor:Der(anchor) error:&error]) {
            *why = [NSString stringWithFormat:@"anchor %@ refused: %@", anchor,
                                              [error localizedDescription]];
            return nil;
        }
    }
    if (![store addPin:Pin(@"intermediate-ca") forHostPattern:Host error:&error] ||
        ![store addPin:Pin(@"ec-root-ca") forHostPattern:Host error:&error]) {
        *why = [NSString stringWithFormat:@"pin refused: %@", [error localizedDescription]];
        return nil;
    }
    return store;
}

/* nil when a call answered NO with an error of certpin's domain, code and name; else why not. */
static NSString *CheckRefusal(BOOL answer, NSError *error, pin_result code, NSString *name)
{
    if (answer) {
        return [NSString stringWithFormat:@"answered YES, expected NO with %@", name];
    }
    if (error == nil) {
        return @"answered NO without an NSError";
    }
    if (![[error domain] isEqualToString:CPPinStoreErrorDomain] || [error code] != (NSInteger)code ||
        ![[[error userInfo] objectForKey:CPPinResultNameKey] isEqualToString:name] ||
        [[error localizedDescription] length] == 0) {
        return [NSString stringWithFormat:@"expected %@ (%u) in %@ with a description, got %@ %ld "
                                          @"%@: %@",
                                          name, (unsigned)code, CPPinStoreErrorDomain,
                                          [error domain], (long)[error code],
                                          [[error userInfo] objectForKey:CPPinResultNameKey],
                                          [error localizedDescription]];
    }
    return nil;
}

/* The genuine chain, pinned on its intermediate: trusted. */
static NSString *CaseGenuine(void)
{
    NSString *why = nil;
    NSError *error = nil;
    CPPinStore *store = PinnedStore([NSArray arrayWithObject:@"root-ca"], &why);
    NSArray *chain = GenuineChain();

    if (store == nil) {
        return why;
    }
    if (![store verifyChain:chain host:Host atTime:SampleTime error:&error]) {
        return [NSString stringWithFormat:@"refused: %@", [error localizedDescription]];
    }
    if (error != nil) {
        return @"trusted, but *error was set";
    }
    return nil;
}

/*
 * A man in the middle whose root the device trusts (a proxy's, or a mis-issuing CA): the
 * chain is valid, but the path holds no pinned key. Refused, and the explanation shows the
 * pins of the path (the MITM leaf's and the rogue root's) and the policy's pin.
 */
static NSString *CaseMitm(void)
{
    NSString *why = nil;
    NSError *error = nil;
    CPPinStore *store = PinnedStore([NSArray arrayWithObjects:@"root-ca", @"rogue-ca", nil], &why);
    NSArray *chain = [NSArray arrayWithObject:Der(@"mitm-leaf")];
    BOOL answer;
    NSArray *wanted = [NSArray arrayWithObjects:@"mitm-leaf", @"rogue-ca", @"intermediate-ca", nil];
    NSUInteger i;

    if (store == nil) {
        return why;
    }
    answer = [store verifyChain:chain host:Host atTime:SampleTime error:&error];
    why = CheckRefusal(answer, error, PIN_ERR_PIN_MISMATCH, @"PIN_ERR_PIN_MISMATCH");
    if (why != nil) {
        return why;
    }
    for (i = 0; i < [wanted count]; i++) {
        NSString *name = [wanted objectAtIndex:i];
        if ([[error localizedDescription] rangeOfString:Pin(name)].location == NSNotFound) {
            return [NSString stringWithFormat:@"the description lacks the pin of %@: %@", name,
                                              [error localizedDescription]];
        }
    }
    return nil;
}

/* The MITM chain with the genuine, pinned intermediate appended: it is not on the valid
   path, so it does not count. Refused. */
static NSString *CaseMitmPlusIntermediate(void)
{
    NSString *why = nil;
    NSError *error = nil;
    CPPinStore *store = PinnedStore([NSArray arrayWithObjects:@"root-ca", @"rogue-ca", nil], &why);
    NSArray *chain = [NSArray arrayWithObjects:Der(@"mitm-leaf"), Der(@"intermediate-ca"), nil];
    BOOL answer;

    if (store == nil) {
        return why;
    }
    answer = [store verifyChain:chain host:Host atTime:SampleTime error:&error];
    return CheckRefusal(answer, error, PIN_ERR_PIN_MISMATCH, @"PIN_ERR_PIN_MISMATCH");
}

/* A pin that is not one is refused, and the store is left as it was. */
static NSString *CaseBadPin(void)
{
    NSString *why = nil;
    NSError *error = nil;
    CPPinStore *store = PinnedStore([NSArray arrayWithObject:@"root-ca"], &why);
    NSArray *chain = GenuineChain();
    BOOL answer;

    if (store == nil) {
        return why;
    }
    answer = [store addPin:@"sha256/not-a-pin" forHostPattern:Host error:&error];
    why = CheckRefusal(answer, error, PIN_ERR_BAD_PIN, @"PIN_ERR_BAD_PIN");
    if (why != nil) {
        return why;
    }
    error = nil;
    if (![store verifyChain:chain host:Host atTime:SampleTime error:&error]) {
        return [NSString stringWithFormat:@"after the refused pin, the genuine chain is "
                                          @"refused: %@",
                                          [error localizedDescription]];
    }
    return nil;
}

/* A leaf from the genuine intermediate that expired in 2021. */
static NSString *CaseExpired(void)
{
    NSString *why = nil;
    NSError *error = nil;
    CPPinStore *store = PinnedStore([NSArray arrayWithObject:@"root-ca"], &why);
    NSArray *chain = [NSArray arrayWithObjects:Der(@"expired-leaf"), Der(@"intermediate-ca"), nil];
    BOOL answer;

    if (store == nil) {
        return why;
    }
    answer = [store verifyChain:chain host:Host atTime:SampleTime error:&error];
    return CheckRefusal(answer, error, PIN_ERR_EXPIRED, @"PIN_ERR_EXPIRED");
}

/* One certificate more than CERTPIN_MAX_CHAIN_LEN: refused by the wrapper itself. */
static NSString *CaseChainTooLong(void)
{
    NSString *why = nil;
    NSError *error = nil;
    CPPinStore *store = PinnedStore([NSArray arrayWithObject:@"root-ca"], &why);
    NSMutableArray *chain = [NSMutableArray arrayWithObject:Der(@"leaf")];
    BOOL answer;

    if (store == nil) {
        return why;
    }
    while ([chain count] < CERTPIN_MAX_CHAIN_LEN + 1) {
        [chain addObject:Der(@"intermediate-ca")];
    }
    answer = [store verifyChain:chain host:Host atTime:SampleTime error:&error];
    return CheckRefusal(answer, error, PIN_ERR_INVALID_ARGUMENT, @"PIN_ERR_INVALID_ARGUMENT");
}

/* An empty chain reaches certpin, which names it. */
static NSString *CaseEmptyChain(void)
{
    NSString *why = nil;
    NSError *error = nil;
    CPPinStore *store = PinnedStore([NSArray arrayWithObject:@"root-ca"], &why);
    BOOL answer;

    if (store == nil) {
        return why;
    }
    answer = [store verifyChain:[NSArray array] host:Host atTime:SampleTime error:&error];
    return CheckRefusal(answer, error, PIN_ERR_EMPTY_CHAIN, @"PIN_ERR_EMPTY_CHAIN");
}

/* A host with a NUL character would reach C cut short, as another host: refused. */
static NSString *CaseNulInHost(void)
{
    static const char bytes[] = "api.example.com\0.evil.test";
    NSString *why = nil;
    NSError *error = nil;
    CPPinStore *store = PinnedStore([NSArray arrayWithObject:@"root-ca"], &why);
    NSArray *chain = GenuineChain();
    NSString *host = CPAutorelease([[NSString alloc] initWithBytes:bytes
                                                            length:sizeof bytes - 1
                                                          encoding:NSUTF8StringEncoding]);
    BOOL answer;

    if (store == nil) {
        return why;
    }
    answer = [store verifyChain:chain host:host atTime:SampleTime error:&error];
    return CheckRefusal(answer, error, PIN_ERR_INVALID_ARGUMENT, @"PIN_ERR_INVALID_ARGUMENT");
}

/* The samples' validity (testdata/make-samples.sh): 2026-01-01 to 2046-01-01, both included. */
static const uint64_t SamplesValidFrom = 1767225600;
static const uint64_t SamplesValidUntil = 2398377600;

/*
 * -verifyChain:host:error: (the current time) gives the verdict the samples' dates call for
 * now: trusted inside their validity, PIN_ERR_NOT_YET_VALID before it, PIN_ERR_EXPIRED after
 * it. The expected verdict comes from the fixed dates above and the system clock, not from
 * certpin; -verifyChain:host:atTime:error: at the same second agrees, and both work without
 * an NSError to fill.
 */
static NSString *CaseNow(void)
{
    NSString *why = nil;
    CPPinStore *store = PinnedStore([NSArray arrayWithObject:@"root-ca"], &why);
    NSArray *chain = GenuineChain();
    uint64_t now = (uint64_t)time(NULL);
    NSError *error = nil;
    BOOL current;

    if (store == nil) {
        return why;
    }
    current = [store verifyChain:chain host:Host error:&error];
    if (now >= SamplesValidFrom && now <= SamplesValidUntil) {
        if (!current) {
            return [NSString stringWithFormat:@"refused at %llu, inside the samples' validity: %@",
                                              (unsigned long long)now,
                                              [error localizedDescription]];
        }
    } else {
        BOOL early = now < SamplesValidFrom;
        why = CheckRefusal(current, error, early ? PIN_ERR_NOT_YET_VALID : PIN_ERR_EXPIRED,
                           early ? @"PIN_ERR_NOT_YET_VALID" : @"PIN_ERR_EXPIRED");
        if (why != nil) {
            return why;
        }
    }
    if ([store verifyChain:chain host:Host error:NULL] != current ||
        [store verifyChain:chain host:Host atTime:now error:NULL] != current) {
        return @"without an NSError, or at the same second, the answer differs";
    }
    return nil;
}

/*
 * --served: the chain a live server sent (DER files, leaf first, as the test fetched them),
 * verified for api.example.com by a store trusting the genuine and the rogue roots (a device
 * with a proxy CA installed), pinned as PinnedStore pins it, or with no pins (--no-pins, the
 * control). Prints "served: PIN_OK" or "served: CODE: explanation"; exits 0 when trusted, 1
 * when refused, 2 for usage or file errors.
 */
static int RunServed(NSArray *paths, BOOL pinned)
{
    NSMutableArray *chain = [NSMutableArray array];
    NSArray *anchors = [NSArray arrayWithObjects:@"root-ca", @"rogue-ca", nil];
    CPPinStore *store;
    NSString *why = nil;
    NSError *error = nil;
    NSUInteger i;

    for (i = 0; i < [paths count]; i++) {
        NSData *der = [NSData dataWithContentsOfFile:[paths objectAtIndex:i]];
        if (der == nil) {
            fprintf(stderr, "verify_objc: cannot read %s\n", [[paths objectAtIndex:i] UTF8String]);
            return ExitUsage;
        }
        [chain addObject:der];
    }
    if (pinned) {
        store = PinnedStore(anchors, &why);
    } else {
        store = CPAutorelease([[CPPinStore alloc] init]);
        for (i = 0; store != nil && i < [anchors count]; i++) {
            if (![store addTrustAnchor:Der([anchors objectAtIndex:i]) error:&error]) {
                store = nil;
                why = [error localizedDescription];
            }
        }
    }
    if (store == nil) {
        fprintf(stderr, "verify_objc: %s\n", why != nil ? [why UTF8String] : "no store");
        return ExitUsage;
    }
    if ([store verifyChain:chain host:Host error:&error]) {
        printf("served: PIN_OK\n");
        return ExitPassed;
    }
    printf("served: %s: %s\n",
           [[[error userInfo] objectForKey:CPPinResultNameKey] UTF8String],
           [[[[error localizedDescription] componentsSeparatedByString:@"\n"]
               componentsJoinedByString:@" | "] UTF8String]);
    return ExitFailed;
}

/* Reads the certificates and pins; returns NO after reporting what is missing on stderr. */
static BOOL LoadSamples(NSString *directory, NSString *pinsPath, NSDictionary *overrides)
{
    NSArray *names = [NSArray arrayWithObjects:@"leaf", @"intermediate-ca", @"root-ca",
                                               @"rogue-ca", @"mitm-leaf", @"expired-leaf", nil];
    NSArray *pinNames = [NSArray arrayWithObjects:@"intermediate-ca", @"ec-root-ca",
                                                  @"mitm-leaf", @"rogue-ca", nil];
    NSString *text;
    NSArray *lines;
    NSUInteger i;

    for (i = 0; i < [names count]; i++) {
        NSString *name = [names objectAtIndex:i];
        NSString *path = [overrides objectForKey:name];
        NSData *der;
        if (path == nil && directory != nil) {
            path = [directory stringByAppendingPathComponent:
                                  [name stringByAppendingPathExtension:@"der"]];
        }
        if (path == nil) {
            fprintf(stderr, "verify_objc: no file for %s: give --testdata DIR or %s=FILE.der\n",
                    [name UTF8String], [name UTF8String]);
            return NO;
        }
        der = [NSData dataWithContentsOfFile:path];
        if (der == nil) {
            fprintf(stderr, "verify_objc: cannot read %s\n", [path UTF8String]);
            return NO;
        }
        [Certificates setObject:der forKey:name];
    }

    if (pinsPath == nil && directory != nil) {
        pinsPath = [directory stringByAppendingPathComponent:@"pins.txt"];
    }
    text = pinsPath != nil ? [NSString stringWithContentsOfFile:pinsPath
                                                       encoding:NSUTF8StringEncoding
                                                          error:NULL]
                           : nil;
    if (text == nil) {
        fprintf(stderr, "verify_objc: cannot read the pins file %s: give --testdata or --pins\n",
                pinsPath != nil ? [pinsPath UTF8String] : "(none)");
        return NO;
    }
    lines = [text componentsSeparatedByString:@"\n"];
    for (i = 0; i < [lines count]; i++) {
        NSArray *words = [[[lines objectAtIndex:i]
            stringByTrimmingCharactersInSet:[NSCharacterSet whitespaceCharacterSet]]
            componentsSeparatedByString:@" "];
        if ([words count] == 2) {
            [Pins setObject:[words objectAtIndex:1] forKey:[words objectAtIndex:0]];
        }
    }
    for (i = 0; i < [pinNames count]; i++) {
        if (Pin([pinNames objectAtIndex:i]) == nil) {
            fprintf(stderr, "verify_objc: %s has no pin for %s\n", [pinsPath UTF8String],
                    [[pinNames objectAtIndex:i] UTF8String]);
            return NO;
        }
    }
    return YES;
}

static void Usage(void)
{
    fprintf(stderr, "usage: verify_objc [--testdata DIR] [--pins FILE] [NAME=FILE.der]...\n"
                    "       verify_objc [--testdata DIR] [--pins FILE] [--no-pins] --served "
                    "LEAF.der [CA.der]...\n");
}

static int Run(int argc, char **argv)
{
    typedef NSString *(*CaseFunction)(void);
    static const struct {
        const char *name;
        CaseFunction run;
    } cases[] = {
        {"genuine", CaseGenuine},
        {"mitm", CaseMitm},
        {"mitm-plus-intermediate", CaseMitmPlusIntermediate},
        {"bad-pin", CaseBadPin},
        {"expired", CaseExpired},
        {"chain-too-long", CaseChainTooLong},
        {"empty-chain", CaseEmptyChain},
        {"nul-in-host", CaseNulInHost},
        {"now", CaseNow},
    };
    NSString *directory = nil;
    NSString *pinsPath = nil;
    NSMutableDictionary *overrides = [NSMutableDictionary dictionary];
    NSMutableArray *served = nil;
    BOOL pinned = YES;
    unsigned passed = 0, failed = 0;
    size_t i;
    int a;

    for (a = 1; a < argc; a++) {
        if (served != nil) {
            [served addObject:[NSString stringWithUTF8String:argv[a]]];
            continue;
        }
        if (strcmp(argv[a], "--served") == 0) {
            served = [NSMutableArray array];
            continue;
        }
        if (strcmp(argv[a], "--no-pins") == 0) {
            pinned = NO;
            continue;
        }
        NSString *argument = [NSString stringWithUTF8String:argv[a]];
        NSRange equals = [argument rangeOfString:@"="];
        if ((strcmp(argv[a], "--testdata") == 0 || strcmp(argv[a], "--pins") == 0) &&
            a + 1 < argc) {
            NSString *value = [NSString stringWithUTF8String:argv[a + 1]];
            if (strcmp(argv[a], "--testdata") == 0) {
                directory = value;
            } else {
                pinsPath = value;
            }
            a++;
        } else if (argument != nil && equals.location != NSNotFound && equals.location > 0 &&
                   ![argument hasPrefix:@"-"]) {
            [overrides setObject:[argument substringFromIndex:equals.location + 1]
                          forKey:[argument substringToIndex:equals.location]];
        } else {
            Usage();
            return ExitUsage;
        }
    }

    Certificates = [NSMutableDictionary dictionary];
    Pins = [NSMutableDictionary dictionary];
    if (!LoadSamples(directory, pinsPath, overrides)) {
        return ExitUsage;
    }
    if (served != nil) {
        return [served count] > 0 ? RunServed(served, pinned) : ExitUsage;
    }

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        NSString *why = cases[i].run();
        if (why == nil) {
            printf("case %s: ok\n", cases[i].name);
            passed++;
        } else {
            /* One line per case: the explanation's newlines become " | ". */
            why = [why stringByTrimmingCharactersInSet:[NSCharacterSet newlineCharacterSet]];
            why = [[why componentsSeparatedByString:@"\n"] componentsJoinedByString:@" | "];
            printf("case %s: FAILED (%s)\n", cases[i].name, [why UTF8String]);
            failed++;
        }
    }
    printf("%u passed, %u failed\n", passed, failed);
    fflush(stdout);
    Certificates = nil;
    Pins = nil;
    return failed == 0 ? ExitPassed : ExitFailed;
}

int main(int argc, char **argv)
{
    int status;

    /* gcc has no @autoreleasepool; NSAutoreleasePool serves everywhere but under ARC. */
#if __has_feature(objc_arc)
    @autoreleasepool {
        status = Run(argc, argv);
    }
#else
    NSAutoreleasePool *pool = [[NSAutoreleasePool alloc] init];
    status = Run(argc, argv);
    [pool drain];
#endif
    return status;
}
