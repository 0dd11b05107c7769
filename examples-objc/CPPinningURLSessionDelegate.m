/*
 * CPPinningURLSessionDelegate: see CPPinningURLSessionDelegate.h. Apple platforms only;
 * builds with ARC or manual retain/release.
 *
 * Order of checks for a server-trust challenge:
 *  1. The platform's own evaluation, SecTrustEvaluateWithError, if the app wants it
 *     (requiresPlatformTrust, YES by default). When an app answers the challenge itself,
 *     nothing else evaluates the trust for it, so this is where the system's verdict is
 *     kept or dropped.
 *  2. certpin, which validates the chain on its own anyway (path to the store's anchors or
 *     the built-in Mozilla roots, dates, host name) and then checks the pins on the
 *     validated path. Its verdict alone decides when step 1 is off.
 */

#if defined(__APPLE__)

#import "CPPinningURLSessionDelegate.h"

#import <Security/Security.h>

/*
 * The DER of every certificate of trust, leaf first, or nil if one could not be read.
 * These are the certificates the server sent or, once the trust has been evaluated, the
 * chain the platform built (with its root); certpin takes the rest in any order.
 */
static NSArray *CPCertificateChainOfTrust(SecTrustRef trust)
{
    NSMutableArray *chain = [NSMutableArray array];

    if (@available(iOS 15.0, macOS 12.0, tvOS 15.0, watchOS 8.0, *)) {
        CFArrayRef certificates = SecTrustCopyCertificateChain(trust);
        if (certificates == NULL) {
            return nil;
        }
        for (CFIndex i = 0; i < CFArrayGetCount(certificates); i++) {
            SecCertificateRef certificate =
                (SecCertificateRef)CFArrayGetValueAtIndex(certificates, i);
            NSData *der = CFBridgingRelease(SecCertificateCopyData(certificate));
            if (der == nil) {
                CFRelease(certificates);
                return nil;
            }
            [chain addObject:der];
        }
        CFRelease(certificates);
    } else {
/* The pre-iOS 15 API, deprecated since: only reached on those older systems. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
        CFIndex count = SecTrustGetCertificateCount(trust);
        for (CFIndex i = 0; i < count; i++) {
            SecCertificateRef certificate = SecTrustGetCertificateAtIndex(trust, i);
            NSData *der =
                certificate != NULL ? CFBridgingRelease(SecCertificateCopyData(certificate)) : nil;
            if (der == nil) {
                return nil;
            }
            [chain addObject:der];
        }
#pragma clang diagnostic pop
    }
    return chain;
}

@implementation CPPinningURLSessionDelegate

- (instancetype)initWithPinStore:(CPPinStore *)pinStore
{
    self = [super init];
    if (self != nil) {
#if __has_feature(objc_arc)
        _pinStore = pinStore;
#else
        _pinStore = [pinStore retain];
#endif
        _requiresPlatformTrust = YES;
    }
    return self;
}

#if !__has_feature(objc_arc)
- (void)dealloc
{
    [_pinStore release];
    [super dealloc];
}
#endif

- (void)URLSession:(NSURLSession *)session
    didReceiveChallenge:(NSURLAuthenticationChallenge *)challenge
      completionHandler:(void (^)(NSURLSessionAuthChallengeDisposition disposition,
                                  NSURLCredential *_Nullable credential))completionHandler
{
    NSURLProtectionSpace *space = challenge.protectionSpace;
    SecTrustRef trust = space.serverTrust;
    CFErrorRef platformError = NULL;
    NSArray *chain;
    NSError *error = nil;

    (void)session;
    if (![space.authenticationMethod isEqualToString:NSURLAuthenticationMethodServerTrust]) {
        completionHandler(NSURLSessionAuthChallengePerformDefaultHandling, nil);
        return;
    }
    if (trust == NULL) {
        NSLog(@"certpin: %@: no server trust in the challenge; connection cancelled", space.host);
        completionHandler(NSURLSessionAuthChallengeCancelAuthenticationChallenge, nil);
        return;
    }
    if (self.requiresPlatformTrust && !SecTrustEvaluateWithError(trust, &platformError)) {
        NSLog(@"certpin: %@: the platform does not trust the server (%@); connection cancelled",
              space.host, (__bridge NSError *)platformError);
        if (platformError != NULL) {
            CFRelease(platformError);
        }
        completionHandler(NSURLSessionAuthChallengeCancelAuthenticationChallenge, nil);
        return;
    }
    chain = CPCertificateChainOfTrust(trust);
    if (chain == nil) {
        NSLog(@"certpin: %@: could not read the server's certificates; connection cancelled",
              space.host);
        completionHandler(NSURLSessionAuthChallengeCancelAuthenticationChallenge, nil);
        return;
    }
    if (![self.pinStore verifyChain:chain host:space.host error:&error]) {
        NSLog(@"certpin: %@: connection cancelled: %@", space.host, error.localizedDescription);
        completionHandler(NSURLSessionAuthChallengeCancelAuthenticationChallenge, nil);
        return;
    }
    completionHandler(NSURLSessionAuthChallengeUseCredential,
                      [NSURLCredential credentialForTrust:trust]);
}

- (void)URLSession:(NSURLSession *)session
                   task:(NSURLSessionTask *)task
    didReceiveChallenge:(NSURLAuthenticationChallenge *)challenge
      completionHandler:(void (^)(NSURLSessionAuthChallengeDisposition disposition,
                                  NSURLCredential *_Nullable credential))completionHandler
{
    (void)task;
    [self URLSession:session didReceiveChallenge:challenge completionHandler:completionHandler];
}

@end

#endif /* __APPLE__ */
