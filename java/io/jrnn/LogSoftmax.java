package io.jrnn;

/**
 * {@code torch.log_softmax(x, dim=-1)}: over the last axis of a tensor, max-subtracted so that large scores do not overflow,
 * {@code log_softmax(x)_i = x_i - max - log Σ_j exp(x_j - max)}. {@code -inf} scores are exact zeros of probability; a row whose every score is {@code -inf} is an
 * {@link IllegalArgumentException}, never NaN.
 *
 * <p>Holds no native memory: {@link #close()} only marks it closed (idempotent), for use beside the layers in one
 * try-with-resources. Thread safety: stateless apart from that flag; any number of threads may call it at once.
 */
public final class LogSoftmax implements AutoCloseable {
    private volatile boolean closed;

    /** x[..., N] → a new tensor of the same shape the caller owns. */
    public Tensor forward(Tensor x) {
        ensureOpen();
        return SoftmaxRows.apply(true, x);
    }

    /** x[..., N] → y of the same shape (allocation-free; y may be x). */
    public void forward(Tensor x, Tensor y) {
        ensureOpen();
        SoftmaxRows.apply(true, x, y);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("LogSoftmax is closed");
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "LogSoftmax(dim=-1)";
    }
}
