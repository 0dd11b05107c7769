package dev.certpin.demo;

import dev.certpin.CertPinTrustManager;
import dev.certpin.PinResult;
import dev.certpin.PinStore;
import dev.certpin.PinningException;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A pinned HTTPS client for the sample server of {@code tests/support/tls_server.rs}: GETs
 * https://api.example.com:PORT/ from 127.0.0.1:PORT and prints the first response line.
 *
 * <pre>
 * java -Djava.library.path=DIR_OF_libcertpin_jni.so -cp CLASSES dev.certpin.demo.PinnedClient \
 *     [--no-pinning] [--at UNIX_TIME] [--url-connection] PORT TESTDATA_DIR
 * </pre>
 *
 * <p>The device modelled here trusts two roots: the genuine {@code root-ca} and
 * {@code rogue-ca}, a user-installed proxy root (Charles, mitmproxy). The platform trust
 * manager alone therefore accepts a man-in-the-middle for api.example.com; with certpin it is
 * refused, because api.example.com is pinned to the genuine intermediate's key (and a backup).
 *
 * <ul>
 *   <li>{@code --no-pinning}: the control: the platform trust manager only.
 *   <li>{@code --at UNIX_TIME}: certpin's verdict at that time (the platform checks at now).
 *   <li>{@code --url-connection}: through {@link HttpsURLConnection} instead of an SSLSocket;
 *       api.example.com must then resolve to 127.0.0.1 (see {@link #getWithUrlConnection}).
 * </ul>
 *
 * <p>Prints {@code connected: <first response line>} and exits 0, or prints
 * {@code refused: PIN_ERR_...} (certpin's explanation on stderr) and exits 1. Another TLS
 * refusal (by the platform, or for want of a host to pin) prints {@code refused: } and the
 * exception, also exit 1. Any other failure exits 2.
 */
public final class PinnedClient {
    static final String HOST = "api.example.com";
    private static final int TIMEOUT_MS = 10_000;

    private PinnedClient() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        boolean pinning = true;
        boolean urlConnection = false;
        long at = -1;
        int i = 0;
        try {
            for (; i < args.length && args[i].startsWith("--"); i++) {
                if (args[i].equals("--no-pinning")) {
                    pinning = false;
                } else if (args[i].equals("--url-connection")) {
                    urlConnection = true;
                } else if (args[i].equals("--at") && i + 1 < args.length) {
                    at = Long.parseLong(args[++i]);
                } else {
                    return usage("unknown option " + args[i]);
                }
            }
            if (args.length - i != 2) {
                return usage("want PORT and TESTDATA_DIR");
            }
            int port = Integer.parseInt(args[i]);
            Path samples = Paths.get(args[i + 1]);

            X509TrustManager platform =
                    CertPinTrustManager.platformTrustManager(deviceRoots(samples));
            if (!pinning) {
                return connect(platform, port, urlConnection);
            }
            try (PinStore pins = pinStore(samples)) {
                TrustManager pinned =
                        at < 0
                                ? new CertPinTrustManager(platform, pins)
                                : new CertPinTrustManager(platform, pins, at);
                return connect(pinned, port, urlConnection);
            }
        } catch (NumberFormatException e) {
            return usage(e.getMessage());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            System.out.println("error: " + e);
            return 2;
        }
    }

    /** The connection through the given trust manager: exit status 0, 1 (refused) or 2. */
    private static int connect(TrustManager trustManager, int port, boolean urlConnection)
            throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {trustManager}, null);
        try {
            String line =
                    urlConnection
                            ? getWithUrlConnection(context, port)
                            : getWithSslSocket(context, port);
            System.out.println("connected: " + line);
            return 0;
        } catch (IOException e) {
            return refusal(e);
        }
    }

    /**
     * The trusted roots of the device modelled here, as the platform sees them: the genuine
     * sample root and the rogue proxy root a user installed.
     */
    static KeyStore deviceRoots(Path samples) throws IOException, GeneralSecurityException {
        KeyStore roots = KeyStore.getInstance(KeyStore.getDefaultType());
        roots.load(null, null);
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        for (String name : new String[] {"root-ca", "rogue-ca"}) {
            try (InputStream pem = new FileInputStream(samples.resolve(name + ".pem").toFile())) {
                roots.setCertificateEntry(name, x509.generateCertificate(pem));
            }
        }
        return roots;
    }

    /**
     * The app's certpin policy: api.example.com pinned to the intermediate CA's key, with the
     * sample EC root's key as the backup pin (a spare key kept offline).
     *
     * <p>certpin gets the same two roots as the platform here, so that the refusal of the
     * man-in-the-middle comes from the pins alone ({@code PIN_ERR_PIN_MISMATCH}). An app would
     * usually give certpin only its own root, or none (certpin's built-in Mozilla roots); a
     * user-installed proxy root is then not even a valid path ({@code PIN_ERR_UNKNOWN_ISSUER}).
     */
    static PinStore pinStore(Path samples) throws IOException, PinningException {
        Map<String, String> samplePins = samplePins(samples.resolve("pins.txt"));
        PinStore pins = new PinStore();
        try {
            pins.addTrustAnchor(Files.readAllBytes(samples.resolve("root-ca.der")));
            pins.addTrustAnchor(Files.readAllBytes(samples.resolve("rogue-ca.der")));
            pins.addPin(HOST, samplePins.get("intermediate-ca"));
            pins.addPin(HOST, samplePins.get("ec-root-ca"));
            return pins;
        } catch (IOException | PinningException | RuntimeException e) {
            pins.close();
            throw e;
        }
    }

    /** testdata/pins.txt: one "NAME sha256/BASE64" line per sample certificate. */
    static Map<String, String> samplePins(Path file) throws IOException {
        Map<String, String> pins = new HashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (String line : lines) {
            String[] words = line.trim().split("\\s+");
            if (words.length == 2) {
                pins.put(words[0], words[1]);
            }
        }
        return pins;
    }

    /**
     * GET / over an SSLSocket: a plain socket connected to 127.0.0.1 (so no name lookup), with
     * TLS layered on it for api.example.com. The host given to createSocket is the session's
     * peer host, which CertPinTrustManager pins; SNI names it too, and endpoint identification
     * ("HTTPS") makes the platform trust manager check the leaf's name as well.
     */
    static String getWithSslSocket(SSLContext context, int port) throws IOException {
        try (Socket plain = new Socket()) {
            plain.connect(
                    new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), TIMEOUT_MS);
            plain.setSoTimeout(TIMEOUT_MS);
            try (SSLSocket tls =
                    (SSLSocket) context.getSocketFactory().createSocket(plain, HOST, port, true)) {
                SSLParameters parameters = tls.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                parameters.setServerNames(
                        Collections.<SNIServerName>singletonList(new SNIHostName(HOST)));
                tls.setSSLParameters(parameters);
                tls.startHandshake();

                OutputStream out = tls.getOutputStream();
                out.write(("GET / HTTP/1.0\r\nHost: " + HOST + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                BufferedReader in =
                        new BufferedReader(
                                new InputStreamReader(
                                        tls.getInputStream(), StandardCharsets.ISO_8859_1));
                String status = in.readLine();
                if (status == null) {
                    throw new IOException("the server closed the connection without a response");
                }
                return status;
            }
        }
    }

    /**
     * GET / with HttpsURLConnection, as an app does it: the SSLContext's socket factory on the
     * connection, the default HostnameVerifier kept. (With the default verifier the JDK turns
     * on endpoint identification in the handshake, so the platform trust manager checks the
     * name; certpin checks it again. Android's HttpsURLConnection checks it after the
     * handshake, with its default verifier.)
     *
     * <p>The URL names api.example.com, which has to reach the local test server. Rather than a
     * custom socket factory that rewrites addresses, the JVM is given a hosts file: run it with
     * {@code -Djdk.net.hosts.file=FILE}, FILE holding {@code 127.0.0.1 api.example.com}
     * (JDK 9 and later; it replaces DNS for the whole JVM, so it is for tests only).
     */
    static String getWithUrlConnection(SSLContext context, int port) throws IOException {
        URL url = new URL("https://" + HOST + ":" + port + "/");
        HttpsURLConnection connection = (HttpsURLConnection) url.openConnection(Proxy.NO_PROXY);
        connection.setSSLSocketFactory(context.getSocketFactory());
        connection.setConnectTimeout(TIMEOUT_MS);
        connection.setReadTimeout(TIMEOUT_MS);
        try {
            connection.getResponseCode();
            return connection.getHeaderField(0); // the status line
        } finally {
            connection.disconnect();
        }
    }

    /** Prints why the connection was refused: exit 1, or 2 if it was not a TLS refusal. */
    static int refusal(IOException failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof PinningException) {
                PinningException refused = (PinningException) cause;
                System.out.println("refused: " + PinResult.name(refused.getResult()));
                System.err.print(refused.getExplanation());
                return 1;
            }
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertificateException || cause instanceof SSLHandshakeException) {
                System.out.println(
                        "refused: " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
                return 1;
            }
        }
        System.out.println("error: " + failure);
        return 2;
    }

    private static int usage(String problem) {
        System.err.println("PinnedClient: " + problem);
        System.err.println(
                "usage: PinnedClient [--no-pinning] [--at UNIX_TIME] [--url-connection] PORT"
                        + " TESTDATA_DIR");
        return 2;
    }
}
