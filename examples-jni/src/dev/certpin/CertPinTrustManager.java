package dev.certpin;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A trust manager that adds certpin to the platform's: a server is trusted only if the
 * platform trust manager accepts its chain <em>and</em> certpin's verdict on that chain for the
 * host the connection was made to is {@link PinResult#PIN_OK}.
 *
 * <p>Order: the platform first (its path validation, Android's Network Security Config with
 * its own pins, and endpoint identification if the socket's SSLParameters ask for it),
 * then certpin on the chain exactly as the server sent it ({@code getEncoded()} DER, leaf
 * first), which validates the path itself and checks the pins on it.
 *
 * <p>Fails closed: no host to check (the two-argument {@code checkServerTrusted}, a socket
 * that is not an SSLSocket, a session without a peer host), a closed store, a native library
 * that did not load, or any exception inside certpin refuses the server with a
 * {@link CertificateException}; a verdict other than {@code PIN_OK} refuses it with a
 * {@link PinningException} carrying the code and certpin's explanation.
 *
 * <p>Client certificates ({@code checkClientTrusted}) and {@link #getAcceptedIssuers()} are
 * the platform's, unchanged.
 */
public final class CertPinTrustManager extends X509ExtendedTrustManager {
    /** {@link #verificationTime} for "now". */
    private static final long NOW = -1;

    private final X509TrustManager platform;
    private final PinStore pins;
    private final long verificationTime;

    /**
     * @param platform the platform's trust manager, e.g. from {@link #platformTrustManager}
     * @param pins the certpin store; it must stay open while connections use this trust manager
     */
    public CertPinTrustManager(X509TrustManager platform, PinStore pins) {
        this(platform, pins, NOW);
    }

    /**
     * For tests: certpin reaches its verdict at {@code unixTime} (seconds since the epoch)
     * instead of now. The platform trust manager still checks at the current time.
     */
    public CertPinTrustManager(X509TrustManager platform, PinStore pins, long unixTime) {
        this.platform = Objects.requireNonNull(platform, "platform");
        this.pins = Objects.requireNonNull(pins, "pins");
        if (unixTime < 0 && unixTime != NOW) {
            throw new IllegalArgumentException("unixTime is negative: " + unixTime);
        }
        this.verificationTime = unixTime;
    }

    /**
     * The platform's X509 trust manager for a key store of trusted roots ({@code null}: the
     * system's, which on Android also holds user-installed roots where the app's Network
     * Security Config allows them).
     */
    public static X509TrustManager platformTrustManager(KeyStore trustedRoots)
            throws GeneralSecurityException {
        TrustManagerFactory factory =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trustedRoots);
        for (TrustManager manager : factory.getTrustManagers()) {
            if (manager instanceof X509TrustManager) {
                return (X509TrustManager) manager;
            }
        }
        throw new GeneralSecurityException("no X509TrustManager from " + factory);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        if (platform instanceof X509ExtendedTrustManager) {
            ((X509ExtendedTrustManager) platform).checkServerTrusted(chain, authType, socket);
        } else {
            platform.checkServerTrusted(chain, authType);
        }
        if (!(socket instanceof SSLSocket)) {
            throw new CertificateException("certpin: not an SSLSocket, no host to pin: refused");
        }
        SSLSession session = ((SSLSocket) socket).getHandshakeSession();
        checkPins(chain, session == null ? null : session.getPeerHost());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        if (platform instanceof X509ExtendedTrustManager) {
            ((X509ExtendedTrustManager) platform).checkServerTrusted(chain, authType, engine);
        } else {
            platform.checkServerTrusted(chain, authType);
        }
        if (engine == null) {
            throw new CertificateException("certpin: no SSLEngine, no host to pin: refused");
        }
        checkPins(chain, engine.getPeerHost());
    }

    /**
     * Always refuses: without a socket or engine there is no host, and pinning is never
     * skipped. TLS stacks call the socket or engine variant of an X509ExtendedTrustManager.
     */
    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
            throws CertificateException {
        throw new CertificateException(
                "certpin: checkServerTrusted without a socket or engine has no host to pin: "
                        + "refused");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        if (platform instanceof X509ExtendedTrustManager) {
            ((X509ExtendedTrustManager) platform).checkClientTrusted(chain, authType, socket);
        } else {
            platform.checkClientTrusted(chain, authType);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        if (platform instanceof X509ExtendedTrustManager) {
            ((X509ExtendedTrustManager) platform).checkClientTrusted(chain, authType, engine);
        } else {
            platform.checkClientTrusted(chain, authType);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
            throws CertificateException {
        platform.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return platform.getAcceptedIssuers();
    }

    /** certpin's verdict on the chain for the host; anything but PIN_OK throws. */
    private void checkPins(X509Certificate[] chain, String host) throws CertificateException {
        if (host == null || host.isEmpty()) {
            throw new CertificateException("certpin: the session has no peer host to pin: refused");
        }
        if (chain == null || chain.length == 0) {
            throw new CertificateException("certpin: the server sent no certificate: refused");
        }
        try {
            byte[][] der = new byte[chain.length][];
            for (int i = 0; i < chain.length; i++) {
                der[i] = chain[i].getEncoded();
            }
            if (verificationTime == NOW) {
                pins.check(der, host);
            } else {
                pins.checkAt(der, host, verificationTime);
            }
        } catch (RuntimeException | LinkageError e) {
            // A closed store, a native library that did not load (UnsatisfiedLinkError,
            // NoClassDefFoundError): no verdict, so no connection.
            throw new CertificateException("certpin could not check the pins: refused", e);
        }
    }
}
