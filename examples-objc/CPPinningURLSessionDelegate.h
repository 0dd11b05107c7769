/*
 * CPPinningURLSessionDelegate: an NSURLSession delegate that answers server-trust
 * challenges with certpin's verdict. Apple platforms only (it needs the Security framework);
 * not compiled on GNUstep.
 *
 *   CPPinStore *pins = [[CPPinStore alloc] init];            // share one store app-wide
 *   [pins addPin:@"sha256/..." forHostPattern:@"api.example.com" error:NULL];
 *   CPPinningURLSessionDelegate *delegate =
 *       [[CPPinningURLSessionDelegate alloc] initWithPinStore:pins];
 *   NSURLSession *session =
 *       [NSURLSession sessionWithConfiguration:NSURLSessionConfiguration.defaultSessionConfiguration
 *                                     delegate:delegate
 *                                delegateQueue:nil];
 *
 * Every server-trust challenge is decided by -[CPPinStore verifyChain:host:error:] on the
 * certificates of the challenge's SecTrust and challenge.protectionSpace.host: trusted →
 * NSURLSessionAuthChallengeUseCredential with the server trust; anything else → the
 * connection is cancelled and the NSError (certpin's explanation) is logged with NSLog.
 * Other authentication methods (HTTP Basic, client certificates, ...) get
 * NSURLSessionAuthChallengePerformDefaultHandling: subclass and override to handle them.
 *
 * Requires iOS 12 / macOS 10.14 / tvOS 12 / watchOS 5 or later (SecTrustEvaluateWithError).
 * Threads: the session calls it on its delegate queue; the delegate holds no mutable state,
 * so it may serve several sessions. NSURLSession keeps a strong reference to its delegate
 * until the session is invalidated.
 */

#if defined(__APPLE__)

#import <Foundation/Foundation.h>

#import "CPPinStore.h"

NS_ASSUME_NONNULL_BEGIN

@interface CPPinningURLSessionDelegate : NSObject <NSURLSessionTaskDelegate>

/* The store that decides every server-trust challenge (retained). */
@property (nonatomic, strong, readonly) CPPinStore *pinStore;

/*
 * Whether the platform's own evaluation (SecTrustEvaluateWithError: the system and
 * user-installed roots, Apple's CT and revocation policy) must also pass, before certpin is
 * asked. YES by default. certpin does its own full validation (path to its anchors, dates,
 * host name, then pins) either way; set NO when the store trusts a private root that the
 * device does not (set it before the session starts: it is read on the delegate queue).
 */
@property (nonatomic, assign) BOOL requiresPlatformTrust;

/* A delegate deciding with pinStore (retained). */
- (instancetype)initWithPinStore:(CPPinStore *)pinStore NS_DESIGNATED_INITIALIZER;
- (instancetype)init NS_UNAVAILABLE;

/* Server trust: certpin's verdict as described above. Other methods: default handling. */
- (void)URLSession:(NSURLSession *)session
    didReceiveChallenge:(NSURLAuthenticationChallenge *)challenge
      completionHandler:(void (^)(NSURLSessionAuthChallengeDisposition disposition,
                                  NSURLCredential *_Nullable credential))completionHandler;

/* The task-level challenge (sent when a task's own delegate gets it): the same answer. */
- (void)URLSession:(NSURLSession *)session
                   task:(NSURLSessionTask *)task
    didReceiveChallenge:(NSURLAuthenticationChallenge *)challenge
      completionHandler:(void (^)(NSURLSessionAuthChallengeDisposition disposition,
                                  NSURLCredential *_Nullable credential))completionHandler;

@end

NS_ASSUME_NONNULL_END

#endif /* __APPLE__ */
