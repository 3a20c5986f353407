package io.jrnn.decode;

/**
 * A decoding in progress, advanced one step at a time by whoever scores its rows: {@link #drive} with a
 * {@link StepScorer} of its own, or a driver that scores the rows of many decodings in one batched call (a
 * {@code Seq2Seq} decoding several sentences, a batcher). Each step the driver scores {@link #rows()} rows — row
 * {@code j} continues row {@code parents()[j]} of the previous step with {@code tokens()[j]}, as
 * {@link StepScorer#advance} defines them — and hands the log-probabilities to {@link #accept}.
 *
 * <p>Thread safety: holds the decoding's state; one thread at a time.
 *
 * @param <R> what a finished decoding gives
 */
public interface Decoding<R> {

    /** Rows to score next (at least 1 while not done). */
    int rows();

    /** For each of the next {@link #rows()} rows, the row of the previous step it continues (read-only). */
    int[] parents();

    /** For each of the next {@link #rows()} rows, the token that extends it (read-only). */
    int[] tokens();

    /**
     * Takes the scores of the rows asked for and makes the next step's.
     *
     * @param logProbs  row {@code j}'s log-probabilities at {@code logProbs[offset + j * V, offset + (j + 1) * V)}
     * @param offset    where row 0 starts in {@code logProbs}
     * @param attention when the model attends, row {@code j}'s attention weights at {@code attention[j]} (arrays the
     *                  decoding may keep); else {@code null}
     * @return whether the decoding is done ({@link #result()} is then ready and no more rows are asked for)
     */
    boolean accept(float[] logProbs, int offset, float[][] attention);

    /** The result, once {@link #accept} returned true. */
    R result();

    /** Runs a decoding to its end with one scorer of its own (made for up to {@code maxRows} rows). */
    static <R> R drive(StepScorer scorer, Decoding<R> d, int maxRows) {
        final float[] logp = new float[maxRows * scorer.vocabSize()];
        final float[][] attention = scorer.hasAttention() ? new float[maxRows][] : null;
        while (true) {
            scorer.advance(d.parents(), d.tokens(), d.rows(), logp, attention);
            if (d.accept(logp, 0, attention)) return d.result();
        }
    }
}
