package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Jrnn#setThreads}: argument checks, and that the number of threads never changes a result. Layers wide enough
 * that the threads really split them (a golden case is too small to be split; it is checked too, through the same
 * calls): forward with 1 and 2 threads within 1e-6 (the library promises identical bits), streaming steps likewise,
 * and forwards from 4 Java threads at once on one shared layer equal to the single-threaded result.
 */
class ThreadsTest {
    private static final double TOL = 1e-6;
    private static int original;

    @TempDir
    Path dir;

    @BeforeAll
    static void remember() {
        original = Jrnn.threads();
    }

    @AfterAll
    static void restore() {
        Jrnn.setThreads(original);
    }

    @Test
    void rejectsFewerThanOneThread() {
        for (int n : new int[] {0, -1, Integer.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Jrnn.setThreads(n));
            assertTrue(e.getMessage().contains("got " + n), "message names the value: " + e.getMessage());
        }
        assertTrue(Jrnn.threads() >= 1, "threads() after rejected calls: " + Jrnn.threads());
    }

    @Test
    void reportsWhatWasSet() {
        for (int n : new int[] {1, 2, 3, 1}) {
            Jrnn.setThreads(n);
            assertEquals(n, Jrnn.threads(), "threads() after setThreads(" + n + ")");
        }
    }

    @Test
    void goldenCaseIsTheSameWithOneAndTwoThreads() throws Exception {
        Path file = GoldenTest.caseFiles().stream()
                .filter(p -> p.getFileName().toString().startsWith("050-lstm_sigmoid-L2bi")).findFirst()
                .orElseThrow(() -> new IllegalStateException("golden case 050 missing"));
        try (StateDict sd = StateDict.load(file);
             Lstm lstm = Lstm.load(sd, "rnn", Lstm.Candidate.SIGMOID);
             Tensor x = sd.tensor("x");
             Tensor h0 = sd.tensor("h0");
             Tensor c0 = sd.tensor("c0")) {
            int[] lengths = sd.ints("lengths");
            float[][] one = run(1, () -> lstm.forward(x, lengths, h0, c0));
            float[][] two = run(2, () -> lstm.forward(x, lengths, h0, c0));
            assertClose("golden 050 output", one[0], two[0]);
            assertClose("golden 050 hn", one[1], two[1]);
            assertClose("golden 050 cn", one[2], two[2]);
            try (Tensor want = sd.tensor("output")) {
                float[] expected = want.toArray();
                for (int i = 0; i < expected.length; i++) {
                    if (Math.abs(expected[i] - two[0][i]) > 1e-5) {
                        fail("golden 050 with 2 threads: output[" + i + "] " + two[0][i] + ", PyTorch " + expected[i]);
                    }
                }
            }
        }
    }

    @Test
    void wideLayersAreTheSameWithOneAndTwoThreads() throws Exception {
        // bidirectional 2-layer LSTM with lengths (directions run side by side), a batch-1 GRU and a projected
        // LSTM (steps split across threads, with their extra barrier)
        try (StateDict sd = StateDict.load(randomWeights("lstm", 4, 2, true, 48, 200, 0, 11));
             Lstm lstm = Lstm.load(sd, "");
             Tensor x = random(21, 12, 3, 48)) {
            int[] lengths = {12, 7, 0};
            float[][] one = run(1, () -> lstm.forward(x, lengths, null, null));
            float[][] two = run(2, () -> lstm.forward(x, lengths, null, null));
            assertClose("bidirectional LSTM output", one[0], two[0]);
            assertClose("bidirectional LSTM hn", one[1], two[1]);
            assertClose("bidirectional LSTM cn", one[2], two[2]);
        }
        try (StateDict sd = StateDict.load(randomWeights("gru", 3, 1, false, 64, 256, 0, 12));
             Gru gru = Gru.load(sd, "");
             Tensor x = random(22, 30, 1, 64)) {
            float[][] one = run(1, () -> gru.forward(x));
            float[][] two = run(2, () -> gru.forward(x));
            assertClose("batch-1 GRU output", one[0], two[0]);
            assertClose("batch-1 GRU hn", one[1], two[1]);
            float[] s1 = stream(1, gru, x), s2 = stream(2, gru, x);
            assertClose("batch-1 GRU streamed", s1, s2);
            assertClose("batch-1 GRU streamed vs forward", one[0], s2, 1e-5);
        }
        try (StateDict sd = StateDict.load(randomWeights("lstm", 4, 1, false, 32, 240, 100, 13));
             Lstm lstm = Lstm.load(sd, "");
             Tensor x = random(23, 9, 5, 32)) {
            float[][] one = run(1, () -> lstm.forward(x));
            float[][] two = run(2, () -> lstm.forward(x));
            assertClose("projected LSTM output", one[0], two[0]);
            assertClose("projected LSTM cn", one[2], two[2]);
        }
    }

    @Test
    void concurrentForwardsOnASharedLayerEqualOneThread() throws Exception {
        try (StateDict sd = StateDict.load(randomWeights("lstm", 4, 1, false, 64, 256, 0, 14));
             Lstm lstm = Lstm.load(sd, "");
             Tensor x = random(24, 40, 1, 64)) {
            float[] expected = run(1, () -> lstm.forward(x))[0];
            Jrnn.setThreads(2);
            final int callers = 4, calls = 15;
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            CountDownLatch start = new CountDownLatch(1);
            try {
                List<Future<Double>> results = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        double worst = 0;
                        try (Tensor out = Tensor.zeros(40, 1, 256); Tensor hn = Tensor.zeros(1, 1, 256);
                             Tensor cn = Tensor.zeros(1, 1, 256)) {
                            for (int c = 0; c < calls; c++) {
                                lstm.forward(x, null, null, null, out, hn, cn);
                                worst = Math.max(worst, maxDiff(expected, out.toArray()));
                            }
                        }
                        return worst;
                    }));
                }
                start.countDown();
                for (Future<Double> f : results) {
                    double worst = f.get(60, TimeUnit.SECONDS);
                    assertTrue(worst <= TOL, "a concurrent forward differs from the single-threaded one by " + worst);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    // ---- helpers ----

    private interface Forward {
        RecurrentOutput call();
    }

    /** output, hn, cn (null for a non-LSTM) of one forward with n threads. */
    private static float[][] run(int n, Forward f) {
        Jrnn.setThreads(n);
        try (RecurrentOutput out = f.call()) {
            Tensor cn = out.cn();
            return new float[][] {out.output().toArray(), out.hn().toArray(), cn == null ? null : cn.toArray()};
        }
    }

    /** The outputs of T single steps of a batch-B stream from zeros, one after the other. */
    private static float[] stream(int n, RecurrentLayer layer, Tensor x) {
        Jrnn.setThreads(n);
        int[] s = x.shape();
        int T = s[0], B = s[1], I = s[2], hout = layer.outputSize();
        float[] xs = x.toArray(), ys = new float[T * B * hout];
        try (RecurrentStream st = layer.stream(B, null, null)) {
            for (int t = 0; t < T; t++) {
                float[] xt = new float[B * I];
                System.arraycopy(xs, t * B * I, xt, 0, B * I);
                try (Tensor in = Tensor.of(xt, B, I); Tensor y = st.step(in)) {
                    System.arraycopy(y.toArray(), 0, ys, t * B * hout, B * hout);
                }
            }
        }
        return ys;
    }

    private static void assertClose(String what, float[] a, float[] b) {
        assertClose(what, a, b, TOL);
    }

    private static void assertClose(String what, float[] a, float[] b, double tol) {
        assertNotNull(a, what);
        assertNotNull(b, what);
        assertEquals(a.length, b.length, what + ": size");
        double worst = maxDiff(a, b);
        assertTrue(worst <= tol, what + ": 1 and 2 threads differ by " + worst + " > " + tol);
    }

    private static double maxDiff(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
        }
        return worst;
    }

    private static Tensor random(long seed, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        return Tensor.of(v, shape);
    }

    /** A PyTorch-named state dict (no prefix) of random weights, uniform in +-1/sqrt(H) as PyTorch initialises. */
    private Path randomWeights(String kind, int gates, int layers, boolean bidirectional, int inputSize, int hidden,
                               int proj, long seed) {
        Random r = new Random(seed);
        double k = 1 / Math.sqrt(hidden);
        int hout = proj > 0 ? proj : hidden, dirs = bidirectional ? 2 : 1;
        SafetensorsWriter w = new SafetensorsWriter();
        for (int l = 0; l < layers; l++) {
            for (int d = 0; d < dirs; d++) {
                String sfx = "_l" + l + (d == 1 ? "_reverse" : "");
                int in = l == 0 ? inputSize : dirs * hout;
                w.f32("weight_ih" + sfx, uniform(r, gates * hidden * in, k), gates * hidden, in);
                w.f32("weight_hh" + sfx, uniform(r, gates * hidden * hout, k), gates * hidden, hout);
                w.f32("bias_ih" + sfx, uniform(r, gates * hidden, k), gates * hidden);
                w.f32("bias_hh" + sfx, uniform(r, gates * hidden, k), gates * hidden);
                if (proj > 0) w.f32("weight_hr" + sfx, uniform(r, proj * hidden, k), proj, hidden);
            }
        }
        return w.write(dir.resolve(kind + seed + ".safetensors"));
    }

    private static float[] uniform(Random r, int n, double k) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * k);
        return v;
    }
}
