package dev.certpin;

import java.nio.charset.StandardCharsets;

/**
 * certpin's {@code pin_result} codes, with the names and values of {@code include/certpin.h}.
 * The values are ABI and never change; {@code tests/jni_client.rs} checks that this class
 * lists every code the header has.
 */
public final class PinResult {
    private PinResult() {}

    /** Trusted: a valid chain, pinned where the host has pins. For other calls: success. */
    public static final int PIN_OK = 0;
    /** A required argument was null. */
    public static final int PIN_ERR_NULL_ARGUMENT = 1;
    /** Not valid Unicode, a length out of range, or other malformed input. */
    public static final int PIN_ERR_INVALID_ARGUMENT = 2;
    /** The pin string is not {@code sha256/} followed by the base64 of exactly 32 bytes. */
    public static final int PIN_ERR_BAD_PIN = 3;
    /** The host or host pattern is not a valid DNS name or IP address. */
    public static final int PIN_ERR_BAD_HOST = 4;
    /** A certificate's DER could not be parsed. */
    public static final int PIN_ERR_BAD_CERTIFICATE = 5;
    /** The chain was empty. */
    public static final int PIN_ERR_EMPTY_CHAIN = 6;
    /** No path leads from the leaf to a trust anchor. */
    public static final int PIN_ERR_UNKNOWN_ISSUER = 7;
    /** A certificate on the path has expired. */
    public static final int PIN_ERR_EXPIRED = 8;
    /** A certificate on the path is not yet valid. */
    public static final int PIN_ERR_NOT_YET_VALID = 9;
    /** The leaf certificate is not valid for the host. */
    public static final int PIN_ERR_HOST_MISMATCH = 10;
    /** Any other path-validation failure (signature, key usage, constraints, ...). */
    public static final int PIN_ERR_INVALID_CHAIN = 11;
    /** The chain is valid, but no pinned key is on any valid path. */
    public static final int PIN_ERR_PIN_MISMATCH = 12;
    /** The host has no pins and the store's policy requires them. */
    public static final int PIN_ERR_NOT_PINNED = 13;
    /** A policy document could not be read. */
    public static final int PIN_ERR_BAD_CONFIG = 14;
    /** A signed policy update failed its signature check. */
    public static final int PIN_ERR_BAD_SIGNATURE = 15;
    /** A signed policy update is not newer than the current one. */
    public static final int PIN_ERR_STALE_UPDATE = 16;
    /** An output buffer was too small; nothing was written. */
    public static final int PIN_ERR_BUFFER_TOO_SMALL = 17;
    /** A file could not be read or written; the store is unchanged. */
    public static final int PIN_ERR_IO = 18;
    /** A bug (a caught panic): the call had no effect. */
    public static final int PIN_ERR_INTERNAL = 255;

    /**
     * The code's name, {@code "PIN_OK"}, {@code "PIN_ERR_PIN_MISMATCH"}, ... (certpin's
     * {@code pin_result_name}); any int is accepted, an unknown one is
     * {@code "PIN_ERR_UNKNOWN"}.
     */
    public static String name(int result) {
        return new String(Native.resultName(result), StandardCharsets.UTF_8);
    }

    /** One line of English on what the code means (certpin's {@code pin_result_description}). */
    public static String description(int result) {
        return new String(Native.resultDescription(result), StandardCharsets.UTF_8);
    }
}
