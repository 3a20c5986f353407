package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * Reduced-precision weights (SPEC §1.5) end to end, on every golden case of {@link GoldenTest} and every ISA the
 * machine has: each layer loaded at BF16 and INT8 against {@link Reference64}'s float64 implementation of §1.5
 * (≥ 90% of the cases within 1e-4 and every case within 1e-2: a float32 state on a rounding boundary can move one
 * quantized input by a step, which the float64 reference does not share); FP32 as loaded before; results identical
 * for any thread count; weight bytes; NaN inputs.
 */
class PrecisionTest {

    private record Outcome(String file, String isa, double errSpec, double errTorch) {}

    @Test
    void goldenCasesFollowSpecOnEveryIsa() throws IOException {
        for (Precision p : new Precision[] {Precision.BF16, Precision.INT8}) {
            List<Outcome> all = new ArrayList<>();
            for (Path file : GoldenTest.caseFiles()) {
                try (StateDict sd = StateDict.load(file)) {
                    GoldenTest.Case c = new GoldenTest.Case(sd);
                    float[] x;
                    try (Tensor t = sd.tensor("x")) {
                        x = t.toArray();
                    }
                    float[] h0 = c.hasH0 ? read(sd, "h0") : null, c0 = c.hasH0 && c.isLstm ? read(sd, "c0") : null;
                    Reference64.Result want = Reference64.forward(c.referenceConfig(), c.referenceWeights(), x, c.seqLen,
                            c.batch, c.hasLengths ? c.lengths : null, h0, c0, p);
                    for (String isa : Isas.all()) {
                        Isas.with(isa, () -> {
                            try (RecurrentLayer layer = c.load(p);
                                 Tensor xt = sd.tensor("x");
                                 Tensor h0t = c.hasH0 ? sd.tensor("h0") : null;
                                 Tensor c0t = c.hasH0 && c.isLstm ? sd.tensor("c0") : null;
                                 RecurrentOutput out = layer.forward(xt, c.hasLengths ? c.lengths : null, h0t, c0t)) {
                                assertEquals(p, layer.precision());
                                double spec = Math.max(maxErr(want.output(), out.output().toArray()),
                                        maxErr(want.hn(), out.hn().toArray()));
                                double torch = Math.max(maxErr(c.output, out.output().toArray()),
                                        maxErr(c.hn, out.hn().toArray()));
                                if (c.isLstm) {
                                    spec = Math.max(spec, maxErr(want.cn(), out.cn().toArray()));
                                    torch = Math.max(torch, maxErr(c.cn, out.cn().toArray()));
                                }
                                all.add(new Outcome(file.getFileName().toString(), isa, spec, torch));
                            }
                        });
                    }
                }
            }
            long within1e5 = all.stream().filter(o -> o.errSpec <= 1e-5).count();
            long within1e4 = all.stream().filter(o -> o.errSpec <= 1e-4).count();
            Outcome worst = all.stream().max((a, b) -> Double.compare(a.errSpec, b.errSpec)).orElseThrow();
            Outcome farthest = all.stream().max((a, b) -> Double.compare(a.errTorch, b.errTorch)).orElseThrow();
            System.out.printf(Locale.ROOT, "%s on %s: %d case runs; vs SPEC 1.5 (float64): %d within 1e-5, %d within 1e-4, "
                            + "worst %.3g (%s [%s]); vs FP32 PyTorch: worst %.3g (%s)%n", p, Isas.all(), all.size(),
                    within1e5, within1e4, worst.errSpec, worst.file, worst.isa, farthest.errTorch, farthest.file);
            assertTrue(within1e4 >= 0.9 * all.size(), p + ": only " + within1e4 + " of " + all.size()
                    + " case runs within 1e-4 of SPEC 1.5");
            assertTrue(worst.errSpec <= 1e-2, p + ": " + worst.file + " [" + worst.isa + "] is " + worst.errSpec
                    + " from SPEC 1.5 (at most 1e-2)");
        }
    }

    /**
     * INT8 is not less accurate than PyTorch's own dynamic quantization (quantize_dynamic, qnnpack) on the same
     * golden models, measured against FP32 PyTorch (test/python/make_quant_golden.py wrote PyTorch's errors).
     */
    @Test
    @SuppressWarnings("unchecked")
    void int8IsAtLeastAsAccurateAsPyTorchDynamicQuantization() throws Exception {
        java.net.URL u = getClass().getClassLoader().getResource("golden/quant/pytorch_dynamic.json");
        assertTrue(u != null, "golden/quant/pytorch_dynamic.json is not on the test classpath");
        Map<String, Object> root = (Map<String, Object>) io.jrnn.internal.Json.parse(
                java.nio.file.Files.readString(Path.of(u.toURI())));
        Map<String, Object> cases = (Map<String, Object>) root.get("cases");
        double sumJ = 0, sumT = 0, maxJ = 0, maxT = 0;
        int n = 0;
        StringBuilder report = new StringBuilder();
        for (Path file : GoldenTest.caseFiles()) {
            Map<String, Object> c = (Map<String, Object>) cases.get(file.getFileName().toString());
            if (c == null || !c.containsKey("max_abs_err")) continue;
            double torchErr = ((Number) c.get("max_abs_err")).doubleValue();
            double ours;
            try (StateDict sd = StateDict.load(file)) {
                GoldenTest.Case g = new GoldenTest.Case(sd);
                try (RecurrentLayer layer = g.load(Precision.INT8); Tensor x = sd.tensor("x");
                     Tensor h0 = g.hasH0 ? sd.tensor("h0") : null;
                     Tensor c0 = g.hasH0 && g.isLstm ? sd.tensor("c0") : null;
                     RecurrentOutput out = layer.forward(x, g.hasLengths ? g.lengths : null, h0, c0)) {
                    ours = Math.max(maxErr(g.output, out.output().toArray()), maxErr(g.hn, out.hn().toArray()));
                    if (g.isLstm) ours = Math.max(ours, maxErr(g.cn, out.cn().toArray()));
                }
            }
            report.append(String.format(Locale.ROOT, "%n  %s: jrnn INT8 %.3g, PyTorch dynamic %.3g", file.getFileName(),
                    ours, torchErr));
            sumJ += ours;
            sumT += torchErr;
            maxJ = Math.max(maxJ, ours);
            maxT = Math.max(maxT, torchErr);
            n++;
        }
        System.out.printf(Locale.ROOT, "INT8 vs FP32 PyTorch on %d cases (%s %s): jrnn mean %.3g max %.3g; PyTorch "
                + "quantize_dynamic mean %.3g max %.3g%s%n", n, root.get("engine"), root.get("torch"), sumJ / n, maxJ,
                sumT / n, maxT, report);
        assertTrue(n >= 15, "expected at least 15 cases PyTorch could quantize, found " + n);
        assertTrue(sumJ <= sumT && maxJ <= maxT, "jrnn INT8 mean " + sumJ / n + " max " + maxJ
                + " vs PyTorch's dynamic quantization mean " + sumT / n + " max " + maxT + report);
    }

    @Test
    void fp32IsTheDefaultAndUnchanged() throws IOException {
        Path file = GoldenTest.caseFiles().get(40);
        try (StateDict sd = StateDict.load(file)) {
            GoldenTest.Case c = new GoldenTest.Case(sd);
            try (RecurrentLayer a = c.load(); RecurrentLayer b = c.load(Precision.FP32); Tensor x = sd.tensor("x");
                 RecurrentOutput ya = a.forward(x); RecurrentOutput yb = b.forward(x)) {
                assertEquals(Precision.FP32, a.precision());
                assertArrayEquals(ya.output().toArray(), yb.output().toArray());
            }
        }
    }

    /** The PERF.md lstm-b1 shape: weight bytes at each precision, and one result whatever the thread count. */
    @Test
    void weightBytesAndThreadCountInvariance() {
        int H = 256, I = 256, T = 7, B = 3;
        SplittableRandom rnd = new SplittableRandom(7);
        float[] wih = uniform(rnd, 4 * H * I, 0.0625f), whh = uniform(rnd, 4 * H * H, 0.0625f);
        float[] bih = uniform(rnd, 4 * H, 0.0625f), bhh = uniform(rnd, 4 * H, 0.0625f), x = uniform(rnd, T * B * I, 1f);
        try (Tensor a = Tensor.of(wih, 4 * H, I); Tensor b = Tensor.of(whh, 4 * H, H); Tensor c = Tensor.of(bih, 4 * H);
             Tensor d = Tensor.of(bhh, 4 * H);
             StateDict sd = StateDict.of(Map.of("rnn.weight_ih_l0", a, "rnn.weight_hh_l0", b, "rnn.bias_ih_l0", c,
                     "rnn.bias_hh_l0", d));
             Tensor xt = Tensor.of(x, T, B, I)) {
            long fp32 = 0;
            int before = Jrnn.threads();
            try {
                for (Precision p : Precision.values()) {
                    try (Lstm lstm = Lstm.load(sd, "rnn", p)) {
                        long bytes = lstm.weightBytes();
                        if (p == Precision.FP32) fp32 = bytes;
                        double ratio = (double) bytes / fp32;
                        System.out.printf(Locale.ROOT, "lstm H=256 I=256 %s: %d weight bytes (%.3f of FP32)%n", p, bytes,
                                ratio);
                        if (p == Precision.BF16) assertTrue(ratio <= 0.51, "BF16 bytes " + ratio + " of FP32");
                        if (p == Precision.INT8) assertTrue(ratio <= 0.27, "INT8 bytes " + ratio + " of FP32");
                        float[] one, two;
                        Jrnn.setThreads(1);
                        try (RecurrentOutput y = lstm.forward(xt)) {
                            one = y.output().toArray();
                        }
                        Jrnn.setThreads(2);
                        try (RecurrentOutput y = lstm.forward(xt)) {
                            two = y.output().toArray();
                        }
                        assertArrayEquals(one, two, p + ": 1 and 2 threads differ");
                    }
                }
            } finally {
                Jrnn.setThreads(before);
            }
        }
    }

    /**
     * A sequence whose input holds a NaN gives NaN from that step on at every precision, and at INT8 an infinity does
     * too (its input row cannot be quantized: SPEC §1.5); the other sequences are untouched.
     */
    @Test
    void nonFiniteInputsStayInTheirSequence() {
        int H = 17, I = 5, T = 4, B = 3;
        SplittableRandom rnd = new SplittableRandom(11);
        try (Tensor a = Tensor.of(uniform(rnd, 3 * H * I, 0.3f), 3 * H, I); Tensor b = Tensor.of(uniform(rnd, 3 * H * H, 0.3f), 3 * H, H);
             StateDict sd = StateDict.of(Map.of("rnn.weight_ih_l0", a, "rnn.weight_hh_l0", b))) {
            float[] x = uniform(rnd, T * B * I, 1f);
            for (Precision p : Precision.values()) {
                for (float bad : p == Precision.INT8 ? new float[] {Float.NaN, Float.POSITIVE_INFINITY}
                        : new float[] {Float.NaN}) {
                    float[] xs = x.clone();
                    xs[(1 * B + 1) * I + 2] = bad;  // t = 1, sequence 1
                    try (Gru gru = Gru.load(sd, "rnn", p); Tensor xt = Tensor.of(xs, T, B, I); Tensor clean = Tensor.of(x, T, B, I);
                         RecurrentOutput y = gru.forward(xt); RecurrentOutput y0 = gru.forward(clean)) {
                        float[] o = y.output().toArray(), o0 = y0.output().toArray();
                        for (int t = 0; t < T; t++) {
                            for (int s = 0; s < B; s++) {
                                for (int j = 0; j < H; j++) {
                                    int i = (t * B + s) * H + j;
                                    if (s == 1 && t >= 1) {
                                        assertTrue(Float.isNaN(o[i]), p + " " + bad + ": t=" + t + " j=" + j + " is " + o[i]);
                                    } else {
                                        assertEquals(o0[i], o[i], p + " " + bad + ": t=" + t + " seq " + s + " changed");
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void int8RejectsProductsTooWideForExactSums() {
        int I = Precision.INT8_MAX_INPUTS + 1;
        try (Tensor a = Tensor.zeros(1, I); Tensor b = Tensor.zeros(1, 1);
             StateDict sd = StateDict.of(Map.of("rnn.weight_ih_l0", a, "rnn.weight_hh_l0", b))) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> Rnn.load(sd, "rnn", Activation.TANH, Precision.INT8));
            assertTrue(e.getMessage().contains("65535") && e.getMessage().contains("65536"), e.getMessage());
        }
    }

    private static float[] read(StateDict sd, String name) {
        try (Tensor t = sd.tensor(name)) {
            return t.toArray();
        }
    }

    private static double maxErr(double[] want, float[] got) {
        double m = 0;
        for (int i = 0; i < want.length; i++) {
            double e = Math.abs(want[i] - got[i]);
            m = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(m, e);
        }
        return m;
    }

    private static double maxErr(float[] want, float[] got) {
        double m = 0;
        for (int i = 0; i < want.length; i++) m = Math.max(m, Math.abs((double) want[i] - got[i]));
        return m;
    }

    private static float[] uniform(SplittableRandom r, int n, float scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return f;
    }

    @SuppressWarnings("unused")
    private static String show(float[] v) {
        return Arrays.toString(v);
    }
}
