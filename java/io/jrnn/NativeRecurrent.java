package io.jrnn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

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
    final int numLayers, numDirections, inputSize, hiddenSize, projSize, outputSize;

    // Calls hold the read lock so that close() (write lock) never frees weights under a running kernel.
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private JrnnNative.RnnHandle handle;

    private static final java.util.Set<String> FLOAT_DTYPES = java.util.Set.of("F32", "F16", "BF16", "F64");
    private static final ThreadLocal<IntPointer> LENGTHS = new ThreadLocal<>();

    NativeRecurrent(StateDict sd, String prefix, String kind, int cell, int flags) {
        if (sd == null) throw new IllegalArgumentException("state dict must not be null");
        if (prefix == null) throw new IllegalArgumentException("prefix must not be null (use \"\" for none)");
        this.kind = kind;
        this.gates = cell == JrnnNative.CELL_LSTM ? 4 : cell == JrnnNative.CELL_GRU ? 3 : 1;
        final String p = prefix.isEmpty() ? "" : prefix + ".";
        final String first = p + "weight_ih_l0";
        this.source = first;
        if (!sd.contains(first)) {
            throw new IllegalArgumentException("no " + kind + " weights under prefix \"" + prefix + "\": expected tensor "
                    + first + "; the state dict has " + describeNames(sd, prefix));
        }
        int[] wih0 = sd.shape(first);
        if (wih0.length != 2 || wih0[0] == 0 || wih0[1] == 0 || wih0[0] % gates != 0) {
            throw new IllegalArgumentException(first + " must be [" + gates + "*hidden_size, input_size] ("
                    + kind + " stacks " + gates + " gate" + (gates > 1 ? "s" : "") + "), got " + Arrays.toString(wih0));
        }
        this.hiddenSize = wih0[0] / gates;
        this.inputSize = wih0[1];
        int layers = 0;
        while (sd.contains(p + "weight_ih_l" + layers)) layers++;
        this.numLayers = layers;
        this.numDirections = sd.contains(p + "weight_ih_l0_reverse") ? 2 : 1;
        final String hr0 = p + "weight_hr_l0";
        if (sd.contains(hr0)) {
            if (cell != JrnnNative.CELL_LSTM) {
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

        JrnnNative.RnnHandle h = JrnnNative.jrnn_rnn_create(cell, flags, numLayers, numDirections, inputSize,
                hiddenSize, projSize);
        if (h == null || h.isNull()) {
            throw new IllegalStateException("the native library could not create a " + kind + " of these sizes");
        }
        try {
            final int gh = gates * hiddenSize;
            for (int l = 0; l < numLayers; l++) {
                final int in = l == 0 ? inputSize : numDirections * outputSize;
                for (int d = 0; d < numDirections; d++) {
                    final String sfx = "_l" + l + (d == 1 ? "_reverse" : "");
                    try (Tensor wih = load(sd, p + "weight_ih" + sfx, gh, in);
                         Tensor whh = load(sd, p + "weight_hh" + sfx, gh, outputSize);
                         Tensor bih = bias ? load(sd, p + "bias_ih" + sfx, gh) : null;
                         Tensor bhh = bias ? load(sd, p + "bias_hh" + sfx, gh) : null;
                         Tensor whr = projSize > 0 ? load(sd, p + "weight_hr" + sfx, projSize, hiddenSize) : null) {
                        int rc = JrnnNative.jrnn_rnn_set_weights(h, l, d, wih.pointer(), whh.pointer(), ptr(bih),
                                ptr(bhh), ptr(whr));
                        check(rc, "loading " + p + "*" + sfx);
                    }
                }
            }
            rejectUnused(sd, p, bias);
        } catch (RuntimeException e) {
            JrnnNative.jrnn_rnn_destroy(h);
            throw e;
        }
        this.handle = h;
        this.cleanable = CLEANER.register(this, new Destroy(h));
    }

    // The backstop for a layer nobody closed: frees the native stack once the layer is unreachable. The action
    // holds the handle, never the layer.
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();
    private final java.lang.ref.Cleaner.Cleanable cleanable;

    private static final class Destroy implements Runnable {
        private final JrnnNative.RnnHandle handle;

        Destroy(JrnnNative.RnnHandle handle) {
            this.handle = handle;
        }

        @Override
        public void run() {
            JrnnNative.jrnn_rnn_destroy(handle);
        }
    }

    private static final java.util.regex.Pattern RECURRENT_NAME =
            java.util.regex.Pattern.compile("(weight|bias)_(ih|hh|hr)_l(\\d+)(_reverse)?");

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
            java.util.regex.Matcher m = RECURRENT_NAME.matcher(name.substring(p.length()));
            if (!m.matches()) continue;
            long layer = Long.parseLong(m.group(3).length() > 9 ? "999999999" : m.group(3));
            boolean used = layer < numLayers && (m.group(4) == null || numDirections == 2)
                    && (m.group(1).equals("weight") || bias)
                    && (!m.group(2).equals("hr") || projSize > 0);
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
        if (!FLOAT_DTYPES.contains(dtype)) {
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

    private static String describeNames(StateDict sd, String prefix) {
        List<String> names = new ArrayList<>(sd.names());
        names.sort(null);
        if (names.isEmpty()) return "no tensors";
        List<String> shown = names.subList(0, Math.min(10, names.size()));
        return names.size() + " tensors: " + String.join(", ", shown) + (names.size() > 10 ? ", ..." : "");
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
        checkInput(x);
        final int T = x.dim(0), B = x.dim(1);
        final int LD = numLayers * numDirections;
        checkLengths(lengths, T, B);
        checkOptional("h0", h0, LD, B, outputSize);
        checkCellState("c0", c0, LD, B);
        if (output == null) throw new IllegalArgumentException("output must not be null");
        checkOptional("output", output, T, B, numDirections * outputSize);
        checkOptional("hn", hn, LD, B, outputSize);
        checkCellState("cn", cn, LD, B);
        lock.readLock().lock();
        try {
            IntPointer lp = lengths == null ? null : lengthsPointer(lengths);
            int rc = JrnnNative.jrnn_rnn_forward(handle(), T, B, x.pointer(), lp, ptr(h0), ptr(c0), output.pointer(),
                    ptr(hn), ptr(cn));
            check(rc, "forward");
        } finally {
            lock.readLock().unlock();
            java.lang.ref.Reference.reachabilityFence(this);
        }
    }

    @Override
    public RecurrentStream stream(int batch, Tensor h0, Tensor c0) {
        if (numDirections != 1) {
            throw new IllegalArgumentException("streaming needs a unidirectional " + kind
                    + " (the reverse direction reads the future); this one is bidirectional");
        }
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        checkOptional("h0", h0, numLayers, batch, outputSize);
        checkCellState("c0", c0, numLayers, batch);
        ensureOpen();
        return new RecurrentStream(this, batch, h0, c0);
    }

    /** One step of a stream (the stream validated x and owns the state). */
    void step(int B, Tensor x, Tensor h, Tensor c, Tensor y) {
        lock.readLock().lock();
        try {
            check(JrnnNative.jrnn_rnn_step(handle(), B, x.pointer(), h.pointer(), ptr(c), y.pointer()), "step");
        } finally {
            lock.readLock().unlock();
            java.lang.ref.Reference.reachabilityFence(this);
        }
    }

    /** One step on raw native buffers (seq2seq decoding: the caller sized and validated everything). */
    void stepRaw(int B, FloatPointer x, FloatPointer h, FloatPointer c, FloatPointer y) {
        lock.readLock().lock();
        try {
            check(JrnnNative.jrnn_rnn_step(handle(), B, x, h, c, y), "step");
        } finally {
            lock.readLock().unlock();
            java.lang.ref.Reference.reachabilityFence(this);
        }
    }

    /**
     * One step on raw native buffers with {@code _ex} options (the batcher: it sized and validated everything; h, c
     * are [L,B,*] views into its state arena).
     */
    void stepRaw(int B, FloatPointer x, FloatPointer h, FloatPointer c, FloatPointer y, int options) {
        lock.readLock().lock();
        try {
            check(JrnnNative.jrnn_rnn_step_ex(handle(), B, x, h, c, y, options), "step");
        } finally {
            lock.readLock().unlock();
            java.lang.ref.Reference.reachabilityFence(this);
        }
    }

    /** A forward on raw native buffers with {@code _ex} options (the batcher validated everything). */
    void forwardRaw(int T, int B, FloatPointer x, IntPointer lengths, FloatPointer h0, FloatPointer c0, FloatPointer y,
                    FloatPointer hn, FloatPointer cn, int options) {
        lock.readLock().lock();
        try {
            check(JrnnNative.jrnn_rnn_forward_ex(handle(), T, B, x, lengths, h0, c0, y, hn, cn, options), "forward");
        } finally {
            lock.readLock().unlock();
            java.lang.ref.Reference.reachabilityFence(this);
        }
    }

    // ---- validation ----

    /** Checks x is an open [T,B,I] tensor with T, B >= 1 (allocation-free unless it throws). */
    void checkInput(Tensor x) {
        if (x == null) throw new IllegalArgumentException("x must not be null");
        if (x.rank() != 3 || x.dim(2) != inputSize || x.dim(0) < 1 || x.dim(1) < 1) {
            throw new IllegalArgumentException("x must be [T,B," + inputSize + "] with T, B >= 1 (input_size "
                    + inputSize + " from " + source + "), got " + Arrays.toString(x.shape()));
        }
        requireOpen("x", x);
    }

    static void checkLengths(int[] lengths, int T, int B) {
        if (lengths == null) return;
        if (lengths.length != B) {
            throw new IllegalArgumentException("lengths must have one entry per sequence (B = " + B + " from x), got "
                    + lengths.length);
        }
        for (int b = 0; b < B; b++) {
            if (lengths[b] < 0 || lengths[b] > T) {
                throw new IllegalArgumentException("lengths[" + b + "] must be in [0, " + T + "] (T from x), got "
                        + lengths[b]);
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

    private JrnnNative.RnnHandle handle() {
        JrnnNative.RnnHandle h = handle;
        if (h == null) throw new IllegalStateException(kind + " is closed");
        return h;
    }

    void ensureOpen() {
        lock.readLock().lock();
        try {
            handle();
        } finally {
            lock.readLock().unlock();
            java.lang.ref.Reference.reachabilityFence(this);
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (handle != null) {
                handle = null;
                cleanable.clean(); // runs Destroy once, now
            }
        } finally {
            lock.writeLock().unlock();
        }
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
                + (projSize > 0 ? ", proj_size=" + projSize : "") + (numDirections == 2 ? ", bidirectional" : "") + ")";
    }
}
