/*
 * verify_objc: checks CPPinStore on the sample certificates, the way an app would use it.
 *
 *   verify_objc [--testdata DIR] [--pins FILE] [NAME=FILE.der]...
 *
 * --testdata  read NAME.der for every certificate below, and pins.txt, from DIR
 * --pins      read the "NAME sha256/..." lines from FILE (default: DIR/pins.txt)
 * NAME=FILE   read certificate NAME from FILE instead (leaf, intermediate-ca, root-ca,
 *             rogue-ca, mitm-leaf, expired-leaf)
 *
 * Prints "case NAME: ok" or "case NAME: FAILED (why)" for every case, then "N passed,
 * M failed". Exits 0 when every case passed, 1 when one failed, 2 for usage or file errors.
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

/* -verifyChain:host:error: (now) agrees with -verifyChain:host:atTime:error: at the current
   time, and both work without an NSError to fill. */
static NSString *CaseNow(void)
{
    NSString *why = nil;
    CPPinStore *store = PinnedStore([NSArray arrayWithObject:@"root-ca"], &why);
    NSArray *chain = GenuineChain();
    uint64_t now = (uint64_t)[[NSDate date] timeIntervalSince1970];
    BOOL atNow, current;

    if (store == nil) {
        return why;
    }
    atNow = [store verifyChain:chain host:Host atTime:now error:NULL];
    current = [store verifyChain:chain host:Host error:NULL];
    if (atNow != current) {
        return [NSString stringWithFormat:@"now: %s, at %llu: %s", current ? "YES" : "NO",
                                          (unsigned long long)now, atNow ? "YES" : "NO"];
    }
    return nil;
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
    fprintf(stderr, "usage: verify_objc [--testdata DIR] [--pins FILE] [NAME=FILE.der]...\n");
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
    unsigned passed = 0, failed = 0;
    size_t i;
    int a;

    for (a = 1; a < argc; a++) {
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
