package io.jrnn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import io.jrnn.internal.JrnnNative;

/**
 * The shared body of {@link Lstm}, {@link Gru} and {@link Rnn}: reads sizes from PyTorch tensor names and shapes,
 * owns the native stack, validates every call before it reaches native code.
 */
abstract class NativeRecurrent implements RecurrentLayer {
    private final String kind;     // "LSTM", "GRU", "RNN" for messages
    private final String source;   // the tensor sizes were read from, for messages
    private final int gates;
    final Cell cell;
    final int numLayers, numDirections, inputSize, hiddenSize, projSize, outputSize;

    // Calls hold the handle's read lock so that close() never frees weights under a running kernel.
    private final NativeHandle<JrnnNative.RnnHandle> handle;

    private static final ThreadLocal<IntPointer> LENGTHS = new ThreadLocal<>();

    final Precision precision;
    private final long weightBytes;

    final RecurrentOptions options;
    final boolean peepholes;

    NativeRecurrent(StateDict sd, String prefix, Cell cell, int flags, Precision precision) {
        this(sd, prefix, cell, flags, RecurrentOptions.defaults(), precision);
    }

    NativeRecurrent(StateDict sd, String prefix, Cell cell, int flags, RecurrentOptions options, Precision precision) {
        if (sd == null) throw new IllegalArgumentException("state dict must not be null");
        if (precision == null) throw new IllegalArgumentException("precision must not be null");
        if (options == null) {
            throw new IllegalArgumentException("options must not be null (RecurrentOptions.defaults() for none)");
        }
        this.precision = precision;
        this.options = options;
        if (prefix == null) throw new IllegalArgumentException("prefix must not be null (use \"\" for none)");
        this.cell = cell;
        this.kind = cell.kind();
        this.gates = cell.gates();
        final String p = Weights.dot(prefix);
        final String first = p + "weight_ih_l0";
        this.source = first;
        if (!sd.contains(first)) {
            java.util.Set<String> held = Weights.recurrentPrefixes(sd);
            throw new IllegalArgumentException("no " + kind + " weights under prefix \"" + prefix + "\": expected tensor "
                    + first + "; " + (held.isEmpty() ? "the state dict holds no recurrent weights at all ("
                    + describeNames(sd) + ")" : "recurrent weights are under the prefix" + (held.size() > 1 ? "es " : " ")
                    + quoted(held)));
        }
        int[] wih0 = sd.shape(first);
        if (wih0.length != 2 || wih0[0] == 0 || wih0[1] == 0 || wih0[0] % gates != 0 || otherCell(sd, p, wih0) != null) {
            String other = wih0.length == 2 ? otherCell(sd, p, wih0) : null;
            throw new IllegalArgumentException(first + " must be [" + gates + "*hidden_size, input_size] ("
                    + kind + " stacks " + gates + " gate" + (gates > 1 ? "s" : "") + "), got " + Arrays.toString(wih0)
                    + (other == null ? "" : ": " + other));
        }
        this.hiddenSize = wih0[0] / gates;
        this.inputSize = wih0[1];
        int layers = 0;
        while (sd.contains(p + "weight_ih_l" + layers)) layers++;
        this.numLayers = layers;
        this.numDirections = sd.contains(p + "weight_ih_l0_reverse") ? 2 : 1;
        final String hr0 = p + "weight_hr_l0";
        if (sd.contains(hr0)) {
            if (cell != Cell.LSTM) {
                throw new IllegalArgumentException(hr0 + " is a projection (proj_size), which only an LSTM has, but this is "
                        + article(kind) + " " + kind);
            }
            int[] s = sd.shape(hr0);
            if (s.length != 2 || s[0] < 1 || s[0] >= hiddenSize || s[1] != hiddenSize) {
                throw new IllegalArgumentException(hr0 + " must be [proj_size, " + hiddenSize + "] with 0 < proj_size < "
                        + hiddenSize + " (hidden_size from " + first + "), got " + Arrays.toString(s));
            }
            this.projSize = s[0];
        } else {
            this.projSize = 0;
        }
        this.outputSize = projSize > 0 ? projSize : hiddenSize;
        final boolean bias = sd.contains(p + "bias_ih_l0");
        final String p0 = p + "weight_p_l0";
        this.peepholes = cell == Cell.LSTM && sd.contains(p0);
        if (peepholes && projSize > 0) {
            throw new IllegalArgumentException(p0 + " (peepholes) with " + hr0 + " (proj_size " + projSize
                    + "): an LSTM with both is not supported");
        }
        checkOptions(options);

        if (precision == Precision.INT8) {
            int widest = Math.max(inputSize, Math.max(numDirections * outputSize, hiddenSize));
            if (widest > Precision.INT8_MAX_INPUTS) {
                throw new IllegalArgumentException("INT8 takes at most " + Precision.INT8_MAX_INPUTS + " inputs per "
                        + "product (exact int32 sums); this " + kind + " has a product with " + widest + " (" + first
                        + ")");
            }
        }

        JrnnNative.RnnHandle h = JrnnNative.jrnn_rnn_create(cell.nativeId(), flags, numLayers, numDirections, inputSize,
                hiddenSize, projSize);
        if (h == null || h.isNull()) {
            throw new IllegalStateException("the native library could not create a " + kind + " of these sizes");
        }
        try {
            check(JrnnNative.jrnn_rnn_set_precision(h, precision.nativeId()), "setting precision " + precision);
            setOptions(h, options);
            final int gh = gates * hiddenSize;
            for (int l = 0; l < numLayers; l++) {
                final int in = l == 0 ? inputSize : numDirections * outputSize;
                for (int d = 0; d < numDirections; d++) {
                    final String sfx = "_l" + l + (d == 1 ? "_reverse" : "");
                    try (Tensor wih = load(sd, Weights.recurrent(prefix, "weight_ih", l, d), gh, in);
                         Tensor whh = load(sd, Weights.recurrent(prefix, "weight_hh", l, d), gh, outputSize);
                         Tensor bih = bias ? load(sd, Weights.recurrent(prefix, "bias_ih", l, d), gh) : null;
                         Tensor bhh = bias ? load(sd, Weights.recurrent(prefix, "bias_hh", l, d), gh) : null;
                         Tensor whr = projSize > 0 ? load(sd, Weights.recurrent(prefix, "weight_hr", l, d), projSize,
                                 hiddenSize) : null;
                         Tensor wp = peepholes ? load(sd, Weights.recurrent(prefix, "weight_p", l, d), 3 * hiddenSize)
                                 : null) {
                        int rc = JrnnNative.jrnn_rnn_set_weights(h, l, d, wih.pointer(), whh.pointer(), ptr(bih),
                                ptr(bhh), ptr(whr));
                        check(rc, "loading " + p + "*" + sfx);
                        if (wp != null) {
                            check(JrnnNative.jrnn_rnn_set_peepholes(h, l, d, wp.pointer()), "loading " + p
                                    + "weight_p" + sfx);
                        }
                    }
                }
            }
            rejectUnused(sd, p, bias);
            this.weightBytes = JrnnNative.jrnn_rnn_weight_bytes(h);
        } catch (RuntimeException e) {
            JrnnNative.jrnn_rnn_destroy(h);
            throw e;
        }
        this.handle = new NativeHandle<>(h, JrnnNative::jrnn_rnn_destroy, kind);
    }

    /**
     * When layer 0's weights are another cell's (weight_hh_l0 [G'*c, c] with G' the gate count of another cell),
     * says so: "rnn.weight_ih_l0 has 3 × 64 rows: GRU weights, not LSTM". Null when they fit or say nothing.
     */
    private String otherCell(StateDict sd, String p, int[] wih0) {
        String hh = p + "weight_hh_l0";
        if (!sd.contains(hh) || sd.contains(p + "weight_hr_l0")) return null;
        int[] s = sd.shape(hh);
        if (s.length != 2 || s[1] < 1 || s[0] != wih0[0] || s[0] % s[1] != 0) return null;
        int g = s[0] / s[1];
        String other = Cell.kindOfGates(g);
        if (other == null || g == gates) return null;
        return p + "weight_ih_l0 has " + g + " × " + s[1] + " rows (hidden_size " + s[1] + " from " + hh + "): "
                + other + " weights, not " + kind;
    }

    private static String quoted(java.util.Set<String> prefixes) {
        List<String> q = new ArrayList<>();
        for (String s : prefixes) q.add("\"" + s + "\" (" + Weights.dot(s) + "weight_ih_l0)");
        return String.join(", ", q);
    }

    /**
     * PyTorch's strict load_state_dict: a recurrent tensor under the prefix that the architecture read from layer 0
     * does not use (biases on some layers only, a gap in the layer numbers, a stray reverse direction) is an error,
     * never silently dropped.
     */
    private void rejectUnused(StateDict sd, String p, boolean bias) {
        List<String> unused = new ArrayList<>();
        boolean beyond = false;
        for (String name : sd.names()) {
            if (!name.startsWith(p)) continue;
            java.util.regex.Matcher m = Weights.RECURRENT_NAME.matcher(name.substring(p.length()));
            if (!m.matches()) continue;
            long layer = Long.parseLong(m.group(3).length() > 9 ? "999999999" : m.group(3));
            boolean used = layer < numLayers && (m.group(4) == null || numDirections == 2)
                    && (m.group(1).equals("weight") || (bias && !m.group(2).equals("hr") && !m.group(2).equals("p")))
                    && (!m.group(2).equals("hr") || projSize > 0)
                    && (!m.group(2).equals("p") || peepholes);
            if (!used) unused.add(name);
            beyond |= layer >= numLayers;
        }
        if (!unused.isEmpty()) {
            unused.sort(null);
            throw new IllegalArgumentException("tensors " + unused + " do not fit " + article(kind) + " " + kind + " with "
                    + numLayers + " layer" + (numLayers > 1 ? "s" : "") + (numDirections == 2 ? ", bidirectional" : "")
                    + (bias ? "" : ", without biases") + " (read from " + source + " and its siblings)"
                    + (beyond ? "; layers are numbered from 0 without gaps, and " + p + "weight_ih_l" + numLayers
                    + " is missing" : ""));
        }
    }

    private static String article(String kind) {
        return kind.equals("LSTM") || kind.equals("RNN") ? "an" : "a";
    }

    /** Loads a tensor after checking it exists with the expected shape; message names where sizes came from. */
    private Tensor load(StateDict sd, String name, int... expected) {
        if (!sd.contains(name)) {
            throw new IllegalArgumentException("missing tensor " + name + " (" + article(kind) + " " + kind + " with " + numLayers + " layer"
                    + (numLayers > 1 ? "s" : "") + (numDirections == 2 ? ", bidirectional" : "") + ", as "
                    + source + " and its siblings say, needs it)");
        }
        String dtype = sd.dtype(name);
        if (!Weights.FLOAT_DTYPES.contains(dtype)) {
            throw new IllegalArgumentException("tensor " + name + " must be a float tensor (F32, F16, BF16 or F64), got "
                    + dtype);
        }
        int[] s = sd.shape(name);
        if (!Arrays.equals(s, expected)) {
            throw new IllegalArgumentException("tensor " + name + " must be " + Arrays.toString(expected) + " ("
                    + sizesText() + "), got " + Arrays.toString(s));
        }
        return sd.tensor(name);
    }

    private String sizesText() {
        return kind + " input_size " + inputSize + ", hidden_size " + hiddenSize
                + (projSize > 0 ? ", proj_size " + projSize : "") + " from " + source;
    }

    private static String describeNames(StateDict sd) {
        List<String> names = new ArrayList<>(sd.names());
        names.sort(null);
        if (names.isEmpty()) return "no tensors";
        List<String> shown = names.subList(0, Math.min(10, names.size()));
        return names.size() + " tensors: " + String.join(", ", shown) + (names.size() > 10 ? ", ..." : "");
    }

    /** The number of activation functions ONNX lists per direction for this cell: LSTM 3, GRU 2, RNN 1. */
    private int activationsPerDirection() {
        return cell == Cell.LSTM ? 3 : cell == Cell.GRU ? 2 : 1;
    }

    /** Rejects options this layer's cell or weights cannot take, naming what was expected and found. */
    private void checkOptions(RecurrentOptions o) {
        if (o.inputForget() && cell != Cell.LSTM) {
            throw new IllegalArgumentException("inputForget couples an LSTM's input and forget gates, but this is "
                    + article(kind) + " " + kind);
        }
        if (o.reverse() && numDirections == 2) {
            throw new IllegalArgumentException("reverse makes a unidirectional " + kind + " run backwards, but "
                    + source.replace("weight_ih_l0", "weight_ih_l0_reverse") + " makes this one bidirectional");
        }
        int n = o.activations().size();
        int per = activationsPerDirection();
        if (n != 0 && n != per * numDirections) {
            throw new IllegalArgumentException("activations: " + article(kind) + " " + kind + " takes " + per
                    + " per direction (" + (cell == Cell.LSTM ? "f, g, h" : cell == Cell.GRU ? "f, g" : "f")
                    + "), so " + per * numDirections + " for this " + (numDirections == 2 ? "bidirectional" :
                    "unidirectional") + " one (from " + source + "), got " + n);
        }
    }

    /** Hands the options to the native stack (before any weights). */
    private void setOptions(JrnnNative.RnnHandle h, RecurrentOptions o) {
        if (o.isDefault()) return;
        int n = o.activations().size();
        int[] kinds = new int[Math.max(n, 1)];
        float[] alpha = new float[Math.max(n, 1)], beta = new float[Math.max(n, 1)];
        for (int i = 0; i < n; i++) {
            RecurrentOptions.Fn f = o.activations().get(i);
            kinds[i] = f.kind().ordinal();  // Kind's declaration order is the ABI's JRNN_FN_* values
            alpha[i] = f.alpha();
            beta[i] = f.beta();
        }
        try (IntPointer kp = new IntPointer(kinds); FloatPointer ap = new FloatPointer(alpha);
             FloatPointer bp = new FloatPointer(beta)) {
            check(JrnnNative.jrnn_rnn_set_options(h, (o.reverse() ? JrnnNative.RNN_REVERSE : 0)
                    | (o.inputForget() ? JrnnNative.RNN_INPUT_FORGET : 0), o.clip(), n, kp, ap, bp),
                    "setting options " + o);
        }
    }

    /** The ONNX-style options this layer was loaded with ({@link RecurrentOptions#defaults()} unless given). */
    public RecurrentOptions options() {
        return options;
    }

    /** True when this LSTM has peepholes ({@code weight_p_l<k>} tensors). */
    public boolean hasPeepholes() {
        return peepholes;
    }

    // ---- calls ----

    @Override
    public RecurrentOutput forward(Tensor x, int[] lengths, Tensor h0, Tensor c0) {
        checkInput(x);
        final int T = x.dim(0), B = x.dim(1);
        final int LD = numLayers * numDirections;
        Tensor out = Tensor.uninitialized(T, B, numDirections * outputSize);
        Tensor hn = null, cn = null;
        try {
            hn = Tensor.uninitialized(LD, B, outputSize);
            cn = isLstm() ? Tensor.uninitialized(LD, B, hiddenSize) : null;
            forward(x, lengths, h0, c0, out, hn, cn);
            return new RecurrentOutput(out, hn, cn);
        } catch (RuntimeException | Error e) {
            out.close();
            if (hn != null) hn.close();
            if (cn != null) cn.close();
            throw e;
        }
    }

    @Override
    public void forward(Tensor x, int[] lengths, Tensor h0, Tensor c0, Tensor output, Tensor hn, Tensor cn) {
        forward(false, x, lengths, h0, c0, output, hn, cn);
    }

    @Override
    public RecurrentOutput forwardBatchFirst(Tensor x, int[] lengths, Tensor h0, Tensor c0) {
        checkInput(x, true);
        final int B = x.dim(0), T = x.dim(1);
        final int LD = numLayers * numDirections;
        Tensor out = Tensor.uninitialized(B, T, numDirections * outputSize);
        Tensor hn = null, cn = null;
        try {
            hn = Tensor.uninitialized(LD, B, outputSize);
            cn = isLstm() ? Tensor.uninitialized(LD, B, hiddenSize) : null;
            forward(true, x, lengths, h0, c0, out, hn, cn);
            return new RecurrentOutput(out, hn, cn);
        } catch (RuntimeException | Error e) {
            out.close();
            if (hn != null) hn.close();
            if (cn != null) cn.close();
            throw e;
        }
    }

    @Override
    public void forwardBatchFirst(Tensor x, int[] lengths, Tensor h0, Tensor c0, Tensor output, Tensor hn, Tensor cn) {
        forward(true, x, lengths, h0, c0, output, hn, cn);
    }

    /** Time-major x[T,B,I] → output[T,B,D*Hout], or batch-first x[B,T,I] → output[B,T,D*Hout]. */
    void forward(boolean batchFirst, Tensor x, int[] lengths, Tensor h0, Tensor c0, Tensor output, Tensor hn, Tensor cn) {
        checkInput(x, batchFirst);
        final int T = x.dim(batchFirst ? 1 : 0), B = x.dim(batchFirst ? 0 : 1);
        final int LD = numLayers * numDirections;
        checkLengths(lengths, T, B, batchFirst);
        checkOptional("h0", h0, LD, B, outputSize);
        checkCellState("c0", c0, LD, B);
        if (output == null) throw new IllegalArgumentException("output must not be null");
        if (batchFirst) checkOptional("output", output, B, T, numDirections * outputSize);
        else checkOptional("output", output, T, B, numDirections * outputSize);
        checkOptional("hn", hn, LD, B, outputSize);
        checkCellState("cn", cn, LD, B);
        forwardRaw(batchFirst, T, B, x.pointer(), lengths, ptr(h0), ptr(c0), output.pointer(), ptr(hn), ptr(cn));
    }

    /** The forward on raw native buffers (the caller sized and validated everything). */
    void forwardRaw(boolean batchFirst, int T, int B, FloatPointer x, int[] lengths, FloatPointer h0, FloatPointer c0,
                    FloatPointer y, FloatPointer hn, FloatPointer cn) {
        JrnnNative.RnnHandle h = handle.acquire();
        try {
            IntPointer lp = lengths == null ? null : lengthsPointer(lengths);
            int rc = batchFirst
                    ? JrnnNative.jrnn_rnn_forward_batch_first(h, T, B, inputSize, numDirections * outputSize, x, lp, h0,
                            c0, y, hn, cn)
                    : JrnnNative.jrnn_rnn_forward(h, T, B, x, lp, h0, c0, y, hn, cn);
            check(rc, "forward");
        } finally {
            handle.release();
        }
    }

    @Override
    public RecurrentStream stream(int batch, Tensor h0, Tensor c0) {
        if (numDirections != 1) {
            throw new IllegalArgumentException("streaming needs a unidirectional " + kind
                    + " (the reverse direction reads the future); this one is bidirectional");
        }
        if (options.reverse()) {
            throw new IllegalArgumentException("streaming needs a forward " + kind
                    + " (a reverse one reads the future); this one was loaded with reverse");
        }
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        checkOptional("h0", h0, numLayers, batch, outputSize);
        checkCellState("c0", c0, numLayers, batch);
        ensureOpen();
        return new RecurrentStream(this, batch, h0, c0);
    }

    /** One step of a stream (the stream validated x and owns the state). */
    void step(int B, Tensor x, Tensor h, Tensor c, Tensor y) {
        stepRaw(B, x.pointer(), h.pointer(), ptr(c), y.pointer());
    }

    /** One step on raw native buffers (seq2seq decoding: the caller sized and validated everything). */
    void stepRaw(int B, FloatPointer x, FloatPointer h, FloatPointer c, FloatPointer y) {
        JrnnNative.RnnHandle hd = handle.acquire();
        try {
            check(JrnnNative.jrnn_rnn_step(hd, B, x, h, c, y), "step");
        } finally {
            handle.release();
        }
    }

    /**
     * One step on raw native buffers with {@code _ex} options (the batcher: it sized and validated everything; h, c
     * are [L,B,*] views into its state arena).
     */
    void stepRaw(int B, FloatPointer x, FloatPointer h, FloatPointer c, FloatPointer y, int options) {
        JrnnNative.RnnHandle hd = handle.acquire();
        try {
            check(JrnnNative.jrnn_rnn_step_ex(hd, B, x, h, c, y, options), "step");
        } finally {
            handle.release();
        }
    }

    /** A forward on raw native buffers with {@code _ex} options (the batcher validated everything). */
    void forwardRaw(int T, int B, FloatPointer x, IntPointer lengths, FloatPointer h0, FloatPointer c0, FloatPointer y,
                    FloatPointer hn, FloatPointer cn, int options) {
        JrnnNative.RnnHandle hd = handle.acquire();
        try {
            check(JrnnNative.jrnn_rnn_forward_ex(hd, T, B, x, lengths, h0, c0, y, hn, cn, options), "forward");
        } finally {
            handle.release();
        }
    }

    // ---- validation ----

    /** Checks x is an open [T,B,I] tensor with T, B >= 1 (allocation-free unless it throws). */
    void checkInput(Tensor x) {
        checkInput(x, false);
    }

    /** Checks x is an open time-major [T,B,I] or batch-first [B,T,I] tensor with T, B >= 1. */
    void checkInput(Tensor x, boolean batchFirst) {
        if (x == null) throw new IllegalArgumentException("x must not be null");
        if (x.rank() != 3 || x.dim(2) != inputSize || x.dim(0) < 1 || x.dim(1) < 1) {
            throw new IllegalArgumentException("x must be " + (batchFirst ? "[B,T," : "[T,B,") + inputSize
                    + "] with T, B >= 1 (" + (batchFirst ? "batch-first" : "time-major") + "; input_size " + inputSize
                    + " from " + source + "), got " + Arrays.toString(x.shape()));
        }
        requireOpen("x", x);
    }

    static void checkLengths(int[] lengths, int T, int B) {
        checkLengths(lengths, T, B, false);
    }

    static void checkLengths(int[] lengths, int T, int B, boolean batchFirst) {
        if (lengths == null) return;
        String layout = batchFirst ? "x[B,T,I], batch-first" : "x[T,B,I], time-major";
        if (lengths.length != B) {
            throw new IllegalArgumentException("lengths must have one entry per sequence (B = " + B + " from " + layout
                    + (batchFirst ? "" : "; batch-first input goes to forwardBatchFirst") + "), got " + lengths.length);
        }
        for (int b = 0; b < B; b++) {
            if (lengths[b] < 0 || lengths[b] > T) {
                throw new IllegalArgumentException("lengths[" + b + "] must be in [0, " + T + "] (T from " + layout
                        + "), got " + lengths[b]);
            }
        }
    }

    void checkCellState(String name, Tensor t, int LD, int B) {
        if (t == null) return;
        if (!isLstm()) {
            throw new IllegalArgumentException(name + " is an LSTM cell state, but this is " + article(kind) + " " + kind
                    + ": pass null");
        }
        checkOptional(name, t, LD, B, hiddenSize);
    }

    void checkOptional(String name, Tensor t, int d0, int d1, int d2) {
        if (t == null) return;
        if (!t.hasShape(d0, d1, d2)) shapeError(name, t, new int[] {d0, d1, d2});
        requireOpen(name, t);
    }

    void checkOptional(String name, Tensor t, int d0, int d1) {
        if (t == null) return;
        if (!t.hasShape(d0, d1)) shapeError(name, t, new int[] {d0, d1});
        requireOpen(name, t);
    }

    private void shapeError(String name, Tensor t, int[] expected) {
        throw new IllegalArgumentException(name + " must be " + Arrays.toString(expected) + " ("
                + sizesText() + ", " + numLayers + " layer" + (numLayers > 1 ? "s" : "")
                + (numDirections == 2 ? ", bidirectional" : "") + "), got " + Arrays.toString(t.shape()));
    }

    static void requireOpen(String name, Tensor t) {
        if (t.isClosed()) throw new IllegalStateException(name + " is closed");
    }

    boolean isLstm() {
        return gates == 4;
    }

    // ---- lifecycle ----

    void ensureOpen() {
        handle.ensureOpen();
    }

    /** The native stack with its read lock held (a fused model step); {@link #release} in a finally. */
    JrnnNative.RnnHandle acquire() {
        return handle.acquire();
    }

    void release() {
        handle.release();
    }

    @Override
    public void close() {
        handle.close();
    }

    // ---- helpers ----

    static FloatPointer ptr(Tensor t) {
        return t == null ? null : t.pointer();
    }

    private static IntPointer lengthsPointer(int[] lengths) {
        IntPointer p = LENGTHS.get();
        if (p == null || p.capacity() < lengths.length) {
            if (p != null) p.deallocate();
            p = new IntPointer(Math.max(16, lengths.length));
            LENGTHS.set(p);
        }
        p.position(0).put(lengths, 0, lengths.length);
        return p;
    }

    private void check(int rc, String what) {
        switch (rc) {
            case JrnnNative.OK:
                return;
            case JrnnNative.ERR_NOMEM:
                throw new OutOfMemoryError(kind + " " + what + ": native allocation failed");
            default:
                // Java validates everything first, so this is a bug in jrnn, not in the caller's input.
                throw new IllegalStateException(kind + " " + what + ": native code rejected the call (status " + rc + ")");
        }
    }

    // ---- sizes ----

    @Override
    public int inputSize() {
        return inputSize;
    }

    @Override
    public int hiddenSize() {
        return hiddenSize;
    }

    @Override
    public Precision precision() {
        return precision;
    }

    @Override
    public long weightBytes() {
        return weightBytes;
    }

    @Override
    public int outputSize() {
        return outputSize;
    }

    @Override
    public int numLayers() {
        return numLayers;
    }

    @Override
    public boolean bidirectional() {
        return numDirections == 2;
    }

    @Override
    public String toString() {
        return kind + "(input_size=" + inputSize + ", hidden_size=" + hiddenSize + ", num_layers=" + numLayers
                + (projSize > 0 ? ", proj_size=" + projSize : "") + (numDirections == 2 ? ", bidirectional" : "")
                + (peepholes ? ", peepholes" : "") + (options.isDefault() ? "" : ", " + options) + ")";
    }
}
