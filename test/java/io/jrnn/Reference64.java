package io.jrnn;

import java.util.List;
import java.util.Map;

/**
 * An independent float64 reference of SPEC §1.1, written from the formulas (not from the library): Elman RNN
 * (tanh/relu), LSTM (tanh or sigmoid candidate, optional proj_size), GRU (reset after or before the matmul); L
 * stacked layers, bidirectional, initial states, and per-sequence lengths with PyTorch packed-sequence semantics.
 *
 * <p>Weights use PyTorch's names and layouts (without the module prefix): {@code weight_ih_l{k}[G*H, in]},
 * {@code weight_hh_l{k}[G*H, Hout]}, {@code bias_ih_l{k}[G*H]}, {@code bias_hh_l{k}[G*H]}, {@code weight_hr_l{k}[P, H]},
 * with {@code _reverse} for the backward direction; G*H rows stacked by gate, LSTM i,f,g,o and GRU r,z,n. All
 * arrays are flat row-major. Straight loops, one sequence and one direction at a time: slow and obvious. With
 * {@link RecurrentOptions}: ONNX's reverse, clip, input_forget, activation functions and LSTM peepholes.
 */
final class Reference64 {
    private Reference64() {}

    /** The cell and its variant. */
    enum Cell {
        RNN_TANH(1), RNN_RELU(1), LSTM(4), LSTM_SIGMOID(4), GRU(3), GRU_RESET_BEFORE(3);

        final int gates;

        Cell(int gates) {
            this.gates = gates;
        }

        boolean isLstm() {
            return gates == 4;
        }
    }

    /** The sizes of a stack; {@code projSize} 0 means none (LSTM only). */
    record Config(Cell cell, int numLayers, boolean bidirectional, int inputSize, int hiddenSize, int projSize,
                  boolean bias) {
        int directions() {
            return bidirectional ? 2 : 1;
        }

        /** Hout: the size of h (proj_size when set, else H). */
        int outputSize() {
            return projSize > 0 ? projSize : hiddenSize;
        }

        /** Input size of layer l. */
        int layerInput(int l) {
            return l == 0 ? inputSize : directions() * outputSize();
        }
    }

    /** output[T,B,D*Hout], hn[L*D,B,Hout], cn[L*D,B,H] (null unless LSTM). */
    record Result(double[] output, double[] hn, double[] cn) {}

    /**
     * Runs the stack.
     *
     * @param w       weights by PyTorch name without prefix (see the class comment)
     * @param x       {@code [T,B,I]}
     * @param lengths {@code [B]} or null for all T
     * @param h0      {@code [L*D,B,Hout]} or null for zeros
     * @param c0      {@code [L*D,B,H]} or null for zeros (LSTM only)
     */
    static Result forward(Config c, Map<String, float[]> w, float[] x, int T, int B, int[] lengths, float[] h0,
                          float[] c0) {
        return forward(c, w, x, T, B, lengths, h0, c0, Precision.FP32);
    }

    /**
     * Runs the stack with its weight matrices and every product's input in the given precision, by SPEC §1.5's
     * formulas: BF16 rounds weights and inputs to bfloat16; INT8 quantizes each weight row (s_n, q) and each input
     * row (s_x, zp, xq) in float32 as written there, and the product sum_k (s_n q[n,k]) (s_x (xq[k] - zp)) equals
     * s_x s_n (sum xq q - zp sum q). States, activations and sums stay float64.
     */
    static Result forward(Config c, Map<String, float[]> w, float[] x, int T, int B, int[] lengths, float[] h0,
                          float[] c0, Precision precision) {
        return forward(c, w, x, T, B, lengths, h0, c0, precision, RecurrentOptions.defaults());
    }

    /**
     * Runs the stack with ONNX-style options, written from the ONNX operator spec (LSTM/GRU/RNN-14) with clip and
     * input_forget placed as {@link RecurrentOptions} documents: every layer runs reverse when {@code o.reverse()};
     * peepholes come from {@code weight_p_l{k}[3H]} (i, f, o) when present. The functions of {@code o} replace
     * the cell's (its sigmoid candidate or relu included) when given.
     */
    static Result forward(Config c, Map<String, float[]> w, float[] x, int T, int B, int[] lengths, float[] h0,
                          float[] c0, Precision precision, RecurrentOptions o) {
        Reference64.precision = precision;
        final int L = c.numLayers(), D = c.directions(), H = c.hiddenSize(), hout = c.outputSize();
        final boolean lstm = c.cell().isLstm();
        double[] in = new double[x.length];
        for (int i = 0; i < x.length; i++) in[i] = x[i];
        int inSize = c.inputSize();
        double[] out = null;
        double[] hn = new double[L * D * B * hout];
        double[] cn = lstm ? new double[L * D * B * H] : null;

        for (int l = 0; l < L; l++) {
            out = new double[T * B * D * hout]; // zeros at t >= len stay zeros
            for (int d = 0; d < D; d++) {
                String sfx = "_l" + l + (d == 1 ? "_reverse" : "");
                Cell layerCell = c.cell();
                double[] wih = weights(w, "weight_ih" + sfx, c.cell().gates * H);
                double[] whh = weights(w, "weight_hh" + sfx, c.cell().gates * H);
                double[] bih = c.bias() ? get(w, "bias_ih" + sfx) : null;
                double[] bhh = c.bias() ? get(w, "bias_hh" + sfx) : null;
                double[] whr = c.projSize() > 0 ? weights(w, "weight_hr" + sfx, c.projSize()) : null;
                double[] peep = w.containsKey("weight_p" + sfx) ? get(w, "weight_p" + sfx) : null;
                Ex ex = o.isDefault() && peep == null ? null : Ex.of(c.cell(), o, d, peep);
                boolean backwards = (d == 1) != o.reverse();
                int s = l * D + d;
                for (int b = 0; b < B; b++) {
                    int len = lengths == null ? T : lengths[b];
                    double[] h = new double[hout];
                    double[] cs = lstm ? new double[H] : null;
                    for (int j = 0; j < hout; j++) h[j] = h0 == null ? 0 : h0[(s * B + b) * hout + j];
                    for (int j = 0; lstm && j < H; j++) cs[j] = c0 == null ? 0 : c0[(s * B + b) * H + j];
                    for (int k = 0; k < len; k++) {
                        int t = backwards ? len - 1 - k : k;
                        double[] xt = new double[inSize];
                        System.arraycopy(in, (t * B + b) * inSize, xt, 0, inSize);
                        h = ex == null ? cell(layerCell, H, c.projSize(), inSize, wih, whh, bih, bhh, whr, xt, h, cs)
                                : ex.cell(layerCell, H, c.projSize(), inSize, wih, whh, bih, bhh, whr, xt, h, cs);
                        System.arraycopy(h, 0, out, (t * B + b) * D * hout + d * hout, hout);
                    }
                    System.arraycopy(h, 0, hn, (s * B + b) * hout, hout);
                    if (lstm) System.arraycopy(cs, 0, cn, (s * B + b) * H, H);
                }
            }
            in = out;
            inSize = D * hout;
        }
        return new Result(out, hn, cn);
    }

    /** One step of one sequence: returns the new h; updates {@code cs} in place for an LSTM. */
    private static double[] cell(Cell cell, int H, int P, int inSize, double[] wih, double[] whh, double[] bih,
                                 double[] bhh, double[] whr, double[] x, double[] h, double[] cs) {
        final int G = cell.gates, hout = h.length;
        final double[] hState = h;  // the state itself (the GRU blend reads it); the products read its quantized form
        x = input(x);
        h = input(h);
        double[] gx = affine(wih, bih, x, G * H, inSize); // W_ih x + b_ih, all gates
        switch (cell) {
            case RNN_TANH, RNN_RELU -> {
                double[] gh = affine(whh, bhh, h, H, hout);
                double[] next = new double[H];
                for (int j = 0; j < H; j++) {
                    double a = gx[j] + gh[j];
                    next[j] = cell == Cell.RNN_TANH ? Math.tanh(a) : Math.max(0, a);
                }
                return next;
            }
            case LSTM, LSTM_SIGMOID -> {
                double[] gh = affine(whh, bhh, h, G * H, hout);
                double[] m = new double[H]; // o∘tanh(c), before any projection
                for (int j = 0; j < H; j++) {
                    double i = sigmoid(gx[j] + gh[j]);
                    double f = sigmoid(gx[H + j] + gh[H + j]);
                    double ga = gx[2 * H + j] + gh[2 * H + j];
                    double g = cell == Cell.LSTM ? Math.tanh(ga) : sigmoid(ga);
                    double o = sigmoid(gx[3 * H + j] + gh[3 * H + j]);
                    cs[j] = f * cs[j] + i * g;
                    m[j] = o * Math.tanh(cs[j]);
                }
                return P > 0 ? affine(whr, null, input(m), P, H) : m;
            }
            case GRU -> {
                double[] gh = affine(whh, bhh, h, G * H, hout);
                double[] next = new double[H];
                for (int j = 0; j < H; j++) {
                    double r = sigmoid(gx[j] + gh[j]);
                    double z = sigmoid(gx[H + j] + gh[H + j]);
                    double n = Math.tanh(gx[2 * H + j] + r * gh[2 * H + j]); // r∘(W_hn h + b_hn)
                    next[j] = (1 - z) * n + z * hState[j];
                }
                return next;
            }
            case GRU_RESET_BEFORE -> {
                double[] r = new double[H], z = new double[H];
                for (int j = 0; j < H; j++) {
                    double hr = dot(whh, j, h, hout) + (bhh == null ? 0 : bhh[j]);
                    double hz = dot(whh, H + j, h, hout) + (bhh == null ? 0 : bhh[H + j]);
                    r[j] = sigmoid(gx[j] + hr);
                    z[j] = sigmoid(gx[H + j] + hz);
                }
                double[] rh = new double[H];
                for (int j = 0; j < H; j++) rh[j] = r[j] * hState[j];
                rh = input(rh);
                double[] next = new double[H];
                for (int j = 0; j < H; j++) {
                    double hn = dot(whh, 2 * H + j, rh, H) + (bhh == null ? 0 : bhh[2 * H + j]); // W_hn (r∘h) + b_hn
                    double n = Math.tanh(gx[2 * H + j] + hn);
                    next[j] = (1 - z[j]) * n + z[j] * hState[j];
                }
                return next;
            }
            default -> throw new AssertionError(cell);
        }
    }

    /** One direction's ONNX-style options: clip (0 = none), input_forget, f, g, h, peepholes i, f, o (or null). */
    record Ex(double clip, boolean inputForget, RecurrentOptions.Fn f, RecurrentOptions.Fn g, RecurrentOptions.Fn h,
              double[] peep) {
        static Ex of(Cell cell, RecurrentOptions o, int d, double[] peep) {
            List<RecurrentOptions.Fn> a = o.activations();
            RecurrentOptions.Fn sig = RecurrentOptions.Fn.sigmoid(), tanh = RecurrentOptions.Fn.tanh();
            RecurrentOptions.Fn f, g = tanh, h = tanh;
            if (cell.isLstm()) {
                f = sig;
                g = cell == Cell.LSTM_SIGMOID ? sig : tanh;
            } else if (cell.gates == 3) {
                f = sig;
            } else {
                f = cell == Cell.RNN_RELU ? RecurrentOptions.Fn.relu() : tanh;
            }
            int per = cell.isLstm() ? 3 : cell.gates == 3 ? 2 : 1;
            if (!a.isEmpty()) {
                f = a.get(d * per);
                if (per > 1) g = a.get(d * per + 1);
                if (per > 2) h = a.get(d * per + 2);
            }
            return new Ex(o.clip(), o.inputForget(), f, g, h, peep);
        }

        double clipped(double v) {
            return clip > 0 ? Math.max(-clip, Math.min(clip, v)) : v;
        }

        /** The cell with these options (the products as {@link Reference64#cell} computes them). */
        double[] cell(Cell cell, int H, int P, int inSize, double[] wih, double[] whh, double[] bih, double[] bhh,
                      double[] whr, double[] x, double[] hIn, double[] cs) {
            final int G = cell.gates, hout = hIn.length;
            final double[] hState = hIn;
            x = input(x);
            double[] hq = input(hIn);
            double[] gx = affine(wih, bih, x, G * H, inSize);
            double[] next = new double[H];
            if (cell.isLstm()) {
                double[] gh = affine(whh, bhh, hq, G * H, hout);
                double[] m = new double[H];
                for (int j = 0; j < H; j++) {
                    double cp = cs[j];
                    double pi = peep == null ? 0 : peep[j], pf = peep == null ? 0 : peep[H + j];
                    double po = peep == null ? 0 : peep[2 * H + j];
                    double i = act(f, clipped(gx[j] + gh[j] + pi * cp));
                    double fg = inputForget ? 1 - i : act(f, clipped(gx[H + j] + gh[H + j] + pf * cp));
                    double gg = act(g, clipped(gx[2 * H + j] + gh[2 * H + j]));
                    cs[j] = fg * cp + i * gg;
                    double og = act(f, clipped(gx[3 * H + j] + gh[3 * H + j] + po * cs[j]));
                    m[j] = og * act(h, cs[j]);
                }
                return P > 0 ? affine(whr, null, input(m), P, H) : m;
            }
            if (G == 1) {
                double[] gh = affine(whh, bhh, hq, H, hout);
                for (int j = 0; j < H; j++) next[j] = act(f, clipped(gx[j] + gh[j]));
                return next;
            }
            if (cell == Cell.GRU) {
                double[] gh = affine(whh, bhh, hq, G * H, hout);
                for (int j = 0; j < H; j++) {
                    double r = act(f, clipped(gx[j] + gh[j]));
                    double z = act(f, clipped(gx[H + j] + gh[H + j]));
                    double n = act(g, clipped(gx[2 * H + j] + r * gh[2 * H + j]));
                    next[j] = (1 - z) * n + z * hState[j];
                }
                return next;
            }
            double[] r = new double[H], z = new double[H];
            for (int j = 0; j < H; j++) {
                r[j] = act(f, clipped(gx[j] + dot(whh, j, hq, hout) + (bhh == null ? 0 : bhh[j])));
                z[j] = act(f, clipped(gx[H + j] + dot(whh, H + j, hq, hout) + (bhh == null ? 0 : bhh[H + j])));
            }
            double[] rh = new double[H];
            for (int j = 0; j < H; j++) rh[j] = r[j] * hState[j];
            rh = input(rh);
            for (int j = 0; j < H; j++) {
                double hn = dot(whh, 2 * H + j, rh, H) + (bhh == null ? 0 : bhh[2 * H + j]);
                double n = act(g, clipped(gx[2 * H + j] + hn));
                next[j] = (1 - z[j]) * n + z[j] * hState[j];
            }
            return next;
        }
    }

    /** An ONNX activation function, from the operator spec. */
    static double act(RecurrentOptions.Fn fn, double x) {
        double a = fn.alpha(), b = fn.beta();
        return switch (fn.kind()) {
            case SIGMOID -> sigmoid(x);
            case TANH -> Math.tanh(x);
            case RELU -> Math.max(0, x);
            case HARD_SIGMOID -> Math.min(Math.max(a * x + b, 0), 1);
            case ELU -> x >= 0 ? x : a * Math.expm1(x);
            case SOFTSIGN -> x / (1 + Math.abs(x));
            case SOFTPLUS -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
            case AFFINE -> a * x + b;
            case LEAKY_RELU -> x >= 0 ? x : a * x;
            case THRESHOLDED_RELU -> x > a ? x : 0;
            case SCALED_TANH -> a * Math.tanh(b * x);
        };
    }

    /** W v + b for W[rows, cols] row-major; b may be null. */
    private static double[] affine(double[] W, double[] b, double[] v, int rows, int cols) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) y[r] = dot(W, r, v, cols) + (b == null ? 0 : b[r]);
        return y;
    }

    /** Row {@code row} of W[*, cols] dotted with v. */
    private static double dot(double[] W, int row, double[] v, int cols) {
        double s = 0;
        for (int k = 0; k < cols; k++) s += W[row * cols + k] * v[k];
        return s;
    }

    private static double sigmoid(double a) {
        return 1 / (1 + Math.exp(-a));
    }

    private static double[] get(Map<String, float[]> w, String name) {
        float[] f = w.get(name);
        if (f == null) throw new IllegalArgumentException("reference: no weight " + name);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    // ---- SPEC §1.5 ----

    /** The precision of the current forward (the reference is single-threaded test code). */
    private static Precision precision = Precision.FP32;

    /** A weight matrix W[rows, cols] as the products see it in the current precision. */
    private static double[] weights(Map<String, float[]> w, String name, int rows) {
        float[] f = w.get(name);
        if (f == null) throw new IllegalArgumentException("reference: no weight " + name);
        double[] d = new double[f.length];
        int cols = f.length / rows;
        for (int r = 0; r < rows; r++) {
            float amax = 0;
            for (int k = 0; k < cols; k++) amax = Math.max(amax, Math.abs(f[r * cols + k]));
            float sn = amax == 0 ? 1f : amax / 127f;
            for (int k = 0; k < cols; k++) {
                float v = f[r * cols + k];
                d[r * cols + k] = switch (precision) {
                    case FP32 -> v;
                    case BF16 -> bf16(v);
                    case INT8 -> (double) sn * Math.max(-127, Math.min(127, Math.rint(v / sn)));
                };
            }
        }
        return d;
    }

    /** One product's input row (a float32 vector in the library) as the product sees it in the current precision. */
    static double[] input(double[] v) {
        double[] out = new double[v.length];
        switch (precision) {
            case FP32 -> System.arraycopy(v, 0, out, 0, v.length);  // float64 throughout, as before
            case BF16 -> {
                for (int i = 0; i < v.length; i++) out[i] = bf16((float) v[i]);
            }
            case INT8 -> {
                float lo = 0, hi = 0;
                for (double e : v) {
                    float f = (float) e;
                    if (!Float.isFinite(f)) {  // a NaN or infinite input: every output of this product is NaN
                        java.util.Arrays.fill(out, Double.NaN);
                        return out;
                    }
                    lo = Math.min(lo, f);
                    hi = Math.max(hi, f);
                }
                float sx = hi == lo ? 1f : (hi - lo) / 255f;
                float inv = 1f / sx;
                float zp = (float) Math.max(0, Math.min(255, Math.rint(-lo * inv)));
                for (int i = 0; i < v.length; i++) {
                    float xq = (float) Math.max(0, Math.min(255, Math.rint((float) v[i] * inv) + zp));
                    out[i] = (double) sx * (xq - zp);
                }
            }
        }
        return out;
    }

    /** float -> bfloat16 -> float, round to nearest even (NaN stays NaN). */
    static float bf16(float f) {
        if (Float.isNaN(f)) return f;
        int u = Float.floatToRawIntBits(f);
        u += 0x7FFF + ((u >>> 16) & 1);
        return Float.intBitsToFloat(u & 0xFFFF0000);
    }
}
