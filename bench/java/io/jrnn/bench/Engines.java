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
            this.c = c;
            try (StateDict sd = StateDict.load(Cases.file(c))) {
                layer = Cases.load(c, sd);
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
    static final class OrtRun implements AutoCloseable {
        final Case c;
        final OrtSession session;
        final OnnxTensor x;
        final Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        final Map<String, OnnxTensor> outputs = new LinkedHashMap<>();
        final FloatBuffer y, yh, yc;

        OrtRun(Case c, int threads) throws OrtException {
            this.c = c;
            Cases.Weights w = Cases.weights(c);
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setIntraOpNumThreads(threads);
                o.setInterOpNumThreads(1);
                o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                session = env.createSession(OnnxModels.model(c, w), o);
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

    static float[] toArray(FloatBuffer b) {
        float[] a = new float[b.capacity()];
        b.duplicate().rewind().get(a);
        return a;
    }
}
