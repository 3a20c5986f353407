package io.jrnn;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;

import org.bytedeco.javacpp.FloatPointer;

import io.jrnn.internal.JrnnNative;

/**
 * A linear layer {@code y = x W^T + b} with W[N,K] packed once in native memory (package-private: the seq2seq
 * pieces use it). Immutable after construction; safe to share across threads until closed. The owner closes it
 * (idempotent) once no call can be running; a layer that is never closed is freed when it is garbage collected.
 */
final class Linear implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    final int n, k;
    private volatile JrnnNative.LinearHandle handle;
    private final Cleaner.Cleanable cleanable;

    /** {@code w[N,K]} row-major, {@code b[N]} or null. */
    Linear(FloatPointer w, FloatPointer b, int n, int k) {
        this.n = n;
        this.k = k;
        JrnnNative.LinearHandle h = JrnnNative.jrnn_linear_create(n, k, w, b);
        if (h == null || h.isNull()) throw new OutOfMemoryError("cannot allocate a linear layer [" + n + ", " + k + "]");
        this.handle = h;
        this.cleanable = CLEANER.register(this, new Destroy(h));
    }

    static Linear of(Tensor w, Tensor b) {
        return new Linear(w.pointer(), b == null ? null : b.pointer(), w.dim(0), w.dim(1));
    }

    /** y[m, 0:N] (row stride ldy) = x[m, 0:K] (row stride ldx) . W^T + b. */
    void forward(int m, FloatPointer x, long ldx, FloatPointer y, long ldy) {
        JrnnNative.LinearHandle h = handle;
        if (h == null) throw new IllegalStateException("linear layer is closed");
        try {
            int rc = JrnnNative.jrnn_linear_forward(h, m, x, ldx, y, ldy);
            if (rc != JrnnNative.OK) throw new IllegalStateException("linear forward failed (status " + rc + ")");
        } finally {
            Reference.reachabilityFence(this); // no GC backstop may free the handle while the kernel runs
        }
    }

    @Override
    public synchronized void close() {
        if (handle != null) {
            handle = null;
            cleanable.clean();
        }
    }

    /** The native free, run once: by {@link #close()} or by the Cleaner. Holds the handle, never the layer. */
    private static final class Destroy implements Runnable {
        private final JrnnNative.LinearHandle handle;

        Destroy(JrnnNative.LinearHandle handle) {
            this.handle = handle;
        }

        @Override
        public void run() {
            JrnnNative.jrnn_linear_destroy(handle);
        }
    }
}
