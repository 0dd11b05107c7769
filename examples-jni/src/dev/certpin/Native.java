package dev.certpin;

/**
 * Every native method of the binding, in one place: the class that loads
 * {@code libcertpin_jni.so} (certpin linked statically, with the glue in
 * {@code examples-jni/native/certpin_jni.c}). Package-private: apps use {@link PinStore},
 * {@link PinResult} and {@link CertPinTrustManager}.
 *
 * <p>Conventions of the glue: a store is a {@code long} handle ({@code 0} is no store);
 * results are certpin's {@code pin_result} codes; text from certpin comes back as UTF-8
 * bytes that Java decodes (JNI's {@code NewStringUTF} takes "modified UTF-8", which
 * certificate subjects in an explanation need not be). A JNI failure (out of memory) is
 * thrown as the pending Java exception when the method returns.
 */
final class Native {
    static {
        System.loadLibrary("certpin_jni");
    }

    private Native() {}

    /** {@code pin_store_new}: a new store's handle, or 0 if certpin could not make one. */
    static native long storeNew();

    /** {@code pin_store_free}; 0 is a no-op. */
    static native void storeFree(long store);

    /** {@code pin_store_add}. */
    static native int storeAddPin(long store, String hostPattern, String pin);

    /** {@code pin_store_add_trust_anchor}. */
    static native int storeAddTrustAnchor(long store, byte[] der);

    /**
     * {@code pin_verify_chain}, {@code _at}, {@code _explain} or {@code _explain_at}: at
     * {@code unixTime} when {@code atTime}, else now; with {@code explanation} non-null, the
     * explanation is written into it as NUL-terminated UTF-8, cut to fit.
     */
    static native int verifyChain(
            long store,
            byte[][] chainDer,
            String host,
            boolean atTime,
            long unixTime,
            byte[] explanation);

    /** {@code pin_result_name} as UTF-8 bytes. */
    static native byte[] resultName(int result);

    /** {@code pin_result_description} as UTF-8 bytes. */
    static native byte[] resultDescription(int result);
}
