package io.jrnn.decode;

import java.util.ArrayList;
import java.util.List;

/**
 * Greedy decoding: the arg-max token each step (ties → lowest id) until the end token or {@code maxLen} tokens.
 * Tokens in {@code banned} (pad and start) are never chosen; the log-probabilities of the others are unchanged.
 *
 * <p>Thread safety: stateless; the scorer belongs to the calling thread.
 */
public final class Greedy {
    private Greedy() {}

    public static Hypothesis decode(StepScorer scorer, int startId, int endId, int[] banned, int maxLen) {
        if (maxLen < 1) throw new IllegalArgumentException("maxLen must be >= 1, got " + maxLen);
        final int V = scorer.vocabSize();
        final boolean[] ban = Bans.mask(V, banned);
        final float[] logp = new float[V];
        final float[][] attnRow = scorer.hasAttention() ? new float[1][] : null;
        final List<float[]> attention = attnRow != null ? new ArrayList<>() : null;
        final int[] parent = {0};
        final int[] token = {startId};
        int[] out = new int[maxLen];
        int len = 0;
        double sum = 0;
        boolean ended = false;
        while (len < maxLen) {
            scorer.advance(parent, token, 1, logp, attnRow);
            if (attention != null) attention.add(attnRow[0]);
            int best = -1;
            for (int v = 0; v < V; v++) {
                if (ban[v]) continue;
                // NaN never wins; ties keep the lower id
                if (best < 0 || logp[v] > logp[best] || (Float.isNaN(logp[best]) && !Float.isNaN(logp[v]))) best = v;
            }
            if (best < 0) throw new IllegalStateException("every token is banned; nothing can be generated");
            out[len++] = best;
            sum += logp[best];
            token[0] = best;
            if (best == endId) {
                ended = true;
                break;
            }
        }
        return new Hypothesis(java.util.Arrays.copyOf(out, len), sum,
                attention == null ? null : attention.toArray(new float[0][]), ended);
    }
}
