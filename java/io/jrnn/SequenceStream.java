package io.jrnn;

import java.util.Arrays;

import org.bytedeco.javacpp.FloatPointer;

import io.jrnn.internal.JrnnNative;

/**
 * A stateful stream of a {@link SequenceModel}: one time step per {@link #step} call, whose result is the model's
 * output for that step ({@code [B,N]}: the head, activations and softmax applied to the top layer's output),
 * equal to the matching step of {@link SequenceModel#forward}. Each step is one native call (embedding, recurrent
 * step, head, softmax). Owns its state and buffers in native memory; steps into a caller's tensor allocate nothing
 * on the Java heap.
 *
 * <p>Thread safety: not thread-safe; use a stream from one thread at a time (many streams may share one model).
 */
public final class SequenceStream implements AutoCloseable {
    private final SequenceModel model;
    private final NativeRecurrent rnn;
    private final int batch;
    private Tensor x, h, c, y;     // x[B,I], h[L,B,Hout], c[L,B,H] (LSTM), y[B,Hout]
    private Tensor scratch, logits; // the fused step's scratch; the scores for generation [B, N]
    private boolean closed;

    SequenceStream(SequenceModel model, int batch) {
        this.model = model;
        this.rnn = model.rnn;
        this.batch = batch;
        try {
            x = Tensor.zeros(batch, rnn.inputSize);
            h = Tensor.zeros(rnn.numLayers, batch, rnn.outputSize);
            c = rnn.isLstm() ? Tensor.zeros(rnn.numLayers, batch, rnn.hiddenSize) : null;
            y = Tensor.zeros(batch, rnn.outputSize);
            org.bytedeco.javacpp.LongPointer n = new org.bytedeco.javacpp.LongPointer(1);
            try {
                JrnnNative.SeqStepHandle st = model.stepper.acquire();
                try {
                    SequenceModel.check(JrnnNative.jrnn_seqstep_scratch_floats(st, batch, n), "model step");
                } finally {
                    model.stepper.release();
                }
                scratch = Tensor.zeros(Math.toIntExact(n.get()));
            } finally {
                n.deallocate();
            }
            logits = Tensor.zeros(batch, model.outputSize);
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
        checkIds(ids);
        fused(ids, null, out.pointer(), true);
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
        fused(null, xt, out.pointer(), true);
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

    /** Checks ids[B] for a model with an embedding (allocation-free unless it throws). */
    private void checkIds(int[] ids) {
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
    }

    /**
     * One step in one native call (embedding, stack, heads, output) with every part's lock held, so that closing
     * the model waits for it.
     */
    private void fused(int[] ids, Tensor xt, FloatPointer out, boolean withOutput) {
        JrnnNative.SeqStepHandle st = model.stepper.acquire();
        try {
            Tensor table = model.embedding == null ? null : model.embedding.acquire();
            try {
                rnn.acquire();
                int held = 0;
                try {
                    for (; held < model.heads.length; held++) model.heads[held].acquire();
                    int rc = JrnnNative.jrnn_seqstep_run(st, batch, ids == null ? null : NativeIds.of(ids),
                            xt == null ? null : xt.pointer(), h.pointer(), NativeRecurrent.ptr(c), scratch.pointer(), out,
                            withOutput ? 1 : 0);
                    if (rc == JrnnNative.ERR_ARG) {
                        throw new IllegalArgumentException(model.output.configName() + ": a row has no score above "
                                + "-infinity (every entry -inf), which has no distribution");
                    }
                    SequenceModel.check(rc, "model step");
                } finally {
                    for (int i = 0; i < held; i++) model.heads[i].release();
                    rnn.release();
                }
            } finally {
                if (table != null) model.embedding.release();
            }
        } finally {
            model.stepper.release();
        }
    }

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
        checkIds(ids);
        fused(ids, null, logits.pointer(), false);
        logits.copyTo(dst);
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
        for (Tensor t : new Tensor[] {x, h, c, y, scratch, logits}) if (t != null) t.close();
    }
}
