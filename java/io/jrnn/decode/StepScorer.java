package io.jrnn.decode;

/**
 * What a decoding strategy needs from a model: the next-token log-probabilities of a set of hypotheses.
 *
 * <p>The scorer keeps one state row per live hypothesis. Before the first call there is exactly one row: the
 * start state (nothing generated yet). Each call replaces the rows: new row {@code j} is old row
 * {@code parents[j]} extended by {@code tokens[j]} (the first call passes {@code parents = {0}} and the start token),
 * and the call writes the log-probabilities of every vocabulary entry for every new row.
 *
 * <p>Strategies never touch model internals; tests drive them with synthetic scorers.
 *
 * <p>Thread safety: a scorer holds per-call state and belongs to one thread.
 */
public interface StepScorer {

    /** Size V of the vocabulary. */
    int vocabSize();

    /**
     * Advances the hypotheses.
     *
     * @param parents   for each new row, the old row it continues ({@code n} entries)
     * @param tokens    for each new row, the token appended to it
     * @param n         number of new rows (1 ≤ n ≤ the beam size the scorer was made for)
     * @param logProbs  out: {@code [n, V]} row-major log-probabilities over the whole vocabulary
     * @param attention out: when non-null, the attention weights of row {@code j} go to {@code attention[j]}
     *                  (each {@code float[srcLen]}, freshly allocated by the scorer); untouched when the model has none
     */
    void advance(int[] parents, int[] tokens, int n, float[] logProbs, float[][] attention);

    /** Whether {@link #advance} reports attention weights. */
    boolean hasAttention();
}
