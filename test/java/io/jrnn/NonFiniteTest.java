package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * NaN and infinity in weights and inputs propagate as IEEE 754 says and never crash or throw (SPEC §2): a NaN stays
 * in the sequence (and the positions) it was fed to, positions past a sequence's length are never read, and a
 * seq2seq model with NaN or infinite weights still decodes.
 */
class NonFiniteTest {
    static final int T = 5, B = 3, I = 4, H = 6;

    @TempDir
    Path dir;

    /** Loads the stack under "rnn" of the given kind. */
    private RecurrentLayer layer(StateDict sd, String kind) {
        return switch (kind) {
            case "lstm" -> Lstm.load(sd, "rnn");
            case "gru" -> Gru.load(sd, "rnn");
            case "rnn_relu" -> Rnn.load(sd, "rnn", Activation.RELU);
            default -> Rnn.load(sd, "rnn", Activation.TANH);
        };
    }

    private static int gates(String kind) {
        return kind.equals("lstm") ? 4 : kind.equals("gru") ? 3 : 1;
    }

    private static float[] input(long seed) {
        Random r = new Random(seed);
        float[] x = new float[T * B * I];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
        return x;
    }

    /** x[t, b, :] = v. */
    private static void fill(float[] x, int t, int b, float v) {
        for (int i = 0; i < I; i++) x[(t * B + b) * I + i] = v;
    }

    /** The output rows of sequence b, flattened over t. */
    private static float[] sequence(float[] y, int b, int width) {
        float[] out = new float[T * width];
        for (int t = 0; t < T; t++) System.arraycopy(y, (t * B + b) * width, out, t * width, width);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"lstm", "gru", "rnn_tanh", "rnn_relu"})
    void nanInputStaysInItsSequence(String kind) throws IOException {
        for (boolean bi : new boolean[] {false, true}) {
            Path f = TestModels.recurrent(dir.resolve(kind + bi + ".safetensors"), gates(kind), 2, bi, I, H, 7);
            try (StateDict sd = StateDict.load(f); RecurrentLayer l = layer(sd, kind)) {
                float[] clean = input(1), dirty = clean.clone();
                fill(dirty, 2, 0, Float.NaN);
                dirty[(3 * B) * I] = Float.POSITIVE_INFINITY; // and an infinity in the same sequence
                try (Tensor xc = Tensor.of(clean, T, B, I); Tensor xd = Tensor.of(dirty, T, B, I);
                     RecurrentOutput c = l.forward(xc); RecurrentOutput d = l.forward(xd)) {
                    int w = (bi ? 2 : 1) * H;
                    float[] yc = c.output().toArray(), yd = d.output().toArray();
                    for (int b = 1; b < B; b++) {
                        assertArrayEquals(sequence(yc, b, w), sequence(yd, b, w), kind + " bi=" + bi
                                + ": a NaN in sequence 0 changed sequence " + b);
                    }
                    float[] y0 = sequence(yd, 0, w), c0 = sequence(yc, 0, w);
                    assertTrue(Float.isNaN(y0[2 * w]), kind + ": the step fed a NaN outputs NaN");
                    // unidirectional: the steps before the NaN are untouched (bidirectional: layer 2 reads the
                    // reverse direction of layer 1, which has seen the NaN at every step)
                    for (int t = 0; t < (bi ? 0 : 2); t++) {
                        for (int k = 0; k < H; k++) {
                            assertEquals(c0[t * w + k], y0[t * w + k], kind + " bi=" + bi + ": step " + t);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lstm", "gru", "rnn_tanh", "rnn_relu"})
    void positionsPastTheLengthAreNeverRead(String kind) throws IOException {
        for (boolean bi : new boolean[] {false, true}) {
            Path f = TestModels.recurrent(dir.resolve(kind + bi + ".safetensors"), gates(kind), 2, bi, I, H, 8);
            try (StateDict sd = StateDict.load(f); RecurrentLayer l = layer(sd, kind)) {
                int[] lengths = {2, T, 0};
                float[] zeros = input(2), nans = zeros.clone();
                for (int b = 0; b < B; b++) {
                    for (int t = lengths[b]; t < T; t++) {
                        fill(zeros, t, b, 0f);
                        fill(nans, t, b, Float.NaN);
                    }
                }
                try (Tensor xz = Tensor.of(zeros, T, B, I); Tensor xn = Tensor.of(nans, T, B, I);
                     RecurrentOutput a = l.forward(xz, lengths, null, null);
                     RecurrentOutput b = l.forward(xn, lengths, null, null)) {
                    assertArrayEquals(a.output().toArray(), b.output().toArray(), kind + " bi=" + bi + ": output");
                    assertArrayEquals(a.hn().toArray(), b.hn().toArray(), kind + " bi=" + bi + ": hn");
                    if (a.cn() != null) assertArrayEquals(a.cn().toArray(), b.cn().toArray(), kind + ": cn");
                    for (float v : b.output().toArray()) assertFalse(Float.isNaN(v), kind + ": NaN read past a length");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lstm", "gru", "rnn_tanh"})
    void nonFiniteWeights(String kind) throws IOException {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            int G = gates(kind);
            Random r = new Random(3);
            SafetensorsWriter w = new SafetensorsWriter();
            RecurrentValidationTest.shapes(G, 1, false, I, H, 0, true).forEach((n, shape) -> {
                float[] v = new float[shape.length == 2 ? shape[0] * shape[1] : shape[0]];
                for (int i = 0; i < v.length; i++) v[i] = r.nextFloat() - 0.5f;
                if (n.equals("rnn.weight_hh_l0")) v[0] = bad;
                w.f32(n, v, shape);
            });
            try (StateDict sd = StateDict.load(w.write(dir.resolve(kind + bad + ".safetensors")));
                 RecurrentLayer l = layer(sd, kind); Tensor x = Tensor.of(input(4), T, B, I);
                 RecurrentOutput out = l.forward(x); RecurrentStream s = l.stream(B, null, null);
                 Tensor x0 = Tensor.of(new float[B * I], B, I); Tensor y = s.step(x0)) {
                assertEquals(T * B * H, out.output().toArray().length, kind + " with a weight of " + bad);
                assertEquals(B * H, y.toArray().length);
            }
        }
    }

    // ---- seq2seq ----

    /** A model of random weights (the same for every name), where {@code override} returns non-null. */
    private Seq2Seq model(String name, String config, BiFunction<String, Integer, Float> override) throws IOException {
        Random r = new Random(5);
        return Seq2Seq.load(TestModels.seq2seq(dir.resolve(name + ".safetensors"), config, (tensor, i) -> {
            float normal = (r.nextFloat() * 2 - 1) * 0.5f;
            Float v = override.apply(tensor, i);
            return v == null ? normal : v;
        }));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bahdanau", "luong_general", "luong_dot", "luong_concat", "none"})
    void nanWeightsStillDecode(String attention) throws IOException {
        String cfg = TestModels.config("lstm", "gru", attention, 7, 6, 2);
        try (Seq2Seq m = model("nan-" + attention, cfg,
                (t, i) -> t.startsWith("decoder.rnn.weight_hh") ? Float.NaN : null)) {
            Translation g = m.greedy(new int[] {3, 4, 5}, 6);
            assertTrue(Float.isNaN(g.logProb()), "NaN weights give a NaN log-probability");
            // every score NaN: the lowest id that is not banned wins, here the end token (2)
            assertArrayEquals(new int[0], g.tokens());
            List<Translation> beam = m.beamSearch(new int[] {3, 4, 5}, 3, 6, 0.6f);
            // NaN ranks below every number, so the beam still fills, lower (row, token) first: [EOS] finishes first
            assertEquals(3, beam.size(), "beam search keeps K hypotheses even when every score is NaN");
            assertArrayEquals(new int[0], beam.get(0).tokens(), "the best agrees with greedy");
            assertEquals(2, m.beamSearch(List.of(new int[] {3}, new int[] {4}), 2, 4, 0f).size());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bahdanau", "luong_general", "none"})
    void everyLogitMinusInfinity(String attention) throws IOException {
        // out.weight 0 and out.bias -inf: every logit is -inf, log-softmax is -inf - -inf = NaN for every token
        String cfg = TestModels.CHAR_CONFIG.replace("\"bahdanau\"", "\"" + attention + "\"");
        try (Seq2Seq m = model("inf-" + attention, cfg, (t, i) -> t.equals("decoder.out.bias")
                ? Float.valueOf(Float.NEGATIVE_INFINITY) : t.equals("decoder.out.weight") ? Float.valueOf(0f) : null)) {
            Translation g = m.greedy(new int[] {3, 4}, 4);
            assertTrue(Float.isNaN(g.logProb()));
            assertArrayEquals(new int[0], g.tokens(), "all NaN: the lowest id that is not banned, the end token");
            assertEquals("", m.translate("ab"));
            assertEquals("", m.translate("ab", 3), "all NaN: the end token ranks first, as in greedy");
        }
    }

    @org.junit.jupiter.api.Test
    void attentionScoresAllMinusInfinity() throws IOException {
        // positive encoder weights and keys make tanh(W_q q + W_k h_j) > 0 everywhere; v = -inf then makes every
        // score -inf: the attention softmax is -inf - -inf = NaN, and decoding goes on with NaN
        String cfg = TestModels.config("rnn_relu", "gru", "bahdanau", 7, 6, 1);
        try (Seq2Seq m = model("att", cfg, (t, i) -> t.startsWith("encoder.") || t.equals("decoder.attention.key.weight")
                ? Float.valueOf(0.5f) : t.equals("decoder.attention.query.weight") ? Float.valueOf(0f)
                : t.equals("decoder.attention.v.weight") ? Float.valueOf(Float.NEGATIVE_INFINITY) : null)) {
            Translation g = m.greedy(new int[] {3, 4}, 3);
            assertArrayEquals(new int[0], g.tokens(), "all NaN: the lowest id that is not banned, the end token");
            assertEquals(1, g.attention().length, "the end token's step");
            for (float[] row : g.attention()) for (float a : row) assertTrue(Float.isNaN(a), "attention " + a);
            List<Translation> beam = m.beamSearch(new int[] {3}, 3, 3, 0f);
            assertEquals(3, beam.size());
            assertArrayEquals(new int[0], beam.get(0).tokens());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bahdanau", "luong_general", "none"})
    void nanEmbeddingOfOneSourceToken(String attention) throws IOException {
        // source token 6's embedding row is NaN: sentences without it decode exactly as with a clean row
        String cfg = TestModels.config("gru", "lstm", attention, 7, 6, 2);
        try (Seq2Seq clean = model("clean-" + attention, cfg, (t, i) -> null);
             Seq2Seq dirty = model("dirty-" + attention, cfg,
                     (t, i) -> t.equals("encoder.embedding.weight") && i >= 6 * 6 ? Float.NaN : null)) {
            Translation a = clean.greedy(new int[] {3, 4, 5}, 6), b = dirty.greedy(new int[] {3, 4, 5}, 6);
            assertArrayEquals(a.tokens(), b.tokens());
            assertEquals(a.logProb(), b.logProb());
            assertTrue(Float.isNaN(dirty.greedy(new int[] {3, 6}, 6).logProb()));
        }
    }
}
