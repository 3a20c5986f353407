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
 * <p>Thread safety: stateless; the scorer belongs to the calling thread.
 */
public final class BeamSearch {
    private BeamSearch() {}

    private record Live(int[] tokens, double score, List<float[]> attention) {}

    public static List<Hypothesis> decode(StepScorer scorer, int startId, int endId, int[] banned, int beamSize,
                                          int maxLen, double lengthPenalty) {
        if (beamSize < 1) throw new IllegalArgumentException("beam size must be >= 1, got " + beamSize);
        if (maxLen < 1) throw new IllegalArgumentException("maxLen must be >= 1, got " + maxLen);
        if (!Double.isFinite(lengthPenalty)) {
            throw new IllegalArgumentException("length penalty must be a finite number, got " + lengthPenalty);
        }
        final int V = scorer.vocabSize();
        final boolean[] ban = Bans.mask(V, banned);
        final boolean withAttention = scorer.hasAttention();
        final float[] logp = new float[beamSize * V];
        final float[][] attn = withAttention ? new float[beamSize][] : null;
        final int[] keptRow = new int[beamSize], keptTok = new int[beamSize];
        final double[] keptVal = new double[beamSize];

        List<Live> live = new ArrayList<>();
        live.add(new Live(new int[0], 0.0, new ArrayList<>()));
        List<Hypothesis> finished = new ArrayList<>();
        int[] parents = {0};
        int[] tokens = {startId};

        for (int step = 1; ; step++) {
            final int n = live.size();
            scorer.advance(parents, tokens, n, logp, attn);

            // Top (K - finished) candidates by score + logp, ties to the lower (row, token): scanning in that order,
            // an equal value never displaces one already kept.
            final int keep = beamSize - finished.size();
            int kept = 0;
            for (int i = 0; i < n; i++) {
                final double base = live.get(i).score;
                for (int v = 0; v < V; v++) {
                    if (ban[v]) continue;
                    final double val = base + logp[i * V + v];
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
                int[] toks = Arrays.copyOf(from.tokens, from.tokens.length + 1);
                toks[toks.length - 1] = keptTok[c];
                List<float[]> a = from.attention;
                if (withAttention) {
                    a = new ArrayList<>(from.attention);
                    a.add(attn[keptRow[c]]);
                }
                if (keptTok[c] == endId) {
                    finished.add(new Hypothesis(toks, keptVal[c], toArray(a, withAttention), true));
                } else {
                    nextParents[next.size()] = keptRow[c];
                    nextTokens[next.size()] = keptTok[c];
                    next.add(new Live(toks, keptVal[c], a));
                }
            }
            if (finished.size() >= beamSize || next.isEmpty()) break;
            if (step >= maxLen) {
                for (Live l : next) finished.add(new Hypothesis(l.tokens, l.score, toArray(l.attention, withAttention), false));
                break;
            }
            live = next;
            parents = Arrays.copyOf(nextParents, next.size());
            tokens = Arrays.copyOf(nextTokens, next.size());
        }
        // stable: equal normalised scores keep the order in which they finished
        finished.sort(Comparator.comparingDouble((Hypothesis h) -> h.normalizedScore(lengthPenalty)).reversed());
        return finished;
    }

    /** Ranking order: higher first, NaN below every number (as jrnn_topk_f32 ranks it), so a NaN model still decodes. */
    private static boolean better(double a, double b) {
        if (Double.isNaN(a)) return false;
        return Double.isNaN(b) || a > b;
    }

    private static float[][] toArray(List<float[]> a, boolean withAttention) {
        return withAttention ? a.toArray(new float[0][]) : null;
    }
}
