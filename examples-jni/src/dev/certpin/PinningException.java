package dev.certpin;

import java.security.cert.CertificateException;

/**
 * certpin refused: a configuration call failed, or a chain's verdict was not
 * {@link PinResult#PIN_OK}. A {@link CertificateException}, so that a trust manager can throw
 * it and the TLS handshake fails with it as the cause.
 */
public final class PinningException extends CertificateException {
    private static final long serialVersionUID = 1L;

    private final int result;
    private final String explanation;

    /**
     * @param result the {@code pin_result} code, never {@link PinResult#PIN_OK}
     * @param explanation certpin's explanation (its first line is {@code "NAME: meaning"}),
     *     or a short text saying what failed
     */
    public PinningException(int result, String explanation) {
        super(firstLine(explanation, result));
        this.result = result;
        this.explanation = explanation == null ? "" : explanation;
    }

    /** The {@code pin_result} code: one of the {@link PinResult} constants. */
    public int getResult() {
        return result;
    }

    /** The code's name, {@code "PIN_ERR_PIN_MISMATCH"}, ... */
    public String getResultName() {
        return PinResult.name(result);
    }

    /**
     * certpin's whole explanation: the verdict, the host, the policy that applied and its pins,
     * and every certificate's pin and subject. Log it; paste a pin from it into a policy.
     */
    public String getExplanation() {
        return explanation;
    }

    private static String firstLine(String explanation, int result) {
        if (explanation == null || explanation.isEmpty()) {
            return "pin_result " + result;
        }
        int end = explanation.indexOf('\n');
        return end < 0 ? explanation : explanation.substring(0, end);
    }
}
