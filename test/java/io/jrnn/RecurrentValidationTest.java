package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to the recurrent layers, one test per kind (SPEC §2): each checks the exception type and that the
 * message says what was expected and what was found.
 *
 * <p>The model most tests use: an LSTM under prefix "rnn", 2 layers, unidirectional, input_size 5, hidden_size 4
 * (gate rows 16), run on x[3,2,5] (T=3, B=2).
 */
class RecurrentValidationTest {
    static final int I = 5, H = 4, L = 2, T = 3, B = 2;

    @TempDir
    Path dir;

    private StateDict sd;
    private Lstm lstm;

    @BeforeEach
    void loadDefault() throws IOException {
        sd = StateDict.load(write("lstm", shapes(4, L, false, I, H, 0, true)));
        lstm = Lstm.load(sd, "rnn");
    }

    @AfterEach
    void closeDefault() {
        lstm.close();
        sd.close();
    }

    // ---- x ----

    @Test
    void xOfWrongRank() {
        try (Tensor x = Tensor.zeros(T, B * I)) {
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x), "[T,B,5]", "got [3, 10]");
        }
        try (Tensor x = Tensor.zeros(1, T, B, I)) {
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x), "[T,B,5]", "got [1, 3, 2, 5]");
        }
    }

    @Test
    void xOfWrongInputSize() {
        try (Tensor x = Tensor.zeros(T, B, I + 1)) {
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x), "[T,B,5]", "input_size 5",
                    "rnn.weight_ih_l0", "got [3, 2, 6]");
        }
    }

    @Test
    void emptyTimeOrBatch() {
        try (Tensor x = Tensor.zeros(0, B, I)) {
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x), "T, B >= 1", "got [0, 2, 5]");
        }
        try (Tensor x = Tensor.zeros(T, 0, I)) {
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x), "T, B >= 1", "got [3, 0, 5]");
        }
    }

    // ---- lengths ----

    @Test
    void lengthsOfWrongCount() {
        try (Tensor x = Tensor.zeros(T, B, I)) {
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x, new int[] {3, 3, 3}, null, null),
                    "B = 2", "got 3");
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x, new int[0], null, null), "B = 2",
                    "got 0");
        }
    }

    @Test
    void negativeLength() {
        try (Tensor x = Tensor.zeros(T, B, I)) {
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x, new int[] {3, -1}, null, null),
                    "lengths[1]", "[0, 3]", "got -1");
        }
    }

    @Test
    void lengthAboveT() {
        try (Tensor x = Tensor.zeros(T, B, I)) {
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x, new int[] {4, 2}, null, null),
                    "lengths[0]", "[0, 3]", "got 4");
        }
    }

    // ---- initial states ----

    @Test
    void h0OfWrongShape() {
        try (Tensor x = Tensor.zeros(T, B, I);
             Tensor wrongSize = Tensor.zeros(L, B, H + 1);
             Tensor wrongLayers = Tensor.zeros(1, B, H);
             Tensor wrongBatch = Tensor.zeros(L, B + 1, H)) {
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x, null, wrongSize, null),
                    "h0 must be [2, 2, 4]", "got [2, 2, 5]");
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x, null, wrongLayers, null),
                    "h0 must be [2, 2, 4]", "got [1, 2, 4]");
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x, null, wrongBatch, null),
                    "h0 must be [2, 2, 4]", "got [2, 3, 4]");
        }
    }

    @Test
    void c0OfWrongShape() throws IOException {
        try (Tensor x = Tensor.zeros(T, B, I); Tensor c0 = Tensor.zeros(L, B, H - 1)) {
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x, null, null, c0),
                    "c0 must be [2, 2, 4]", "got [2, 2, 3]");
        }
        // with a projection h0 is [L,B,P] but c0 stays [L,B,H]: a c0 shaped like h0 is wrong
        try (StateDict psd = StateDict.load(write("lstmp", shapes(4, 1, false, I, H, 2, true)));
             Lstm p = Lstm.load(psd, "rnn");
             Tensor x = Tensor.zeros(T, B, I);
             Tensor h0 = Tensor.zeros(1, B, 2);
             Tensor c0 = Tensor.zeros(1, B, 2)) {
            assertMessage(IllegalArgumentException.class, () -> p.forward(x, null, h0, c0), "c0 must be [1, 2, 4]",
                    "proj_size 2", "got [1, 2, 2]");
        }
    }

    @Test
    void c0GivenToGruOrRnn() throws IOException {
        try (StateDict gsd = StateDict.load(write("gru", shapes(3, 1, false, I, H, 0, true)));
             Gru gru = Gru.load(gsd, "rnn");
             StateDict rsd = StateDict.load(write("rnn", shapes(1, 1, false, I, H, 0, true)));
             Rnn rnn = Rnn.load(rsd, "rnn");
             Tensor x = Tensor.zeros(T, B, I);
             Tensor c0 = Tensor.zeros(1, B, H)) {
            assertMessage(IllegalArgumentException.class, () -> gru.forward(x, null, null, c0), "c0", "LSTM", "GRU");
            assertMessage(IllegalArgumentException.class, () -> rnn.forward(x, null, null, c0), "c0", "LSTM", "RNN");
            assertMessage(IllegalArgumentException.class, () -> gru.stream(B, null, c0), "c0", "LSTM", "GRU");
            try (Tensor out = Tensor.zeros(T, B, H); Tensor cn = Tensor.zeros(1, B, H)) {
                assertMessage(IllegalArgumentException.class, () -> gru.forward(x, null, null, null, out, null, cn),
                        "cn", "LSTM", "GRU");
            }
        }
    }

    // ---- preallocated forward ----

    @Test
    void preallocatedOutputsOfWrongShape() {
        try (Tensor x = Tensor.zeros(T, B, I);
             Tensor out = Tensor.zeros(T, B, H);
             Tensor badOut = Tensor.zeros(T, B, 2 * H);
             Tensor badHn = Tensor.zeros(L, B, H + 1);
             Tensor badCn = Tensor.zeros(L + 1, B, H)) {
            assertMessage(IllegalArgumentException.class,
                    () -> lstm.forward(x, null, null, null, badOut, null, null), "output must be [3, 2, 4]",
                    "got [3, 2, 8]");
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x, null, null, null, out, badHn, null),
                    "hn must be [2, 2, 4]", "got [2, 2, 5]");
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x, null, null, null, out, null, badCn),
                    "cn must be [2, 2, 4]", "got [3, 2, 4]");
            assertMessage(IllegalArgumentException.class, () -> lstm.forward(x, null, null, null, null, null, null),
                    "output", "null");
        }
    }

    // ---- closed things ----

    @Test
    void closedInputTensor() {
        Tensor x = Tensor.zeros(T, B, I);
        x.close();
        assertDoesNotThrow(x::close, "second close of a tensor");
        assertMessage(IllegalStateException.class, () -> lstm.forward(x), "closed");
        try (Tensor live = Tensor.zeros(T, B, I)) {
            Tensor h0 = Tensor.zeros(L, B, H);
            h0.close();
            assertMessage(IllegalStateException.class, () -> lstm.forward(live, null, h0, null), "closed");
            Tensor out = Tensor.zeros(T, B, H);
            out.close();
            assertMessage(IllegalStateException.class, () -> lstm.forward(live, null, null, null, out, null, null),
                    "closed");
        }
    }

    @Test
    void closedLayer() {
        lstm.close();
        assertDoesNotThrow(lstm::close, "second close of a layer");
        try (Tensor x = Tensor.zeros(T, B, I); Tensor out = Tensor.zeros(T, B, H)) {
            assertMessage(IllegalStateException.class, () -> lstm.forward(x), "LSTM", "closed");
            assertMessage(IllegalStateException.class, () -> lstm.forward(x, null, null, null, out, null, null),
                    "LSTM", "closed");
            assertMessage(IllegalStateException.class, () -> lstm.stream(B, null, null), "LSTM", "closed");
        }
    }

    @Test
    void closedStateDict() {
        sd.close();
        assertDoesNotThrow(sd::close, "second close of a state dict");
        assertMessage(IllegalStateException.class, () -> Lstm.load(sd, "rnn"), "closed");
    }

    @Test
    void outputCloseIsIdempotent() {
        try (Tensor x = Tensor.zeros(T, B, I)) {
            RecurrentOutput out = lstm.forward(x);
            out.close();
            assertDoesNotThrow(out::close, "second close of a RecurrentOutput");
            assertMessage(IllegalStateException.class, () -> out.output().toArray(), "closed");
        }
    }

    // ---- loading ----

    @Test
    void missingTensor() throws IOException {
        Map<String, int[]> s = shapes(4, 2, false, I, H, 0, true);
        s.remove("rnn.weight_hh_l1");
        try (StateDict bad = StateDict.load(write("no-whh1", s))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "rnn.weight_hh_l1",
                    "2 layers");
        }
        Map<String, int[]> noBias = shapes(4, 2, false, I, H, 0, true);
        noBias.remove("rnn.bias_hh_l1");
        try (StateDict bad = StateDict.load(write("no-bhh1", noBias))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "rnn.bias_hh_l1");
        }
        Map<String, int[]> noReverse = shapes(3, 2, true, I, H, 0, true);
        noReverse.remove("rnn.weight_ih_l1_reverse");
        try (StateDict bad = StateDict.load(write("no-rev", noReverse))) {
            assertMessage(IllegalArgumentException.class, () -> Gru.load(bad, "rnn"), "rnn.weight_ih_l1_reverse",
                    "bidirectional");
        }
        Map<String, int[]> noProj = shapes(4, 2, false, I, H, 2, true);
        noProj.remove("rnn.weight_hr_l1");
        try (StateDict bad = StateDict.load(write("no-hr1", noProj))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "rnn.weight_hr_l1");
        }
    }

    @Test
    void missingPrefix() {
        assertMessage(IllegalArgumentException.class, () -> Lstm.load(sd, "encoder.rnn"), "encoder.rnn",
                "encoder.rnn.weight_ih_l0", "rnn.weight_ih_l0");
        assertMessage(IllegalArgumentException.class, () -> Gru.load(sd, ""), "weight_ih_l0", "rnn.weight_ih_l0");
    }

    @Test
    void weightOfWrongShape() throws IOException {
        Map<String, int[]> s = shapes(4, 2, false, I, H, 0, true);
        s.put("rnn.weight_hh_l0", new int[] {4 * H, H + 1});
        try (StateDict bad = StateDict.load(write("whh0", s))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "rnn.weight_hh_l0",
                    "[16, 4]", "got [16, 5]");
        }
        // layer 1 reads layer 0's output (H), not x (I)
        s = shapes(4, 2, false, I, H, 0, true);
        s.put("rnn.weight_ih_l1", new int[] {4 * H, I});
        try (StateDict bad = StateDict.load(write("wih1", s))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "rnn.weight_ih_l1",
                    "[16, 4]", "got [16, 5]");
        }
        s = shapes(4, 1, false, I, H, 0, true);
        s.put("rnn.bias_ih_l0", new int[] {4 * H + 1});
        try (StateDict bad = StateDict.load(write("bih0", s))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "rnn.bias_ih_l0", "[16]",
                    "got [17]");
        }
        // gate rows that are not a multiple of the gate count
        s = shapes(4, 1, false, I, H, 0, false);
        s.put("rnn.weight_ih_l0", new int[] {4 * H + 2, I});
        try (StateDict bad = StateDict.load(write("rows", s))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "rnn.weight_ih_l0",
                    "4*hidden_size", "got [18, 5]");
        }
        s = shapes(4, 1, false, I, H, 0, false);
        s.put("rnn.weight_ih_l0", new int[] {4 * H});
        try (StateDict bad = StateDict.load(write("rank", s))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "rnn.weight_ih_l0",
                    "got [16]");
        }
        // proj_size must be in (0, H)
        s = shapes(4, 1, false, I, H, 2, true);
        s.put("rnn.weight_hr_l0", new int[] {H, H});
        try (StateDict bad = StateDict.load(write("proj", s))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "rnn.weight_hr_l0",
                    "proj_size", "got [4, 4]");
        }
    }

    @Test
    void weightOfIntegerDtype() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter()
                .f32("rnn.weight_ih_l0", new float[H * I], H, I)
                .i32("rnn.weight_hh_l0", new int[H * H], H, H);
        try (StateDict bad = StateDict.load(w.write(dir.resolve("int.safetensors")))) {
            assertMessage(IllegalArgumentException.class, () -> Rnn.load(bad, "rnn"), "rnn.weight_hh_l0", "I32");
        }
    }

    @Test
    void projectionOnGru() throws IOException {
        Map<String, int[]> s = shapes(3, 1, false, I, H, 0, true);
        s.put("rnn.weight_hr_l0", new int[] {2, H});
        try (StateDict bad = StateDict.load(write("gru-proj", s))) {
            assertMessage(IllegalArgumentException.class, () -> Gru.load(bad, "rnn"), "rnn.weight_hr_l0",
                    "proj_size", "LSTM", "GRU");
            assertMessage(IllegalArgumentException.class, () -> Rnn.load(bad, "rnn"), "rnn.weight_hr_l0", "RNN");
        }
    }

    /**
     * Tensors under the prefix that the inferred architecture does not use mean the file and the model disagree; a
     * PyTorch {@code load_state_dict} (strict) refuses unexpected keys. Here layer 0 has no biases but layer 1 does:
     * loading must not silently drop layer 1's biases.
     */
    @Test
    void biasesOnSomeLayersOnly() throws IOException {
        Map<String, int[]> s = shapes(4, 2, false, I, H, 0, true);
        s.remove("rnn.bias_ih_l0");
        s.remove("rnn.bias_hh_l0");
        try (StateDict bad = StateDict.load(write("bias-l1-only", s))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "rnn.bias_ih_l1");
        }
    }

    /** A gap in the layer numbering (l0, l2 without l1) must not load as a 1-layer stack ignoring l2. */
    @Test
    void gapInLayerNumbering() throws IOException {
        Map<String, int[]> s = shapes(4, 3, false, I, H, 0, true);
        s.keySet().removeIf(n -> n.endsWith("_l1"));
        try (StateDict bad = StateDict.load(write("gap", s))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "_l1", "_l2");
        }
    }

    /** A reverse direction on layer 1 of a stack whose layer 0 is unidirectional must not be ignored. */
    @Test
    void reverseOnLaterLayerOnly() throws IOException {
        Map<String, int[]> s = shapes(4, 2, false, I, H, 0, true);
        s.put("rnn.weight_ih_l1_reverse", new int[] {4 * H, H});
        s.put("rnn.weight_hh_l1_reverse", new int[] {4 * H, H});
        try (StateDict bad = StateDict.load(write("rev-l1", s))) {
            assertMessage(IllegalArgumentException.class, () -> Lstm.load(bad, "rnn"), "rnn.weight_ih_l1_reverse");
        }
    }

    // ---- streaming ----

    @Test
    void streamingOnBidirectional() throws IOException {
        try (StateDict bsd = StateDict.load(write("bi", shapes(3, 1, true, I, H, 0, true)));
             Gru bi = Gru.load(bsd, "rnn")) {
            assertMessage(IllegalArgumentException.class, () -> bi.stream(B, null, null), "unidirectional",
                    "bidirectional");
        }
    }

    @Test
    void streamArguments() {
        assertMessage(IllegalArgumentException.class, () -> lstm.stream(0, null, null), "batch", ">= 1", "got 0");
        try (Tensor h0 = Tensor.zeros(L, B + 1, H); Tensor c0 = Tensor.zeros(L, B, H + 1)) {
            assertMessage(IllegalArgumentException.class, () -> lstm.stream(B, h0, null), "h0 must be [2, 2, 4]",
                    "got [2, 3, 4]");
            assertMessage(IllegalArgumentException.class, () -> lstm.stream(B, null, c0), "c0 must be [2, 2, 4]",
                    "got [2, 2, 5]");
        }
    }

    @Test
    void streamStepWithWrongX() {
        try (RecurrentStream s = lstm.stream(B, null, null);
             Tensor wrongSize = Tensor.zeros(B, I - 1);
             Tensor wrongBatch = Tensor.zeros(B + 1, I);
             Tensor wrongRank = Tensor.zeros(1, B, I);
             Tensor x = Tensor.zeros(B, I);
             Tensor badY = Tensor.zeros(B, H + 1)) {
            assertMessage(IllegalArgumentException.class, () -> s.step(wrongSize), "[2,5]", "got [2, 4]");
            assertMessage(IllegalArgumentException.class, () -> s.step(wrongBatch), "[2,5]", "batch 2",
                    "got [3, 5]");
            assertMessage(IllegalArgumentException.class, () -> s.step(wrongRank), "[2,5]", "got [1, 2, 5]");
            assertMessage(IllegalArgumentException.class, () -> s.step(x, badY), "y must be [2, 4]", "got [2, 5]");
            Tensor closed = Tensor.zeros(B, I);
            closed.close();
            assertMessage(IllegalStateException.class, () -> s.step(closed), "closed");
        }
    }

    @Test
    void streamAfterClose() {
        RecurrentStream s = lstm.stream(B, null, null);
        try (Tensor x = Tensor.zeros(B, I)) {
            s.step(x).close();
            s.close();
            assertDoesNotThrow(s::close, "second close of a stream");
            assertMessage(IllegalStateException.class, () -> s.step(x), "stream", "closed");
            assertMessage(IllegalStateException.class, s::hn, "stream", "closed");
            assertMessage(IllegalStateException.class, s::cn, "stream", "closed");
            // an open stream on a closed layer
            RecurrentStream open = lstm.stream(B, null, null);
            lstm.close();
            assertMessage(IllegalStateException.class, () -> open.step(x), "LSTM", "closed");
            open.close();
        }
    }

    // ---- nulls ----

    @Test
    void nullArguments() {
        assertMessage(IllegalArgumentException.class, () -> lstm.forward(null), "x", "null");
        assertMessage(IllegalArgumentException.class, () -> lstm.forward(null, null, null, null, null, null, null),
                "x", "null");
        assertMessage(IllegalArgumentException.class, () -> Lstm.load(null, "rnn"), "state dict", "null");
        assertMessage(IllegalArgumentException.class, () -> Gru.load(null, "rnn"), "state dict", "null");
        assertMessage(IllegalArgumentException.class, () -> Rnn.load(null, "rnn"), "state dict", "null");
        assertMessage(IllegalArgumentException.class, () -> Lstm.load(sd, null), "prefix", "null");
        assertMessage(IllegalArgumentException.class, () -> Lstm.load(sd, "rnn", (Lstm.Candidate) null), "candidate", "null");
        assertMessage(IllegalArgumentException.class, () -> Gru.load(sd, "rnn", (Gru.Reset) null), "reset", "null");
        assertMessage(IllegalArgumentException.class, () -> Lstm.load(sd, "rnn", (Precision) null), "precision", "null");
        assertMessage(IllegalArgumentException.class, () -> Gru.load(sd, "rnn", (Precision) null), "precision", "null");
        assertMessage(IllegalArgumentException.class, () -> Rnn.load(sd, "rnn", Activation.TANH, null), "precision", "null");
        assertMessage(IllegalArgumentException.class, () -> Rnn.load(sd, "rnn", null), "activation", "null");
        assertMessage(IllegalArgumentException.class, () -> Tensor.of(null, 2), "data", "null");
        assertMessage(IllegalArgumentException.class, () -> Tensor.of(new float[2], (int[]) null), "shape", "null");
        assertMessage(IllegalArgumentException.class, () -> StateDict.load(null), "file", "null");
        try (RecurrentStream s = lstm.stream(B, null, null); Tensor x = Tensor.zeros(B, I)) {
            assertMessage(IllegalArgumentException.class, () -> s.step(null), "x", "null");
            assertMessage(IllegalArgumentException.class, () -> s.step(x, null), "y", "null");
        }
    }

    // ---- Tensor.of ----

    @Test
    void tensorOfDataShapeMismatch() {
        assertMessage(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3), "[2, 3]", "6", "5");
        assertMessage(IllegalArgumentException.class, () -> Tensor.of(new float[7], 2, 3), "[2, 3]", "6", "7");
    }

    @Test
    void tensorOfNegativeDimension() {
        assertMessage(IllegalArgumentException.class, () -> Tensor.of(new float[0], 2, -1), "[2, -1]", "negative");
        assertMessage(IllegalArgumentException.class, () -> Tensor.zeros(-3), "[-3]", "negative");
    }

    // ---- helpers ----

    /** Asserts the type and that the message contains every fragment; returns the exception. */
    private static <X extends Throwable> X assertMessage(Class<X> type, Executable call, String... fragments) {
        X e = assertThrows(type, call);
        String m = e.getMessage();
        assertTrue(m != null, type.getSimpleName() + " without a message");
        for (String f : fragments) {
            assertTrue(m.contains(f), "message should contain \"" + f + "\": " + m);
        }
        return e;
    }

    /**
     * PyTorch names and shapes of a stack under prefix "rnn" (insertion order as torch's state_dict).
     *
     * @param gates 4 LSTM, 3 GRU, 1 RNN
     */
    static Map<String, int[]> shapes(int gates, int layers, boolean bi, int in, int hidden, int proj, boolean bias) {
        Map<String, int[]> s = new LinkedHashMap<>();
        int hout = proj > 0 ? proj : hidden, gh = gates * hidden, dirs = bi ? 2 : 1;
        for (int l = 0; l < layers; l++) {
            for (int d = 0; d < dirs; d++) {
                String sfx = "_l" + l + (d == 1 ? "_reverse" : "");
                s.put("rnn.weight_ih" + sfx, new int[] {gh, l == 0 ? in : dirs * hout});
                s.put("rnn.weight_hh" + sfx, new int[] {gh, hout});
                if (bias) {
                    s.put("rnn.bias_ih" + sfx, new int[] {gh});
                    s.put("rnn.bias_hh" + sfx, new int[] {gh});
                }
                if (proj > 0) s.put("rnn.weight_hr" + sfx, new int[] {proj, hidden});
            }
        }
        return s;
    }

    /** Writes random F32 tensors of these shapes. */
    private Path write(String name, Map<String, int[]> shapes) {
        Random r = new Random(name.hashCode());
        SafetensorsWriter w = new SafetensorsWriter();
        shapes.forEach((n, shape) -> {
            int count = 1;
            for (int d : shape) count *= d;
            float[] v = new float[count];
            for (int i = 0; i < count; i++) v[i] = (float) (r.nextDouble() - 0.5);
            w.f32(n, v, shape);
        });
        return w.write(dir.resolve(name + ".safetensors"));
    }
}
