/*
 * Apple's Security framework, reduced to the declarations examples-objc/CPPinningURLSessionDelegate.m
 * uses, with the signatures of the macOS 12 / iOS 15 SDK (Security/SecTrust.h,
 * Security/SecCertificate.h) and the CoreFoundation types they take (CoreFoundation/CFBase.h,
 * CFArray.h, CFData.h, CFError.h). Only for syntax-checking the delegate on Linux
 * (tests/objc_wrapper.rs): nothing here is implemented and nothing links against it.
 */
#ifndef CERTPIN_TEST_STUB_SECURITY_H
#define CERTPIN_TEST_STUB_SECURITY_H

#include <stdbool.h>

/* CoreFoundation */
typedef const void *CFTypeRef;
typedef long CFIndex;
typedef const struct __CFArray *CFArrayRef;
typedef const struct __CFData *CFDataRef;
typedef struct __CFError *CFErrorRef;
CFIndex CFArrayGetCount(CFArrayRef theArray);
const void *CFArrayGetValueAtIndex(CFArrayRef theArray, CFIndex idx);
void CFRelease(CFTypeRef cf);
/* Foundation/NSObject.h: NS_INLINE id CFBridgingRelease(CFTypeRef CF_CONSUMED X) */
id CFBridgingRelease(CFTypeRef X);

/* Security/SecBase.h */
typedef struct __SecCertificate *SecCertificateRef;
typedef struct __SecTrust *SecTrustRef;

/* Security/SecCertificate.h */
CFDataRef SecCertificateCopyData(SecCertificateRef certificate);

/* Security/SecTrust.h */
bool SecTrustEvaluateWithError(SecTrustRef trust, CFErrorRef *error);
CFIndex SecTrustGetCertificateCount(SecTrustRef trust);
SecCertificateRef SecTrustGetCertificateAtIndex(SecTrustRef trust, CFIndex ix)
    __attribute__((deprecated("use SecTrustCopyCertificateChain")));
CFArrayRef SecTrustCopyCertificateChain(SecTrustRef trust);

#endif
