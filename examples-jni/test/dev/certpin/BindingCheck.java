package dev.certpin;

import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509TrustManager;

/**
 * The edges of the binding, without a network: what the JNI glue does with null, empty,
 * oversized and malformed arguments, how Java strings reach certpin (exact UTF-8, a NUL or an
 * unpaired surrogate refused), and how CertPinTrustManager fails closed. Run by
 * {@code tests/jni_client.rs} under {@code -Xcheck:jni}:
 *
 * <pre>java -Djava.library.path=DIR -cp CLASSES dev.certpin.BindingCheck TESTDATA_DIR</pre>
 *
 * Prints {@code binding checks: all N passed}, or {@code binding checks: M of N failed} and a
 * {@code FAIL:} line for each, and exits 1.
 */
public final class BindingCheck {
    private static final String HOST = "api.example.com";
    /** 2027-01-01T00:00:00Z, inside the samples' validity. */
    private static final long T2027 = 1798761600L;

    private final List<String> failures = new ArrayList<>();
    private int checks;

    private BindingCheck() {}

    public static void main(String[] args) throws Exception {
        BindingCheck check = new BindingCheck();
        check.run(Paths.get(args[0]));
        int failed = check.failures.size();
        if (failed == 0) {
            System.out.println("binding checks: all " + check.checks + " passed");
            return;
        }
        System.out.println(
                "binding checks: " + failed + " of " + (check.checks + failed) + " failed");
        for (String failure : check.failures) {
            System.out.println("FAIL: " + failure);
        }
        System.exit(1);
    }

    private void run(Path samples) throws Exception {
        byte[] leaf = Files.readAllBytes(samples.resolve("leaf.der"));
        byte[] intermediate = Files.readAllBytes(samples.resolve("intermediate-ca.der"));
        byte[] mitm = Files.readAllBytes(samples.resolve("mitm-leaf.der"));
        byte[][] genuine = {leaf, intermediate};

        expect("name of PIN_ERR_PIN_MISMATCH", "PIN_ERR_PIN_MISMATCH", PinResult.name(12));
        expect("name of an unknown code", "PIN_ERR_UNKNOWN", PinResult.name(-1));
        expect("name of PIN_ERR_INTERNAL", "PIN_ERR_INTERNAL", PinResult.name(255));
        expect("a description", true, !PinResult.description(PinResult.PIN_OK).isEmpty());

        PinStore pins = new PinStore();
        pins.addTrustAnchor(Files.readAllBytes(samples.resolve("root-ca.der")));
        pins.addPin(HOST, pin(samples, "intermediate-ca"));
        pins.addPin(HOST, pin(samples, "ec-root-ca"));

        // Configuration errors: the code, as a PinningException.
        expectAddPin(pins, "a bad pin", HOST, "sha1/abc", PinResult.PIN_ERR_BAD_PIN);
        String leafPin = pin(samples, "leaf");
        expectAddPin(pins, "a bad host", "bad host!", leafPin, PinResult.PIN_ERR_BAD_HOST);
        expectAddPin(pins, "a null pattern", null, leafPin, PinResult.PIN_ERR_NULL_ARGUMENT);
        expectAddPin(pins, "a null pin", HOST, null, PinResult.PIN_ERR_NULL_ARGUMENT);
        expectAddAnchor(pins, "garbage anchor", new byte[] {1, 2, 3},
                PinResult.PIN_ERR_BAD_CERTIFICATE);
        expectAddAnchor(pins, "null anchor", null, PinResult.PIN_ERR_NULL_ARGUMENT);
        expectAddAnchor(pins, "oversized anchor", new byte[65537],
                PinResult.PIN_ERR_INVALID_ARGUMENT);

        // Verdicts.
        expect("genuine chain, now", PinResult.PIN_OK, pins.verify(genuine, HOST));
        expect("genuine chain, 2027", PinResult.PIN_OK, pins.verifyAt(genuine, HOST, T2027));
        expect("genuine chain, year 292e9", PinResult.PIN_ERR_EXPIRED,
                pins.verifyAt(genuine, HOST, Long.MAX_VALUE));
        expect("negative time", PinResult.PIN_ERR_INVALID_ARGUMENT,
                pins.verifyAt(genuine, HOST, -1));
        expect("mitm chain, rogue root not an anchor", PinResult.PIN_ERR_UNKNOWN_ISSUER,
                pins.verifyAt(new byte[][] {mitm}, HOST, T2027));
        expectPrefix("explanation of PIN_OK", "PIN_OK: ", pins.explainAt(genuine, HOST, T2027));
        expect("explanation names the host", true,
                pins.explain(genuine, HOST).contains("host: " + HOST));
        expect("explanation lists the pins", true,
                pins.explain(genuine, HOST).contains(pin(samples, "intermediate-ca")));
        try {
            pins.checkAt(new byte[][] {mitm}, HOST, T2027);
            fail("check of the mitm chain did not throw");
        } catch (PinningException e) {
            expect("check: the code", PinResult.PIN_ERR_UNKNOWN_ISSUER, e.getResult());
            expectPrefix("check: the explanation", "PIN_ERR_UNKNOWN_ISSUER: ", e.getExplanation());
            expectPrefix("check: the message", "PIN_ERR_UNKNOWN_ISSUER: ", e.getMessage());
        }

        // Chains the glue refuses before certpin sees them, and the lengths at the limits.
        expect("null chain", PinResult.PIN_ERR_NULL_ARGUMENT, pins.verify(null, HOST));
        expect("null certificate", PinResult.PIN_ERR_NULL_ARGUMENT,
                pins.verify(new byte[][] {leaf, null}, HOST));
        expect("empty chain", PinResult.PIN_ERR_EMPTY_CHAIN, pins.verify(new byte[0][], HOST));
        // CERTPIN_MAX_CHAIN_LEN is 64.
        byte[][] tooMany = new byte[65][];
        Arrays.fill(tooMany, leaf);
        expect("65 certificates", PinResult.PIN_ERR_INVALID_ARGUMENT,
                pins.verify(tooMany, HOST));
        expectPrefix("65 certificates: explanation", "PIN_ERR_INVALID_ARGUMENT: ",
                pins.explain(tooMany, HOST));
        byte[][] atLimit = Arrays.copyOf(tooMany, 64);
        atLimit[1] = intermediate;
        expect("64 certificates", PinResult.PIN_OK, pins.verifyAt(atLimit, HOST, T2027));
        expect("a 65537-byte certificate", PinResult.PIN_ERR_INVALID_ARGUMENT,
                pins.verify(new byte[][] {new byte[65537]}, HOST));
        expect("a 65536-byte certificate", PinResult.PIN_ERR_BAD_CERTIFICATE,
                pins.verify(new byte[][] {new byte[65536]}, HOST));
        expect("an empty certificate", PinResult.PIN_ERR_BAD_CERTIFICATE,
                pins.verify(new byte[][] {new byte[0]}, HOST));

        // Hosts: exact UTF-8, never cut short.
        expect("null host", PinResult.PIN_ERR_NULL_ARGUMENT, pins.verify(genuine, null));
        expect("host with a NUL", PinResult.PIN_ERR_INVALID_ARGUMENT,
                pins.verify(genuine, HOST + "\u0000.evil.example"));
        expect("host with an unpaired surrogate", PinResult.PIN_ERR_INVALID_ARGUMENT,
                pins.verify(genuine, "\uD800" + HOST));
        expect("host with an unpaired low surrogate", PinResult.PIN_ERR_INVALID_ARGUMENT,
                pins.verify(genuine, HOST + "\uDC00"));
        char[] longHost = new char[1025];
        Arrays.fill(longHost, 'a');
        expect("host of 1025 characters", PinResult.PIN_ERR_INVALID_ARGUMENT,
                pins.verify(genuine, new String(longHost)));
        expect("host in capitals with a trailing dot", PinResult.PIN_OK,
                pins.verifyAt(genuine, "API.Example.COM.", T2027));
        // Full-width letters (3 UTF-8 bytes each) map to ASCII in IDNA: the same host.
        expect("full-width host", PinResult.PIN_OK,
                pins.verifyAt(genuine, "\uFF41\uFF50\uFF49.example.com", T2027));
        // U+1D41A MATHEMATICAL BOLD SMALL A is a surrogate pair in Java, 4 bytes in UTF-8, and
        // "a" in IDNA. Modified UTF-8 (GetStringUTFChars) would have made it invalid UTF-8.
        expect("host with a character above U+FFFF", PinResult.PIN_OK,
                pins.verifyAt(genuine, "\uD835\uDC1Api.example.com", T2027));
        expect("the wrong host", PinResult.PIN_ERR_HOST_MISMATCH,
                pins.verifyAt(genuine, "other.example.net", T2027));

        checkTrustManager(pins, genuine, mitm);

        pins.close();
        pins.close();
        try {
            pins.verify(genuine, HOST);
            fail("verify after close did not throw");
        } catch (IllegalStateException expected) {
            checks++;
        }
    }

    /** CertPinTrustManager over a platform trust manager that accepts everything. */
    private void checkTrustManager(PinStore pins, byte[][] genuine, byte[] mitm) throws Exception {
        X509TrustManager acceptAll =
                new X509TrustManager() {
                    @Override
                    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

                    @Override
                    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

                    @Override
                    public X509Certificate[] getAcceptedIssuers() {
                        return new X509Certificate[0];
                    }
                };
        CertPinTrustManager trustManager = new CertPinTrustManager(acceptAll, pins);
        X509Certificate[] genuineChain = x509(genuine);
        X509Certificate[] mitmChain = x509(new byte[][] {mitm});
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, null, null);
        SSLEngine engine = context.createSSLEngine(HOST, 443);

        trustManager.checkServerTrusted(genuineChain, "RSA", engine);
        checks++;
        try {
            trustManager.checkServerTrusted(mitmChain, "RSA", engine);
            fail("trust manager accepted the mitm chain");
        } catch (PinningException e) {
            expect("trust manager: the code", PinResult.PIN_ERR_UNKNOWN_ISSUER, e.getResult());
        }
        expectRefusal("no host (two-argument variant)",
                () -> trustManager.checkServerTrusted(genuineChain, "RSA"));
        SSLEngine anonymous = context.createSSLEngine();
        expectRefusal("engine without a peer host",
                () -> trustManager.checkServerTrusted(genuineChain, "RSA", anonymous));
        expectRefusal("a socket that is not an SSLSocket",
                () -> trustManager.checkServerTrusted(genuineChain, "RSA", new Socket()));
        expectRefusal("no chain",
                () -> trustManager.checkServerTrusted(new X509Certificate[0], "RSA", engine));

        PinStore closed = new PinStore();
        closed.close();
        CertPinTrustManager closedManager = new CertPinTrustManager(acceptAll, closed);
        expectRefusal("a closed store",
                () -> closedManager.checkServerTrusted(genuineChain, "RSA", engine));
    }

    private interface Check {
        void run() throws CertificateException;
    }

    /** The check must throw a CertificateException that is not a pin verdict. */
    private void expectRefusal(String what, Check check) {
        try {
            check.run();
            fail(what + ": accepted");
        } catch (PinningException e) {
            fail(what + ": refused with a verdict: " + e.getMessage());
        } catch (CertificateException e) {
            checks++;
        } catch (RuntimeException e) {
            fail(what + ": " + e);
        }
    }

    private void expectAddPin(PinStore pins, String what, String pattern, String pin, int code) {
        try {
            pins.addPin(pattern, pin);
            fail(what + ": accepted");
        } catch (PinningException e) {
            expect(what, code, e.getResult());
        }
    }

    private void expectAddAnchor(PinStore pins, String what, byte[] der, int code) {
        try {
            pins.addTrustAnchor(der);
            fail(what + ": accepted");
        } catch (PinningException e) {
            expect(what, code, e.getResult());
        }
    }

    private void expect(String what, int want, int got) {
        if (want == got) {
            checks++;
        } else {
            fail(what + ": want " + PinResult.name(want) + ", got " + PinResult.name(got));
        }
    }

    private void expect(String what, Object want, Object got) {
        if (want.equals(got)) {
            checks++;
        } else {
            fail(what + ": want " + want + ", got " + got);
        }
    }

    private void expectPrefix(String what, String prefix, String text) {
        if (text.startsWith(prefix)) {
            checks++;
        } else {
            fail(what + ": want a text starting with \"" + prefix + "\", got \"" + text + "\"");
        }
    }

    private void fail(String failure) {
        failures.add(failure);
    }

    private static String pin(Path samples, String name) throws java.io.IOException {
        for (String line : Files.readAllLines(samples.resolve("pins.txt"))) {
            String[] words = line.trim().split("\\s+");
            if (words.length == 2 && words[0].equals(name)) {
                return words[1];
            }
        }
        throw new IllegalArgumentException("no pin for " + name);
    }

    private static X509Certificate[] x509(byte[][] ders) throws CertificateException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        X509Certificate[] chain = new X509Certificate[ders.length];
        for (int i = 0; i < ders.length; i++) {
            chain[i] =
                    (X509Certificate)
                            factory.generateCertificate(new ByteArrayInputStream(ders[i]));
        }
        return chain;
    }
}
