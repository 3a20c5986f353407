package io.jrnn;

import java.util.Arrays;

/**
 * Stateful online inference: one time step per {@link #step} call, equal to {@link RecurrentLayer#forward} over the
 * same inputs. Owns its state ({@code h[L,B,Hout]}, {@code c[L,B,H]} for an LSTM) in native memory.
 *
 * <p>Thread safety: not thread-safe; use a stream from one thread at a time (many streams may share one layer).
 */
public final class RecurrentStream implements AutoCloseable {
    private final NativeRecurrent layer;
    private final int batch;
    private Tensor h;
    private Tensor c;

    RecurrentStream(NativeRecurrent layer, int batch, Tensor h0, Tensor c0) {
        this.layer = layer;
        this.batch = batch;
        final int L = layer.numLayers;
        Tensor hs = h0 == null ? Tensor.zeros(L, batch, layer.outputSize) : Tensor.of(h0.toArray(), L, batch, layer.outputSize);
        Tensor cs = null;
        if (layer.isLstm()) {
            try {
                cs = c0 == null ? Tensor.zeros(L, batch, layer.hiddenSize) : Tensor.of(c0.toArray(), L, batch, layer.hiddenSize);
            } catch (RuntimeException e) {
                hs.close();
                throw e;
            }
        }
        this.h = hs;
        this.c = cs;
    }

    /** Advances one step: {@code x[B,I]} in, a new tensor {@code [B,Hout]} (the top layer's output) out. */
    public Tensor step(Tensor x) {
        Tensor y = Tensor.uninitialized(batch, layer.outputSize);
        try {
            step(x, y);
            return y;
        } catch (RuntimeException e) {
            y.close();
            throw e;
        }
    }

    /** Advances one step writing the output into {@code y[B,Hout]} (no allocation). */
    public void step(Tensor x, Tensor y) {
        Tensor hs = state();
        if (x == null) throw new IllegalArgumentException("x must not be null");
        if (!x.hasShape(batch, layer.inputSize)) {
            throw new IllegalArgumentException("x must be [" + batch + "," + layer.inputSize + "] (batch " + batch
                    + " of this stream, input_size " + layer.inputSize + "), got " + Arrays.toString(x.shape()));
        }
        NativeRecurrent.requireOpen("x", x);
        if (y == null) throw new IllegalArgumentException("y must not be null");
        layer.checkOptional("y", y, batch, layer.outputSize);
        layer.step(batch, x, hs, c, y);
    }

    /** Sets the state back to zeros, as a new stream without initial states (allocation-free). */
    public void reset() {
        state().pointer().zero();
        if (c != null) c.pointer().zero();
    }

    /** A copy of the current hidden state {@code [L,B,Hout]} (the caller owns it). */
    public Tensor hn() {
        Tensor hs = state();
        return Tensor.of(hs.toArray(), hs.shape());
    }

    /** A copy of the current cell state {@code [L,B,H]} for an LSTM (the caller owns it); null otherwise. */
    public Tensor cn() {
        state();
        return c == null ? null : Tensor.of(c.toArray(), c.shape());
    }

    public int batch() {
        return batch;
    }

    private Tensor state() {
        Tensor hs = h;
        if (hs == null) throw new IllegalStateException("stream is closed");
        return hs;
    }

    /** Frees the state; idempotent. */
    @Override
    public void close() {
        if (h != null) {
            h.close();
            h = null;
        }
        if (c != null) {
            c.close();
            c = null;
        }
    }
}
