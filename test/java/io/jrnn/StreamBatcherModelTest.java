package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StreamBatcher} over a {@link SequenceModel}: many threads stepping their own sessions get, bit for bit, what
 * each gets alone on a {@link SequenceStream} of batch 1 (on every ISA this CPU runs; token-id and float-feature
 * models; one- and two-layer stacks; batches stepped in place and gathered); the request semantics (cancel, timeout,
 * full queue, close, closeNow) are those of a layer's batcher; bad calls throw clear exceptions. Scheduling cases use
 * a maxDelay of an hour, so which requests share a batch is decided by the test, never by timing.
 */
class StreamBatcherModelTest {
    static final Duration HOUR = Duration.ofHours(1);

    @TempDir
    static Path dir;

    /** A golden case's model (its case.* tensors left out). */
    static SequenceModel golden(String name) {
        try (StateDict sd = StateDict.load(ModelGoldenTest.folder().resolve(name + ".safetensors"));
             StateDict weights = ModelGoldenTest.modelOnly(sd, "case.")) {
            return SequenceModel.load(weights);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A language model wide enough for the vector kernels' main loops and tails: embedding 37 x 24, a 2-layer LSTM of
     * hidden size 40, a head 40 → 37 and a log-softmax; random weights from a fixed seed.
     */
    static SequenceModel wideLm() {
        final int V = 37, E = 24, Hd = 40;
        String config = "{\"format\": \"jrnn.model.v1\", \"embedding\": {\"num_embeddings\": " + V + ", \"embedding_dim\": "
                + E + "}, \"rnn\": {\"cell\": \"lstm\", \"input_size\": " + E + ", \"hidden_size\": " + Hd
                + ", \"num_layers\": 2, \"bidirectional\": false, \"bias\": true, \"batch_first\": false},"
                + " \"readout\": \"all_steps\", \"head\": [{\"in_features\": " + Hd + ", \"out_features\": " + V
                + ", \"bias\": true, \"activation\": \"none\"}], \"output\": \"log_softmax\"}";
        Random r = new Random(21);
        SafetensorsWriter w = new SafetensorsWriter().meta("jrnn.config", config);
        w.f32("embedding.weight", values(r, V * E), V, E);
        RecurrentValidationTest.shapes(4, 2, false, E, Hd, 0, true).forEach((n, shape) -> {
            int count = 1;
            for (int d : shape) count *= d;
            w.f32(n, values(r, count), shape);
        });
        w.f32("head.0.weight", values(r, V * Hd), V, Hd);
        w.f32("head.0.bias", values(r, V), V);
        try {
            return SequenceModel.load(w.write(dir.resolve("wide_lm.safetensors")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static float[] values(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() - 0.5f;
        return v;
    }

    /** Client c's t-th input: a token id, or a feature row, from a generator seeded by c. */
    static final class Inputs {
        final SequenceModel m;
        final SplittableRandom r;

        Inputs(SequenceModel m, int client) {
            this.m = m;
            this.r = new SplittableRandom(client * 7919L + 1);
        }

        int id() {
            return r.nextInt(m.vocabSize());
        }

        float[] x() {
            float[] x = new float[m.inputSize()];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
            return x;
        }
    }

    record Run(long hash, float[] last) {}

    /** Client c alone: a stream of batch 1, its steps one by one. */
    static Run alone(SequenceModel m, int c, int steps) {
        Inputs in = new Inputs(m, c);
        long hash = 0;
        float[] y = null;
        try (SequenceStream s = m.stream(1)) {
            for (int t = 0; t < steps; t++) {
                if (m.hasEmbedding()) {
                    try (Tensor out = s.step(new int[] {in.id()})) {
                        y = out.toArray();
                    }
                } else {
                    try (Tensor x = Tensor.of(in.x(), 1, m.inputSize()); Tensor out = s.step(x)) {
                        y = out.toArray();
                    }
                }
                hash = StreamBatcherTest.mix(hash, y);
            }
        }
        return new Run(hash, y);
    }

    /** Client c's next step on a session: blocking, or every third asynchronously. */
    static float[] step(StreamBatcher.Session s, Inputs in, int t) {
        if (in.m.hasEmbedding()) return t % 3 == 0 ? s.stepAsync(in.id()).join() : s.step(in.id());
        return t % 3 == 0 ? s.stepAsync(in.x()).join() : s.step(in.x());
    }

    /** Client c through a session of the batcher. */
    static Run session(StreamBatcher b, SequenceModel m, int c, int steps) {
        Inputs in = new Inputs(m, c);
        long hash = 0;
        float[] y = null;
        try (StreamBatcher.Session s = b.open()) {
            for (int t = 0; t < steps; t++) {
                y = step(s, in, t);
                assertEquals(m.outputSize(), y.length);
                hash = StreamBatcherTest.mix(hash, y);
            }
        }
        return new Run(hash, y);
    }

    static void assertSameRuns(List<Run> expected, List<Run> got, String what) {
        for (int c = 0; c < expected.size(); c++) {
            assertArrayEquals(expected.get(c).last(), got.get(c).last(), what + ": last output of client " + c);
            assertEquals(expected.get(c).hash(), got.get(c).hash(), what + ": outputs of client " + c + " differ at some step");
        }
    }

    /** 32 threads x 250 steps on every ISA, token-id and feature models: each equals its own stream, bit for bit. */
    @Test
    void manyThreadsEqualTheirOwnStreamsOnEveryIsa() throws Exception {
        final int clients = 32, steps = 250;
        final String before = Jrnn.isa();
        for (String isa : Isas.all()) {
            Jrnn.setIsa(isa);
            try {
                for (String name : new String[] {"wide", "lm_lstm_all", "forecaster_gru_bf_last", "rnn_tanh_all_twoheads"}) {
                    try (SequenceModel m = name.equals("wide") ? wideLm() : golden(name)) {
                        List<Run> expected = new ArrayList<>();
                        for (int c = 0; c < clients; c++) expected.add(alone(m, c, steps));
                        try (StreamBatcher b = StreamBatcher.builder(m).maxBatch(16).maxDelay(Duration.ofMillis(1)).build()) {
                            assertSameRuns(expected, StreamBatcherTest.inThreads(clients, c -> session(b, m, c, steps)),
                                    "isa " + isa + " " + name);
                        }
                    }
                }
            } finally {
                Jrnn.setIsa(before);
            }
        }
    }

    /**
     * Batches the test composes: gathered rows (slots 0, 2, 3: not one block), a block stepped in place (slots 1-3),
     * and a block starting at slot 0; each session's outputs equal its stream's, and its state (hn, cn) is what
     * its own row stepper gives.
     */
    @Test
    void gatheredAndInPlaceBatchesEqualTheStreams() throws Exception {
        final String before = Jrnn.isa();
        for (String isa : Isas.all()) {
            Jrnn.setIsa(isa);
            try (SequenceModel m = wideLm();
                 StreamBatcher b = StreamBatcher.builder(m).maxBatch(3).maxDelay(HOUR).build()) {
                final int n = 4, S = m.stateSize();
                List<StreamBatcher.Session> ss = new ArrayList<>();
                List<SequenceStream> streams = new ArrayList<>();
                List<Inputs> ins = new ArrayList<>();
                float[][] states = new float[n][S];
                try (RowStepper own = m.rowStepper(1)) {
                    for (int c = 0; c < n; c++) {
                        ss.add(b.open());
                        streams.add(m.stream(1));
                        ins.add(new Inputs(m, c));
                    }
                    int[][] batches = {{0, 2, 3}, {1, 2, 3}, {0, 1, 2}, {0, 1, 3}, {1, 2, 3}};
                    for (int[] batch : batches) {
                        List<CompletableFuture<float[]>> fs = new ArrayList<>();
                        int[] ids = new int[batch.length];
                        for (int j = 0; j < batch.length; j++) {
                            ids[j] = ins.get(batch[j]).id();
                            fs.add(ss.get(batch[j]).stepAsync(ids[j]));  // the third fills the batch: it runs
                        }
                        for (int j = 0; j < batch.length; j++) {
                            int c = batch[j];
                            float[] got = fs.get(j).get(60, TimeUnit.SECONDS);
                            try (Tensor want = streams.get(c).step(new int[] {ids[j]})) {
                                assertArrayEquals(want.toArray(), got, "isa " + isa + " session " + c);
                            }
                            own.step(1, new int[] {ids[j]}, states[c], new float[m.outputSize()]);
                            float[] hn = ss.get(c).hn(), cn = ss.get(c).cn();
                            float[] both = new float[S];
                            System.arraycopy(hn, 0, both, 0, hn.length);
                            System.arraycopy(cn, 0, both, hn.length, cn.length);
                            assertArrayEquals(states[c], both, "isa " + isa + " state of session " + c);
                        }
                    }
                } finally {
                    streams.forEach(SequenceStream::close);
                }
            } finally {
                Jrnn.setIsa(before);
            }
        }
    }

    /** A session opened with h0, c0 starts from them: as a stream after the steps that led there. */
    @Test
    void openWithStatesContinuesFromThem() throws Exception {
        try (SequenceModel m = wideLm(); StreamBatcher b = StreamBatcher.builder(m).build()) {
            Inputs first = new Inputs(m, 5);
            float[] hn, cn;
            try (StreamBatcher.Session s = b.open()) {
                for (int t = 0; t < 7; t++) s.step(first.id());
                hn = s.hn();
                cn = s.cn();
            }
            Inputs again = new Inputs(m, 5);
            try (SequenceStream alone = m.stream(1); StreamBatcher.Session s = b.open(hn, cn)) {
                for (int t = 0; t < 7; t++) alone.step(new int[] {again.id()}).close();
                for (int t = 0; t < 5; t++) {
                    int id = again.id();
                    try (Tensor want = alone.step(new int[] {id})) {
                        assertArrayEquals(want.toArray(), s.step(id), "step " + t + " after the restored state");
                    }
                }
            }
        }
    }

    private static Throwable cause(CompletableFuture<?> f) {
        return assertThrows(CompletionException.class, f::join).getCause();
    }

    @Test
    void cancelledAndTimedOutStepsHaveNoEffectAndOthersRun() throws Exception {
        try (SequenceModel m = golden("lm_lstm_all");
             StreamBatcher b = StreamBatcher.builder(m).maxBatch(64).maxDelay(HOUR).build()) {
            StreamBatcher.Session a = b.open(), c = b.open(), t = b.open();
            b.open();  // idle: the three others' steps do not make a full batch
            float[] h0 = a.hn(), c0 = a.cn();
            Inputs ia = new Inputs(m, 0), ic = new Inputs(m, 1);
            CompletableFuture<float[]> a1 = a.stepAsync(ia.id());
            CompletableFuture<float[]> c1 = c.stepAsync(ic.id());
            CompletableFuture<float[]> t1 = t.stepAsync(3, Duration.ofMillis(20));
            assertTrue(a1.cancel(false), "a queued step can be cancelled");
            assertTrue(a1.isCancelled());
            assertFalse(a1.cancel(false), "twice: no");
            assertInstanceOf(TimeoutException.class,
                    assertThrows(ExecutionException.class, () -> t1.get(60, TimeUnit.SECONDS)).getCause());
            assertArrayEquals(h0, a.hn(), "a cancelled step does not advance its session");
            assertArrayEquals(c0, a.cn(), "a cancelled step does not advance its session");
            assertArrayEquals(h0, t.hn(), "a timed-out step does not advance its session");
            // a's next step is its first: equal to client 0's first step alone
            CompletableFuture<float[]> a2 = a.stepAsync(new Inputs(m, 0).id());
            assertEquals(2, b.queued());
            b.close();  // drains: c1 and a2 run in one batch
            assertArrayEquals(alone(m, 0, 1).last(), a2.join());
            assertArrayEquals(alone(m, 1, 1).last(), c1.join());
            assertFalse(c1.cancel(false), "a completed step cannot be cancelled");
        }
    }

    @Test
    void aFullQueueRejectsAtOnceAndCloseNowCancelsWhatWaits() throws Exception {
        try (SequenceModel m = golden("forecaster_gru_bf_last")) {
            StreamBatcher b = StreamBatcher.builder(m).maxBatch(64).maxDelay(HOUR).queueCapacity(4).build();
            List<StreamBatcher.Session> ss = new ArrayList<>();
            List<CompletableFuture<float[]>> fs = new ArrayList<>();
            for (int i = 0; i < 5; i++) ss.add(b.open());
            float[] h0 = ss.get(0).hn();
            assertNull(ss.get(0).cn(), "a GRU has no cell state");
            for (int i = 0; i < 4; i++) fs.add(ss.get(i).stepAsync(new Inputs(m, i).x()));
            var e = assertThrows(RejectedExecutionException.class, () -> ss.get(4).stepAsync(new float[m.inputSize()]));
            assertTrue(e.getMessage().contains("queueCapacity 4"), e.getMessage());
            assertArrayEquals(h0, ss.get(4).hn(), "a rejected step has no effect");
            b.closeNow();
            for (CompletableFuture<float[]> f : fs) assertTrue(f.isCancelled(), "queued work is cancelled by closeNow");
            b.closeNow();  // idempotent
            b.close();
            assertThrows(IllegalStateException.class, b::open);
            assertThrows(IllegalStateException.class, () -> ss.get(0).stepAsync(new float[m.inputSize()]));
            assertThrows(IllegalStateException.class, () -> ss.get(0).hn());
        }
    }

    /** close() while 16 threads step: every submitted step either ran (exactly once, in order) or was refused. */
    @Test
    void closeWhileBusyLosesAndDuplicatesNothing() throws Exception {
        final int clients = 16, steps = 300;
        try (SequenceModel m = golden("lm_lstm_all")) {
            StreamBatcher b = StreamBatcher.builder(m).maxBatch(8).maxDelay(Duration.ofMillis(1)).build();
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(clients);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(clients);
            List<CompletableFuture<List<float[]>>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                final int client = c;
                fs.add(CompletableFuture.supplyAsync(() -> {
                    List<float[]> ys = new ArrayList<>();
                    Inputs in = new Inputs(m, client);
                    StreamBatcher.Session s = b.open();
                    started.countDown();
                    for (int t = 0; t < steps; t++) {
                        try {
                            ys.add(s.step(in.id()));
                        } catch (IllegalStateException closed) {
                            break;  // refused at submit: no effect
                        }
                    }
                    return ys;
                }, pool));
            }
            assertTrue(started.await(60, TimeUnit.SECONDS));
            Thread.sleep(20);
            b.close();
            for (int c = 0; c < clients; c++) {
                List<float[]> ys = fs.get(c).get(120, TimeUnit.SECONDS);
                Inputs in = new Inputs(m, c);
                try (SequenceStream s = m.stream(1)) {
                    for (int t = 0; t < ys.size(); t++) {
                        try (Tensor y = s.step(new int[] {in.id()})) {
                            assertArrayEquals(y.toArray(), ys.get(t), "client " + c + " step " + t);
                        }
                    }
                }
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void badCallsGetClearExceptions() throws Exception {
        try (SequenceModel lm = golden("lm_lstm_all"); SequenceModel feat = golden("forecaster_gru_bf_last")) {
            try (StreamBatcher b = StreamBatcher.builder(lm).maxSessions(2).build()) {
                StreamBatcher.Session s = b.open();
                for (int bad : new int[] {-1, lm.vocabSize()}) {
                    var e = assertThrows(IllegalArgumentException.class, () -> s.step(bad));
                    assertTrue(e.getMessage().contains("[0, " + lm.vocabSize() + ")") && e.getMessage().contains("got " + bad),
                            e.getMessage());
                }
                var e = assertThrows(IllegalArgumentException.class, () -> s.step(new float[lm.inputSize()]));
                assertTrue(e.getMessage().contains("token ids"), e.getMessage());
                assertArrayEquals(new float[lm.stateSize() / 2], s.hn(), "refused steps have no effect");  // h: half an LSTM's state
                var fw = assertThrows(UnsupportedOperationException.class, () -> b.forwardAsync(null));
                assertTrue(fw.getMessage().contains("SequenceModel"), fw.getMessage());
                assertThrows(IllegalArgumentException.class, () -> b.open(new float[3], null));
                b.open();
                var full = assertThrows(IllegalStateException.class, b::open);
                assertTrue(full.getMessage().contains("maxSessions 2"), full.getMessage());
                s.close();
                assertThrows(IllegalStateException.class, () -> s.step(1));
                b.open().close();  // its slot is free again
            }
            try (StreamBatcher b = StreamBatcher.builder(feat).build()) {
                StreamBatcher.Session s = b.open();
                var e = assertThrows(IllegalArgumentException.class, () -> s.step(new float[feat.inputSize() + 1]));
                assertTrue(e.getMessage().contains("input_size " + feat.inputSize())
                        && e.getMessage().contains("got " + (feat.inputSize() + 1)), e.getMessage());
                var id = assertThrows(IllegalArgumentException.class, () -> s.step(0));
                assertTrue(id.getMessage().contains("no embedding"), id.getMessage());
                assertThrows(IllegalArgumentException.class, () -> s.step((float[]) null));
                b.close();
                assertThrows(IllegalStateException.class, () -> s.step(new float[feat.inputSize()]));
                assertThrows(IllegalStateException.class, b::open);
            }
            for (String name : new String[] {"classifier_lstm_bi_final", "gru_mean_sigmoid"}) {
                try (SequenceModel cannot = golden(name)) {
                    var e = assertThrows(IllegalArgumentException.class, () -> StreamBatcher.builder(cannot));
                    assertTrue(e.getMessage().contains(name.contains("bi") ? "bidirectional" : "mean"), e.getMessage());
                }
            }
            assertThrows(IllegalArgumentException.class, () -> StreamBatcher.builder((SequenceModel) null));
            // a layer's batcher takes no token ids
            try (StateDict sd = StateDict.load(TestModels.recurrent(dir.resolve("l.safetensors"), 4, 1, false, 3, 5, 1));
                 Lstm layer = Lstm.load(sd, "rnn");
                 StreamBatcher b = StreamBatcher.builder(layer).build(); StreamBatcher.Session s = b.open()) {
                var e = assertThrows(IllegalArgumentException.class, () -> s.step(0));
                assertTrue(e.getMessage().contains("recurrent layer"), e.getMessage());
            }
        }
    }

    /** A batch that runs after its model was closed fails its requests; the batcher still closes cleanly. */
    @Test
    void aClosedModelFailsTheBatchNotTheJvm() throws Exception {
        SequenceModel m = golden("lm_lstm_all");
        StreamBatcher b = StreamBatcher.builder(m).maxBatch(2).maxDelay(HOUR).build();
        StreamBatcher.Session s0 = b.open(), s1 = b.open();
        CompletableFuture<float[]> f0 = s0.stepAsync(1);
        m.close();
        CompletableFuture<float[]> f1 = s1.stepAsync(2);  // the batch is full: it runs, on a closed model
        assertInstanceOf(IllegalStateException.class, cause(f0));
        assertInstanceOf(IllegalStateException.class, cause(f1));
        b.close();
    }
}
