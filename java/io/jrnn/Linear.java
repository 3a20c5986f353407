package io.jrnn;

import java.util.Arrays;

import org.bytedeco.javacpp.FloatPointer;

import io.jrnn.internal.JrnnNative;

/**
 * A linear layer as {@code torch.nn.Linear} computes it, {@code y = x W^T + b}, with {@code W[out_features,
 * in_features]} packed once in native memory and an optional bias {@code b[out_features]}.
 *
 * <pre>{@code
 * try (Linear fc = Linear.load(sd, "fc");              // fc.weight [N,K], fc.bias [N] (optional)
 *      Tensor y = fc.forward(x)) {                      // x[..., K] -> y[..., N]
 * }
 * }</pre>
 *
 * <p>Thread safety: immutable once loaded; any number of threads may call {@code forward} at once.
 * {@link #close()} (idempotent) waits for calls in flight; later calls throw {@link IllegalStateException}.
 */
public final class Linear implements AutoCloseable {
    final int n, k;
    private final Precision precision;
    private final long weightBytes;
    private final NativeHandle<JrnnNative.LinearHandle> handle;

    /** {@code w[N,K]} row-major, {@code b[N]} or null; W stored in the given precision. */
    Linear(FloatPointer w, FloatPointer b, int n, int k, Precision precision) {
        if (precision == null) throw new IllegalArgumentException("precision must not be null");
        if (precision == Precision.INT8 && k > Precision.INT8_MAX_INPUTS) {
            throw new IllegalArgumentException("INT8 takes at most " + Precision.INT8_MAX_INPUTS + " inputs per product "
                    + "(exact int32 sums); this linear layer has in_features " + k);
        }
        this.n = n;
        this.k = k;
        this.precision = precision;
        JrnnNative.LinearHandle h = JrnnNative.jrnn_linear_create_ex(n, k, w, b, precision.nativeId());
        if (h == null || h.isNull()) throw new OutOfMemoryError("cannot allocate a linear layer [" + n + ", " + k + "]");
        this.weightBytes = JrnnNative.jrnn_linear_weight_bytes(h);
        this.handle = new NativeHandle<>(h, JrnnNative::jrnn_linear_destroy, "linear layer");
    }

    static Linear of(Tensor w, Tensor b) {
        return of(w, b, Precision.FP32);
    }

    static Linear of(Tensor w, Tensor b, Precision precision) {
        return new Linear(w.pointer(), b == null ? null : b.pointer(), w.dim(0), w.dim(1), precision);
    }

    /**
     * Loads {@code prefix.weight [out_features, in_features]} and, when present, {@code prefix.bias
     * [out_features]} (PyTorch's names and layouts).
     */
    public static Linear load(StateDict sd, String prefix) {
        return load(sd, prefix, Precision.FP32);
    }

    /** {@link #load(StateDict, String)} with the weight stored in the given precision (SPEC §1.5; the bias stays float32). */
    public static Linear load(StateDict sd, String prefix, Precision precision) {
        if (precision == null) throw new IllegalArgumentException("precision must not be null");
        if (sd == null) throw new IllegalArgumentException("state dict must not be null");
        if (prefix == null) throw new IllegalArgumentException("prefix must not be null (use \"\" for none)");
        String p = prefix.isEmpty() ? "" : prefix + ".";
        String wn = p + "weight", bn = p + "bias";
        int[] ws = Weights.floatShape(sd, wn, "a Linear layer's weight [out_features, in_features]");
        if (ws.length != 2 || ws[0] < 1 || ws[1] < 1) {
            throw new IllegalArgumentException(wn + " must be [out_features, in_features] with both >= 1, got "
                    + Arrays.toString(ws));
        }
        if (sd.contains(bn)) {
            int[] bs = Weights.floatShape(sd, bn, "a Linear layer's bias");
            if (bs.length != 1 || bs[0] != ws[0]) {
                throw new IllegalArgumentException(bn + " must be [" + ws[0] + "] (out_features from " + wn + "), got "
                        + Arrays.toString(bs));
            }
        }
        try (Tensor w = sd.tensor(wn); Tensor b = sd.contains(bn) ? sd.tensor(bn) : null) {
            return of(w, b, precision);
        }
    }

    /** x[..., in_features] → a new tensor y[..., out_features] the caller owns. */
    public Tensor forward(Tensor x) {
        int[] shape = checkX(x);
        shape[shape.length - 1] = n;
        Tensor y = Tensor.uninitialized(shape);
        try {
            forward(x, y);
            return y;
        } catch (RuntimeException e) {
            y.close();
            throw e;
        }
    }

    /** x[..., in_features] → y[..., out_features] (same leading shape; allocation-free). */
    public void forward(Tensor x, Tensor y) {
        int[] shape = checkX(x);
        if (y == null) throw new IllegalArgumentException("y must not be null");
        shape[shape.length - 1] = n;
        if (!Arrays.equals(y.shape(), shape)) {
            throw new IllegalArgumentException("y must be " + Arrays.toString(shape) + " (x's leading shape, out_features "
                    + n + "), got " + Arrays.toString(y.shape()));
        }
        NativeRecurrent.requireOpen("y", y);
        long m = x.size() / k;
        if (m > Integer.MAX_VALUE) throw new IllegalArgumentException("x has more than 2^31-1 rows: " + m);
        if (m > 0) forward((int) m, x.pointer(), k, y.pointer(), n);
    }

    private int[] checkX(Tensor x) {
        if (x == null) throw new IllegalArgumentException("x must not be null");
        if (x.rank() < 1 || x.dim(x.rank() - 1) != k) {
            throw new IllegalArgumentException("x must be [..., " + k + "] (in_features " + k + "), got "
                    + Arrays.toString(x.shape()));
        }
        NativeRecurrent.requireOpen("x", x);
        return x.shape();
    }

    /** y[m, 0:N] (row stride ldy) = x[m, 0:K] (row stride ldx) . W^T + b (the caller validated everything). */
    void forward(int m, FloatPointer x, long ldx, FloatPointer y, long ldy) {
        JrnnNative.LinearHandle h = handle.acquire();
        try {
            int rc = JrnnNative.jrnn_linear_forward(h, m, x, ldx, y, ldy);
            if (rc == JrnnNative.ERR_NOMEM) throw new OutOfMemoryError("linear forward: native allocation failed");
            if (rc != JrnnNative.OK) throw new IllegalStateException("linear forward failed (status " + rc + ")");
        } finally {
            handle.release();
        }
    }

    /** The native layer with its read lock held (a fused model step); {@link #release} in a finally. */
    JrnnNative.LinearHandle acquire() {
        return handle.acquire();
    }

    void release() {
        handle.release();
    }

    public int inFeatures() {
        return k;
    }

    public int outFeatures() {
        return n;
    }

    /** The precision the weight is stored and multiplied in. */
    public Precision precision() {
        return precision;
    }

    /** Bytes of the packed weight (scales and row sums included) and the bias, held natively. */
    public long weightBytes() {
        return weightBytes;
    }

    /** Frees the native weights after the calls in flight; idempotent. */
    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return "Linear(in_features=" + k + ", out_features=" + n + (precision == Precision.FP32 ? "" : ", " + precision) + ")";
    }
}
