package dev.certpin.demo;

import dev.certpin.CertPin;
import dev.certpin.CertPinTrustManager;
import java.io.IOException;
import java.net.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.CertificatePinner;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * An OkHttp 3 client for the sample server of {@code tests/support/tls_server.rs}: GETs
 * https://api.example.com:PORT/ and prints the status line. api.example.com must resolve to
 * 127.0.0.1: run the JVM with {@code -Djdk.net.hosts.file=FILE}, FILE holding
 * {@code 127.0.0.1 api.example.com} (see {@link PinnedClient#getWithUrlConnection}).
 *
 * <pre>
 * java -Djava.library.path=DIR -Djdk.net.hosts.file=HOSTS \
 *     -cp CLASSES:/usr/share/java/okhttp.jar:/usr/share/java/okio.jar \
 *     dev.certpin.demo.OkHttpPinnedClient [--no-pinning | --okhttp-pinner] [--pattern PATTERN] \
 *     PORT TESTDATA_DIR
 * </pre>
 *
 * <p>The device trusts the genuine root and a user-installed proxy root, as in {@link
 * PinnedClient}. By default the client is pinned with certpin, through {@link CertPin.Builder}:
 * api.example.com to the intermediate CA's key, with the sample EC root's key as the backup.
 *
 * <ul>
 *   <li>{@code --no-pinning}: the control: OkHttp with the platform trust manager only.
 *   <li>{@code --okhttp-pinner}: the same pins in OkHttp's own {@link CertificatePinner}, the
 *       code an app moves from.
 *   <li>{@code --pattern PATTERN}: pin under this host pattern instead of api.example.com
 *       ({@code *.example.com}, {@code **.example.com}); a pattern certpin refuses makes
 *       {@link CertPin.Builder#build()} throw {@code IllegalArgumentException}.
 * </ul>
 *
 * <p>Prints {@code connected: HTTP/1.x CODE MESSAGE} and exits 0, or {@code refused: ...}
 * (certpin's code, or the exception OkHttp refused with) and exits 1; other failures print
 * {@code error: } and the exception and exit 2.
 */
public final class OkHttpPinnedClient {
    private static final int TIMEOUT_S = 10;

    private OkHttpPinnedClient() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        String mode = "";
        String pattern = PinnedClient.HOST;
        int i = 0;
        for (; i < args.length && args[i].startsWith("--"); i++) {
            if (args[i].equals("--no-pinning") || args[i].equals("--okhttp-pinner")) {
                mode = args[i];
            } else if (args[i].equals("--pattern") && i + 1 < args.length) {
                pattern = args[++i];
            } else {
                return usage("unknown option " + args[i]);
            }
        }
        if (args.length - i != 2) {
            return usage("want PORT and TESTDATA_DIR");
        }
        try {
            int port = Integer.parseInt(args[i]);
            Path samples = Paths.get(args[i + 1]);
            Map<String, String> pins = PinnedClient.samplePins(samples.resolve("pins.txt"));
            String current = pins.get("intermediate-ca");
            String backup = pins.get("ec-root-ca");
            X509TrustManager platform =
                    CertPinTrustManager.platformTrustManager(PinnedClient.deviceRoots(samples));
            OkHttpClient.Builder client = new OkHttpClient.Builder();

            if (mode.equals("--no-pinning") || mode.equals("--okhttp-pinner")) {
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, new TrustManager[] {platform}, null);
                client.sslSocketFactory(context.getSocketFactory(), platform);
                if (mode.equals("--okhttp-pinner")) {
                    // Before: OkHttp's pinner.
                    CertificatePinner pinner =
                            new CertificatePinner.Builder()
                                    .add(pattern, current, backup)
                                    .build();
                    client.certificatePinner(pinner);
                }
                return get(client, port);
            }

            // After: certpin, with the same pins. certpin gets the device's two roots as its
            // anchors, so that only the pins refuse the proxy (PIN_ERR_PIN_MISMATCH).
            try (CertPin certPin =
                    new CertPin.Builder()
                            .add(pattern, current, backup)
                            .addTrustAnchor(Files.readAllBytes(samples.resolve("root-ca.der")))
                            .addTrustAnchor(Files.readAllBytes(samples.resolve("rogue-ca.der")))
                            .platformTrustManager(platform)
                            .build()) {
                client.sslSocketFactory(certPin.sslSocketFactory(), certPin.trustManager());
                return get(client, port);
            }
        } catch (NumberFormatException e) {
            return usage(e.getMessage());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            System.out.println("error: " + e);
            return 2;
        }
    }

    private static int usage(String problem) {
        System.err.println("OkHttpPinnedClient: " + problem);
        System.err.println(
                "usage: OkHttpPinnedClient [--no-pinning | --okhttp-pinner] [--pattern PATTERN]"
                        + " PORT TESTDATA_DIR");
        return 2;
    }

    /** GET / with the client: exit status 0, 1 (refused) or 2. */
    private static int get(OkHttpClient.Builder builder, int port) {
        OkHttpClient client =
                builder.proxy(Proxy.NO_PROXY)
                        .connectTimeout(TIMEOUT_S, TimeUnit.SECONDS)
                        .readTimeout(TIMEOUT_S, TimeUnit.SECONDS)
                        .retryOnConnectionFailure(false)
                        .build();
        Request request =
                new Request.Builder()
                        .url("https://" + PinnedClient.HOST + ":" + port + "/")
                        .build();
        try (Response response = client.newCall(request).execute()) {
            System.out.println(
                    "connected: " + response.protocol().toString().toUpperCase(java.util.Locale.ROOT)
                            + " " + response.code() + " " + response.message());
            return 0;
        } catch (SSLPeerUnverifiedException e) {
            // OkHttp's pinner refuses after the handshake, with this exception.
            String message = String.valueOf(e.getMessage());
            int end = message.indexOf('\n');
            System.out.println(
                    "refused: SSLPeerUnverifiedException: "
                            + (end < 0 ? message : message.substring(0, end)));
            System.err.println(message);
            return 1;
        } catch (IOException e) {
            return PinnedClient.refusal(e);
        } finally {
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
        }
    }
}
