package io.jrnn.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The decoding strategies on synthetic log-probabilities: no model involved. */
class BeamSearchTest {
    static final int PAD = 0, BOS = 1, EOS = 2;
    static final int[] BANNED = {PAD, BOS};

    /** Log-probabilities as a function of the prefix: a fixed table per prefix, else a seeded random distribution. */
    static final class PrefixScorer implements StepScorer {
        final int V;
        final long seed;
        final Map<String, float[]> table;
        List<int[]> rows = new ArrayList<>(List.of(new int[0]));
        int calls;

        PrefixScorer(int V, long seed, Map<String, float[]> table) {
            this.V = V;
            this.seed = seed;
            this.table = table;
        }

        @Override
        public int vocabSize() {
            return V;
        }

        @Override
        public boolean hasAttention() {
            return true;
        }

        @Override
        public void advance(int[] parents, int[] tokens, int n, float[] logProbs, float[][] attention) {
            calls++;
            List<int[]> next = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                int[] p = rows.get(parents[j]);
                int[] q = calls == 1 ? p : Arrays.copyOf(p, p.length + 1);
                if (calls > 1) q[q.length - 1] = tokens[j];
                next.add(q);
                float[] lp = dist(q);
                System.arraycopy(lp, 0, logProbs, j * V, V);
                if (attention != null) attention[j] = new float[] {q.length, j};
            }
            rows = next;
        }

        float[] dist(int[] prefix) {
            float[] t = table.get(Arrays.toString(prefix));
            if (t != null) return t;
            Random r = new Random(seed * 31 + Arrays.hashCode(prefix));
            double[] e = new double[V];
            double s = 0;
            for (int v = 0; v < V; v++) s += e[v] = Math.exp(2 * r.nextGaussian() + (v == EOS ? prefix.length * 0.5 : 0));
            float[] lp = new float[V];
            for (int v = 0; v < V; v++) lp[v] = (float) Math.log(e[v] / s);
            return lp;
        }
    }

    static float[] logp(double... p) {
        float[] out = new float[p.length];
        for (int i = 0; i < p.length; i++) out[i] = (float) Math.log(p[i]);
        return out;
    }

    @Test
    void beamOfOneIsGreedy() {
        for (long seed = 0; seed < 50; seed++) {
            Hypothesis g = Greedy.decode(new PrefixScorer(9, seed, Map.of()), BOS, EOS, BANNED, 12);
            List<Hypothesis> b = BeamSearch.decode(new PrefixScorer(9, seed, Map.of()), BOS, EOS, BANNED, 1, 12, 0.7);
            assertEquals(1, b.size());
            assertArrayEquals(g.tokens(), b.get(0).tokens(), "seed " + seed);
            assertEquals(g.logProb(), b.get(0).logProb(), 1e-9);
            assertEquals(g.attention().length, b.get(0).attention().length);
        }
    }

    @Test
    void bannedTokensAreNeverGenerated() {
        // pad and bos are the most likely tokens, yet never chosen; the others keep their log-probabilities
        Map<String, float[]> t = Map.of("[]", logp(0.4, 0.3, 0.05, 0.25), "[3]", logp(0.5, 0.3, 0.15, 0.05));
        Hypothesis g = Greedy.decode(new PrefixScorer(4, 0, t), BOS, EOS, BANNED, 2);
        assertArrayEquals(new int[] {3, 2}, g.tokens());
        assertTrue(g.ended());
        assertEquals(Math.log(0.25f) + Math.log(0.15f), g.logProb(), 1e-6);
        for (Hypothesis h : BeamSearch.decode(new PrefixScorer(4, 0, t), BOS, EOS, BANNED, 2, 2, 0)) {
            for (int tok : h.tokens()) assertTrue(tok != PAD && tok != BOS);
        }
    }

    @Test
    void greedyTiesGoToTheLowestIdAndStopsAtMaxLen() {
        Map<String, float[]> t = Map.of("[]", logp(0.1, 0.1, 0.2, 0.3, 0.3), "[3]", logp(0.1, 0.1, 0.2, 0.3, 0.3),
                "[3, 3]", logp(0.1, 0.1, 0.2, 0.3, 0.3));
        Hypothesis g = Greedy.decode(new PrefixScorer(5, 0, t), BOS, EOS, BANNED, 3);
        assertArrayEquals(new int[] {3, 3, 3}, g.tokens());
        assertFalse(g.ended());
        assertEquals(3, g.attention().length);
    }

    @Test
    void shrinkingBeamFinishesInRankOrder() {
        // V = 5: tokens 3, 4 and EOS. Step 1 from []: 3 (0.5), EOS (0.3), 4 (0.2).
        Map<String, float[]> t = Map.of(
                "[]", logp(1e-9, 1e-9, 0.3, 0.5, 0.2),
                "[3]", logp(1e-9, 1e-9, 0.6, 0.3, 0.1),
                "[4]", logp(1e-9, 1e-9, 0.9, 0.05, 0.05));
        List<Hypothesis> r = BeamSearch.decode(new PrefixScorer(5, 0, t), BOS, EOS, BANNED, 3, 5, 0);
        // step 1 keeps [3] (.5), [EOS] (.3) finished, [4] (.2); step 2 keeps 2: [3,EOS] .30, [4,EOS] .18 -> done
        assertEquals(3, r.size());
        assertArrayEquals(new int[] {EOS}, r.get(0).tokens());
        assertArrayEquals(new int[] {3, EOS}, r.get(1).tokens());
        assertArrayEquals(new int[] {4, EOS}, r.get(2).tokens());
        assertEquals(Math.log(0.5f) + Math.log(0.6f), r.get(1).logProb(), 1e-6);
        // attention rows: one per step, the EOS step included, and they come from the right parent
        assertEquals(2, r.get(2).attention().length);
        assertEquals(0f, r.get(2).attention()[1][0] - 1, 0f); // the prefix [4] had length 1 at step 2
    }

    @Test
    void tiesRankTheLowerLiveIndexThenTheLowerToken() {
        Map<String, float[]> t = Map.of(
                "[]", logp(1e-9, 1e-9, 1e-6, 0.5, 0.5),
                "[3]", logp(1e-9, 1e-9, 1e-6, 0.5, 0.5),
                "[4]", logp(1e-9, 1e-9, 1e-6, 0.5, 0.5));
        List<Hypothesis> r = BeamSearch.decode(new PrefixScorer(5, 0, t), BOS, EOS, BANNED, 2, 2, 0);
        assertArrayEquals(new int[] {3, 3}, r.get(0).tokens());
        assertArrayEquals(new int[] {3, 4}, r.get(1).tokens());
        assertFalse(r.get(0).ended());
    }

    @Test
    void lengthPenaltyReranksStably() {
        Map<String, float[]> t = Map.of(
                "[]", logp(1e-9, 1e-9, 0.4, 0.6, 1e-9),
                "[3]", logp(1e-9, 1e-9, 0.55, 0.45, 1e-9),
                "[3, 3]", logp(1e-9, 1e-9, 0.99, 0.01, 1e-9));
        List<Hypothesis> raw = BeamSearch.decode(new PrefixScorer(5, 0, t), BOS, EOS, BANNED, 2, 5, 0);
        assertArrayEquals(new int[] {EOS}, raw.get(0).tokens()); // 0.4 > 0.33
        List<Hypothesis> gnmt = BeamSearch.decode(new PrefixScorer(5, 0, t), BOS, EOS, BANNED, 2, 5, 2.0);
        assertArrayEquals(new int[] {3, EOS}, gnmt.get(0).tokens()); // longer one wins once normalised
        assertEquals(raw.get(1).logProb(), gnmt.get(0).logProb(), 0);
    }

    @Test
    void maxLenFinishesTheLiveOnesInOrder() {
        List<Hypothesis> r = BeamSearch.decode(new PrefixScorer(9, 3, Map.of()), BOS, EOS, BANNED, 4, 1, 0);
        assertEquals(4, r.size());
        for (Hypothesis h : r) assertEquals(1, h.tokens().length);
        for (int i = 1; i < r.size(); i++) assertTrue(r.get(i - 1).logProb() >= r.get(i).logProb());
    }

    /** SPEC §1.4 written the slow, obvious way: sort every candidate with a comparator. */
    static List<int[]> naiveBeam(PrefixScorer s, int K, int maxLen, double alpha) {
        record Cand(int[] toks, double score) {}
        List<Cand> live = List.of(new Cand(new int[0], 0));
        List<Cand> fin = new ArrayList<>();
        for (int step = 1; ; step++) {
            List<double[]> cands = new ArrayList<>(); // {score, row, token}
            for (int i = 0; i < live.size(); i++) {
                float[] lp = s.dist(live.get(i).toks);
                for (int v = 0; v < s.V; v++) {
                    if (v != PAD && v != BOS) cands.add(new double[] {live.get(i).score + lp[v], i, v});
                }
            }
            cands.sort((a, b) -> a[0] != b[0] ? Double.compare(b[0], a[0])
                    : a[1] != b[1] ? Double.compare(a[1], b[1]) : Double.compare(a[2], b[2]));
            List<Cand> next = new ArrayList<>();
            for (double[] c : cands.subList(0, Math.min(K - fin.size(), cands.size()))) {
                int[] p = live.get((int) c[1]).toks;
                int[] q = Arrays.copyOf(p, p.length + 1);
                q[p.length] = (int) c[2];
                (c[2] == EOS ? fin : next).add(new Cand(q, c[0]));
            }
            if (fin.size() == K || next.isEmpty()) break;
            if (step == maxLen) {
                fin.addAll(next);
                break;
            }
            live = next;
        }
        List<Cand> sorted = new ArrayList<>(fin);
        sorted.sort((a, b) -> Double.compare(b.score / Math.pow((5.0 + b.toks.length) / 6.0, alpha),
                a.score / Math.pow((5.0 + a.toks.length) / 6.0, alpha)));
        List<int[]> out = new ArrayList<>();
        for (Cand c : sorted) out.add(c.toks);
        return out;
    }

    @Test
    void randomScorersMatchANaiveImplementationOfTheSpec() {
        for (long seed = 0; seed < 300; seed++) {
            int K = 1 + (int) (seed % 6), maxLen = 1 + (int) (seed % 8);
            double alpha = (seed % 3) * 0.5;
            List<Hypothesis> r = BeamSearch.decode(new PrefixScorer(7, seed, Map.of()), BOS, EOS, BANNED, K, maxLen, alpha);
            List<int[]> want = naiveBeam(new PrefixScorer(7, seed, Map.of()), K, maxLen, alpha);
            assertEquals(want.size(), r.size(), "seed " + seed);
            for (int i = 0; i < want.size(); i++) assertArrayEquals(want.get(i), r.get(i).tokens(), "seed " + seed + " #" + i);
        }
    }

    @Test
    void randomScorersKeepTheInvariants() {
        for (long seed = 0; seed < 200; seed++) {
            int K = 1 + (int) (seed % 5);
            List<Hypothesis> r = BeamSearch.decode(new PrefixScorer(7, seed, Map.of()), BOS, EOS, BANNED, K, 6, 0.6);
            assertTrue(r.size() >= 1 && r.size() <= K, "seed " + seed);
            for (Hypothesis h : r) {
                assertEquals(h.tokens().length, h.attention().length);
                assertEquals(h.ended(), h.tokens()[h.tokens().length - 1] == EOS);
                assertTrue(h.ended() || h.tokens().length == 6);
            }
            for (int i = 1; i < r.size(); i++) {
                assertTrue(r.get(i - 1).normalizedScore(0.6) >= r.get(i).normalizedScore(0.6), "seed " + seed);
            }
        }
    }

    @Test
    void argumentsAreChecked() {
        PrefixScorer s = new PrefixScorer(5, 0, Map.of());
        assertThrows(IllegalArgumentException.class, () -> BeamSearch.decode(s, BOS, EOS, BANNED, 0, 5, 0));
        assertThrows(IllegalArgumentException.class, () -> BeamSearch.decode(s, BOS, EOS, BANNED, 2, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> BeamSearch.decode(s, BOS, EOS, BANNED, 2, 5, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Greedy.decode(s, BOS, EOS, BANNED, 0));
    }
}
