/*
 * certpin_jni.c: the JNI glue between dev.certpin.Native and the certpin C API.
 *
 * Build (see tests/jni_client.rs, which does this in `cargo test`):
 *   javac -h GEN -d CLASSES $(find examples-jni/src -name "*.java")
 *   gcc -std=c11 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
 *       -Iinclude -IGEN -I$JH/include -I$JH/include/linux examples-jni/native/certpin_jni.c \
 *       target/release/libcertpin.a -lpthread -ldl -lm \
 *       -Wl,--no-undefined -Wl,--exclude-libs,ALL -o libcertpin_jni.so
 *
 * Rules every function here keeps:
 * - Arguments are checked as certpin would (NULL, lengths against the CERTPIN_MAX_* limits)
 *   *before* anything is allocated, so the Java side cannot make the glue allocate more than
 *   the limits allow. Such an error gets the code certpin itself would give.
 * - Every JNI call that can throw is followed by ExceptionCheck. With an exception pending the
 *   function only releases what it holds (PopLocalFrame, free) and returns at once; Java then
 *   throws that exception (an OutOfMemoryError, in practice) and the caller fails closed. No
 *   exception is ever cleared and no JNI call other than those the JNI spec allows is made
 *   while one is pending.
 * - Each function has one exit that frees every malloc'd buffer and pops its local frame.
 * - Strings go to certpin as exact UTF-8 encoded here from UTF-16 (GetStringRegion), not as
 *   GetStringUTFChars's "modified UTF-8": that encodes U+0000 as C0 80 and characters above
 *   U+FFFF as surrogate pairs, neither of which is UTF-8. A NUL or an unpaired surrogate is
 *   PIN_ERR_INVALID_ARGUMENT. Text coming back is handed to Java as UTF-8 bytes for the same
 *   reason (NewStringUTF would need modified UTF-8).
 */

#include <jni.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certpin.h"
#include "dev_certpin_Native.h"

/* The longest string the glue reads: a host or host pattern (pins are shorter). */
#define MAX_STRING_LEN CERTPIN_MAX_HOST_LEN
_Static_assert(CERTPIN_MAX_PIN_LEN <= MAX_STRING_LEN, "string buffers fit a pin");

/* An explanation longer than this is cut (certpin: 4096 bytes hold any usual chain). */
#define MAX_EXPLANATION_LEN 65536

static pin_store *store_of(jlong handle) {
    return (pin_store *)(intptr_t)handle;
}

/* The text certpin writes for an argument error, for the errors the glue finds first. */
static void explain_result(char *out, size_t out_len, pin_result result) {
    if (out != NULL && out_len > 0) {
        snprintf(out, out_len, "%s: %s\n", pin_result_name(result),
                 pin_result_description(result));
    }
}

/*
 * Reads a Java String as NUL-terminated UTF-8 into out (max_len + 1 bytes, max_len at most
 * MAX_STRING_LEN). Returns PIN_OK, PIN_ERR_NULL_ARGUMENT, PIN_ERR_INVALID_ARGUMENT (longer than
 * max_len bytes as UTF-8, a NUL, an unpaired surrogate), or PIN_ERR_INTERNAL with a Java
 * exception pending.
 */
static pin_result utf8_of(JNIEnv *env, jstring string, char *out, size_t max_len) {
    if (max_len > MAX_STRING_LEN) {
        return PIN_ERR_INTERNAL; /* a bug in this file: utf16 below would be too small */
    }
    if (string == NULL) {
        return PIN_ERR_NULL_ARGUMENT;
    }
    jsize units = (*env)->GetStringLength(env, string);
    /* Each UTF-16 unit is at least one UTF-8 byte: a longer string is too long for certpin. */
    if (units < 0 || (size_t)units > max_len) {
        return PIN_ERR_INVALID_ARGUMENT;
    }
    jchar utf16[MAX_STRING_LEN];
    (*env)->GetStringRegion(env, string, 0, units, utf16);
    if ((*env)->ExceptionCheck(env)) {
        return PIN_ERR_INTERNAL;
    }
    size_t len = 0;
    for (jsize i = 0; i < units; i++) {
        uint32_t c = utf16[i];
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units && utf16[i + 1] >= 0xDC00 &&
            utf16[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (uint32_t)(utf16[i + 1] - 0xDC00);
            i++;
        } else if (c == 0 || (c >= 0xD800 && c <= 0xDFFF)) {
            return PIN_ERR_INVALID_ARGUMENT;
        }
        size_t need = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (len + need > max_len) {
            return PIN_ERR_INVALID_ARGUMENT;
        }
        if (need == 1) {
            out[len++] = (char)c;
        } else if (need == 2) {
            out[len++] = (char)(0xC0 | (c >> 6));
            out[len++] = (char)(0x80 | (c & 0x3F));
        } else if (need == 3) {
            out[len++] = (char)(0xE0 | (c >> 12));
            out[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[len++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[len++] = (char)(0xF0 | (c >> 18));
            out[len++] = (char)(0x80 | ((c >> 12) & 0x3F));
            out[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[len++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[len] = '\0';
    return PIN_OK;
}

/*
 * Copies a Java byte[][] chain into one malloc'd block (*block, freed by the caller on
 * success; NULL on failure) and points chain[0..*chain_len] into it.
 *
 * Copies rather than Get/ReleaseByteArrayElements: HotSpot copies there anyway; copying with
 * GetByteArrayRegion lets every certificate share one allocation whose size is known and
 * bounded (CERTPIN_MAX_CHAIN_LEN * CERTPIN_MAX_CERT_LEN) before it is made, leaves nothing to
 * release but one free(), and gives certpin bytes that Java code on another thread cannot
 * change while it verifies. (GetPrimitiveArrayCritical would avoid the copy but must not be
 * held across a verification, which may take milliseconds.)
 *
 * Returns PIN_OK, PIN_ERR_NULL_ARGUMENT (the array or an element is null),
 * PIN_ERR_INVALID_ARGUMENT (more than CERTPIN_MAX_CHAIN_LEN certificates, one longer than
 * CERTPIN_MAX_CERT_LEN), or PIN_ERR_INTERNAL (out of memory; with a Java exception pending
 * when the JVM ran out).
 */
static pin_result chain_of(JNIEnv *env, jobjectArray array, pin_bytes chain[CERTPIN_MAX_CHAIN_LEN],
                           size_t *chain_len, uint8_t **block) {
    *block = NULL;
    *chain_len = 0;
    if (array == NULL) {
        return PIN_ERR_NULL_ARGUMENT;
    }
    jsize count = (*env)->GetArrayLength(env, array);
    if (count < 0 || count > CERTPIN_MAX_CHAIN_LEN) {
        return PIN_ERR_INVALID_ARGUMENT;
    }
    /* Room for every element's local reference; all of them go with the frame. */
    if ((*env)->PushLocalFrame(env, count + 1) != 0) {
        return PIN_ERR_INTERNAL;
    }
    pin_result result = PIN_OK;
    jbyteArray certs[CERTPIN_MAX_CHAIN_LEN];
    size_t lens[CERTPIN_MAX_CHAIN_LEN];
    size_t total = 0;
    uint8_t *copy = NULL;
    for (jsize i = 0; i < count; i++) {
        certs[i] = (jbyteArray)(*env)->GetObjectArrayElement(env, array, i);
        if ((*env)->ExceptionCheck(env)) {
            result = PIN_ERR_INTERNAL;
            goto done;
        }
        if (certs[i] == NULL) {
            result = PIN_ERR_NULL_ARGUMENT;
            goto done;
        }
        jsize len = (*env)->GetArrayLength(env, certs[i]);
        if (len < 0 || len > CERTPIN_MAX_CERT_LEN) {
            result = PIN_ERR_INVALID_ARGUMENT;
            goto done;
        }
        lens[i] = (size_t)len;
        total += (size_t)len;
    }
    /* At least one byte, so that every data pointer is non-NULL even for empty arrays. */
    copy = malloc(total > 0 ? total : 1);
    if (copy == NULL) {
        result = PIN_ERR_INTERNAL;
        goto done;
    }
    size_t offset = 0;
    for (jsize i = 0; i < count; i++) {
        (*env)->GetByteArrayRegion(env, certs[i], 0, (jsize)lens[i], (jbyte *)(copy + offset));
        if ((*env)->ExceptionCheck(env)) {
            result = PIN_ERR_INTERNAL;
            goto done;
        }
        chain[i].data = copy + offset;
        chain[i].len = lens[i];
        offset += lens[i];
    }
    *block = copy;
    *chain_len = (size_t)count;
    copy = NULL;
done:
    free(copy);
    (*env)->PopLocalFrame(env, NULL);
    return result;
}

/* A new Java byte[] holding a static C string's bytes (no NUL); NULL with an exception pending. */
static jbyteArray bytes_of(JNIEnv *env, const char *text) {
    size_t len = strlen(text);
    jbyteArray bytes = (*env)->NewByteArray(env, (jsize)len);
    if (bytes == NULL || (*env)->ExceptionCheck(env)) {
        return NULL;
    }
    (*env)->SetByteArrayRegion(env, bytes, 0, (jsize)len, (const jbyte *)text);
    if ((*env)->ExceptionCheck(env)) {
        return NULL;
    }
    return bytes;
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)reserved;
    JNIEnv *env = NULL;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK) {
        return JNI_ERR;
    }
    return JNI_VERSION_1_6;
}

JNIEXPORT jlong JNICALL Java_dev_certpin_Native_storeNew(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    return (jlong)(intptr_t)pin_store_new();
}

JNIEXPORT void JNICALL Java_dev_certpin_Native_storeFree(JNIEnv *env, jclass cls, jlong store) {
    (void)env;
    (void)cls;
    pin_store_free(store_of(store));
}

JNIEXPORT jint JNICALL Java_dev_certpin_Native_storeAddPin(JNIEnv *env, jclass cls, jlong store,
                                                           jstring host_pattern, jstring pin) {
    (void)cls;
    char pattern_utf8[CERTPIN_MAX_HOST_LEN + 1];
    char pin_utf8[CERTPIN_MAX_PIN_LEN + 1];
    pin_result result = utf8_of(env, host_pattern, pattern_utf8, CERTPIN_MAX_HOST_LEN);
    if (result == PIN_OK) {
        result = utf8_of(env, pin, pin_utf8, CERTPIN_MAX_PIN_LEN);
    }
    if (result == PIN_OK) {
        result = pin_store_add(store_of(store), pattern_utf8, pin_utf8);
    }
    return (jint)result;
}

JNIEXPORT jint JNICALL Java_dev_certpin_Native_storeAddTrustAnchor(JNIEnv *env, jclass cls,
                                                                   jlong store, jbyteArray der) {
    (void)cls;
    if (der == NULL) {
        return PIN_ERR_NULL_ARGUMENT;
    }
    jsize len = (*env)->GetArrayLength(env, der);
    if (len < 0 || len > CERTPIN_MAX_CERT_LEN) {
        return PIN_ERR_INVALID_ARGUMENT;
    }
    /* At least one byte: certpin refuses a NULL pointer even with a length of 0. */
    uint8_t *copy = malloc(len > 0 ? (size_t)len : 1);
    if (copy == NULL) {
        return PIN_ERR_INTERNAL;
    }
    pin_result result = PIN_ERR_INTERNAL;
    (*env)->GetByteArrayRegion(env, der, 0, len, (jbyte *)copy);
    if (!(*env)->ExceptionCheck(env)) {
        result = pin_store_add_trust_anchor(store_of(store), copy, (size_t)len);
    }
    free(copy);
    return (jint)result;
}

JNIEXPORT jint JNICALL Java_dev_certpin_Native_verifyChain(JNIEnv *env, jclass cls, jlong store,
                                                           jobjectArray chain_der, jstring host,
                                                           jboolean at_time, jlong unix_time,
                                                           jbyteArray explanation) {
    (void)cls;
    pin_bytes chain[CERTPIN_MAX_CHAIN_LEN];
    size_t chain_len = 0;
    uint8_t *block = NULL;
    char host_utf8[CERTPIN_MAX_HOST_LEN + 1];
    char *text = NULL;
    size_t text_len = 0;

    if (explanation != NULL) {
        jsize capacity = (*env)->GetArrayLength(env, explanation);
        text_len = capacity > MAX_EXPLANATION_LEN ? MAX_EXPLANATION_LEN
                   : capacity > 0                 ? (size_t)capacity
                                                  : 0;
        if (text_len > 0) {
            text = malloc(text_len);
            if (text == NULL) {
                return PIN_ERR_INTERNAL;
            }
        }
    }

    pin_result result = chain_of(env, chain_der, chain, &chain_len, &block);
    if (result == PIN_OK) {
        result = utf8_of(env, host, host_utf8, CERTPIN_MAX_HOST_LEN);
    }
    if (result == PIN_OK && at_time && unix_time < 0) {
        result = PIN_ERR_INVALID_ARGUMENT;
    }
    if (result != PIN_OK) {
        explain_result(text, text_len, result);
    } else if (at_time) {
        result = pin_verify_chain_explain_at(store_of(store), chain, chain_len, host_utf8,
                                             (uint64_t)unix_time, text, text_len);
    } else {
        result = pin_verify_chain_explain(store_of(store), chain, chain_len, host_utf8, text,
                                          text_len);
    }

    /* No JNI call with an exception pending: then Java throws it and ignores the text. */
    if (text != NULL && !(*env)->ExceptionCheck(env)) {
        (*env)->SetByteArrayRegion(env, explanation, 0, (jsize)(strlen(text) + 1),
                                   (const jbyte *)text);
        /* Nothing follows that needs checking: a pending exception reaches Java on return. */
    }
    free(text);
    free(block);
    return (jint)result;
}

JNIEXPORT jbyteArray JNICALL Java_dev_certpin_Native_resultName(JNIEnv *env, jclass cls,
                                                                jint result) {
    (void)cls;
    return bytes_of(env, pin_result_name((uint32_t)result));
}

JNIEXPORT jbyteArray JNICALL Java_dev_certpin_Native_resultDescription(JNIEnv *env, jclass cls,
                                                                       jint result) {
    (void)cls;
    return bytes_of(env, pin_result_description((uint32_t)result));
}
