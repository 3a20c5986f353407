package io.jrnn.decode;

/**
 * A decoded sequence: the generated tokens (the end token included when the hypothesis ended with it, never the
 * start token), the sum of their log-probabilities, and the attention weights of each step ({@code null} without
 * attention).
 *
 * <p>Thread safety: a value; its arrays are shared, not copied, so treat them as read-only.
 */
public record Hypothesis(int[] tokens, double logProb, float[][] attention, boolean ended) {

    /** Generated tokens without the end token. */
    public int[] tokensWithoutEnd() {
        return ended ? java.util.Arrays.copyOf(tokens, tokens.length - 1) : tokens.clone();
    }

    /** GNMT length-normalised score: {@code logProb / ((5 + len) / 6)^alpha}; alpha 0 gives the raw sum. */
    public double normalizedScore(double alpha) {
        if (alpha == 0) return logProb;
        return logProb / Math.pow((5.0 + tokens.length) / 6.0, alpha);
    }
}
