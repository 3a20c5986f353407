package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * {@link Linear}, {@link Embedding}, {@link Softmax} and {@link LogSoftmax} against float64 arithmetic written out
 * here (the same formulas torch.nn.Linear / Embedding / softmax compute), their checks and their lifecycle.
 */
class BuildingBlocksTest {
    private static final double TOL = 1e-5;

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        return v;
    }

    private static StateDict dict(Map<String, float[]> data, Map<String, int[]> shapes) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        try {
            for (String k : data.keySet()) t.put(k, Tensor.of(data.get(k), shapes.get(k)));
            return StateDict.of(t);
        } finally {
            t.values().forEach(Tensor::close);
        }
    }

    @Test
    void linearIsXTimesWTransposedPlusB() {
        Random r = new Random(1);
        int N = 7, K = 5;
        float[] w = random(r, N * K), b = random(r, N), x = random(r, 2 * 3 * K);
        for (boolean bias : new boolean[] {true, false}) {
            Map<String, float[]> d = new LinkedHashMap<>();
            Map<String, int[]> s = new LinkedHashMap<>();
            d.put("fc.weight", w);
            s.put("fc.weight", new int[] {N, K});
            if (bias) {
                d.put("fc.bias", b);
                s.put("fc.bias", new int[] {N});
            }
            try (StateDict sd = dict(d, s); Linear fc = Linear.load(sd, "fc"); Tensor xt = Tensor.of(x, 2, 3, K);
                 Tensor y = fc.forward(xt)) {
                assertEquals(K, fc.inFeatures());
                assertEquals(N, fc.outFeatures());
                assertArrayEquals(new int[] {2, 3, N}, y.shape());
                double[] want = new double[6 * N];
                for (int m = 0; m < 6; m++) {
                    for (int n = 0; n < N; n++) {
                        double acc = bias ? b[n] : 0;
                        for (int k = 0; k < K; k++) acc += (double) x[m * K + k] * w[n * K + k];
                        want[m * N + n] = acc;
                    }
                }
                Close.assertClose("linear, bias " + bias, want, y.toArray(), y.shape(), TOL);
                try (Tensor y2 = Tensor.zeros(2, 3, N)) {
                    fc.forward(xt, y2);
                    assertArrayEquals(y.toArray(), y2.toArray(), "into a preallocated output");
                }
            }
        }
    }

    @Test
    void linearChecks() {
        Map<String, float[]> d = new LinkedHashMap<>();
        Map<String, int[]> s = new LinkedHashMap<>();
        d.put("fc.weight", new float[6]);
        s.put("fc.weight", new int[] {2, 3});
        d.put("bad.weight", new float[6]);
        s.put("bad.weight", new int[] {2, 3});
        d.put("bad.bias", new float[3]);
        s.put("bad.bias", new int[] {3});
        try (StateDict sd = dict(d, s)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Linear.load(sd, "nope"));
            assertTrue(e.getMessage().contains("missing tensor nope.weight"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Linear.load(sd, "bad"));
            assertTrue(e.getMessage().contains("bad.bias must be [2]"), e.getMessage());
            Linear fc = Linear.load(sd, "fc");
            try (Tensor x = Tensor.zeros(4, 2); Tensor x3 = Tensor.zeros(4, 3); Tensor y = Tensor.zeros(4, 3)) {
                e = assertThrows(IllegalArgumentException.class, () -> fc.forward(x));
                assertTrue(e.getMessage().contains("x must be [..., 3] (in_features 3), got [4, 2]"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> fc.forward(x3, y));
                assertTrue(e.getMessage().contains("y must be [4, 2]"), e.getMessage());
                fc.close();
                fc.close();
                assertThrows(IllegalStateException.class, () -> fc.forward(x3));
            }
        }
    }

    @Test
    void embeddingCopiesRows() {
        float[] w = random(new Random(2), 5 * 3);
        Map<String, float[]> d = Map.of("emb.weight", w);
        Map<String, int[]> s = Map.of("emb.weight", new int[] {5, 3});
        try (StateDict sd = dict(d, s); Embedding emb = Embedding.load(sd, "emb")) {
            assertEquals(5, emb.numEmbeddings());
            assertEquals(3, emb.embeddingDim());
            int[] ids = {4, 0, 4, 2};
            try (Tensor out = emb.forward(ids); Tensor out2 = Tensor.zeros(4, 3)) {
                emb.forward(ids, out2);
                float[] want = new float[12];
                for (int i = 0; i < 4; i++) System.arraycopy(w, ids[i] * 3, want, i * 3, 3);
                assertArrayEquals(want, out.toArray());
                assertArrayEquals(want, out2.toArray());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[] {1, 5}));
            assertTrue(e.getMessage().contains("ids[1] must be in [0, 5) (num_embeddings from emb.weight), got 5"),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[] {-1}));
            assertThrows(IllegalArgumentException.class, () -> emb.forward((int[]) null));
            try (Tensor wrong = Tensor.zeros(2, 4)) {
                assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[] {1, 2}, wrong));
            }
            emb.close();
            emb.close();
            assertThrows(IllegalStateException.class, () -> emb.forward(new int[] {1}));
        }
    }

    @Test
    void softmaxAndLogSoftmaxOverTheLastAxis() {
        float[] x = {1f, 2f, 3f, -1000f, 0f, 1000f, Float.NEGATIVE_INFINITY, 0f, 0f};
        try (Softmax sm = new Softmax(); LogSoftmax lsm = new LogSoftmax(); Tensor t = Tensor.of(x, 3, 3);
             Tensor p = sm.forward(t); Tensor lp = lsm.forward(t)) {
            double[] wantP = new double[9], wantL = new double[9];
            for (int r = 0; r < 3; r++) {
                double max = Double.NEGATIVE_INFINITY, s = 0;
                for (int j = 0; j < 3; j++) max = Math.max(max, x[r * 3 + j]);
                for (int j = 0; j < 3; j++) s += Math.exp(x[r * 3 + j] - max);
                for (int j = 0; j < 3; j++) {
                    wantP[r * 3 + j] = Math.exp(x[r * 3 + j] - max) / s;
                    wantL[r * 3 + j] = x[r * 3 + j] - max - Math.log(s);
                }
            }
            Close.assertClose("softmax", wantP, p.toArray(), p.shape(), TOL);
            float[] l = lp.toArray();
            assertEquals(Float.NEGATIVE_INFINITY, l[6], "log_softmax of -inf is -inf");
            wantL[6] = 0;
            l[6] = 0;
            Close.assertClose("log_softmax", wantL, l, lp.shape(), TOL);
            sm.forward(t, t); // in place
            Close.assertClose("softmax in place", wantP, t.toArray(), t.shape(), TOL);
        }
        try (Softmax sm = new Softmax(); Tensor all = Tensor.of(new float[] {Float.NEGATIVE_INFINITY}, 1, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sm.forward(all));
            assertTrue(e.getMessage().contains("-inf"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> sm.forward(null));
            try (Tensor a = Tensor.zeros(2, 3); Tensor b = Tensor.zeros(3, 2)) {
                assertThrows(IllegalArgumentException.class, () -> sm.forward(a, b));
            }
            sm.close();
            assertThrows(IllegalStateException.class, () -> sm.forward(all));
        }
    }

    @Test
    void tensorCopyToAndStateDictOf() {
        try (Tensor t = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2)) {
            float[] dst = new float[6];
            t.copyTo(dst);
            assertArrayEquals(new float[] {1, 2, 3, 4, 0, 0}, dst);
            assertThrows(IllegalArgumentException.class, () -> t.copyTo(new float[3]));
            assertThrows(IllegalArgumentException.class, () -> t.copyTo(null));
            try (StateDict sd = StateDict.of(Map.of("a.b", t, "c \"q\"", t), Map.of("k", "v"))) {
                assertEquals(java.util.Set.of("a.b", "c \"q\""), sd.names());
                assertEquals("v", sd.metadata().get("k"));
                assertEquals("F32", sd.dtype("a.b"));
                try (Tensor back = sd.tensor("c \"q\"")) {
                    assertArrayEquals(t.toArray(), back.toArray());
                    assertArrayEquals(new int[] {2, 2}, back.shape());
                }
            }
            Map<String, Tensor> withNull = new java.util.HashMap<>();
            withNull.put("x", null);
            assertThrows(IllegalArgumentException.class, () -> StateDict.of(withNull));
            assertThrows(IllegalArgumentException.class, () -> StateDict.of(null));
        }
    }
}
