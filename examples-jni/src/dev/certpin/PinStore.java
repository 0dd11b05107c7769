package dev.certpin;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A certpin store: pins per host pattern and, optionally, trust anchors of its own (without
 * any, certpin validates against its built-in Mozilla roots). Owns a native {@code pin_store};
 * {@link #close()} frees it.
 *
 * <p>Threads: every method may be called from many threads at once, as certpin's store allows.
 * The only lock here keeps {@link #close()} from freeing the native store under a call that is
 * still using it; calls never wait for one another, only {@code close()} waits for them.
 * A method called after {@code close()} throws {@link IllegalStateException}.
 *
 * <p>Strings cross to certpin as exact UTF-8. A host or pin with a NUL character or an
 * unpaired surrogate is {@link PinResult#PIN_ERR_INVALID_ARGUMENT}, never cut short.
 */
public final class PinStore implements AutoCloseable {
    /**
     * Bytes for an explanation: certpin says 4096 hold the explanation of any usual chain;
     * twice that leaves room for long subjects. A longer one is cut and ends in "...".
     */
    private static final int EXPLANATION_CAPACITY = 8192;

    private final ReentrantReadWriteLock lifetime = new ReentrantReadWriteLock();
    /** The native {@code pin_store *}; 0 once closed. Guarded by {@link #lifetime}. */
    private long handle;

    /** An empty store: no pins, certpin's built-in roots as trust anchors. */
    public PinStore() {
        long store = Native.storeNew();
        if (store == 0) {
            throw new IllegalStateException("certpin: pin_store_new returned NULL");
        }
        handle = store;
    }

    /**
     * Pins a public key for a host pattern ({@code pin_store_add}): {@code "api.example.com"},
     * {@code "*.example.com"} (exactly one more label) or {@code "**.example.com"} (the name and
     * any depth below it). {@code pin} is {@code "sha256/"} + base64 of the SHA-256 of the DER
     * SubjectPublicKeyInfo. Pins under one pattern accumulate: add a backup pin the same way.
     *
     * @throws PinningException {@code PIN_ERR_BAD_HOST}, {@code PIN_ERR_BAD_PIN}, ...; the
     *     store is unchanged
     */
    public void addPin(String hostPattern, String pin) throws PinningException {
        Lock use = use();
        try {
            int result = Native.storeAddPin(handle, hostPattern, pin);
            require(result, "pin " + pin + " for " + hostPattern);
        } finally {
            use.unlock();
        }
    }

    /**
     * Trusts a DER certificate as a root ({@code pin_store_add_trust_anchor}). Once the store
     * has any anchor of its own, certpin's built-in roots are no longer used by it.
     *
     * @throws PinningException {@code PIN_ERR_BAD_CERTIFICATE}, ...; the store is unchanged
     */
    public void addTrustAnchor(byte[] der) throws PinningException {
        Lock use = use();
        try {
            require(Native.storeAddTrustAnchor(handle, der), "trust anchor");
        } finally {
            use.unlock();
        }
    }

    /**
     * The verdict on a chain as the server sent it ({@code pin_verify_chain}), now:
     * {@link PinResult#PIN_OK} or a {@code PIN_ERR_*} code.
     *
     * @param chainDer DER certificates, the leaf first, then intermediates in any order (at most
     *     64, as {@code CERTPIN_MAX_CHAIN_LEN})
     * @param host the DNS name or IP address the app meant to reach
     */
    public int verify(byte[][] chainDer, String host) {
        return verdict(chainDer, host, false, 0, null);
    }

    /** {@link #verify} at {@code unixTime} (seconds since the epoch) instead of now. */
    public int verifyAt(byte[][] chainDer, String host, long unixTime) {
        return verdict(chainDer, host, true, unixTime, null);
    }

    /**
     * certpin's explanation of {@link #verify}'s verdict: it starts with {@code "NAME: meaning"},
     * then the host, the policy that applied, and every certificate's pin and subject.
     */
    public String explain(byte[][] chainDer, String host) {
        return explained(chainDer, host, false, 0).text;
    }

    /** {@link #explain} at {@code unixTime} (seconds since the epoch) instead of now. */
    public String explainAt(byte[][] chainDer, String host, long unixTime) {
        return explained(chainDer, host, true, unixTime).text;
    }

    /**
     * Refuses a chain unless its verdict is {@link PinResult#PIN_OK}.
     *
     * @throws PinningException with the code and certpin's explanation
     */
    public void check(byte[][] chainDer, String host) throws PinningException {
        explained(chainDer, host, false, 0).require();
    }

    /** {@link #check} at {@code unixTime} (seconds since the epoch) instead of now. */
    public void checkAt(byte[][] chainDer, String host, long unixTime) throws PinningException {
        explained(chainDer, host, true, unixTime).require();
    }

    /** Frees the native store; waits for calls still using it. Closing twice is a no-op. */
    @Override
    public void close() {
        Lock free = lifetime.writeLock();
        free.lock();
        try {
            long store = handle;
            handle = 0;
            Native.storeFree(store);
        } finally {
            free.unlock();
        }
    }

    /** A verdict and certpin's explanation of it. */
    private static final class Explained {
        final int result;
        final String text;

        Explained(int result, String text) {
            this.result = result;
            this.text = text;
        }

        void require() throws PinningException {
            if (result != PinResult.PIN_OK) {
                throw new PinningException(result, text);
            }
        }
    }

    private Explained explained(byte[][] chainDer, String host, boolean atTime, long unixTime) {
        byte[] text = new byte[EXPLANATION_CAPACITY];
        int result = verdict(chainDer, host, atTime, unixTime, text);
        return new Explained(result, cString(text));
    }

    private int verdict(
            byte[][] chainDer, String host, boolean atTime, long unixTime, byte[] explanation) {
        Lock use = use();
        try {
            return Native.verifyChain(handle, chainDer, host, atTime, unixTime, explanation);
        } finally {
            use.unlock();
        }
    }

    /** Takes the lock that keeps the store alive during a call; the caller unlocks it. */
    private Lock use() {
        Lock use = lifetime.readLock();
        use.lock();
        if (handle == 0) {
            use.unlock();
            throw new IllegalStateException("certpin: the PinStore is closed");
        }
        return use;
    }

    private static void require(int result, String what) throws PinningException {
        if (result != PinResult.PIN_OK) {
            throw new PinningException(
                    result,
                    PinResult.name(result) + ": " + PinResult.description(result) + " (" + what
                            + ")\n");
        }
    }

    /** The UTF-8 text before the first NUL. */
    private static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }
}
