package io.jrnn.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Beam search with a shrinking beam (as Marian does), exactly as SPEC §1.4 states it:
 * <ol>
 * <li>live = [the empty hypothesis, score 0].</li>
 * <li>Each step, over all live hypotheses and all tokens, rank {@code score + logp(token)} descending (ties: lower
 * live index, then lower token id) and keep the top {@code K − finished} candidates in that order; those ending
 * in the end token are finished (in that order), the rest are the new live set (in that order).</li>
 * <li>Stop when {@code finished == K}, when nothing is live, or after {@code maxLen} steps (the live ones are then
 * finished, in order).</li>
 * <li>Rank the finished by {@code score / ((5 + len) / 6)^α}, best first, stable.</li>
 * </ol>
 * Banned tokens (pad, start) are never candidates; the log-probabilities of the others are unchanged. A NaN
 * score ranks below every number.
 *
 * <p>Thread safety: {@link #decode} is stateless (the scorer belongs to the calling thread); a {@link #start}ed
 * decoding belongs to one thread at a time.
 */
public final class BeamSearch {
    private BeamSearch() {}

    /**
     * A hypothesis as the last step that made it: its token and attention row and the step before (null for the
     * first token). A step extends a hypothesis in O(1) instead of copying its tokens and attention rows, which
     * grew with its length; the arrays are made once, when it finishes.
     */
    private record Live(Live parent, int token, float[] attention, int length, double score) {
        static final Live EMPTY = new Live(null, -1, null, 0, 0.0);

        int[] tokens() {
            int[] t = new int[length];
            for (Live l = this; l.length > 0; l = l.parent) t[l.length - 1] = l.token;
            return t;
        }

        float[][] attentionRows() {
            float[][] a = new float[length][];
            for (Live l = this; l.length > 0; l = l.parent) a[l.length - 1] = l.attention;
            return a;
        }
    }

    public static List<Hypothesis> decode(StepScorer scorer, int startId, int endId, int[] banned, int beamSize,
                                          int maxLen, double lengthPenalty) {
        return Decoding.drive(scorer, start(scorer.vocabSize(), scorer.hasAttention(), startId, endId, banned, beamSize,
                maxLen, lengthPenalty), beamSize);
    }

    /**
     * A beam search over a vocabulary of {@code V} tokens (up to {@code beamSize} rows a step), for a driver to
     * advance; {@code withAttention}: whether the driver hands it attention weights.
     */
    public static Decoding<List<Hypothesis>> start(int V, boolean withAttention, int startId, int endId, int[] banned,
                                                   int beamSize, int maxLen, double lengthPenalty) {
        if (beamSize < 1) throw new IllegalArgumentException("beam size must be >= 1, got " + beamSize);
        if (maxLen < 1) throw new IllegalArgumentException("maxLen must be >= 1, got " + maxLen);
        if (!Double.isFinite(lengthPenalty)) {
            throw new IllegalArgumentException("length penalty must be a finite number, got " + lengthPenalty);
        }
        return new Run(V, withAttention, startId, endId, banned, beamSize, maxLen, lengthPenalty);
    }

    private static final class Run implements Decoding<List<Hypothesis>> {
        private final int V, endId, beamSize, maxLen;
        private final double lengthPenalty;
        private final boolean[] ban;
        private final boolean withAttention;
        private final int[] keptRow, keptTok;
        private final double[] keptVal;
        private List<Live> live = new ArrayList<>();
        private final List<Hypothesis> finished = new ArrayList<>();
        private int[] parents = {0};
        private int[] tokens;
        private int step = 1;
        private boolean done;

        Run(int V, boolean withAttention, int startId, int endId, int[] banned, int beamSize, int maxLen,
            double lengthPenalty) {
            this.V = V;
            this.withAttention = withAttention;
            this.endId = endId;
            this.beamSize = beamSize;
            this.maxLen = maxLen;
            this.lengthPenalty = lengthPenalty;
            this.ban = Bans.mask(V, banned);
            this.keptRow = new int[beamSize];
            this.keptTok = new int[beamSize];
            this.keptVal = new double[beamSize];
            this.tokens = new int[] {startId};
            live.add(Live.EMPTY);
        }

        @Override
        public int rows() {
            return live.size();
        }

        @Override
        public int[] parents() {
            return parents;
        }

        @Override
        public int[] tokens() {
            return tokens;
        }

        @Override
        public boolean accept(float[] logp, int offset, float[][] attn) {
            if (done) throw new IllegalStateException("the decoding is done");
            final int n = live.size();
            // Top (K - finished) candidates by score + logp, ties to the lower (row, token): scanning in that order,
            // an equal value never displaces one already kept.
            final int keep = beamSize - finished.size();
            int kept = 0;
            for (int i = 0; i < n; i++) {
                final double base = live.get(i).score;
                final int row = offset + i * V;
                for (int v = 0; v < V; v++) {
                    if (ban[v]) continue;
                    final double val = base + logp[row + v];
                    if (kept == keep && !better(val, keptVal[kept - 1])) continue;
                    int pos = kept < keep ? kept++ : keep - 1;
                    while (pos > 0 && better(val, keptVal[pos - 1])) {
                        keptVal[pos] = keptVal[pos - 1];
                        keptRow[pos] = keptRow[pos - 1];
                        keptTok[pos] = keptTok[pos - 1];
                        pos--;
                    }
                    keptVal[pos] = val;
                    keptRow[pos] = i;
                    keptTok[pos] = v;
                }
            }

            List<Live> next = new ArrayList<>(kept);
            int[] nextParents = new int[kept];
            int[] nextTokens = new int[kept];
            for (int c = 0; c < kept; c++) {
                Live from = live.get(keptRow[c]);
                Live l = new Live(from, keptTok[c], withAttention ? attn[keptRow[c]] : null, from.length + 1,
                        keptVal[c]);
                if (keptTok[c] == endId) {
                    finished.add(hypothesis(l, true));
                } else {
                    nextParents[next.size()] = keptRow[c];
                    nextTokens[next.size()] = keptTok[c];
                    next.add(l);
                }
            }
            if (finished.size() >= beamSize || next.isEmpty()) return finish();
            if (step >= maxLen) {
                for (Live l : next) finished.add(hypothesis(l, false));
                return finish();
            }
            step++;
            live = next;
            parents = Arrays.copyOf(nextParents, next.size());
            tokens = Arrays.copyOf(nextTokens, next.size());
            return false;
        }

        private Hypothesis hypothesis(Live l, boolean ended) {
            return new Hypothesis(l.tokens(), l.score, withAttention ? l.attentionRows() : null, ended);
        }

        private boolean finish() {
            // stable: equal normalised scores keep the order in which they finished
            finished.sort(Comparator.comparingDouble((Hypothesis h) -> h.normalizedScore(lengthPenalty)).reversed());
            live = List.of();
            done = true;
            return true;
        }

        @Override
        public List<Hypothesis> result() {
            if (!done) throw new IllegalStateException("the decoding is not done");
            return finished;
        }
    }

    /** Ranking order: higher first, NaN below every number (as jrnn_topk_f32 ranks it), so a NaN model still decodes. */
    private static boolean better(double a, double b) {
        if (Double.isNaN(a)) return false;
        return Double.isNaN(b) || a > b;
    }
}
