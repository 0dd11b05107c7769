/*
 * CPPinStore: see CPPinStore.h. Compiles with Apple clang (ARC or manual retain/release) and
 * with GNUstep's gcc; the only ownership code is in -init and -dealloc, behind objc_arc guards.
 */

#import "CPPinStore.h"

#include <string.h>

NSString *const CPPinStoreErrorDomain = @"CPPinStoreErrorDomain";
NSString *const CPPinResultNameKey = @"CPPinResultName";

/* Room for the explanation of any usual chain (see pin_verify_chain_explain). */
enum { CPExplanationLength = 4096 };

/* A valid address for an empty NSData, whose -bytes may be NULL: certpin then judges the
   empty certificate itself instead of reporting a NULL pointer the caller never passed. */
static const uint8_t CPNoBytes = 0;

/* Sets *error (when error is not NULL) to a CPPinStoreErrorDomain error for result. */
static void CPSetError(NSError **error, pin_result result, NSString *description)
{
    NSString *name;
    NSDictionary *userInfo;

    if (error == NULL) {
        return;
    }
    name = [NSString stringWithUTF8String:pin_result_name(result)];
    userInfo = [NSDictionary dictionaryWithObjectsAndKeys:description, NSLocalizedDescriptionKey,
                                                          name, CPPinResultNameKey, nil];
    *error = [NSError errorWithDomain:CPPinStoreErrorDomain
                                 code:(NSInteger)result
                             userInfo:userInfo];
}

/* certpin's one-line description of result. */
static NSString *CPDescription(pin_result result)
{
    return [NSString stringWithUTF8String:pin_result_description(result)];
}

/*
 * The UTF-8 form of string for certpin, in *out: NULL for nil (certpin then answers
 * PIN_ERR_NULL_ARGUMENT itself). Returns PIN_ERR_INVALID_ARGUMENT, without touching *out, for
 * a string that cannot be passed as it is: one that has no UTF-8 form, or one holding a NUL
 * character, which would end the C string early and make certpin judge another host or pin
 * than the caller's. The pointer lives as long as the autoreleased UTF-8 buffer of string.
 */
static pin_result CPCString(NSString *string, const char **out)
{
    const char *utf8;

    if (string == nil) {
        *out = NULL;
        return PIN_OK;
    }
    utf8 = [string UTF8String];
    if (utf8 == NULL ||
        strlen(utf8) != [string lengthOfBytesUsingEncoding:NSUTF8StringEncoding]) {
        return PIN_ERR_INVALID_ARGUMENT;
    }
    *out = utf8;
    return PIN_OK;
}

/* Both -verifyChain: methods: the verdict of store on chain for host at *unixTime, or now
   when unixTime is NULL. */
static BOOL CPVerify(const pin_store *store, CP_DER_ARRAY *chain, NSString *host,
                     const uint64_t *unixTime, NSError **error)
{
    pin_bytes certificates[CERTPIN_MAX_CHAIN_LEN];
    NSUInteger count = [chain count];
    NSUInteger i;
    const char *hostText = NULL;
    char explanation[CPExplanationLength];
    /* Without an NSError to fill, certpin is asked for no text (it then makes none). */
    char *text = error != NULL ? explanation : NULL;
    size_t textLength = error != NULL ? sizeof explanation : 0;
    pin_result result;
    NSString *description;

    if (count > CERTPIN_MAX_CHAIN_LEN) {
        CPSetError(error, PIN_ERR_INVALID_ARGUMENT,
                   [NSString stringWithFormat:@"PIN_ERR_INVALID_ARGUMENT: %@: the chain has %lu "
                                              @"certificates, certpin takes at most %d",
                                              CPDescription(PIN_ERR_INVALID_ARGUMENT),
                                              (unsigned long)count, CERTPIN_MAX_CHAIN_LEN]);
        return NO;
    }
    for (i = 0; i < count; i++) {
        id<NSObject> item = [chain objectAtIndex:i];
        NSData *der;
        if (![item isKindOfClass:[NSData class]]) {
            CPSetError(error, PIN_ERR_INVALID_ARGUMENT,
                       [NSString stringWithFormat:@"PIN_ERR_INVALID_ARGUMENT: %@: chain[%lu] is "
                                                  @"a %@, not the NSData of a DER certificate",
                                                  CPDescription(PIN_ERR_INVALID_ARGUMENT),
                                                  (unsigned long)i, [item class]]);
            return NO;
        }
        der = (NSData *)item;
        certificates[i].data = [der bytes] != NULL ? (const uint8_t *)[der bytes] : &CPNoBytes;
        certificates[i].len = [der length];
    }
    if (CPCString(host, &hostText) != PIN_OK) {
        CPSetError(error, PIN_ERR_INVALID_ARGUMENT,
                   [NSString stringWithFormat:@"PIN_ERR_INVALID_ARGUMENT: %@: the host has a NUL "
                                              @"character or no UTF-8 form",
                                              CPDescription(PIN_ERR_INVALID_ARGUMENT)]);
        return NO;
    }

    /* A nil chain is passed as NULL, so that certpin reports PIN_ERR_NULL_ARGUMENT; an empty
       one as a valid pointer and a length of 0 (PIN_ERR_EMPTY_CHAIN). */
    explanation[0] = '\0';
    if (unixTime != NULL) {
        result = pin_verify_chain_explain_at(store, chain != nil ? certificates : NULL, count,
                                             hostText, *unixTime, text, textLength);
    } else {
        result = pin_verify_chain_explain(store, chain != nil ? certificates : NULL, count,
                                          hostText, text, textLength);
    }
    if (result == PIN_OK) {
        return YES;
    }
    if (error != NULL) {
        description = explanation[0] != '\0' ? [NSString stringWithUTF8String:explanation] : nil;
        CPSetError(error, result, description != nil ? description : CPDescription(result));
    }
    return NO;
}

@implementation CPPinStore

- (instancetype)init
{
    self = [super init];
    if (self != nil) {
        _store = pin_store_new();
        if (_store == NULL) {
#if !__has_feature(objc_arc)
            [self release];
#endif
            return nil;
        }
    }
    return self;
}

- (void)dealloc
{
    pin_store_free(_store);
#if !__has_feature(objc_arc)
    [super dealloc];
#endif
}

- (BOOL)addPin:(NSString *)pin forHostPattern:(NSString *)pattern error:(NSError **)error
{
    const char *pinText = NULL;
    const char *patternText = NULL;
    pin_result result = CPCString(pin, &pinText);

    if (result == PIN_OK) {
        result = CPCString(pattern, &patternText);
    }
    if (result == PIN_OK) {
        result = pin_store_add(_store, patternText, pinText);
    }
    if (result != PIN_OK) {
        CPSetError(error, result, CPDescription(result));
        return NO;
    }
    return YES;
}

- (BOOL)addTrustAnchor:(NSData *)der error:(NSError **)error
{
    const uint8_t *bytes = NULL;
    pin_result result;

    if (der != nil) {
        bytes = [der bytes] != NULL ? (const uint8_t *)[der bytes] : &CPNoBytes;
    }
    result = pin_store_add_trust_anchor(_store, bytes, [der length]);
    if (result != PIN_OK) {
        CPSetError(error, result, CPDescription(result));
        return NO;
    }
    return YES;
}

- (BOOL)verifyChain:(CP_DER_ARRAY *)chain host:(NSString *)host error:(NSError **)error
{
    return CPVerify(_store, chain, host, NULL, error);
}

- (BOOL)verifyChain:(CP_DER_ARRAY *)chain
               host:(NSString *)host
             atTime:(uint64_t)unixTime
              error:(NSError **)error
{
    return CPVerify(_store, chain, host, &unixTime, error);
}

@end
