package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jrnn.internal.JrnnNative;

/**
 * {@link StreamBatcher}: many threads stepping their own sessions get, bit for bit, what each gets alone on a stream
 * of batch 1 (on every ISA this CPU runs, in-place and gathered state paths); whole sequences of different lengths
 * batched together equal each run alone. The scheduling cases use a maxDelay of an hour, so which requests share a
 * batch is decided by the test, never by timing.
 */
class StreamBatcherTest {
    static final int I = 16, H = 32;
    static final Duration HOUR = Duration.ofHours(1);

    @TempDir
    static Path dir;
    private static StateDict lstm1, lstm2, gru2, rnn1, bidir;

    @BeforeAll
    static void write() throws IOException {
        lstm1 = StateDict.load(TestModels.recurrent(dir.resolve("lstm1.safetensors"), 4, 1, false, I, H, 11));
        lstm2 = StateDict.load(TestModels.recurrent(dir.resolve("lstm2.safetensors"), 4, 2, false, I, H, 12));
        gru2 = StateDict.load(TestModels.recurrent(dir.resolve("gru2.safetensors"), 3, 2, false, I, H, 13));
        rnn1 = StateDict.load(TestModels.recurrent(dir.resolve("rnn1.safetensors"), 1, 1, false, I, H, 14));
        bidir = StateDict.load(TestModels.recurrent(dir.resolve("bidir.safetensors"), 3, 2, true, I, H, 15));
    }

    @AfterAll
    static void close() {
        lstm1.close();
        lstm2.close();
        gru2.close();
        rnn1.close();
        bidir.close();
    }

    /** Runs body once per ISA this CPU supports (ids tried from 0 until 16; the others are reported as skipped). */
    static void onEveryIsa(IsaBody body) throws Exception {
        final int before = JrnnNative.jrnn_isa();
        List<Integer> skipped = new ArrayList<>();
        try {
            for (int isa = 0; isa < 16; isa++) {
                if (JrnnNative.jrnn_set_isa(isa) != JrnnNative.OK) {
                    skipped.add(isa);
                    continue;
                }
                body.run(isa);
            }
        } finally {
            JrnnNative.jrnn_set_isa(before);
        }
        System.out.println("StreamBatcherTest: ISA ids skipped (unsupported here or unknown): " + skipped);
    }

    interface IsaBody {
        void run(int isa) throws Exception;
    }

    /** x_t of client c: a fixed sequence per client. */
    static float[] nextInput(SplittableRandom r) {
        float[] x = new float[I];
        for (int i = 0; i < I; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    /** An order-sensitive hash of every bit of every output. */
    static long mix(long hash, float[] y) {
        for (float v : y) hash = (hash ^ Float.floatToRawIntBits(v)) * 0x100000001b3L;
        return hash;
    }

    record Run(long hash, float[] last, float[] hn, float[] cn) {}

    /** Client c alone: a stream of batch 1, its steps one by one. */
    static Run alone(RecurrentLayer layer, int c, int steps) {
        SplittableRandom r = new SplittableRandom(c);
        long hash = 0;
        float[] y = null;
        try (RecurrentStream s = layer.stream(1, null, null);
             Tensor x = Tensor.zeros(1, I);
             Tensor out = Tensor.zeros(1, layer.outputSize())) {
            for (int t = 0; t < steps; t++) {
                x.copyFrom(nextInput(r));
                s.step(x, out);
                y = out.toArray();
                hash = mix(hash, y);
            }
            try (Tensor hn = s.hn(); Tensor cn = s.cn()) {
                return new Run(hash, y, hn.toArray(), cn == null ? null : cn.toArray());
            }
        }
    }

    /** Client c through a session; every third step asynchronously. */
    static Run session(StreamBatcher b, int c, int steps) {
        SplittableRandom r = new SplittableRandom(c);
        long hash = 0;
        float[] y = null;
        try (StreamBatcher.Session s = b.open()) {
            for (int t = 0; t < steps; t++) {
                float[] x = nextInput(r);
                y = t % 3 == 0 ? s.stepAsync(x).join() : s.step(x);
                hash = mix(hash, y);
            }
            return new Run(hash, y, s.hn(), s.cn());
        }
    }

    static <T> List<T> inThreads(int n, Function<Integer, T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int c = 0; c < n; c++) {
                final int client = c;
                fs.add(pool.submit((Callable<T>) () -> task.apply(client)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) out.add(f.get(300, TimeUnit.SECONDS));
            return out;
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "threads did not stop");
        }
    }

    static void assertSameRuns(List<Run> expected, List<Run> got, String what) {
        for (int c = 0; c < expected.size(); c++) {
            Run e = expected.get(c), g = got.get(c);
            assertArrayEquals(e.last(), g.last(), what + ": last output of client " + c);
            assertEquals(e.hash(), g.hash(), what + ": outputs of client " + c + " differ at some step");
            assertArrayEquals(e.hn(), g.hn(), what + ": hn of client " + c);
            assertArrayEquals(e.cn(), g.cn(), what + ": cn of client " + c);
        }
    }

    /** The stress case: 64 threads x 10^4 steps, each equal to its own single-thread run, bit for bit. */
    @Test
    void sixtyFourThreadsEqualTheirOwnSingleThreadRuns() throws Exception {
        final int clients = 64, steps = 10_000;
        try (Lstm layer = Lstm.load(lstm1, "rnn")) {
            onEveryIsa(isa -> {
                List<Run> expected = new ArrayList<>();
                for (int c = 0; c < clients; c++) expected.add(alone(layer, c, steps));
                try (StreamBatcher b = StreamBatcher.builder(layer).maxBatch(64).maxDelay(Duration.ofMillis(2)).build()) {
                    assertSameRuns(expected, inThreads(clients, c -> session(b, c, steps)), "isa " + isa);
                }
            });
        }
    }

    /** Stacks whose states are gathered and scattered (two layers), and the GRU and Elman cells. */
    @Test
    void gatheredStatesAndOtherCellsEqualTheirSingleThreadRuns() throws Exception {
        final int clients = 24, steps = 400;
        try (Lstm l2 = Lstm.load(lstm2, "rnn"); Gru g2 = Gru.load(gru2, "rnn"); Rnn r1 = Rnn.load(rnn1, "rnn")) {
            onEveryIsa(isa -> {
                for (RecurrentLayer layer : List.<RecurrentLayer>of(l2, g2, r1)) {
                    List<Run> expected = new ArrayList<>();
                    for (int c = 0; c < clients; c++) expected.add(alone(layer, c, steps));
                    try (StreamBatcher b = StreamBatcher.builder(layer).maxBatch(16).maxDelay(Duration.ofMillis(1)).build()) {
                        assertSameRuns(expected, inThreads(clients, c -> session(b, c, steps)), "isa " + isa + " " + layer);
                    }
                }
            });
        }
    }

    /**
     * The check above can fail: a batch of 8 forced by the test, through the batch-dependent path, differs from the
     * rows alone on AVX2, while the invariant path is equal.
     */
    @Test
    void batchDependentPathDiffersWhereInvariantPathDoesNot() throws Exception {
        if (!Jrnn.isaSupported("avx2")) return;
        try (Lstm layer = Lstm.load(lstm1, "rnn")) {
            onEveryIsa(isa -> {
                if (isa != JrnnNative.ISA_AVX2) return;
                int differing = 0;
                for (boolean invariant : new boolean[] {true, false}) {
                    try (StreamBatcher b = StreamBatcher.builder(layer).maxBatch(8).maxDelay(HOUR).batchInvariant(invariant).build()) {
                        List<StreamBatcher.Session> ss = new ArrayList<>();
                        List<CompletableFuture<float[]>> fs = new ArrayList<>();
                        for (int c = 0; c < 8; c++) ss.add(b.open());
                        for (int c = 0; c < 8; c++) fs.add(ss.get(c).stepAsync(nextInput(new SplittableRandom(c))));
                        for (int c = 0; c < 8; c++) {
                            boolean same = java.util.Arrays.equals(alone(layer, c, 1).last(), fs.get(c).join());
                            if (invariant) assertTrue(same, "invariant row " + c);
                            else differing += same ? 0 : 1;
                        }
                    }
                }
                assertTrue(differing > 0, "the batch-dependent product gave every row bit-identical results");
            });
        }
    }

    /** Sequences of different lengths queued together: each equals itself run alone, bit for bit. */
    @Test
    void forwardsOfDifferentLengthsEqualEachAlone() throws Exception {
        try (Lstm l = Lstm.load(lstm2, "rnn"); Gru g = Gru.load(bidir, "rnn")) {
            onEveryIsa(isa -> {
                for (RecurrentLayer layer : List.<RecurrentLayer>of(l, g)) {
                    final int n = 21;
                    List<Tensor> xs = new ArrayList<>();
                    SplittableRandom r = new SplittableRandom(5);
                    for (int i = 0; i < n; i++) {
                        int T = 1 + r.nextInt(30);
                        float[] v = new float[T * I];
                        for (int k = 0; k < v.length; k++) v[k] = (float) (r.nextDouble() * 2 - 1);
                        xs.add(Tensor.of(v, T, 1, I));
                    }
                    List<RecurrentOutput> alone = new ArrayList<>();
                    try (StreamBatcher one = StreamBatcher.builder(layer).maxBatch(1).maxDelay(Duration.ZERO).build()) {
                        for (Tensor x : xs) alone.add(one.forward(x));
                    }
                    try (StreamBatcher b = StreamBatcher.builder(layer).maxBatch(n).maxDelay(HOUR).build()) {
                        List<CompletableFuture<RecurrentOutput>> fs = new ArrayList<>();
                        for (Tensor x : xs) fs.add(b.forwardAsync(x));  // all n form one batch
                        for (int i = 0; i < n; i++) {
                            try (RecurrentOutput got = fs.get(i).join(); RecurrentOutput exp = alone.get(i)) {
                                String what = "isa " + isa + " " + layer + " sequence " + i;
                                assertArrayEquals(exp.output().toArray(), got.output().toArray(), what);
                                assertArrayEquals(exp.hn().toArray(), got.hn().toArray(), what);
                                if (exp.cn() != null) assertArrayEquals(exp.cn().toArray(), got.cn().toArray(), what);
                                // and within rounding of the layer's own forward
                                try (RecurrentOutput own = layer.forward(xs.get(i))) {
                                    Close.assertClose(what, own.output().toArray(), got.output().toArray(),
                                            got.output().shape(), 1e-5);
                                }
                            }
                        }
                    }
                    xs.forEach(Tensor::close);
                }
            });
        }
    }

    private static Throwable cause(CompletableFuture<?> f) {
        CompletionException e = assertThrows(CompletionException.class, f::join);
        return e.getCause();
    }

    @Test
    void cancelledAndTimedOutStepsHaveNoEffectAndOthersRun() throws Exception {
        try (Lstm layer = Lstm.load(lstm1, "rnn");
             StreamBatcher b = StreamBatcher.builder(layer).maxBatch(64).maxDelay(HOUR).build()) {
            StreamBatcher.Session a = b.open(), c = b.open(), t = b.open();
            b.open();  // idle: the three others' steps do not make a full batch
            float[] h0 = a.hn();
            SplittableRandom ra = new SplittableRandom(0), rc = new SplittableRandom(1);
            CompletableFuture<float[]> a1 = a.stepAsync(nextInput(ra));
            CompletableFuture<float[]> c1 = c.stepAsync(nextInput(rc));
            CompletableFuture<float[]> t1 = t.stepAsync(nextInput(rc), Duration.ofMillis(20));
            assertTrue(a1.cancel(false), "a queued step can be cancelled");
            assertTrue(a1.isCancelled());
            assertFalse(a1.cancel(false), "twice: no");
            assertInstanceOf(java.util.concurrent.TimeoutException.class,
                    assertThrows(java.util.concurrent.ExecutionException.class, () -> t1.get(60, TimeUnit.SECONDS)).getCause());
            assertArrayEquals(h0, a.hn(), "a cancelled step does not advance its session");
            assertArrayEquals(h0, t.hn(), "a timed-out step does not advance its session");
            // a's next step is its first: equal to client 0's first step alone
            CompletableFuture<float[]> a2 = a.stepAsync(nextInput(new SplittableRandom(0)));
            assertEquals(2, b.queued());
            b.close();  // drains: c1 and a2 run in one batch
            assertArrayEquals(alone(layer, 0, 1).last(), a2.join());
            assertArrayEquals(alone(layer, 1, 1).last(), c1.join());
            assertFalse(c1.cancel(false), "a completed step cannot be cancelled");
        }
    }

    /** Once every open session has a step queued no more can come: the batch runs without waiting for maxDelay. */
    @Test
    void aBatchOfEveryOpenSessionRunsAtOnce() throws Exception {
        try (Lstm layer = Lstm.load(lstm1, "rnn");
             StreamBatcher b = StreamBatcher.builder(layer).maxBatch(64).maxDelay(HOUR).build()) {
            List<StreamBatcher.Session> ss = List.of(b.open(), b.open(), b.open());
            List<CompletableFuture<float[]>> fs = new ArrayList<>();
            for (int c = 0; c < 3; c++) fs.add(ss.get(c).stepAsync(nextInput(new SplittableRandom(c))));
            for (int c = 0; c < 3; c++) assertArrayEquals(alone(layer, c, 1).last(), fs.get(c).get(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void aRunningStepCannotBeWithdrawnAndDeliversItsResult() throws Exception {
        try (Lstm layer = Lstm.load(lstm1, "rnn");
             StreamBatcher b = StreamBatcher.builder(layer).maxBatch(2).maxDelay(HOUR).build()) {
            StreamBatcher.Session s0 = b.open(), s1 = b.open();
            java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<float[]> f0 = s0.stepAsync(nextInput(new SplittableRandom(0)));
            // runs on the batcher's thread while f1, of the same batch, is not completed yet (rows complete by slot)
            f0.thenRun(() -> {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<float[]> f1 = s1.stepAsync(nextInput(new SplittableRandom(1)));  // the batch is full: it runs
            assertTrue(inside.await(60, TimeUnit.SECONDS));
            assertFalse(f1.cancel(true), "a running step cannot be cancelled");
            assertFalse(f1.completeExceptionally(new RuntimeException("x")), "nor failed from outside");
            release.countDown();
            assertArrayEquals(alone(layer, 1, 1).last(), f1.join());
            assertArrayEquals(alone(layer, 0, 1).last(), f0.join());
        }
    }

    @Test
    void aFullQueueRejectsAtOnceAndCloseNowCancelsWhatWaits() throws Exception {
        try (Lstm layer = Lstm.load(lstm1, "rnn")) {
            StreamBatcher b = StreamBatcher.builder(layer).maxBatch(64).maxDelay(HOUR).queueCapacity(4).build();
            List<StreamBatcher.Session> ss = new ArrayList<>();
            List<CompletableFuture<float[]>> fs = new ArrayList<>();
            for (int i = 0; i < 5; i++) ss.add(b.open());
            float[] h0 = ss.get(0).hn();
            for (int i = 0; i < 4; i++) fs.add(ss.get(i).stepAsync(nextInput(new SplittableRandom(i))));
            var e = assertThrows(RejectedExecutionException.class, () -> ss.get(4).stepAsync(new float[I]));
            assertTrue(e.getMessage().contains("queueCapacity 4"), e.getMessage());
            assertArrayEquals(h0, ss.get(4).hn(), "a rejected step has no effect");
            b.closeNow();
            for (CompletableFuture<float[]> f : fs) assertTrue(f.isCancelled(), "queued work is cancelled by closeNow");
            b.closeNow();  // idempotent
            b.close();
            assertThrows(IllegalStateException.class, b::open);
            assertThrows(IllegalStateException.class, () -> ss.get(0).stepAsync(new float[I]));
            assertThrows(IllegalStateException.class, () -> ss.get(0).hn());
        }
    }

    /** close() while 16 threads step: every submitted step either ran (exactly once, in order) or was refused. */
    @Test
    void closeWhileBusyLosesAndDuplicatesNothing() throws Exception {
        final int clients = 16, steps = 300;
        try (Lstm layer = Lstm.load(lstm1, "rnn")) {
            StreamBatcher b = StreamBatcher.builder(layer).maxBatch(8).maxDelay(Duration.ofMillis(1)).build();
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(clients);
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<List<float[]>>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                final int client = c;
                fs.add(pool.submit(() -> {
                    List<float[]> ys = new ArrayList<>();
                    SplittableRandom r = new SplittableRandom(client);
                    StreamBatcher.Session s = b.open();
                    started.countDown();
                    for (int t = 0; t < steps; t++) {
                        try {
                            ys.add(s.step(nextInput(r)));
                        } catch (IllegalStateException closed) {
                            break;  // refused at submit: no effect
                        }
                    }
                    return ys;
                }));
            }
            started.await();
            Thread.sleep(20);
            b.close();
            for (int c = 0; c < clients; c++) {
                List<float[]> ys = fs.get(c).get(120, TimeUnit.SECONDS);
                // the steps that ran are a prefix of the client's sequence, each exactly once
                SplittableRandom r = new SplittableRandom(c);
                try (RecurrentStream s = layer.stream(1, null, null)) {
                    for (int t = 0; t < ys.size(); t++) {
                        try (Tensor x = Tensor.of(nextInput(r), 1, I); Tensor y = s.step(x)) {
                            assertArrayEquals(y.toArray(), ys.get(t), "client " + c + " step " + t);
                        }
                    }
                }
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        }
    }

    /**
     * Sessions closed from other threads while their steps are queued or running (the session's count of steps in
     * flight and its closed flag are one atomic, no lock): every step completes once, with its result or cancelled,
     * and every slot is freed exactly once (all maxSessions open again, one more is refused).
     */
    @Test
    void sessionsClosedWhileTheirStepsRunFreeTheirSlotsOnce() throws Exception {
        final int S = 4;
        try (Lstm layer = Lstm.load(lstm1, "rnn");
             StreamBatcher b = StreamBatcher.builder(layer).maxSessions(S).maxBatch(2).maxDelay(Duration.ZERO).build()) {
            ExecutorService closers = Executors.newFixedThreadPool(S);
            try {
                for (int round = 0; round < 200; round++) {
                    List<StreamBatcher.Session> ss = new ArrayList<>();
                    List<CompletableFuture<float[]>> fs = new ArrayList<>();
                    for (int i = 0; i < S; i++) ss.add(b.open());
                    for (int k = 0; k < 3; k++) for (StreamBatcher.Session s : ss) fs.add(s.stepAsync(new float[I]));
                    List<Future<?>> closing = new ArrayList<>();
                    for (StreamBatcher.Session s : ss) closing.add(closers.submit(s::close));
                    for (Future<?> c : closing) c.get(60, TimeUnit.SECONDS);
                    for (CompletableFuture<float[]> f : fs) {
                        try {
                            assertEquals(H, f.get(60, TimeUnit.SECONDS).length);
                        } catch (java.util.concurrent.CancellationException cancelled) {
                            // withdrawn by the close: it had no effect
                        }
                    }
                    // the last step of a closed session frees its slot once its future completed
                    List<StreamBatcher.Session> again = new ArrayList<>();
                    for (int i = 0; i < S; i++) again.add(b.open());
                    assertThrows(IllegalStateException.class, b::open, "round " + round);
                    for (StreamBatcher.Session s : again) s.close();
                }
            } finally {
                closers.shutdown();
            }
        }
    }

    /** A forward whose input was closed before its batch ran fails alone; the others of its batch succeed. */
    @Test
    void anExceptionInOneRequestFailsThatRequestOnly() throws Exception {
        try (Lstm layer = Lstm.load(lstm1, "rnn")) {
            Tensor good1 = Tensor.of(new float[3 * I], 3, 1, I), bad = Tensor.of(new float[5 * I], 5, 1, I);
            Tensor good2 = Tensor.of(new float[2 * I], 2, 1, I);
            StreamBatcher b = StreamBatcher.builder(layer).maxBatch(8).maxDelay(HOUR).build();
            CompletableFuture<RecurrentOutput> f1 = b.forwardAsync(good1), fb = b.forwardAsync(bad), f2 = b.forwardAsync(good2);
            bad.close();
            b.close();  // runs the batch of three
            assertInstanceOf(IllegalStateException.class, cause(fb));
            try (RecurrentOutput o1 = f1.join(); RecurrentOutput o2 = f2.join()) {
                assertArrayEquals(new int[] {3, 1, H}, o1.output().shape());
                assertArrayEquals(new int[] {2, 1, H}, o2.output().shape());
            }
            good1.close();
            good2.close();
        }
    }

    @Test
    void badCallsGetClearExceptions() throws Exception {
        try (Lstm layer = Lstm.load(lstm1, "rnn"); Gru bi = Gru.load(bidir, "rnn")) {
            try (StreamBatcher b = StreamBatcher.builder(layer).maxSessions(2).build()) {
                StreamBatcher.Session s = b.open();
                var e = assertThrows(IllegalArgumentException.class, () -> s.step(new float[I + 1]));
                assertTrue(e.getMessage().contains("input_size " + I) && e.getMessage().contains("got " + (I + 1)), e.getMessage());
                b.open();
                var full = assertThrows(IllegalStateException.class, b::open);
                assertTrue(full.getMessage().contains("maxSessions 2"), full.getMessage());
                s.close();
                s.close();
                assertThrows(IllegalStateException.class, () -> s.step(new float[I]));
                b.open().close();  // its slot is free again
                assertThrows(IllegalArgumentException.class, () -> b.open(new float[H + 1], null));
                try (Tensor two = Tensor.zeros(3, 2, I)) {
                    assertThrows(IllegalArgumentException.class, () -> b.forwardAsync(two));
                }
            }
            try (StreamBatcher b = StreamBatcher.builder(bi).build()) {
                var e = assertThrows(IllegalArgumentException.class, b::open);
                assertTrue(e.getMessage().contains("bidirectional"), e.getMessage());
            }
            assertThrows(IllegalArgumentException.class, () -> StreamBatcher.builder(layer).maxBatch(0));
            assertThrows(IllegalArgumentException.class, () -> StreamBatcher.builder(layer).maxDelay(Duration.ofMillis(-1)));
            assertThrows(IllegalArgumentException.class, () -> StreamBatcher.builder((RecurrentLayer) null));
        }
    }
}
