package io.jrnn.internal.onnx;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.jrnn.Gru;
import io.jrnn.Lstm;
import io.jrnn.Precision;
import io.jrnn.RecurrentLayer;
import io.jrnn.RecurrentOptions;
import io.jrnn.RecurrentOutput;
import io.jrnn.Rnn;
import io.jrnn.StateDict;
import io.jrnn.Tensor;

/**
 * ONNX {@code LSTM}, {@code GRU} and {@code RNN} nodes as one-layer jrnn {@link Lstm}, {@link Gru} and {@link Rnn}
 * layers: the ONNX gate blocks reordered into PyTorch's (LSTM i,o,f,c → i,f,g,o; GRU z,r,h → r,z,n), {@code B} split
 * into the input and recurrent biases, {@code layout} and the {@code Y[T,D,B,H]} / {@code Y_h[D,B,H]} shapes
 * converted around the native forward. Weights that are initializers are packed once at load; weights that are
 * graph inputs (as in ONNX's backend node tests) are packed on each run.
 *
 * <p>Thread safety: {@link #apply} may run on several threads at once (the layers are immutable).
 */
final class Recurrent extends Op {
    enum Kind { LSTM, GRU, RNN }

    private final Kind kind;
    private final int dirs, hidden, layout;
    private final boolean reverseOnly;
    private final Gru.Reset reset;
    private final RecurrentOptions options;
    private final Precision precision;
    private final boolean[] wantOut;
    private final RecurrentLayer prepared; // null when the weights are graph inputs
    private final boolean timeBatchY;      // Y is produced as [T,B,D,H] (the Transpose after it fused)

    Recurrent(String node, Kind kind, Attrs a, Value[] consts, boolean[] given, boolean[] wantOut, Precision precision,
            Graph.Fusion fusion) throws IOException {
        super(node);
        this.kind = kind;
        this.precision = precision;
        this.wantOut = wantOut;
        int gates = kind == Kind.LSTM ? 4 : kind == Kind.GRU ? 3 : 1;
        String direction = a.s("direction", "forward");
        switch (direction) {
            case "forward": dirs = 1; reverseOnly = false; break;
            case "reverse": dirs = 1; reverseOnly = true; break;
            case "bidirectional": dirs = 2; reverseOnly = false; break;
            default: throw new IOException(node + ": direction must be forward, reverse or bidirectional, got \""
                    + direction + "\"");
        }
        layout = (int) a.i("layout", 0);
        if (layout != 0 && layout != 1) throw new IOException(node + ": layout must be 0 or 1, got " + layout);
        long hs = a.i("hidden_size", -1);
        if (given.length < 3 || !given[0] || !given[1] || !given[2]) {
            throw new IOException(node + " needs inputs X, W and R");
        }
        int maxInputs = kind == Kind.LSTM ? 8 : 6;
        if (given.length > maxInputs) throw new IOException(node + ": " + kind + " has at most " + maxInputs + " inputs, got "
                + given.length);
        Value w = consts[1], r = consts[2];
        if (w != null && r != null) {
            checkWeights(w, r, consts.length > 3 ? consts[3] : null, kind == Kind.LSTM && consts.length > 7
                    ? consts[7] : null, gates);
            hidden = r.shape[2];
        } else {
            if (hs <= 0) throw new IOException(node + ": W and R are graph inputs, so hidden_size must be given");
            hidden = (int) hs;
        }
        if (hs >= 0 && hs != hidden) {
            throw new IOException(node + ": hidden_size " + hs + " but R is " + Arrays.toString(r.shape));
        }
        reset = kind == Kind.GRU && a.i("linear_before_reset", 0) == 0 ? Gru.Reset.BEFORE : Gru.Reset.AFTER;
        if (kind == Kind.GRU) {
            long lbr = a.i("linear_before_reset", 0);
            if (lbr != 0 && lbr != 1) throw new IOException(node + ": linear_before_reset must be 0 or 1, got " + lbr);
        }
        RecurrentOptions.Builder ob = RecurrentOptions.builder().reverse(reverseOnly);
        if (a.has("clip")) {
            float clip = a.f("clip", 0f);
            if (!(clip > 0f) || !Float.isFinite(clip)) throw new IOException(node + ": clip must be a finite value > 0, got "
                    + clip);
            ob.clip(clip);
        }
        long inputForget = kind == Kind.LSTM ? a.i("input_forget", 0) : 0;
        if (inputForget != 0 && inputForget != 1) throw new IOException(node + ": input_forget must be 0 or 1, got "
                + inputForget);
        ob.inputForget(inputForget == 1);
        RecurrentOptions.Fn[] fns = activations(a);
        if (fns != null) ob.activations(fns);
        options = ob.build();
        for (String extra : a.names()) {
            if (!List.of("activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size",
                    "input_forget", "layout", "linear_before_reset").contains(extra)) {
                throw new IOException(node + ": unknown attribute " + extra + " for " + kind);
            }
        }
        boolean weightsConst = w != null && r != null && (given.length <= 3 || !given[3] || consts[3] != null)
                && (given.length <= 7 || !given[7] || consts[7] != null);
        prepared = weightsConst ? build(consts) : null;
        // Y followed by Transpose(0,2,1,3) is [T,B,D,H]: jrnn's output as it is
        timeBatchY = dirs == 2 && layout == 0 && fusion.transposeNode != null;
        fusion.absorbedTranspose = timeBatchY;
    }

    private static boolean allZero(Value v) {
        for (float x : v.asFloats()) if (x != 0f) return false;
        return true;
    }

    /** The activations attribute → RecurrentOptions functions; null when absent or all the cell's defaults. */
    private RecurrentOptions.Fn[] activations(Attrs a) throws IOException {
        String[] acts = a.strings("activations");
        float[] alphas = a.floats("activation_alpha"), betas = a.floats("activation_beta");
        if (acts == null) {
            if (alphas != null || betas != null) throw new IOException(node + ": activation_alpha/beta without activations");
            return null;
        }
        int per = kind == Kind.LSTM ? 3 : kind == Kind.GRU ? 2 : 1;
        if (acts.length != per * dirs) {
            throw new IOException(node + ": activations must list " + per * dirs + " functions (" + per
                    + " per direction), got " + acts.length);
        }
        // alpha and beta are consumed in order by the functions that take them (as ONNX Runtime reads them); a
        // function whose value is not listed takes its ONNX operator's default
        int ai = 0, bi = 0;
        RecurrentOptions.Fn[] fns = new RecurrentOptions.Fn[acts.length];
        boolean allDefault = true;
        String[] dflt = kind == Kind.LSTM ? new String[] {"sigmoid", "tanh", "tanh"}
                : kind == Kind.GRU ? new String[] {"sigmoid", "tanh"} : new String[] {"tanh"};
        for (int k = 0; k < acts.length; k++) {
            String s = acts[k].toLowerCase(Locale.ROOT);
            if (!s.equals(dflt[k % per])) allDefault = false;
            Float al = null, be = null;
            switch (s) {
                case "hardsigmoid": case "scaledtanh": case "affine":
                    if (alphas != null && ai < alphas.length) al = alphas[ai++];
                    if (betas != null && bi < betas.length) be = betas[bi++];
                    break;
                case "elu": case "leakyrelu": case "thresholdedrelu":
                    if (alphas != null && ai < alphas.length) al = alphas[ai++];
                    break;
                default:
            }
            try {
                fns[k] = fn(s, al, be, acts[k]);
            } catch (IllegalArgumentException e) {
                throw new IOException(node + ": activation " + acts[k] + ": " + e.getMessage());
            }
        }
        if ((alphas != null && ai != alphas.length) || (betas != null && bi != betas.length)) {
            throw new IOException(node + ": activation_alpha " + Arrays.toString(alphas) + " / activation_beta "
                    + Arrays.toString(betas) + " do not match the functions " + Arrays.toString(acts)
                    + " that take them");
        }
        return allDefault ? null : fns;
    }

    private RecurrentOptions.Fn fn(String s, Float al, Float be, String given) throws IOException {
        switch (s) {
            case "sigmoid": return RecurrentOptions.Fn.sigmoid();
            case "tanh": return RecurrentOptions.Fn.tanh();
            case "relu": return RecurrentOptions.Fn.relu();
            case "softsign": return RecurrentOptions.Fn.softsign();
            case "softplus": return RecurrentOptions.Fn.softplus();
            case "hardsigmoid": return RecurrentOptions.Fn.hardSigmoid(al == null ? 0.2f : al, be == null ? 0.5f : be);
            case "elu": return RecurrentOptions.Fn.elu(al == null ? 1f : al);
            case "leakyrelu": return RecurrentOptions.Fn.leakyRelu(al == null ? 0.01f : al);
            case "thresholdedrelu": return RecurrentOptions.Fn.thresholdedRelu(al == null ? 1f : al);
            case "affine": return RecurrentOptions.Fn.affine(al == null ? 1f : al, be == null ? 0f : be);
            case "scaledtanh":
                if (al == null || be == null) {
                    throw new IOException(node + ": ScaledTanh needs activation_alpha and activation_beta (ONNX gives "
                            + "it no defaults)");
                }
                return RecurrentOptions.Fn.scaledTanh(al, be);
            default:
                throw new IOException(node + ": activation " + given + " is not one of ONNX's recurrent activations "
                        + "(Sigmoid, Tanh, Relu, HardSigmoid, Elu, Softsign, Softplus, Affine, LeakyRelu, "
                        + "ThresholdedRelu, ScaledTanh)");
        }
    }

    private void checkWeights(Value w, Value r, Value b, Value p, int gates) throws IOException {
        if (!w.isFloat() || !r.isFloat()) throw new IOException(node + ": W and R must be float tensors");
        if (r.rank() != 3 || r.shape[0] != dirs || r.shape[2] < 1 || r.shape[1] != gates * r.shape[2]) {
            throw new IOException(node + ": R must be [" + dirs + ", " + gates + "*hidden_size, hidden_size], got "
                    + Arrays.toString(r.shape));
        }
        int h = r.shape[2];
        if (w.rank() != 3 || w.shape[0] != dirs || w.shape[1] != gates * h || w.shape[2] < 1) {
            throw new IOException(node + ": W must be [" + dirs + ", " + gates * h + ", input_size], got "
                    + Arrays.toString(w.shape));
        }
        if (b != null && (!b.isFloat() || !Arrays.equals(b.shape, new int[] {dirs, 2 * gates * h}))) {
            throw new IOException(node + ": B must be [" + dirs + ", " + 2 * gates * h + "], got " + b);
        }
        if (p != null && (!p.isFloat() || !Arrays.equals(p.shape, new int[] {dirs, 3 * h}))) {
            throw new IOException(node + ": P must be [" + dirs + ", " + 3 * h + "], got " + p);
        }
    }

    /** ONNX gate block order → PyTorch's: for each PyTorch block, the ONNX block it comes from. */
    private int[] order() {
        switch (kind) {
            case LSTM: return new int[] {0, 2, 3, 1}; // i,f,g,o from i,o,f,c
            case GRU: return new int[] {1, 0, 2};     // r,z,n from z,r,h
            default: return new int[] {0};
        }
    }

    /** Rows [d][block order][h][cols] of an ONNX [D, G*H, cols] array (offset within the direction's slice). */
    private static float[] reorder(float[] src, int base, int[] order, int h, int cols) {
        float[] out = new float[order.length * h * cols];
        for (int g = 0; g < order.length; g++) {
            System.arraycopy(src, base + order[g] * h * cols, out, g * h * cols, h * cols);
        }
        return out;
    }

    /** The weights in PyTorch's names and layouts → a one-layer jrnn layer. */
    private RecurrentLayer build(Value[] in) {
        Value w = in[1], r = in[2];
        Value b = in.length > 3 ? in[3] : null;
        Value p = kind == Kind.LSTM && in.length > 7 ? in[7] : null;
        int gates = order().length, h = hidden, inSize = w.shape[2];
        Map<String, Tensor> map = new HashMap<>();
        try {
            for (int d = 0; d < dirs; d++) {
                String sfx = d == 1 ? "_reverse" : "";
                map.put("weight_ih_l0" + sfx, Tensor.of(reorder(w.fl(), d * gates * h * inSize, order(), h, inSize),
                        gates * h, inSize));
                map.put("weight_hh_l0" + sfx, Tensor.of(reorder(r.fl(), d * gates * h * h, order(), h, h), gates * h, h));
                if (b != null) {
                    map.put("bias_ih_l0" + sfx, Tensor.of(reorder(b.fl(), d * 2 * gates * h, order(), h, 1), gates * h));
                    map.put("bias_hh_l0" + sfx, Tensor.of(reorder(b.fl(), d * 2 * gates * h + gates * h, order(), h, 1),
                            gates * h));
                }
                if (p != null && !allZero(p)) {
                    // ONNX i,o,f → jrnn i,f,o
                    map.put("weight_p_l0" + sfx, Tensor.of(reorder(p.fl(), d * 3 * h, new int[] {0, 2, 1}, h, 1), 3 * h));
                }
            }
            try (StateDict sd = StateDict.of(map)) {
                switch (kind) {
                    case LSTM: return Lstm.load(sd, "", options, precision);
                    case GRU: return Gru.load(sd, "", reset, options, precision);
                    default: return Rnn.load(sd, "", options, precision);
                }
            }
        } finally {
            for (Tensor t : map.values()) t.close();
        }
    }

    @Override
    boolean foldable() {
        return false;
    }

    @Override
    String describe() {
        String what = kind == Kind.LSTM ? "Lstm" : kind == Kind.GRU ? "Gru(reset " + reset + ")" : "Rnn";
        if (!options.equals(RecurrentOptions.defaults())) what += " " + options;
        return "jrnn " + what + ", " + (dirs == 2 ? "bidirectional" : reverseOnly ? "reverse" : "forward") + ", hidden "
                + hidden + ", layout " + layout + (timeBatchY ? ", Y as [T,B,D,H] (the Transpose after it fused)" : "")
                + (prepared == null ? ", weights from graph inputs (packed per run)" : "");
    }

    @Override
    Value[] apply(Value[] in) {
        Value x = in[0];
        if (x == null || !x.isFloat() || x.rank() != 3) {
            throw new IllegalArgumentException(node + ": X must be a float tensor of rank 3 ("
                    + (layout == 0 ? "[seq_length, batch_size, input_size]" : "[batch_size, seq_length, input_size]")
                    + "), got " + x);
        }
        RecurrentLayer layer = prepared;
        if (layer == null) {
            if (in[1] == null || in[2] == null) throw new IllegalArgumentException(node + ": W and R are missing");
            Value p = kind == Kind.LSTM && in.length > 7 ? in[7] : null;
            try {
                checkWeights(in[1], in[2], in.length > 3 ? in[3] : null, p, order().length);
            } catch (IOException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
            if (in[2].shape[2] != hidden) throw new IllegalArgumentException(node + ": hidden_size " + hidden
                    + " but R is " + Arrays.toString(in[2].shape));
            layer = build(in);
        }
        try {
            return forward(layer, in, x);
        } finally {
            if (layer != prepared) layer.close();
        }
    }

    private Value[] forward(RecurrentLayer layer, Value[] in, Value x) {
        int t = layout == 0 ? x.shape[0] : x.shape[1], batch = layout == 0 ? x.shape[1] : x.shape[0];
        if (x.shape[2] != layer.inputSize()) {
            throw new IllegalArgumentException(node + ": X is " + Arrays.toString(x.shape) + " but W takes input_size "
                    + layer.inputSize());
        }
        int[] lengths = null;
        Value sl = in.length > 4 ? in[4] : null;
        if (sl != null) {
            if (sl.isFloat() || sl.rank() != 1 || sl.shape[0] != batch) {
                throw new IllegalArgumentException(node + ": sequence_lens must be int [" + batch + "], got " + sl);
            }
            lengths = new int[batch];
            for (int k = 0; k < batch; k++) {
                long v = sl.i[k];
                if (v < 0 || v > t) throw new IllegalArgumentException(node + ": sequence_lens[" + k + "] = " + v
                        + " is outside [0, " + t + "]");
                lengths[k] = (int) v;
            }
        }
        Tensor xt = null, h0 = null, c0 = null;
        Tensor given = x.nativeAs(x.shape); // the caller's or the previous layer's tensor: no copy
        RecurrentOutput out = null;
        boolean yKept = false, hKept = false, cKept = false;
        try {
            xt = given != null ? given : Tensor.of(x.fl(), x.shape);
            h0 = state(in.length > 5 ? in[5] : null, batch, "initial_h");
            c0 = kind == Kind.LSTM ? state(in.length > 6 ? in[6] : null, batch, "initial_c") : null;
            out = layout == 0 ? layer.forward(xt, lengths, h0, c0) : layer.forwardBatchFirst(xt, lengths, h0, c0);
            Value[] res = new Value[wantOut.length];
            if (wantOut.length > 0 && wantOut[0]) {
                // jrnn's output is [T,B,D*H] (layout 1: [B,T,D*H]): ONNX's Y as it is, except [T,D,B,H] for D = 2
                if (layout == 1 || dirs == 1 || timeBatchY) {
                    int[] shape = layout == 1 ? new int[] {batch, t, dirs, hidden}
                            : timeBatchY ? new int[] {t, batch, dirs, hidden} : new int[] {t, 1, batch, hidden};
                    yKept = true;
                    res[0] = Value.made(shape, out.output());
                } else {
                    res[0] = Ops.transpose(Value.floats(new int[] {t, batch, dirs, hidden}, out.output().toArray()),
                            new int[] {0, 2, 1, 3}, node);
                }
            }
            // jrnn's hn/cn are [D,B,H]: ONNX's Y_h/Y_c as they are in layout 0
            if (wantOut.length > 1 && wantOut[1]) {
                hKept = layout == 0;
                res[1] = hKept ? Value.made(new int[] {dirs, batch, hidden}, out.hn()) : stateOut(out.hn().toArray(), batch);
            }
            if (wantOut.length > 2 && wantOut[2]) {
                cKept = layout == 0;
                res[2] = cKept ? Value.made(new int[] {dirs, batch, hidden}, out.cn()) : stateOut(out.cn().toArray(), batch);
            }
            return res;
        } finally {
            if (out != null) {
                if (!yKept) out.output().close();
                if (!hKept) out.hn().close();
                if (out.cn() != null && !cKept) out.cn().close();
            }
            if (xt != null && xt != given) xt.close();
            if (h0 != null) h0.close();
            if (c0 != null) c0.close();
        }
    }

    /** An initial state in ONNX's layout → jrnn's [D, B, H]. */
    private Tensor state(Value v, int batch, String name) {
        if (v == null) return null;
        int[] want = layout == 0 ? new int[] {dirs, batch, hidden} : new int[] {batch, dirs, hidden};
        if (!v.isFloat() || !Arrays.equals(v.shape, want)) {
            throw new IllegalArgumentException(node + ": " + name + " must be float " + Arrays.toString(want) + ", got " + v);
        }
        Value s = layout == 0 ? v : Ops.transpose(v, new int[] {1, 0, 2}, node);
        return Tensor.of(s.fl(), dirs, batch, hidden);
    }

    /** jrnn's [D, B, H] → ONNX's layout. */
    private Value stateOut(float[] s, int batch) {
        Value v = Value.floats(new int[] {dirs, batch, hidden}, s);
        return layout == 0 ? v : Ops.transpose(v, new int[] {1, 0, 2}, node);
    }

    @Override
    public void close() {
        if (prepared != null) prepared.close();
    }
}
