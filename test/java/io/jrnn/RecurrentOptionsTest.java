package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import io.jrnn.RecurrentOptions.Fn;
import io.jrnn.RecurrentOptions.Kind;

/**
 * {@link RecurrentOptions}: the builder's and the loaders' validation (each message says what was expected and what
 * was found), the getters, and stacks the single-layer golden cases of {@link OnnxGoldenTest} do not cover (several
 * layers, batches that take the threaded and step-ahead paths) against {@link Reference64} on every ISA.
 */
class RecurrentOptionsTest {
    private static final double TOL = 1e-5;

    // ---- the builder ----

    @Test
    void defaults() {
        RecurrentOptions d = RecurrentOptions.defaults();
        assertEquals(false, d.reverse());
        assertEquals(0f, d.clip());
        assertEquals(false, d.inputForget());
        assertTrue(d.activations().isEmpty());
        assertSame(d, RecurrentOptions.builder().build());
        RecurrentOptions o = RecurrentOptions.builder().reverse(true).clip(2.5f).inputForget(true)
                .activations(Fn.hardSigmoid(), Fn.elu(), Fn.scaledTanh(1.5f, 0.5f)).build();
        assertEquals(true, o.reverse());
        assertEquals(2.5f, o.clip());
        assertEquals(true, o.inputForget());
        assertEquals(List.of(new Fn(Kind.HARD_SIGMOID, 0.2f, 0.5f), new Fn(Kind.ELU, 1f, 0f),
                new Fn(Kind.SCALED_TANH, 1.5f, 0.5f)), o.activations());
        assertThrows(UnsupportedOperationException.class, () -> o.activations().add(Fn.tanh()));
        assertEquals(o, RecurrentOptions.builder().reverse(true).clip(2.5f).inputForget(true)
                .activations(Fn.hardSigmoid(), Fn.elu(), Fn.scaledTanh(1.5f, 0.5f)).build());
    }

    /** The native side reads a Kind by its ordinal (jrnn.h JRNN_FN_*). */
    @Test
    void kindOrderIsTheAbis() {
        assertEquals(List.of(Kind.SIGMOID, Kind.TANH, Kind.RELU, Kind.HARD_SIGMOID, Kind.ELU, Kind.SOFTSIGN,
                Kind.SOFTPLUS, Kind.AFFINE, Kind.LEAKY_RELU, Kind.THRESHOLDED_RELU, Kind.SCALED_TANH),
                List.of(Kind.values()));
    }

    @Test
    void factoriesTakeOnnxDefaults() {
        assertEquals(new Fn(Kind.LEAKY_RELU, 0.01f, 0f), Fn.leakyRelu());
        assertEquals(new Fn(Kind.THRESHOLDED_RELU, 1f, 0f), Fn.thresholdedRelu());
        assertEquals(new Fn(Kind.AFFINE, 1f, 0f), Fn.affine());
        assertEquals(new Fn(Kind.HARD_SIGMOID, 0.2f, 0.5f), Fn.hardSigmoid());
        assertEquals(new Fn(Kind.ELU, 1f, 0f), Fn.elu());
    }

    @Test
    void builderRejectsBadValues() {
        for (float bad : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertMessage(() -> RecurrentOptions.builder().clip(bad), "clip must be a finite threshold > 0",
                    "got " + bad);
        }
        assertMessage(() -> RecurrentOptions.builder().activations((Fn[]) null), "activations must not be null");
        assertMessage(() -> RecurrentOptions.builder().activations(Fn.tanh(), null), "activations[1] is null");
        assertMessage(() -> new Fn(Kind.ELU, Float.NaN, 0f), "finite alpha and beta", "got alpha NaN");
        assertMessage(() -> new Fn(null, 0f, 0f), "kind must not be null");
    }

    // ---- the loaders ----

    @Test
    void activationCountMustFitTheCellAndDirections() {
        try (StateDict sd = dict(4, 1, false, 3, 5, false, 0)) {
            assertMessage(() -> Lstm.load(sd, "rnn", acts(2), Precision.FP32), "takes 3 per direction (f, g, h)",
                    "so 3 for this unidirectional one", "got 2");
        }
        try (StateDict sd = dict(4, 1, true, 3, 5, false, 0)) {
            assertMessage(() -> Lstm.load(sd, "rnn", acts(3), Precision.FP32), "so 6 for this bidirectional one",
                    "got 3");
        }
        try (StateDict sd = dict(3, 1, false, 3, 5, false, 0)) {
            assertMessage(() -> Gru.load(sd, "rnn", Gru.Reset.BEFORE, acts(3), Precision.FP32),
                    "takes 2 per direction (f, g)", "got 3");
        }
        try (StateDict sd = dict(1, 1, true, 3, 5, false, 0)) {
            assertMessage(() -> Rnn.load(sd, "rnn", acts(1), Precision.FP32), "takes 1 per direction (f)",
                    "so 2 for this bidirectional one", "got 1");
        }
    }

    @Test
    void inputForgetIsLstmOnly() {
        try (StateDict sd = dict(3, 1, false, 3, 5, false, 0)) {
            assertMessage(() -> Gru.load(sd, "rnn", Gru.Reset.AFTER,
                    RecurrentOptions.builder().inputForget(true).build(), Precision.FP32), "inputForget", "a GRU");
        }
    }

    @Test
    void reverseNeedsUnidirectionalWeights() {
        try (StateDict sd = dict(4, 1, true, 3, 5, false, 0)) {
            assertMessage(() -> Lstm.load(sd, "rnn", RecurrentOptions.builder().reverse(true).build(), Precision.FP32),
                    "reverse makes a unidirectional LSTM run backwards", "rnn.weight_ih_l0_reverse");
        }
    }

    @Test
    void reverseLayerCannotStream() {
        try (StateDict sd = dict(4, 1, false, 3, 5, false, 0);
             Lstm l = Lstm.load(sd, "rnn", RecurrentOptions.builder().reverse(true).build(), Precision.FP32)) {
            assertMessage(() -> l.stream(1, null, null), "streaming needs a forward LSTM", "reverse");
        }
    }

    @Test
    void peepholesOfWrongShape() {
        try (StateDict sd = dict(4, 1, false, 3, 5, true, 2 * 5)) {
            assertMessage(() -> Lstm.load(sd, "rnn"), "rnn.weight_p_l0 must be [15]", "got [10]");
        }
    }

    @Test
    void peepholesOnEveryLayerOrNone() {
        Random rng = new Random(3);
        Map<String, Tensor> t = weights(4, 2, false, 3, 5, false, 0, rng);
        t.put("rnn.weight_p_l0", Tensor.of(rand(15, rng), 15));
        try (StateDict sd = of(t)) {
            assertMessage(() -> Lstm.load(sd, "rnn"), "missing tensor rnn.weight_p_l1");
        }
    }

    @Test
    void peepholesWithProjectionAreRejected() {
        Random rng = new Random(4);
        Map<String, Tensor> t = weights(4, 1, false, 3, 5, true, 15, rng);
        t.put("rnn.weight_hr_l0", Tensor.of(rand(2 * 5, rng), 2, 5));
        try (StateDict sd = of(t)) {
            assertMessage(() -> Lstm.load(sd, "rnn"), "rnn.weight_p_l0 (peepholes) with rnn.weight_hr_l0",
                    "not supported");
        }
    }

    @Test
    void peepholesOnlyForLstm() {
        Random rng = new Random(5);
        Map<String, Tensor> t = weights(3, 1, false, 3, 5, false, 0, rng);
        t.put("rnn.weight_p_l0", Tensor.of(rand(15, rng), 15));
        try (StateDict sd = of(t)) {
            assertMessage(() -> Gru.load(sd, "rnn"), "[rnn.weight_p_l0] do not fit a GRU");
        }
    }

    @Test
    void gettersReportWhatWasLoaded() {
        try (StateDict sd = dict(1, 1, false, 3, 5, false, 0)) {
            try (Rnn r = Rnn.load(sd, "rnn")) {
                assertSame(RecurrentOptions.defaults(), r.options());
            }
            RecurrentOptions relu = RecurrentOptions.builder().activations(Fn.relu()).build();
            try (Rnn r = Rnn.load(sd, "rnn", relu, Precision.FP32)) {
                assertEquals(Activation.RELU, r.activation());
                assertEquals(relu, r.options());
            }
        }
        try (StateDict sd = dict(4, 1, false, 3, 5, true, 15); Lstm l = Lstm.load(sd, "rnn")) {
            assertTrue(l.hasPeepholes());
            assertTrue(l.toString().contains("peepholes"), l.toString());
        }
    }

    // ---- stacks against Reference64 ----

    /** Two layers (the options apply to each), batches 3 and 20 (step-ahead inputs, threads), lengths, states. */
    @Test
    void stacksMatchTheReference() {
        Random rng = new Random(20261202);
        RecurrentOptions lstmOpts = RecurrentOptions.builder().clip(1.2f).inputForget(true)
                .activations(Fn.hardSigmoid(), Fn.softsign(), Fn.elu(0.7f), Fn.sigmoid(), Fn.scaledTanh(1.1f, 0.8f),
                        Fn.softplus()).build();
        RecurrentOptions gruOpts = RecurrentOptions.builder().reverse(true).clip(0.9f)
                .activations(Fn.hardSigmoid(0.3f, 0.45f), Fn.softsign()).build();
        RecurrentOptions rnnOpts = RecurrentOptions.builder().reverse(true)
                .activations(Fn.scaledTanh(0.9f, 0.7f)).build();
        for (int B : new int[] {3, 20}) {
            check(Reference64.Cell.LSTM, 4, true, true, lstmOpts, B, 33, rng);
            check(Reference64.Cell.LSTM, 4, false, true, RecurrentOptions.builder().reverse(true).build(), B, 17, rng);
            check(Reference64.Cell.GRU_RESET_BEFORE, 3, false, false, gruOpts, B, 17, rng);
            check(Reference64.Cell.GRU, 3, false, false, gruOpts, B, 33, rng);
            check(Reference64.Cell.RNN_TANH, 1, false, false, rnnOpts, B, 17, rng);
        }
    }

    private void check(Reference64.Cell cell, int G, boolean bi, boolean peep, RecurrentOptions o, int B, int H,
                       Random rng) {
        final int L = 2, I = 7, T = 5, D = bi ? 2 : 1;
        Map<String, Tensor> t = weights(G, L, bi, I, H, peep, 3 * H, rng);
        Map<String, float[]> w = new HashMap<>();
        for (Map.Entry<String, Tensor> e : t.entrySet()) w.put(e.getKey().substring(4), e.getValue().toArray());
        float[] x = rand(T * B * I, rng), h0 = rand(L * D * B * H, rng), c0 = rand(L * D * B * H, rng);
        int[] lengths = new int[B];
        for (int b = 0; b < B; b++) lengths[b] = 1 + rng.nextInt(T);
        boolean lstm = G == 4;
        Reference64.Result want = Reference64.forward(new Reference64.Config(cell, L, bi, I, H, 0, true), w, x, T, B,
                lengths, h0, lstm ? c0 : null, Precision.FP32, o);
        try (StateDict sd = of(t)) {
            for (String isa : Isas.all()) {
                Isas.with(isa, () -> {
                    String where = cell + (bi ? " bi" : "") + (peep ? " peepholes" : "") + " B=" + B + " H=" + H + " "
                            + o + " [" + isa + "]";
                    try (NativeRecurrent layer = switch (cell) {
                        case LSTM -> Lstm.load(sd, "rnn", o, Precision.FP32);
                        case GRU -> Gru.load(sd, "rnn", Gru.Reset.AFTER, o, Precision.FP32);
                        case GRU_RESET_BEFORE -> Gru.load(sd, "rnn", Gru.Reset.BEFORE, o, Precision.FP32);
                        default -> Rnn.load(sd, "rnn", o, Precision.FP32);
                    };
                         Tensor xt = Tensor.of(x, T, B, I); Tensor h0t = Tensor.of(h0, L * D, B, H);
                         Tensor c0t = lstm ? Tensor.of(c0, L * D, B, H) : null;
                         RecurrentOutput out = layer.forward(xt, lengths, h0t, c0t)) {
                        Close.assertClose(where + ": output", want.output(), out.output().toArray(),
                                out.output().shape(), TOL);
                        Close.assertClose(where + ": hn", want.hn(), out.hn().toArray(), out.hn().shape(), TOL);
                        if (lstm) Close.assertClose(where + ": cn", want.cn(), out.cn().toArray(), out.cn().shape(), TOL);
                    }
                });
            }
        }
    }

    // ---- helpers ----

    private static RecurrentOptions acts(int n) {
        Fn[] f = new Fn[n];
        java.util.Arrays.fill(f, Fn.tanh());
        return RecurrentOptions.builder().activations(f).build();
    }

    private static float[] rand(int n, Random rng) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextGaussian() * 0.4);
        return v;
    }

    /** PyTorch-named weights (with biases) under "rnn.", and peepholes of peepLen values when peep. */
    private static Map<String, Tensor> weights(int G, int L, boolean bi, int I, int H, boolean peep, int peepLen,
                                               Random rng) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (int l = 0; l < L; l++) {
            for (int d = 0; d < (bi ? 2 : 1); d++) {
                String sfx = "_l" + l + (d == 1 ? "_reverse" : "");
                int in = l == 0 ? I : (bi ? 2 : 1) * H;
                t.put("rnn.weight_ih" + sfx, Tensor.of(rand(G * H * in, rng), G * H, in));
                t.put("rnn.weight_hh" + sfx, Tensor.of(rand(G * H * H, rng), G * H, H));
                t.put("rnn.bias_ih" + sfx, Tensor.of(rand(G * H, rng), G * H));
                t.put("rnn.bias_hh" + sfx, Tensor.of(rand(G * H, rng), G * H));
                if (peep) t.put("rnn.weight_p" + sfx, Tensor.of(rand(peepLen, rng), peepLen));
            }
        }
        return t;
    }

    private static StateDict dict(int G, int L, boolean bi, int I, int H, boolean peep, int peepLen) {
        return of(weights(G, L, bi, I, H, peep, peepLen, new Random(1)));
    }

    /** A state dict of the tensors (copied), closing them. */
    private static StateDict of(Map<String, Tensor> t) {
        try {
            return StateDict.of(t);
        } finally {
            t.values().forEach(Tensor::close);
        }
    }

    private static void assertMessage(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message \"" + e.getMessage() + "\" should contain \"" + p + "\"");
        }
    }
}
