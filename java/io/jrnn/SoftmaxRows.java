package io.jrnn;

import java.util.Arrays;

import org.bytedeco.javacpp.FloatPointer;

import io.jrnn.internal.JrnnNative;

/** Row-wise softmax / log-softmax over the last axis, shared by {@link Softmax}, {@link LogSoftmax} and the models. */
final class SoftmaxRows {
    private SoftmaxRows() {}

    static Tensor apply(boolean log, Tensor x) {
        check(x);
        Tensor y = Tensor.uninitialized(x.shape());
        try {
            apply(log, x, y);
            return y;
        } catch (RuntimeException e) {
            y.close();
            throw e;
        }
    }

    static void apply(boolean log, Tensor x, Tensor y) {
        check(x);
        if (y == null) throw new IllegalArgumentException("y must not be null");
        if (y != x && !Arrays.equals(x.shape(), y.shape())) {
            throw new IllegalArgumentException("y must have x's shape " + Arrays.toString(x.shape()) + ", got "
                    + Arrays.toString(y.shape()));
        }
        NativeRecurrent.requireOpen("y", y);
        int n = x.dim(x.rank() - 1);
        long m = x.size() / n;
        if (m > Integer.MAX_VALUE) throw new IllegalArgumentException("x has more than 2^31-1 rows: " + m);
        rows(log, (int) m, n, x.pointer(), y.pointer());
    }

    /** y[m,n] = (log_)softmax(x[m,n]) row by row (sizes checked by the caller). */
    static void rows(boolean log, int m, int n, FloatPointer x, FloatPointer y) {
        int rc = log ? JrnnNative.jrnn_log_softmax_f32(m, n, x, null, y) : JrnnNative.jrnn_softmax_f32(m, n, x, null, y);
        if (rc != JrnnNative.OK) {
            throw new IllegalArgumentException((log ? "log_softmax" : "softmax")
                    + ": a row has no score above -infinity (every entry -inf), which has no distribution");
        }
    }

    private static void check(Tensor x) {
        if (x == null) throw new IllegalArgumentException("x must not be null");
        if (x.rank() < 1 || x.dim(x.rank() - 1) < 1) {
            throw new IllegalArgumentException("x must be [..., N] with N >= 1, got " + Arrays.toString(x.shape()));
        }
        NativeRecurrent.requireOpen("x", x);
    }
}
