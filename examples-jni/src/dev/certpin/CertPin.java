package dev.certpin;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * certpin for an HTTP client in one object, built the way OkHttp's {@code CertificatePinner}
 * is, so that moving from it is a change of a few lines:
 *
 * <pre>{@code
 * CertPin certPin = new CertPin.Builder()
 *         .add("api.example.com", "sha256/AQvmDL/x7gydMfUF8tH/KLQT4Jsrw2AIMv5DHvQlEe8=")
 *         .add("api.example.com", "sha256/TxL9HVGT6A317oIZL2ga4ko1nc4wXJAkhChexrzfZO0=")
 *         .build();
 * OkHttpClient client = new OkHttpClient.Builder()
 *         .sslSocketFactory(certPin.sslSocketFactory(), certPin.trustManager())
 *         .build();
 * }</pre>
 *
 * <p>It holds a {@link PinStore} with the pins, a {@link CertPinTrustManager} over the
 * platform's trust manager, and a TLS {@link SSLContext} using it. Unlike OkHttp's pinner,
 * which checks the pins after the handshake, certpin checks them inside it (the trust manager),
 * on a path it validated itself; see the README ("OkHttp") for where the two differ.
 *
 * <p>Threads: immutable once built; share one instance between clients. {@link #close()}
 * frees the native store: connections made afterwards are refused.
 */
public final class CertPin implements AutoCloseable {
    private final PinStore pins;
    private final CertPinTrustManager trustManager;
    private final SSLContext sslContext;

    private CertPin(PinStore pins, CertPinTrustManager trustManager, SSLContext sslContext) {
        this.pins = pins;
        this.trustManager = trustManager;
        this.sslContext = sslContext;
    }

    /**
     * The trust manager: the platform's checks, then certpin's. Give it to OkHttp with
     * {@link #sslSocketFactory()}: {@code builder.sslSocketFactory(certPin.sslSocketFactory(),
     * certPin.trustManager())}.
     */
    public CertPinTrustManager trustManager() {
        return trustManager;
    }

    /** The socket factory of {@link #sslContext()}: TLS with {@link #trustManager()}. */
    public SSLSocketFactory sslSocketFactory() {
        return sslContext.getSocketFactory();
    }

    /** A TLS context that trusts through {@link #trustManager()} (no client certificate). */
    public SSLContext sslContext() {
        return sslContext;
    }

    /** The store with the pins, to explain or check a chain directly. */
    public PinStore pinStore() {
        return pins;
    }

    /** Frees the native store; connections made afterwards are refused. */
    @Override
    public void close() {
        pins.close();
    }

    /**
     * Collects pins like OkHttp's {@code CertificatePinner.Builder} and builds a {@link
     * CertPin}. Not thread-safe; a builder may build many times.
     */
    public static final class Builder {
        private final List<String[]> pins = new ArrayList<>();
        private final List<byte[]> trustAnchors = new ArrayList<>();
        private X509TrustManager platform;

        /** A builder with no pins, the system's trust manager and certpin's built-in roots. */
        public Builder() {}

        /**
         * Pins public keys for a host pattern, as OkHttp's {@code add}: {@code
         * "api.example.com"}, {@code "*.example.com"} (exactly one more label) or {@code
         * "**.example.com"} (the name itself and any depth below it). Each pin is {@code
         * "sha256/"} and the base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo
         * (OkHttp's {@code sha1/} pins are not supported). Pins added under one pattern
         * accumulate: the second is the backup. They are checked by {@link #build()}.
         *
         * @throws NullPointerException if the pattern or a pin is null
         */
        public Builder add(String pattern, String... pins) {
            Objects.requireNonNull(pattern, "pattern == null");
            Objects.requireNonNull(pins, "pins == null");
            for (String pin : pins) {
                this.pins.add(new String[] {pattern, Objects.requireNonNull(pin, "pin == null")});
            }
            return this;
        }

        /**
         * A DER root certificate for certpin's own path validation. Without any, certpin uses
         * its built-in Mozilla roots; with one, only the ones added here.
         */
        public Builder addTrustAnchor(byte[] der) {
            trustAnchors.add(Objects.requireNonNull(der, "der == null").clone());
            return this;
        }

        /**
         * The platform trust manager that checks first. Default: the system's ({@link
         * CertPinTrustManager#platformTrustManager} with {@code null}), which on Android
         * applies the app's Network Security Config.
         */
        public Builder platformTrustManager(X509TrustManager platform) {
            this.platform = Objects.requireNonNull(platform, "platform == null");
            return this;
        }

        /**
         * A new {@link CertPin} with everything added so far.
         *
         * @throws IllegalArgumentException a pattern or pin certpin refuses (the message is
         *     certpin's: {@code PIN_ERR_BAD_HOST}, {@code PIN_ERR_BAD_PIN}, ...), or a trust
         *     anchor it cannot read; nothing is left open
         * @throws IllegalStateException no TLS context or platform trust manager
         */
        public CertPin build() {
            PinStore store = new PinStore();
            boolean built = false;
            try {
                for (byte[] der : trustAnchors) {
                    store.addTrustAnchor(der);
                }
                for (String[] pin : pins) {
                    store.addPin(pin[0], pin[1]);
                }
                X509TrustManager checkedFirst =
                        platform != null
                                ? platform
                                : CertPinTrustManager.platformTrustManager(null);
                CertPinTrustManager trustManager = new CertPinTrustManager(checkedFirst, store);
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, new TrustManager[] {trustManager}, null);
                built = true;
                return new CertPin(store, trustManager, context);
            } catch (PinningException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("certpin: cannot make the TLS context", e);
            } finally {
                if (!built) {
                    store.close();
                }
            }
        }
    }
}
