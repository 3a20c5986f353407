package io.jrnn.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.jrnn.Precision;
import io.jrnn.RecurrentLayer;
import io.jrnn.StateDict;
import io.jrnn.Tensor;
import io.jrnn.bench.Cases.Case;

/**
 * One case ready to run in each engine, inputs and outputs allocated once: {@link JrnnRun} (a forward into
 * preallocated tensors) and {@link OrtRun} (a session with the same weights, outputs pinned to preallocated
 * buffers), plus {@link #check}, which makes sure both compute the same thing before anything is timed.
 */
final class Engines {
    private Engines() {}

    /** Largest |difference| tolerated between jrnn and ONNX Runtime (float32, 100 steps). */
    static final double TOLERANCE = 1e-4;

    /** jrnn: the case's layer loaded from its safetensors file; {@link #run} writes y, hn (and cn). */
    static final class JrnnRun implements AutoCloseable {
        final Case c;
        final RecurrentLayer layer;
        final Tensor x, y, hn, cn;

        JrnnRun(Case c) {
            this(c, Precision.FP32);
        }

        /** The layer loaded through the public API with its weight matrices in {@code precision}. */
        JrnnRun(Case c, Precision precision) {
            this.c = c;
            try (StateDict sd = StateDict.load(Cases.file(c))) {
                layer = Cases.load(c, sd, precision);
                x = sd.tensor("x");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            y = Tensor.zeros(c.steps(), c.batch(), c.hidden());
            hn = Tensor.zeros(1, c.batch(), c.hidden());
            cn = c.cell() == Cases.Cell.LSTM ? Tensor.zeros(1, c.batch(), c.hidden()) : null;
        }

        void run() {
            layer.forward(x, null, null, null, y, hn, cn);
        }

        @Override
        public void close() {
            layer.close();
            x.close();
            y.close();
            hn.close();
            if (cn != null) cn.close();
        }
    }

    /**
     * ONNX Runtime: a session on the case's ONNX model with {@code threads} intra-op threads, one inter-op thread,
     * sequential execution, all graph optimisations; {@link #run} writes Y, Y_h (and Y_c) into pinned buffers.
     */
    /** Jrnn.setThreads(n), failing the trial when the pool did not start that many. */
    static void setJrnnThreads(int n) {
        io.jrnn.Jrnn.setThreads(n);
        if (io.jrnn.Jrnn.threads() != n) {
            throw new IllegalStateException("jrnn runs " + io.jrnn.Jrnn.threads() + " threads, asked for " + n);
        }
    }

    static final class OrtRun implements AutoCloseable {
        final Case c;
        final OrtSession session;
        final OnnxTensor x;
        final Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        final Map<String, OnnxTensor> outputs = new LinkedHashMap<>();
        final FloatBuffer y, yh, yc;

        OrtRun(Case c, int threads) throws OrtException {
            this(c, threads, OnnxModels.model(c, Cases.weights(c)));
        }

        /**
         * A session on the given model bytes (the case's fp32 model or another graph with the same inputs and
         * outputs, e.g. {@link OnnxModels#dynamicQuantizeLstmModel}).
         */
        OrtRun(Case c, int threads, byte[] model) throws OrtException {
            this.c = c;
            Cases.Weights w = Cases.weights(c);
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setIntraOpNumThreads(threads);
                o.setInterOpNumThreads(1);
                o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                session = env.createSession(model, o);
            }
            final int T = c.steps(), B = c.batch(), H = c.hidden();
            FloatBuffer xb = direct(w.x().length).put(w.x());
            xb.rewind();
            x = OnnxTensor.createTensor(env, xb, new long[] {T, B, c.input()});
            inputs.put("X", x);
            y = direct(T * B * H);
            yh = direct(B * H);
            outputs.put("Y", OnnxTensor.createTensor(env, y, new long[] {T, 1, B, H}));
            outputs.put("Y_h", OnnxTensor.createTensor(env, yh, new long[] {1, B, H}));
            if (c.cell() == Cases.Cell.LSTM) {
                yc = direct(B * H);
                outputs.put("Y_c", OnnxTensor.createTensor(env, yc, new long[] {1, B, H}));
            } else {
                yc = null;
            }
        }

        void run() throws OrtException {
            session.run(inputs, outputs).close(); // the Result does not own the pinned outputs
        }

        @Override
        public void close() throws OrtException {
            for (OnnxTensor t : outputs.values()) t.close();
            x.close();
            session.close();
        }

        private static FloatBuffer direct(int n) {
            return ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
    }

    /** Runs both once and fails loudly unless every output agrees within {@link #TOLERANCE}. */
    static void check(JrnnRun j, OrtRun o) throws OrtException {
        j.run();
        o.run();
        String where = j.c.name();
        compare(where + " output", j.y.toArray(), toArray(o.y));
        compare(where + " hn", j.hn.toArray(), toArray(o.yh));
        if (j.cn != null) compare(where + " cn", j.cn.toArray(), toArray(o.yc));
    }

    static void compare(String what, float[] jrnn, float[] ort) {
        compare(what, "jrnn", jrnn, "ONNX Runtime", ort, TOLERANCE);
    }

    /** Two jrnn paths that must agree to float rounding (streaming against forward). */
    static void compareJrnn(String what, float[] forward, float[] stream) {
        compare(what, "forward", forward, "stream", stream, 1e-5);
    }

    static void compare(String what, String nameA, float[] a, String nameB, float[] b, double tolerance) {
        if (a.length != b.length) {
            throw new IllegalStateException(what + ": " + nameA + " has " + a.length + " values, " + nameB + " "
                    + b.length);
        }
        double max = 0;
        int at = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
            if (d > max) {
                max = d;
                at = i;
            }
        }
        if (!(max <= tolerance)) {
            throw new IllegalStateException(nameA + " and " + nameB + " disagree on " + what + ": max |diff| " + max
                    + " at element " + at + " (" + nameA + " " + a[at] + ", " + nameB + " " + b[at] + "), tolerance "
                    + tolerance + " -- refusing to benchmark a wrong model");
        }
    }

    /** Mean and largest |a - b| (NaN anywhere: both infinite). */
    record Deviation(double mean, double max) {
        static Deviation of(float[] a, float[] b) {
            if (a.length != b.length) {
                throw new IllegalStateException("different lengths: " + a.length + " and " + b.length);
            }
            double sum = 0, max = 0;
            for (int i = 0; i < a.length; i++) {
                double d = Math.abs((double) a[i] - b[i]);
                if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
                sum += d;
                max = Math.max(max, d);
            }
            return new Deviation(sum / a.length, max);
        }

        /** The larger mean and the larger max of the two. */
        Deviation worst(Deviation o) {
            return new Deviation(Math.max(mean, o.mean), Math.max(max, o.max));
        }
    }

    /**
     * How far a reduced-precision engine may land from ONNX Runtime's fp32 result (output, h_n, c_n; mean and
     * largest |diff|) and still be timed. Measured on the six cases (bench/README.md): jrnn BF16 up to 7.4e-4 / 5.2e-3,
     * jrnn INT8 up to 2.0e-3 / 1.6e-2 (the RNN cases), ORT DynamicQuantizeLSTM 8.6e-4 / 5.1e-3; so 2.5× / 3× of the
     * worst. A wrong model lands outside: the LSTM with two gate blocks swapped (f,o: 0.017 / 0.15 on lstm-b1), R's
     * blocks transposed (0.042 / 0.18) or b_hh dropped (0.029 / 0.077) — mostly inside a 0.02 / 0.2 tolerance.
     */
    static final double REDUCED_MEAN_TOLERANCE = 0.005, REDUCED_MAX_TOLERANCE = 0.05;

    /**
     * Compares a reduced-precision run ({@code y}, {@code hn}, {@code cn}) with the fp32 reference's and fails
     * unless the mean and the largest |difference| are within {@link #REDUCED_MEAN_TOLERANCE} and
     * {@link #REDUCED_MAX_TOLERANCE}; returns the worst deviation over the three outputs.
     */
    static Deviation checkReduced(String what, float[] y, float[] hn, float[] cn, OrtRun fp32) {
        Deviation d = Deviation.of(y, toArray(fp32.y)).worst(Deviation.of(hn, toArray(fp32.yh)));
        if (cn != null) d = d.worst(Deviation.of(cn, toArray(fp32.yc)));
        if (!(d.mean() <= REDUCED_MEAN_TOLERANCE && d.max() <= REDUCED_MAX_TOLERANCE)) {
            throw new IllegalStateException(what + " is too far from ONNX Runtime fp32: mean |diff| " + d.mean()
                    + ", max " + d.max() + " (tolerated " + REDUCED_MEAN_TOLERANCE + " / " + REDUCED_MAX_TOLERANCE
                    + ") -- refusing to benchmark a wrong model");
        }
        return d;
    }

    static float[] toArray(FloatBuffer b) {
        float[] a = new float[b.capacity()];
        b.duplicate().rewind().get(a);
        return a;
    }
}
