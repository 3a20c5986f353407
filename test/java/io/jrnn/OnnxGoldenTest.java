package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ONNX-style options ({@link RecurrentOptions}, LSTM peepholes) against ONNX: every case in
 * {@code test/golden/onnx/} (written by {@code test/python/make_onnx_cell_golden.py}: ONNX's own LSTM, GRU and RNN
 * backend cases, and random cases from its float64 reference of the operator spec) on every ISA path this CPU runs,
 * within 1e-5: the output, hn, cn, ONNX's helper outputs where the case has them, and for forward unidirectional cases
 * without lengths the stream, step by step. BF16 and INT8 weights with the same options against {@link Reference64}.
 */
class OnnxGoldenTest {
    private static final String FOLDER = "golden/onnx";
    private static final double TOL = 1e-5;

    static List<Path> caseFiles() {
        return GoldenFiles.safetensors(FOLDER);
    }

    static Stream<Arguments> cases() {
        List<Arguments> args = new ArrayList<>();
        for (Path file : caseFiles()) {
            for (String isa : Isas.all()) args.add(Arguments.of(Named.of(file.getFileName().toString(), file), isa));
        }
        return args.stream();
    }

    @Test
    void folderHoldsEveryBackendCase() {
        List<String> names = caseFiles().stream().map(p -> p.getFileName().toString()).collect(Collectors.toList());
        for (String c : List.of("test_lstm_defaults", "test_lstm_with_initial_bias", "test_lstm_with_peepholes",
                "test_lstm_batchwise", "test_gru_defaults", "test_gru_with_initial_bias", "test_gru_seq_length",
                "test_gru_batchwise", "test_simple_rnn_defaults", "test_simple_rnn_with_initial_bias",
                "test_rnn_seq_length", "test_simple_rnn_batchwise")) {
            assertTrue(names.contains(c + ".safetensors"), "missing ONNX backend case " + c);
        }
        assertTrue(names.size() >= 45, "expected at least 45 cases in " + FOLDER + ", found " + names.size());
    }

    /** The options a case's metadata describes. */
    static RecurrentOptions options(Map<String, String> m) {
        RecurrentOptions.Builder b = RecurrentOptions.builder().reverse(m.get("direction").equals("reverse"))
                .inputForget(m.get("input_forget").equals("1"));
        float clip = Float.parseFloat(m.get("clip"));
        if (clip > 0) b.clip(clip);
        if (!m.get("activations").isEmpty()) {
            String[] names = m.get("activations").split(",");
            String[] alphas = m.get("alphas").split(","), betas = m.get("betas").split(",");
            RecurrentOptions.Fn[] fns = new RecurrentOptions.Fn[names.length];
            for (int i = 0; i < names.length; i++) {
                fns[i] = new RecurrentOptions.Fn(kind(names[i]), Float.parseFloat(alphas[i]), Float.parseFloat(betas[i]));
            }
            b.activations(fns);
        }
        return b.build();
    }

    /** ONNX's activation name as a Kind: "LeakyRelu" -> LEAKY_RELU. */
    static RecurrentOptions.Kind kind(String onnxName) {
        return RecurrentOptions.Kind.valueOf(onnxName.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase());
    }

    static NativeRecurrent load(StateDict sd, Precision precision) {
        Map<String, String> m = sd.metadata();
        RecurrentOptions o = options(m);
        switch (m.get("cell")) {
            case "lstm":
                return Lstm.load(sd, "rnn", o, precision);
            case "gru":
                return Gru.load(sd, "rnn", m.get("reset").equals("after") ? Gru.Reset.AFTER : Gru.Reset.BEFORE, o,
                        precision);
            default:
                return Rnn.load(sd, "rnn", o, precision);
        }
    }

    @ParameterizedTest(name = "{0} [{1}]")
    @MethodSource("cases")
    void matchesOnnx(Path file, String isa) throws IOException {
        Isas.with(isa, () -> {
            try (StateDict sd = StateDict.load(file); NativeRecurrent layer = load(sd, Precision.FP32)) {
                String where = file.getFileName() + " [" + isa + "]";
                assertEquals(options(sd.metadata()), layer.options(), where + ": options");
                assertEquals(sd.contains("rnn.weight_p_l0"), layer.hasPeepholes(), where + ": peepholes");
                try (Tensor x = sd.tensor("x"); Tensor h0 = opt(sd, "h0"); Tensor c0 = opt(sd, "c0");
                     RecurrentOutput out = layer.forward(x, sd.contains("lengths") ? sd.ints("lengths") : null, h0,
                             c0)) {
                    check(sd, "y", out.output(), where + ": output");
                    check(sd, "hn", out.hn(), where + ": hn");
                    if (sd.contains("cn")) check(sd, "cn", out.cn(), where + ": cn");
                    if (sd.contains("onnx_y")) check(sd, "onnx_y", out.output(), where + ": output vs ONNX's helper");
                    if (sd.contains("onnx_hn")) check(sd, "onnx_hn", out.hn(), where + ": hn vs ONNX's helper");
                    if (!layer.bidirectional() && !layer.options().reverse() && !sd.contains("lengths")) {
                        stream(sd, layer, x, h0, c0, where);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Every forward case streamed step by step gives the golden output rows and final states. */
    private static void stream(StateDict sd, NativeRecurrent layer, Tensor x, Tensor h0, Tensor c0, String where) {
        final int T = x.dim(0), B = x.dim(1), I = x.dim(2), H = layer.outputSize();
        float[] xs = x.toArray();
        float[] y = readFloats(sd, "y");
        try (RecurrentStream s = layer.stream(B, h0, c0)) {
            for (int t = 0; t < T; t++) {
                float[] row = new float[B * I];
                System.arraycopy(xs, t * B * I, row, 0, B * I);
                float[] want = new float[B * H];
                System.arraycopy(y, t * B * H, want, 0, B * H);
                try (Tensor in = Tensor.of(row, B, I); Tensor got = s.step(in)) {
                    Close.assertClose(where + ": stream step " + t, want, got.toArray(), new int[] {B, H}, TOL);
                }
            }
            try (Tensor hn = s.hn()) {
                check(sd, "hn", hn, where + ": stream hn");
            }
            if (sd.contains("cn")) {
                try (Tensor cn = s.cn()) {
                    check(sd, "cn", cn, where + ": stream cn");
                }
            }
        }
    }

    /** Reference64's float64 options (written from the spec in Java) agree with the Python golden values. */
    @Test
    void javaReferenceAgreesWithTheGolden() throws IOException {
        for (Path file : caseFiles()) {
            try (StateDict sd = StateDict.load(file)) {
                Reference64.Result r = reference(sd, Precision.FP32);
                String where = file.getFileName() + " [Reference64]";
                Close.assertClose(where + ": output", r.output(), readFloats(sd, "y"), sd.shape("y"), 1e-6);
                Close.assertClose(where + ": hn", r.hn(), readFloats(sd, "hn"), sd.shape("hn"), 1e-6);
                if (r.cn() != null) Close.assertClose(where + ": cn", r.cn(), readFloats(sd, "cn"), sd.shape("cn"), 1e-6);
            }
        }
    }

    /**
     * BF16 and INT8 weights with the options, on every ISA, against {@link Reference64}'s float64 implementation of
     * SPEC §1.5 with the same options: {@link PrecisionTest}'s criterion (every case within 1e-2, at least 90% of the
     * cases within 1e-4: a float32 value on a rounding boundary can move a quantized input by a step, which the
     * float64 reference does not share).
     */
    @Test
    void reducedPrecisionRunsTheOptions() throws IOException {
        for (Precision precision : List.of(Precision.BF16, Precision.INT8)) {
            for (String isa : Isas.all()) {
                int close = 0, total = 0;
                StringBuilder far = new StringBuilder();
                for (Path file : caseFiles()) {
                    double worst = Isas.withResult(isa, () -> lowpError(file, precision));
                    String where = file.getFileName() + " [" + precision + ", " + isa + "]";
                    assertTrue(worst <= 1e-2, where + ": max |error| " + worst + " > 1e-2");
                    total++;
                    if (worst <= 1e-4) close++;
                    else far.append(String.format(" %s: %.2g", file.getFileName(), worst));
                }
                assertTrue(close >= 0.9 * total, precision + " [" + isa + "]: only " + close + " of " + total
                        + " cases within 1e-4; the others:" + far);
            }
        }
    }

    private static double lowpError(Path file, Precision precision) {
        try (StateDict sd = StateDict.load(file); NativeRecurrent layer = load(sd, precision)) {
            assertEquals(precision, layer.precision());
            Reference64.Result r = reference(sd, precision);
            try (Tensor x = sd.tensor("x"); Tensor h0 = opt(sd, "h0"); Tensor c0 = opt(sd, "c0");
                 RecurrentOutput out = layer.forward(x, sd.contains("lengths") ? sd.ints("lengths") : null, h0, c0)) {
                double worst = maxError(r.output(), out.output().toArray());
                worst = Math.max(worst, maxError(r.hn(), out.hn().toArray()));
                if (r.cn() != null) worst = Math.max(worst, maxError(r.cn(), out.cn().toArray()));
                return worst;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double maxError(double[] want, float[] got) {
        assertEquals(want.length, got.length);
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            double e = Math.abs(want[i] - got[i]);
            worst = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(worst, e);
        }
        return worst;
    }

    /** Reference64 on a case, its weights without the "rnn." prefix. */
    static Reference64.Result reference(StateDict sd, Precision precision) {
        Map<String, String> m = sd.metadata();
        Map<String, float[]> w = new java.util.HashMap<>();
        for (String n : sd.names()) {
            if (n.startsWith("rnn.")) w.put(n.substring(4), readFloats(sd, n));
        }
        Reference64.Cell cell = switch (m.get("cell")) {
            case "lstm" -> Reference64.Cell.LSTM;
            case "gru" -> m.get("reset").equals("after") ? Reference64.Cell.GRU : Reference64.Cell.GRU_RESET_BEFORE;
            default -> Reference64.Cell.RNN_TANH;
        };
        int[] xs = sd.shape("x"), hs = sd.shape("hn");
        boolean bi = m.get("direction").equals("bidirectional");
        Reference64.Config c = new Reference64.Config(cell, 1, bi, xs[2], hs[2], 0, w.containsKey("bias_ih_l0"));
        return Reference64.forward(c, w, readFloats(sd, "x"), xs[0], xs[1],
                sd.contains("lengths") ? sd.ints("lengths") : null, sd.contains("h0") ? readFloats(sd, "h0") : null,
                sd.contains("c0") ? readFloats(sd, "c0") : null, precision, options(m));
    }

    private static Tensor opt(StateDict sd, String name) {
        return sd.contains(name) ? sd.tensor(name) : null;
    }

    private static float[] readFloats(StateDict sd, String name) {
        try (Tensor t = sd.tensor(name)) {
            return t.toArray();
        }
    }

    private static void check(StateDict sd, String name, Tensor actual, String what) {
        Close.assertClose(what, readFloats(sd, name), actual.toArray(), sd.shape(name), TOL);
    }
}
