package io.jrnn.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy decoding: the arg-max token each step (ties → lowest id) until the end token or {@code maxLen} tokens.
 * Tokens in {@code banned} (pad and start) are never chosen; the log-probabilities of the others are unchanged.
 *
 * <p>Thread safety: {@link #decode} is stateless (the scorer belongs to the calling thread); a {@link #start}ed
 * decoding belongs to one thread at a time.
 */
public final class Greedy {
    private Greedy() {}

    public static Hypothesis decode(StepScorer scorer, int startId, int endId, int[] banned, int maxLen) {
        return Decoding.drive(scorer, start(scorer.vocabSize(), startId, endId, banned, maxLen), 1);
    }

    /** A greedy decoding over a vocabulary of {@code V} tokens, one row a step, for a driver to advance. */
    public static Decoding<Hypothesis> start(int V, int startId, int endId, int[] banned, int maxLen) {
        if (maxLen < 1) throw new IllegalArgumentException("maxLen must be >= 1, got " + maxLen);
        return new Run(V, startId, endId, banned, maxLen);
    }

    private static final class Run implements Decoding<Hypothesis> {
        private final int V, endId;
        private final boolean[] ban;
        private final int[] parent = {0};
        private final int[] token;
        private final int[] out;
        private List<float[]> attention;
        private int len;
        private double sum;
        private Hypothesis result;

        Run(int V, int startId, int endId, int[] banned, int maxLen) {
            this.V = V;
            this.endId = endId;
            this.ban = Bans.mask(V, banned);
            this.token = new int[] {startId};
            this.out = new int[maxLen];
        }

        @Override
        public int rows() {
            return 1;
        }

        @Override
        public int[] parents() {
            return parent;
        }

        @Override
        public int[] tokens() {
            return token;
        }

        @Override
        public boolean accept(float[] logp, int offset, float[][] attn) {
            if (result != null) throw new IllegalStateException("the decoding is done");
            if (attn != null) {
                if (attention == null) attention = new ArrayList<>();
                attention.add(attn[0]);
            }
            int best = -1;
            for (int v = 0; v < V; v++) {
                if (ban[v]) continue;
                // NaN never wins; ties keep the lower id
                final float x = logp[offset + v];
                if (best < 0 || x > logp[offset + best] || (Float.isNaN(logp[offset + best]) && !Float.isNaN(x))) {
                    best = v;
                }
            }
            if (best < 0) throw new IllegalStateException("every token is banned; nothing can be generated");
            out[len++] = best;
            sum += logp[offset + best];
            token[0] = best;
            final boolean ended = best == endId;
            if (!ended && len < out.length) return false;
            result = new Hypothesis(Arrays.copyOf(out, len), sum,
                    attention == null ? null : attention.toArray(new float[0][]), ended);
            return true;
        }

        @Override
        public Hypothesis result() {
            if (result == null) throw new IllegalStateException("the decoding is not done");
            return result;
        }
    }
}
