/*
 * CPPinStore: an Objective-C wrapper over certpin's C API (include/certpin.h).
 *
 * One CPPinStore owns one pin_store: pins per host pattern and, optionally, the trust anchors
 * to validate against (without any, the built-in Mozilla roots). Every method reports a
 * refusal as an NSError in CPPinStoreErrorDomain:
 *   - code: the pin_result (PIN_ERR_PIN_MISMATCH == 12, ...), so compare it with the PIN_*
 *     constants of certpin.h;
 *   - localizedDescription: certpin's explanation (for a verification: the result, the host,
 *     the policy and its pins, and the pin and subject of every certificate of the chain);
 *   - userInfo[CPPinResultNameKey]: the result's name, @"PIN_ERR_PIN_MISMATCH".
 *
 * Threads: certpin's store may be used from any number of threads at once, and CPPinStore
 * adds no state of its own, so one CPPinStore can be shared by every session and thread of
 * an app. A verification sees the pins and anchors wholly before or wholly after any one
 * -add... call made at the same time.
 *
 * Ownership: every argument is borrowed for the call only; certpin copies what it keeps.
 * NSError objects are returned autoreleased (ARC: the usual __autoreleasing out-parameter).
 *
 * Builds with Apple clang (ARC or manual retain/release) and with GNUstep's gcc (no ARC,
 * no nullability, no generics: the macros below compile them away there).
 */

#import <Foundation/Foundation.h>

#include <stdint.h>

#include "certpin.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif

/* Lightweight generics and nullability exist in clang only. */
#if __has_feature(objc_generics)
#define CP_DER_ARRAY NSArray<NSData *>
#else
#define CP_DER_ARRAY NSArray
#endif
#if __has_feature(nullability)
#define CP_NULLABLE nullable
#else
#define CP_NULLABLE
#endif

NS_ASSUME_NONNULL_BEGIN

/* The NSError domain of every error a CPPinStore returns. Its codes are pin_result values. */
FOUNDATION_EXPORT NSString *const CPPinStoreErrorDomain;

/* userInfo key of those errors: the pin_result's name (NSString), e.g. @"PIN_ERR_BAD_PIN". */
FOUNDATION_EXPORT NSString *const CPPinResultNameKey;

@interface CPPinStore : NSObject
{
@private
    /* Owned: made in -init, freed in -dealloc, never replaced in between (so reading it
       needs no lock; the store itself is thread-safe). Declared here, not in the
       implementation, because gcc takes instance variables only in the @interface. */
    pin_store *_store;
}

/*
 * A store with no pins, validating against the built-in Mozilla roots until an anchor is
 * added. Returns nil only if certpin could not make a store (pin_store_new returned NULL).
 * The store is freed when the CPPinStore is deallocated.
 */
- (CP_NULLABLE instancetype)init NS_DESIGNATED_INITIALIZER;

/*
 * Pins a public key for a host pattern (pin_store_add).
 *
 * pin: @"sha256/" + base64 of the SHA-256 of the DER SubjectPublicKeyInfo (the RFC 7469 /
 * OkHttp form; testdata/README.md shows how to compute one with openssl).
 * pattern: @"api.example.com", @"*.example.com" (exactly one more label) or
 * @"**.example.com" (the name itself and any depth below it). Pins added under one pattern
 * accumulate: add a backup pin the same way.
 *
 * Returns YES, or NO with *error set (if error is not NULL): PIN_ERR_BAD_PIN,
 * PIN_ERR_BAD_HOST, PIN_ERR_NULL_ARGUMENT (nil), PIN_ERR_INVALID_ARGUMENT (a string with a
 * NUL character, not convertible to UTF-8, or too long). On NO the store is unchanged.
 * Safe from any thread.
 */
- (BOOL)addPin:(NSString *)pin
    forHostPattern:(NSString *)pattern
             error:(NSError **)error;

/*
 * Trusts a DER certificate as a root (pin_store_add_trust_anchor). Once a store has an
 * anchor of its own, the built-in roots are no longer used by it. The bytes are copied.
 *
 * Returns YES, or NO with *error set: PIN_ERR_BAD_CERTIFICATE, PIN_ERR_NULL_ARGUMENT (nil),
 * PIN_ERR_INVALID_ARGUMENT (empty, too large, too many anchors). On NO the store is
 * unchanged. Safe from any thread.
 */
- (BOOL)addTrustAnchor:(NSData *)der error:(NSError **)error;

/*
 * The verdict on a certificate chain as the server sent it, at the current time
 * (pin_verify_chain_explain).
 *
 * chain: DER certificates, the leaf first, then the intermediates in any order (at most
 * CERTPIN_MAX_CHAIN_LEN; a longer chain is refused with PIN_ERR_INVALID_ARGUMENT without
 * calling certpin). host: the DNS name or IP address the app meant to reach, e.g.
 * challenge.protectionSpace.host.
 *
 * Returns YES when the chain is trusted: it validates to an anchor, is valid for the host,
 * and, where the host has pins, a pinned key is on a validated path. Otherwise NO with
 * *error set; its code is the verdict (PIN_ERR_PIN_MISMATCH, PIN_ERR_EXPIRED,
 * PIN_ERR_UNKNOWN_ISSUER, ...) and its localizedDescription certpin's explanation, ready
 * to log. Argument errors: PIN_ERR_NULL_ARGUMENT (nil chain or host), PIN_ERR_EMPTY_CHAIN,
 * PIN_ERR_INVALID_ARGUMENT (too many certificates, an element that is not NSData, a host
 * with a NUL character). With error NULL no explanation is made. Safe from any thread; it
 * never waits for -add... calls.
 */
- (BOOL)verifyChain:(CP_DER_ARRAY *)chain
               host:(NSString *)host
              error:(NSError **)error;

/*
 * -verifyChain:host:error: at unixTime (seconds since the Unix epoch) instead of now
 * (pin_verify_chain_explain_at): for tests, and for checking a chain against a future date.
 */
- (BOOL)verifyChain:(CP_DER_ARRAY *)chain
               host:(NSString *)host
             atTime:(uint64_t)unixTime
              error:(NSError **)error;

@end

NS_ASSUME_NONNULL_END
