package io.jrnn;

/**
 * One decoded sequence.
 *
 * @param tokens    generated target ids, without the start and the end token
 * @param logProb   sum of the log-probabilities of every generated token, the end token included, before any length
 *                  normalisation
 * @param attention attention weights per step, {@code [steps][srcLen]} where steps includes the end-token step;
 *                  {@code null} when the model has no attention
 *
 * <p>Thread safety: a plain value the caller owns; its arrays are not copied, so share it read-only.
 */
public record Translation(int[] tokens, float logProb, float[][] attention) {
}
