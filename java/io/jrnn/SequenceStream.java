package io.jrnn;

import java.util.Arrays;

import org.bytedeco.javacpp.FloatPointer;

/**
 * A stateful stream of a {@link SequenceModel}: one time step per {@link #step} call, whose result is the model's
 * output for that step ({@code [B,N]}: the head, activations and softmax applied to the top layer's output),
 * equal to the matching step of {@link SequenceModel#forward}. Owns its state and buffers in native memory;
 * steps into a caller's tensor allocate nothing on the Java heap.
 *
 * <p>Thread safety: not thread-safe; use a stream from one thread at a time (many streams may share one model).
 */
public final class SequenceStream implements AutoCloseable {
    private final SequenceModel model;
    private final NativeRecurrent rnn;
    private final int batch;
    private Tensor x, h, c, y;     // x[B,I], h[L,B,Hout], c[L,B,H] (LSTM), y[B,Hout]
    private final Tensor[] bufs;   // each head layer's output [B, n_i]
    private boolean closed;

    SequenceStream(SequenceModel model, int batch) {
        this.model = model;
        this.rnn = model.rnn;
        this.batch = batch;
        this.bufs = new Tensor[model.heads.length];
        try {
            x = Tensor.zeros(batch, rnn.inputSize);
            h = Tensor.zeros(rnn.numLayers, batch, rnn.outputSize);
            c = rnn.isLstm() ? Tensor.zeros(rnn.numLayers, batch, rnn.hiddenSize) : null;
            y = Tensor.zeros(batch, rnn.outputSize);
            for (int i = 0; i < bufs.length; i++) bufs[i] = Tensor.zeros(batch, model.heads[i].n);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Token ids {@code [B]} (a model with an embedding) → a new tensor {@code [B,N]} the caller owns. */
    public Tensor step(int[] ids) {
        Tensor out = Tensor.uninitialized(batch, model.outputSize);
        try {
            step(ids, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** Token ids {@code [B]} → {@code out[B,N]} (allocation-free). */
    public void step(int[] ids, Tensor out) {
        checkOut(out);
        advance(ids);
        finish(out.pointer(), true);
    }

    /** Float input {@code x[B,I]} (a model without an embedding) → a new tensor {@code [B,N]}. */
    public Tensor step(Tensor xt) {
        Tensor out = Tensor.uninitialized(batch, model.outputSize);
        try {
            step(xt, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** Float input {@code x[B,I]} → {@code out[B,N]} (allocation-free). */
    public void step(Tensor xt, Tensor out) {
        live();
        if (model.embedding != null) {
            throw new IllegalArgumentException("this model starts with an embedding: step with token ids");
        }
        if (xt == null) throw new IllegalArgumentException("x must not be null");
        if (!xt.hasShape(batch, rnn.inputSize)) {
            throw new IllegalArgumentException("x must be [" + batch + "," + rnn.inputSize + "] (batch " + batch
                    + " of this stream, input_size " + rnn.inputSize + "), got " + Arrays.toString(xt.shape()));
        }
        NativeRecurrent.requireOpen("x", xt);
        checkOut(out);
        rnn.stepRaw(batch, xt.pointer(), h.pointer(), NativeRecurrent.ptr(c), y.pointer());
        finish(out.pointer(), true);
    }

    /** Sets the state back to zeros, as a new stream (allocation-free). */
    public void reset() {
        live();
        h.pointer().zero();
        if (c != null) c.pointer().zero();
    }

    public int batch() {
        return batch;
    }

    // ---- for generation ----

    /** Feeds ids through the embedding and the recurrent stack only (the head's output is not needed). */
    void advance(int[] ids) {
        live();
        if (model.embedding == null) {
            throw new IllegalArgumentException("this model has no embedding: step with float features x[" + batch + ","
                    + rnn.inputSize + "]");
        }
        if (ids == null || ids.length != batch) {
            throw new IllegalArgumentException("ids must hold one id per sequence (batch " + batch + "), got "
                    + (ids == null ? "null" : ids.length));
        }
        model.embedding.checkIds(ids, 0, batch);
        model.embedding.gather(ids, 0, batch, x.pointer());
        rnn.stepRaw(batch, x.pointer(), h.pointer(), NativeRecurrent.ptr(c), y.pointer());
    }

    /** One step, then the head's scores before any softmax into {@code dst[B*N]}. */
    void scores(int[] ids, float[] dst) {
        advance(ids);
        FloatPointer last = finish(null, false);
        last.position(0).get(dst, 0, batch * model.outputSize);
    }

    /**
     * Runs the heads on y; with {@code out} the result (softmax included when {@code withOutput}) lands there,
     * else in the last head buffer (or y), which is returned.
     */
    private FloatPointer finish(FloatPointer out, boolean withOutput) {
        Linear[] heads = model.heads;
        FloatPointer in = y.pointer();
        for (int i = 0; i < heads.length; i++) {
            FloatPointer dst = i == heads.length - 1 && out != null ? out : bufs[i].pointer();
            heads[i].forward(batch, in, heads[i].k, dst, heads[i].n);
            SequenceModel.activate(model.activations[i], dst, (long) batch * heads[i].n);
            in = dst;
        }
        if (out != null && heads.length == 0) {
            org.bytedeco.javacpp.Pointer.memcpy(out, in, 4L * batch * model.outputSize);
            in = out;
        }
        if (withOutput && model.output != SequenceModel.Output.NONE) {
            SoftmaxRows.rows(model.output == SequenceModel.Output.LOG_SOFTMAX, batch, model.outputSize, in, in);
        }
        return in;
    }

    private void checkOut(Tensor out) {
        live();
        if (out == null) throw new IllegalArgumentException("out must not be null");
        if (!out.hasShape(batch, model.outputSize)) {
            throw new IllegalArgumentException("out must be [" + batch + "," + model.outputSize + "] (batch, the model's "
                    + "output size), got " + Arrays.toString(out.shape()));
        }
        NativeRecurrent.requireOpen("out", out);
    }

    private void live() {
        if (closed) throw new IllegalStateException("stream is closed");
    }

    /** Frees the state and buffers; idempotent. */
    @Override
    public void close() {
        closed = true;
        for (Tensor t : new Tensor[] {x, h, c, y}) if (t != null) t.close();
        for (Tensor t : bufs) if (t != null) t.close();
    }
}
