/*
 * Force-included (clang -include) before examples-objc/CPPinningURLSessionDelegate.m when
 * tests/objc_wrapper.rs syntax-checks it on Linux. GNUstep base 1.28 as Debian builds it has
 * GS_HAVE_NSURLSESSION 0 (no NSURLSession at all) and no serverTrust on NSURLProtectionSpace,
 * so the Foundation declarations the delegate uses are given here as Apple's SDK has them
 * (Foundation/NSURLSession.h, NSURLProtectionSpace.h, NSURLCredential.h), after GNUstep's
 * Foundation, and then __APPLE__ is defined so that the delegate's `#if defined(__APPLE__)`
 * body is read. Declarations only: the delegate is checked, never linked or run.
 */
#import <Foundation/Foundation.h>
#import <Security/Security.h>

@class NSURLSession;
@class NSURLSessionTask;

typedef NS_ENUM(NSInteger, NSURLSessionAuthChallengeDisposition) {
    NSURLSessionAuthChallengeUseCredential = 0,
    NSURLSessionAuthChallengePerformDefaultHandling = 1,
    NSURLSessionAuthChallengeCancelAuthenticationChallenge = 2,
    NSURLSessionAuthChallengeRejectProtectionSpace = 3,
};

@protocol NSURLSessionDelegate <NSObject>
@optional
- (void)URLSession:(NSURLSession *)session
    didReceiveChallenge:(NSURLAuthenticationChallenge *)challenge
      completionHandler:(void (^)(NSURLSessionAuthChallengeDisposition disposition,
                                  NSURLCredential *credential))completionHandler;
@end

@protocol NSURLSessionTaskDelegate <NSURLSessionDelegate>
@optional
- (void)URLSession:(NSURLSession *)session
                   task:(NSURLSessionTask *)task
    didReceiveChallenge:(NSURLAuthenticationChallenge *)challenge
      completionHandler:(void (^)(NSURLSessionAuthChallengeDisposition disposition,
                                  NSURLCredential *credential))completionHandler;
@end

@interface NSURLProtectionSpace (AppleServerTrust)
@property (readonly) SecTrustRef serverTrust;
@end

@interface NSURLCredential (AppleServerTrust)
+ (NSURLCredential *)credentialForTrust:(SecTrustRef)trust;
@end

/* Foundation/NSObjCRuntime.h: Apple's NS_UNAVAILABLE marks a method unavailable; GNUstep's
   is empty, which would leave -init declared but not implemented. */
#undef NS_UNAVAILABLE
#define NS_UNAVAILABLE __attribute__((unavailable))

#define __APPLE__ 1
