package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The recurrent layers against PyTorch: every case in {@code test/golden/rnn/} (written by
 * {@code test/python/make_rnn_golden.py}, see its README) on every ISA path this CPU runs, through the public API:
 * {@code forward} with and without lengths and initial states, and the streaming API for unidirectional cases.
 */
class GoldenTest {
    private static final String FOLDER = "golden/rnn";
    private static final double TOL = 1e-5;

    static List<Path> caseFiles() {
        return GoldenFiles.safetensors(FOLDER);
    }

    static List<String> isas() {
        return Isas.all();
    }

    static Stream<Arguments> cases() {
        List<Arguments> args = new ArrayList<>();
        for (Path file : caseFiles()) {
            for (String isa : isas()) {
                args.add(Arguments.of(Named.of(file.getFileName().toString(), file), isa));
            }
        }
        return args.stream();
    }

    @Test
    void folderHoldsTheCases() {
        int n = caseFiles().size();
        assertTrue(n >= 50, "expected at least 50 golden cases in " + FOLDER + ", found " + n);
    }

    @ParameterizedTest(name = "{0} [{1}]")
    @MethodSource("cases")
    void matchesPyTorch(Path file, String isa) throws IOException {
        String original = Jrnn.isa();
        Jrnn.setIsa(isa);
        try (StateDict sd = StateDict.load(file)) {
            run(new Case(sd), isa);
        } finally {
            Jrnn.setIsa(original);
        }
    }

    private static void run(Case c, String isa) {
        try (RecurrentLayer layer = c.load();
             Tensor x = c.sd.tensor("x");
             Tensor h0 = c.hasH0 ? c.sd.tensor("h0") : null;
             Tensor c0 = c.hasH0 && c.isLstm ? c.sd.tensor("c0") : null) {
            assertEquals(c.bidirectional, layer.bidirectional(), "bidirectional");
            assertEquals(c.numLayers, layer.numLayers(), "num_layers");
            assertEquals(c.projSize > 0 ? c.projSize : c.hiddenSize, layer.outputSize(), "output size");
            String where = c.description + " [" + isa + "]";

            // as PyTorch ran it
            try (RecurrentOutput out = layer.forward(x, c.hasLengths ? c.lengths : null, h0, c0)) {
                c.check(out, where);
            }
            // lengths all T given explicitly, or omitted when they are all T: the same result
            int[] allT = new int[c.batch];
            Arrays.fill(allT, c.seqLen);
            if (!c.hasLengths) {
                try (RecurrentOutput out = layer.forward(x, allT, h0, c0)) {
                    c.check(out, where + ", lengths all T given explicitly");
                }
            } else if (Arrays.equals(c.lengths, allT)) {
                try (RecurrentOutput out = layer.forward(x, null, h0, c0)) {
                    c.check(out, where + ", lengths (all T) omitted");
                }
            }
            // no initial state = zeros given explicitly
            if (!c.hasH0) {
                int ld = c.numLayers * (c.bidirectional ? 2 : 1);
                try (Tensor zh = Tensor.zeros(ld, c.batch, layer.outputSize());
                     Tensor zc = c.isLstm ? Tensor.zeros(ld, c.batch, c.hiddenSize) : null;
                     RecurrentOutput out = layer.forward(x, c.hasLengths ? c.lengths : null, zh, zc)) {
                    c.check(out, where + ", zero h0/c0 given explicitly");
                }
            }
            // batch-first input (batch_first=True in PyTorch): the same numbers with the two leading axes swapped
            int F = (c.bidirectional ? 2 : 1) * layer.outputSize();
            try (Tensor xb = Tensor.of(swap01(x.toArray(), c.seqLen, c.batch, c.inputSize), c.batch, c.seqLen, c.inputSize);
                 RecurrentOutput out = layer.forwardBatchFirst(xb, c.hasLengths ? c.lengths : null, h0, c0)) {
                assertArrayEquals(new int[] {c.batch, c.seqLen, F}, out.output().shape(), where + ", batch-first: shape");
                Close.assertClose(where + ", batch-first: output", swap01(c.output, c.seqLen, c.batch, F),
                        out.output().toArray(), out.output().shape(), TOL);
                Close.assertClose(where + ", batch-first: hn", c.hn, out.hn().toArray(), c.hnShape, TOL);
                if (c.isLstm) Close.assertClose(where + ", batch-first: cn", c.cn, out.cn().toArray(), c.cnShape, TOL);
            }
            // streaming, one step at a time, equals the full forward
            if (!c.bidirectional && !c.hasLengths) {
                stream(c, layer, x, h0, c0, where + ", streaming");
            }
        }
    }

    private static void stream(Case c, RecurrentLayer layer, Tensor x, Tensor h0, Tensor c0, String where) {
        final int T = c.seqLen, B = c.batch, I = c.inputSize, hout = layer.outputSize();
        float[] xs = x.toArray();
        float[] expected = c.output;
        try (RecurrentStream s = layer.stream(B, h0, c0)) {
            for (int t = 0; t < T; t++) {
                float[] xt = Arrays.copyOfRange(xs, t * B * I, (t + 1) * B * I);
                try (Tensor in = Tensor.of(xt, B, I); Tensor y = s.step(in)) {
                    assertArrayEquals(new int[] {B, hout}, y.shape(), where + ": step output shape");
                    float[] want = Arrays.copyOfRange(expected, t * B * hout, (t + 1) * B * hout);
                    Close.assertClose(where + ": step " + t + " output", want, y.toArray(), new int[] {B, hout}, TOL);
                }
            }
            try (Tensor hn = s.hn()) {
                assertArrayEquals(c.hnShape, hn.shape(), where + ": hn shape");
                Close.assertClose(where + ": hn", c.hn, hn.toArray(), c.hnShape, TOL);
            }
            if (h0 == null) { // reset() returns to the zero state: the first step again gives step 0's output
                s.reset();
                try (Tensor in = Tensor.of(Arrays.copyOfRange(xs, 0, B * I), B, I); Tensor y = s.step(in)) {
                    Close.assertClose(where + ": step 0 after reset", Arrays.copyOfRange(expected, 0, B * hout),
                            y.toArray(), new int[] {B, hout}, TOL);
                }
                for (int t = 1; t < T; t++) {
                    try (Tensor in = Tensor.of(Arrays.copyOfRange(xs, t * B * I, (t + 1) * B * I), B, I)) {
                        s.step(in).close();
                    }
                }
            }
            try (Tensor hn = s.hn()) {
                Close.assertClose(where + ": hn", c.hn, hn.toArray(), c.hnShape, TOL);
            }
            try (Tensor cn = s.cn()) {
                if (c.isLstm) {
                    assertNotNull(cn, where + ": cn of an LSTM stream");
                    assertArrayEquals(c.cnShape, cn.shape(), where + ": cn shape");
                    Close.assertClose(where + ": cn", c.cn, cn.toArray(), c.cnShape, TOL);
                } else {
                    assertNull(cn, where + ": cn of a " + c.cell + " stream");
                }
            }
        }
    }

    /** y[b,a,:] = x[a,b,:] for x[A,B,F]. */
    static float[] swap01(float[] x, int A, int B, int F) {
        float[] y = new float[x.length];
        for (int a = 0; a < A; a++) {
            for (int b = 0; b < B; b++) System.arraycopy(x, (a * B + b) * F, y, (b * A + a) * F, F);
        }
        return y;
    }

    /** One golden file: its metadata and expected tensors. */
    static final class Case {
        final StateDict sd;
        final String cell, description;
        final boolean isLstm, bidirectional, hasLengths, hasH0;
        final int numLayers, inputSize, hiddenSize, projSize, batch, seqLen;
        final int[] lengths, outputShape, hnShape, cnShape;
        final float[] output, hn, cn;

        Case(StateDict sd) {
            this.sd = sd;
            Map<String, String> m = sd.metadata();
            cell = get(m, "cell");
            description = get(m, "description");
            isLstm = cell.equals("lstm");
            bidirectional = Boolean.parseBoolean(get(m, "bidirectional"));
            hasLengths = Boolean.parseBoolean(get(m, "has_lengths"));
            hasH0 = Boolean.parseBoolean(get(m, "has_h0"));
            numLayers = Integer.parseInt(get(m, "num_layers"));
            inputSize = Integer.parseInt(get(m, "input_size"));
            hiddenSize = Integer.parseInt(get(m, "hidden_size"));
            projSize = Integer.parseInt(get(m, "proj_size"));
            batch = Integer.parseInt(get(m, "batch"));
            seqLen = Integer.parseInt(get(m, "seq_len"));
            lengths = sd.ints("lengths");
            outputShape = sd.shape("output");
            hnShape = sd.shape("hn");
            cnShape = isLstm ? sd.shape("cn") : null;
            output = read("output");
            hn = read("hn");
            cn = isLstm ? read("cn") : null;
        }

        private static String get(Map<String, String> m, String key) {
            String v = m.get(key);
            if (v == null) throw new IllegalStateException("golden file lacks metadata " + key);
            return v;
        }

        private float[] read(String name) {
            try (Tensor t = sd.tensor(name)) {
                return t.toArray();
            }
        }

        RecurrentLayer load() {
            return load(Precision.FP32);
        }

        RecurrentLayer load(Precision precision) {
            Map<String, String> m = sd.metadata();
            switch (cell) {
                case "lstm":
                    return Lstm.load(sd, "rnn", get(m, "lstm_candidate").equals("sigmoid")
                            ? Lstm.Candidate.SIGMOID : Lstm.Candidate.TANH, precision);
                case "gru":
                    return Gru.load(sd, "rnn", get(m, "gru_reset").equals("before") ? Gru.Reset.BEFORE : Gru.Reset.AFTER,
                            precision);
                case "rnn_tanh":
                    return Rnn.load(sd, "rnn", Activation.TANH, precision);
                case "rnn_relu":
                    return Rnn.load(sd, "rnn", Activation.RELU, precision);
                default:
                    throw new IllegalStateException("unknown cell " + cell);
            }
        }

        /** The reference's description of this case's stack. */
        Reference64.Config referenceConfig() {
            Map<String, String> m = sd.metadata();
            Reference64.Cell rc = switch (cell) {
                case "lstm" -> get(m, "lstm_candidate").equals("sigmoid") ? Reference64.Cell.LSTM_SIGMOID : Reference64.Cell.LSTM;
                case "gru" -> get(m, "gru_reset").equals("before") ? Reference64.Cell.GRU_RESET_BEFORE : Reference64.Cell.GRU;
                case "rnn_tanh" -> Reference64.Cell.RNN_TANH;
                case "rnn_relu" -> Reference64.Cell.RNN_RELU;
                default -> throw new IllegalStateException("unknown cell " + cell);
            };
            return new Reference64.Config(rc, numLayers, bidirectional, inputSize, hiddenSize, projSize,
                    sd.contains("rnn.bias_ih_l0"));
        }

        /** The layer's weights by their names without the "rnn." prefix, as the reference takes them. */
        Map<String, float[]> referenceWeights() {
            Map<String, float[]> w = new java.util.HashMap<>();
            for (String name : sd.names()) {
                if (name.startsWith("rnn.")) w.put(name.substring(4), read(name));
            }
            return w;
        }

        void check(RecurrentOutput out, String where) {
            assertArrayEquals(outputShape, out.output().shape(), where + ": output shape");
            assertArrayEquals(hnShape, out.hn().shape(), where + ": hn shape");
            Close.assertClose(where + ": output", output, out.output().toArray(), outputShape, TOL);
            Close.assertClose(where + ": hn", hn, out.hn().toArray(), hnShape, TOL);
            if (isLstm) {
                assertNotNull(out.cn(), where + ": cn of an LSTM");
                assertArrayEquals(cnShape, out.cn().shape(), where + ": cn shape");
                Close.assertClose(where + ": cn", cn, out.cn().toArray(), cnShape, TOL);
            } else {
                assertNull(out.cn(), where + ": cn of a " + cell);
            }
        }
    }
}
