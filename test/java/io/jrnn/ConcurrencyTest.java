package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loaded models are shared by threads (SPEC §2): 8 threads calling one layer or one seq2seq model at once get, bit
 * for bit, what one thread gets; streams (one per thread) likewise; and {@code close()} racing with calls in flight
 * ends every call in success or {@link IllegalStateException}, never a crash or another exception. The layers are
 * wide enough (hidden 96) that jrnn's own worker threads split them, so the Java threads also contend for the pool.
 */
class ConcurrencyTest {
    static final int THREADS = 8, ROUNDS = 12;
    static final int T = 6, B = 3, I = 24, H = 96;

    @TempDir
    static Path dir;
    private static StateDict lstmWeights, gruWeights, rnnWeights;
    private static Path seq2seqFile;

    @BeforeAll
    static void write() throws IOException {
        lstmWeights = StateDict.load(TestModels.recurrent(dir.resolve("lstm.safetensors"), 4, 2, false, I, H, 1));
        gruWeights = StateDict.load(TestModels.recurrent(dir.resolve("gru.safetensors"), 3, 2, true, I, H, 2));
        rnnWeights = StateDict.load(TestModels.recurrent(dir.resolve("rnn.safetensors"), 1, 2, false, I, H, 3));
        seq2seqFile = TestModels.seq2seq(dir.resolve("s2s.safetensors"), TestModels.CHAR_CONFIG, 4, 0.8f);
    }

    @AfterAll
    static void close() {
        lstmWeights.close();
        gruWeights.close();
        rnnWeights.close();
    }

    private static float[] input(int seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 2 - 1;
        return x;
    }

    /** Runs {@code task(thread, round)} from THREADS threads started together; rethrows the first failure. */
    private static void inThreads(ThreadTask task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final int thread = t;
                done.add(pool.submit((Callable<Void>) () -> {
                    start.await();
                    for (int round = 0; round < ROUNDS; round++) task.run(thread, round);
                    return null;
                }));
            }
            for (Future<Void> f : done) f.get(120, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "threads did not stop");
        }
    }

    interface ThreadTask {
        void run(int thread, int round) throws Exception;
    }

    // ---- results equal to one thread's ----

    @Test
    void forwardFromEightThreads() throws Exception {
        for (StateDict sd : List.of(lstmWeights, gruWeights, rnnWeights)) {
            try (RecurrentLayer layer = sd == lstmWeights ? Lstm.load(sd, "rnn")
                    : sd == gruWeights ? Gru.load(sd, "rnn") : Rnn.load(sd, "rnn")) {
                // one input per (thread, round) pair, and its single-threaded result
                float[][] expected = new float[THREADS * ROUNDS][];
                int[] lengths = {T, 2, 0};
                for (int k = 0; k < expected.length; k++) {
                    try (Tensor x = Tensor.of(input(k, T * B * I), T, B, I);
                         RecurrentOutput o = layer.forward(x, k % 2 == 0 ? null : lengths, null, null)) {
                        expected[k] = concat(o.output().toArray(), o.hn().toArray());
                    }
                }
                inThreads((thread, round) -> {
                    int k = thread * ROUNDS + round;
                    try (Tensor x = Tensor.of(input(k, T * B * I), T, B, I);
                         RecurrentOutput o = layer.forward(x, k % 2 == 0 ? null : lengths, null, null)) {
                        assertArrayEquals(expected[k], concat(o.output().toArray(), o.hn().toArray()),
                                layer + " input " + k + " on thread " + thread);
                    }
                });
            }
        }
    }

    @Test
    void oneStreamPerThread() throws Exception {
        // the shared GRU weights are bidirectional, which cannot stream: a unidirectional GRU of its own
        try (StateDict uni = StateDict.load(TestModels.recurrent(dir.resolve("gru-uni.safetensors"), 3, 2, false, I, H,
                5)); Lstm lstm = Lstm.load(lstmWeights, "rnn"); Gru gru = Gru.load(uni, "rnn")) {
            for (RecurrentLayer layer : List.of(lstm, gru)) {
                float[][] expected = new float[THREADS][];
                for (int t = 0; t < THREADS; t++) expected[t] = streamed(layer, t);
                inThreads((thread, round) -> assertArrayEquals(expected[thread], streamed(layer, thread),
                        layer + " stream on thread " + thread + ", round " + round));
            }
        }
    }

    /** Steps of one stream over T inputs of a seed; every output concatenated. */
    private static float[] streamed(RecurrentLayer layer, int seed) {
        float[] out = new float[0];
        try (RecurrentStream s = layer.stream(B, null, null)) {
            for (int t = 0; t < T; t++) {
                try (Tensor x = Tensor.of(input(seed * 100 + t, B * I), B, I); Tensor y = s.step(x)) {
                    out = concat(out, y.toArray());
                }
            }
        }
        return out;
    }

    @Test
    void decodingFromEightThreads() throws Exception {
        try (Seq2Seq m = Seq2Seq.load(seq2seqFile)) {
            int[][] sources = new int[THREADS * ROUNDS][];
            Translation[] greedy = new Translation[sources.length];
            List<List<Translation>> beam = new ArrayList<>();
            Random r = new Random(9);
            for (int k = 0; k < sources.length; k++) {
                sources[k] = new int[1 + r.nextInt(6)];
                for (int i = 0; i < sources[k].length; i++) sources[k][i] = 3 + r.nextInt(3);
                greedy[k] = m.greedy(sources[k], 10);
                beam.add(m.beamSearch(sources[k], 3, 10, 0.6f));
            }
            inThreads((thread, round) -> {
                int k = thread * ROUNDS + round;
                assertSame(greedy[k], m.greedy(sources[k], 10), "greedy " + k);
                List<Translation> got = m.beamSearch(sources[k], 3, 10, 0.6f);
                assertEquals(beam.get(k).size(), got.size(), "beam " + k);
                for (int i = 0; i < got.size(); i++) assertSame(beam.get(k).get(i), got.get(i), "beam " + k + " #" + i);
            });
        }
    }

    private static void assertSame(Translation want, Translation got, String what) {
        assertArrayEquals(want.tokens(), got.tokens(), what + ": tokens");
        assertEquals(Float.floatToIntBits(want.logProb()), Float.floatToIntBits(got.logProb()), what + ": logProb");
        assertTrue(Arrays.deepEquals(want.attention(), got.attention()), what + ": attention");
    }

    // ---- close racing with calls ----

    /**
     * THREADS threads call {@code call} in a loop while the main thread closes the object after a few calls have
     * run; every call must succeed or throw IllegalStateException, and after close every call must throw it.
     */
    private static void closeRace(String what, AutoCloseable target, ThreadTask call) throws Exception {
        AtomicInteger calls = new AtomicInteger(), refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final int thread = t;
                done.add(pool.submit((Callable<Void>) () -> {
                    for (int round = 0; refused.get() < 10 * THREADS; round++) {
                        try {
                            call.run(thread, round);
                            calls.incrementAndGet();
                        } catch (IllegalStateException closed) {
                            assertTrue(closed.getMessage().contains("closed"), what + ": " + closed.getMessage());
                            refused.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            while (calls.get() < 2 * THREADS) Thread.sleep(1);
            target.close();
            target.close(); // idempotent, also while calls are refused
            for (Future<Void> f : done) f.get(120, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "threads did not stop");
        }
        assertTrue(calls.get() >= 2 * THREADS && refused.get() >= 10 * THREADS, what + ": " + calls + " calls, "
                + refused + " refused");
    }

    @Test
    void closeRacingWithForwardAndStreams() throws Exception {
        Lstm lstm = Lstm.load(lstmWeights, "rnn");
        List<RecurrentStream> streams = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) streams.add(lstm.stream(B, null, null));
        closeRace("LSTM", lstm, (thread, round) -> {
            if (round % 2 == 0) {
                try (Tensor x = Tensor.of(input(thread, T * B * I), T, B, I); RecurrentOutput o = lstm.forward(x)) {
                    assertEquals(T * B * H, o.output().size());
                }
            } else {
                try (Tensor x = Tensor.of(input(thread, B * I), B, I)) {
                    streams.get(thread).step(x).close();
                }
            }
        });
        streams.forEach(RecurrentStream::close);
    }

    @Test
    void closeRacingWithDecoding() throws Exception {
        Seq2Seq m = Seq2Seq.load(seq2seqFile);
        closeRace("seq2seq", m, (thread, round) -> {
            int[] src = {3 + thread % 3, 4, 5, 3};
            switch (round % 4) {
                case 0 -> m.greedy(src, 8);
                case 1 -> m.beamSearch(src, 3, 8, 0.6f);
                case 2 -> m.beamSearch(List.of(src, src), 2, 8, 0f);
                default -> m.translate("abcab", 2);
            }
        });
    }

    @Test
    void closeRacingWithStateDictReads() throws Exception {
        Path f = TestModels.recurrent(dir.resolve("sd.safetensors"), 4, 2, true, I, H, 6);
        // read into the heap, mapped whole, and mapped one region per read (a channel that close() closes)
        for (StateDict sd : List.of(StateDict.load(f), StateDict.load(f, 0, StateDict.MAX_REGION),
                StateDict.load(f, 0, 4096))) {
            List<String> names = new ArrayList<>(sd.names());
            closeRace("state dict", sd, (thread, round) -> sd.tensor(names.get((thread + round) % names.size())).close());
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
