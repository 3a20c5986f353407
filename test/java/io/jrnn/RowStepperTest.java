package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * {@link SequenceModel#rowStepper} and {@link SequenceModel#stateSize}: a batched step over caller-kept states equals,
 * row by row, a {@link SequenceStream} of batch 1 fed the same inputs — bit for bit when batch-invariant (the
 * default, FP32), within 1e-6 otherwise — on every ISA, for every streamable golden model (embedding and float input,
 * RNN / GRU / LSTM, one or several layers, with and without heads and softmax), with rows in any number and any
 * order, through one flat array of states or one array per row ({@code stepRows}); bad arguments throw before any
 * native call; a step allocates nothing on the Java heap.
 */
class RowStepperTest {
    private static final List<String> STREAMABLE = List.of("lm_lstm_all", "forecaster_gru_bf_last",
            "lstm_final_uni_logsoftmax", "rnn_relu_all_bf_nohead", "rnn_tanh_all_twoheads");

    /** A golden case's model (its case.* tensors left out). */
    private static SequenceModel load(String name) throws IOException {
        return load(name, Precision.FP32);
    }

    private static SequenceModel load(String name, Precision precision) throws IOException {
        try (StateDict sd = StateDict.load(ModelGoldenTest.folder().resolve(name + ".safetensors"));
             StateDict weights = ModelGoldenTest.modelOnly(sd, "case.")) {
            return SequenceModel.load(weights, precision);
        }
    }

    /**
     * BF16 and INT8 weights: one row at a time equals a stream of batch 1 bit for bit (the same kernels at B = 1).
     * Bit-identity across batch sizes is claimed for FP32 only (the reduced-precision products pick routes by B),
     * so many rows are only checked to run and stay finite here.
     */
    @Test
    void reducedPrecisionRowsEqualTheStreamOneRowAtATime() throws Exception {
        for (Precision p : new Precision[] {Precision.BF16, Precision.INT8}) {
            for (String name : new String[] {"lm_lstm_all", "forecaster_gru_bf_last"}) {
                try (SequenceModel m = load(name, p)) {
                    compare(m, 1, true, p + " " + name + " one row");
                    try (RowStepper st = m.rowStepper(17)) {
                        float[] states = new float[17 * st.stateSize()], out = new float[17 * m.outputSize()];
                        for (int t = 0; t < 3; t++) {
                            if (m.hasEmbedding()) st.step(17, new int[17], states, out);
                            else st.step(17, new float[17 * m.inputSize()], states, out);
                        }
                        for (float v : out) assertTrue(Float.isFinite(v), p + " " + name + ": finite outputs");
                    }
                }
            }
        }
    }

    @Test
    void rowsEqualEachSequenceAloneOnEveryIsa() throws Exception {
        for (String isa : Isas.all()) {
            Isas.with(isa, () -> {
                for (String name : STREAMABLE) {
                    try (SequenceModel m = load(name)) {
                        for (int rows : new int[] {1, 3, 17, 33}) {
                            compare(m, rows, true, isa + " " + name + " rows " + rows + " invariant");
                            compare(m, rows, false, isa + " " + name + " rows " + rows + " plain");
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
        }
    }

    /**
     * Steps {@code rows} sequences of 5 steps each through one stepper, the rows in a different order at each step
     * and a different number of them (a key absent from a bundle), against one stream per sequence; the states in
     * one flat array at even steps, stepped in their own arrays ({@code stepRows}) at odd ones.
     */
    private static void compare(SequenceModel m, int rows, boolean invariant, String what) {
        Random r = new Random(rows * 31L + m.outputSize());
        final int S = m.stateSize(), N = m.outputSize(), I = m.inputSize(), T = 5;
        SequenceStream[] alone = new SequenceStream[rows];
        float[][] state = new float[rows][S];
        try (RowStepper st = m.rowStepper(rows, invariant)) {
            assertEquals(S, st.stateSize());
            for (int i = 0; i < rows; i++) alone[i] = m.stream(1);
            float[] states = new float[rows * S], out = new float[rows * N], x = new float[rows * I];
            int[] ids = new int[rows];
            for (int t = 0; t < T; t++) {
                // which rows step this time (all of them at t = 0 and t = T-1) and in which order
                int[] order = shuffled(rows, r);
                int n = t == 0 || t == T - 1 ? rows : 1 + r.nextInt(rows);
                float[][] xs = new float[n][], rowStates = new float[n][];
                boolean flat = t % 2 == 0;
                for (int j = 0; j < n; j++) {
                    int seq = order[j];
                    if (flat) System.arraycopy(state[seq], 0, states, j * S, S);
                    else rowStates[j] = state[seq];
                    if (m.hasEmbedding()) {
                        ids[j] = r.nextInt(m.vocabSize());
                    } else {
                        xs[j] = new float[I];
                        for (int k = 0; k < I; k++) xs[j][k] = r.nextFloat() * 2 - 1;
                        System.arraycopy(xs[j], 0, x, j * I, I);
                    }
                }
                if (m.hasEmbedding()) {
                    if (flat) st.step(n, ids, states, out);
                    else st.stepRows(n, ids, rowStates, out);
                } else {
                    if (flat) st.step(n, x, states, out);
                    else st.stepRows(n, x, rowStates, out);
                }
                for (int j = 0; j < n; j++) {
                    int seq = order[j];
                    if (flat) System.arraycopy(states, j * S, state[seq], 0, S);
                    float[] want;
                    if (m.hasEmbedding()) {
                        try (Tensor y = alone[seq].step(new int[] {ids[j]})) {
                            want = y.toArray();
                        }
                    } else {
                        try (Tensor xt = Tensor.of(xs[j], 1, I); Tensor y = alone[seq].step(xt)) {
                            want = y.toArray();
                        }
                    }
                    float[] got = Arrays.copyOfRange(out, j * N, (j + 1) * N);
                    if (invariant) {
                        assertArrayEquals(want, got, what + ": sequence " + seq + " step " + t + " (bit for bit)");
                    } else {
                        for (int k = 0; k < N; k++) {
                            assertEquals(want[k], got[k], 1e-6, what + ": sequence " + seq + " step " + t + " output " + k);
                        }
                    }
                }
            }
        } finally {
            for (SequenceStream s : alone) if (s != null) s.close();
        }
    }

    private static int[] shuffled(int n, Random r) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    @Test
    void stateSizeIsEveryLayersHThenC() throws Exception {
        try (SequenceModel lstm = load("lm_lstm_all");
             SequenceModel gru = load("forecaster_gru_bf_last")) {
            // the layer counts and sizes the golden script gave these models (test/python)
            assertEquals(lstm.rnn.numLayers * (lstm.rnn.outputSize + lstm.rnn.hiddenSize), lstm.stateSize());
            assertEquals(gru.rnn.numLayers * gru.rnn.outputSize, gru.stateSize());
        }
    }

    @Test
    void modelsThatCannotStepSaySo() throws Exception {
        for (String name : new String[] {"classifier_lstm_bi_final", "gru_mean_sigmoid"}) {
            try (SequenceModel m = load(name)) {
                IllegalStateException e = assertThrows(IllegalStateException.class, m::stateSize, name);
                assertTrue(e.getMessage().contains(m.bidirectional() ? "bidirectional" : "mean"), e.getMessage());
                assertThrows(IllegalStateException.class, () -> m.rowStepper(4), name);
            }
        }
    }

    @Test
    void badArgumentsThrowBeforeNativeCodeAndChangeNothing() throws Exception {
        try (SequenceModel lm = load("lm_lstm_all");
             SequenceModel f = load("forecaster_gru_bf_last")) {
            assertThrows(IllegalArgumentException.class, () -> lm.rowStepper(0));
            try (RowStepper st = lm.rowStepper(4)) {
                int S = st.stateSize(), N = lm.outputSize();
                float[] states = new float[4 * S], out = new float[4 * N];
                Arrays.fill(states, 0.25f);
                float[] before = states.clone();
                assertThrows(IllegalArgumentException.class, () -> st.step(5, new int[5], new float[5 * S],
                        new float[5 * N]), "more rows than maxRows");
                assertThrows(IllegalArgumentException.class, () -> st.step(0, new int[1], states, out), "0 rows");
                assertThrows(IllegalArgumentException.class, () -> st.step(4, new int[3], states, out), "short ids");
                assertThrows(IllegalArgumentException.class, () -> st.step(4, new int[4], new float[4 * S - 1], out),
                        "short states");
                assertThrows(IllegalArgumentException.class, () -> st.step(4, new int[4], states, new float[4 * N - 1]),
                        "short out");
                assertThrows(IllegalArgumentException.class, () -> st.step(2, new int[] {0, lm.vocabSize()}, states,
                        out), "id past the vocabulary");
                assertThrows(IllegalArgumentException.class, () -> st.step(2, new int[] {-1, 0}, states, out),
                        "negative id");
                assertThrows(IllegalArgumentException.class, () -> st.step(1, new float[lm.inputSize()], states, out),
                        "floats to a model with an embedding");
                assertThrows(IllegalArgumentException.class, () -> st.step(1, (int[]) null, states, out), "null ids");
                assertThrows(IllegalArgumentException.class, () -> st.step(1, new int[1], null, out), "null states");
                float[][] rows = {states.clone(), states.clone()};
                assertThrows(IllegalArgumentException.class, () -> st.stepRows(2, new int[2], (float[][]) null, out),
                        "null state rows");
                assertThrows(IllegalArgumentException.class, () -> st.stepRows(3, new int[3], rows, out),
                        "fewer state rows than rows");
                assertThrows(IllegalArgumentException.class, () -> st.stepRows(2, new int[2],
                        new float[][] {rows[0], null}, out), "a null state row");
                assertThrows(IllegalArgumentException.class, () -> st.stepRows(2, new int[2],
                        new float[][] {rows[0], new float[S - 1]}, out), "a short state row");
                assertThrows(IllegalArgumentException.class, () -> st.stepRows(2, new int[] {0, -1}, rows, out),
                        "a bad id with state rows");
                assertThrows(IllegalArgumentException.class, () -> st.stepRows(1, new float[lm.inputSize()], rows,
                        out), "floats with state rows to a model with an embedding");
                assertArrayEquals(before, rows[0], "a rejected row step changes no state");
                assertArrayEquals(before, rows[1], "a rejected row step changes no state");
                assertArrayEquals(before, states, "a rejected step changes no state");
                st.close();
                st.close();
                assertThrows(IllegalStateException.class, () -> st.step(1, new int[1], states, out), "closed stepper");
            }
            try (RowStepper st = f.rowStepper(2)) {
                float[] states = new float[2 * st.stateSize()], out = new float[2 * f.outputSize()];
                assertThrows(IllegalArgumentException.class, () -> st.step(2, new float[2 * f.inputSize() - 1], states,
                        out), "short x");
                assertThrows(IllegalArgumentException.class, () -> st.step(1, new int[1], states, out),
                        "ids to a model without an embedding");
                f.close();
                assertThrows(IllegalStateException.class, () -> st.step(1, new float[f.inputSize()], states, out),
                        "closed model");
            }
        }
    }

    @Test
    void stepAllocatesNothing() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported(), "the JVM measures per-thread allocation");
        threads.setThreadAllocatedMemoryEnabled(true);
        try (SequenceModel m = load("lm_lstm_all"); RowStepper st = m.rowStepper(16)) {
            float[] states = new float[16 * st.stateSize()], out = new float[16 * m.outputSize()];
            float[][] rows = new float[16][st.stateSize()];
            int[] ids = new int[16];
            final int steps = 20_000;
            long before = 0;
            for (int i = 0; i < 2 * steps; i++) {
                if (i == steps) before = threads.getCurrentThreadAllocatedBytes();
                ids[i % 16] = i % m.vocabSize();
                if (i % 2 == 0) st.step(1 + i % 16, ids, states, out);
                else st.stepRows(1 + i % 16, ids, rows, out);
            }
            long bytes = threads.getCurrentThreadAllocatedBytes() - before;
            // under a byte a step (the JIT's own bookkeeping); one array per step would be >= 16 bytes a step
            assertTrue(bytes < steps, bytes + " bytes over " + steps + " steps");
        }
    }
}
