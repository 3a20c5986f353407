package io.jrnn;

import org.bytedeco.javacpp.FloatPointer;

import io.jrnn.internal.JrnnNative;

/**
 * A linear layer {@code y = x W^T + b} with W[N,K] packed once in native memory (package-private: the seq2seq
 * pieces use it). Immutable after construction; safe to share across threads until closed.
 */
final class Linear implements AutoCloseable {
    final int n, k;
    private JrnnNative.LinearHandle handle;

    /** {@code w[N,K]} row-major, {@code b[N]} or null. */
    Linear(FloatPointer w, FloatPointer b, int n, int k) {
        this.n = n;
        this.k = k;
        JrnnNative.LinearHandle h = JrnnNative.jrnn_linear_create(n, k, w, b);
        if (h == null || h.isNull()) throw new OutOfMemoryError("cannot allocate a linear layer [" + n + ", " + k + "]");
        this.handle = h;
    }

    static Linear of(Tensor w, Tensor b) {
        return new Linear(w.pointer(), b == null ? null : b.pointer(), w.dim(0), w.dim(1));
    }

    /** y[m, 0:N] (row stride ldy) = x[m, 0:K] (row stride ldx) . W^T + b. */
    void forward(int m, FloatPointer x, long ldx, FloatPointer y, long ldy) {
        if (handle == null) throw new IllegalStateException("linear layer is closed");
        int rc = JrnnNative.jrnn_linear_forward(handle, m, x, ldx, y, ldy);
        if (rc != JrnnNative.OK) throw new IllegalStateException("linear forward failed (status " + rc + ")");
    }

    @Override
    public void close() {
        if (handle != null) {
            JrnnNative.jrnn_linear_destroy(handle);
            handle = null;
        }
    }
}
