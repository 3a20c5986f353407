package io.jrnn;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;

import io.jrnn.internal.JrnnNative;

/**
 * Batched steps of a {@link SequenceModel} over states the caller keeps, one row per sequence (from
 * {@link SequenceModel#rowStepper}): for per-key state held outside jrnn, e.g. in a stream processor's keyed state.
 * Each {@link #step} is one native call (embedding, recurrent step, heads, output) over up to {@link #maxRows()}
 * rows. The caller's arrays are copied into native buffers this stepper owns and back, so a step allocates nothing
 * on the Java heap once made. Arrays may be longer than {@code rows} needs (buffers reused across calls of
 * different sizes).
 *
 * <p>Thread safety: not thread-safe; one stepper per thread (any number may share one model).
 * {@link #close()} frees its buffers (idempotent); closing the model first makes later steps throw
 * {@link IllegalStateException}.
 */
public final class RowStepper implements AutoCloseable {
    private final SequenceModel model;
    private final int maxRows, stateSize, options;
    private final IntPointer ids;
    private final FloatPointer x, states, scratch, out;
    private boolean closed;

    RowStepper(SequenceModel m, int maxRows, boolean batchInvariant) {
        this.model = m;
        this.maxRows = maxRows;
        this.stateSize = m.stateSize();
        this.options = batchInvariant ? JrnnNative.RUN_BATCH_INVARIANT : 0;
        long scratchFloats;
        LongPointer n = new LongPointer(1);
        try {
            JrnnNative.SeqStepHandle st = m.stepper.acquire();
            try {
                SequenceModel.check(JrnnNative.jrnn_seqstep_rows_scratch_floats(st, maxRows, n), "row step");
                scratchFloats = n.get();
            } finally {
                m.stepper.release();
            }
        } finally {
            n.deallocate();
        }
        long in = m.embedding == null ? (long) maxRows * m.rnn.inputSize : 1;
        this.ids = new IntPointer(m.embedding == null ? 1 : maxRows);
        this.x = new FloatPointer(in);
        this.states = new FloatPointer((long) maxRows * stateSize);
        this.scratch = new FloatPointer(scratchFloats);
        this.out = new FloatPointer((long) maxRows * m.outputSize);
    }

    /** Most rows per step. */
    public int maxRows() {
        return maxRows;
    }

    /** {@link SequenceModel#stateSize()}. */
    public int stateSize() {
        return stateSize;
    }

    /**
     * Token ids (a model with an embedding): {@code ids[r]} is row r's next input for r &lt; rows;
     * {@code states[r*S .. (r+1)*S)} its state (S = {@link #stateSize()}), read and updated in place;
     * {@code out[r*N .. (r+1)*N)} receives its output (N = {@link SequenceModel#outputSize()}), what a
     * {@link SequenceStream} step gives.
     *
     * @throws IllegalArgumentException on a bad size, a null array or an id outside the vocabulary (nothing is
     *     changed); when the model's softmax meets a row of only -inf scores (the states have advanced)
     */
    public void step(int rows, int[] ids, float[] states, float[] out) {
        step(rows, ids, states, 0, out);
    }

    /** {@link #step(int, int[], float[], float[])} with row r's state at {@code states[off + r*S ..)}. */
    void step(int rows, int[] ids, float[] states, int off, float[] out) {
        checkCommon(rows, states, off, out);
        if (model.embedding == null) {
            throw new IllegalArgumentException("this model has no embedding: step with float features x[rows*"
                    + model.rnn.inputSize + "]");
        }
        if (ids == null || ids.length < rows) {
            throw new IllegalArgumentException("ids must hold one id per row (" + rows + " rows), got "
                    + (ids == null ? "null" : ids.length));
        }
        model.embedding.checkIds(ids, 0, rows);
        this.ids.position(0).put(ids, 0, rows);
        run(rows, states, off, out);
    }

    /**
     * Float features (a model without an embedding): {@code x[r*I .. (r+1)*I)} is row r's next input
     * (I = {@link SequenceModel#inputSize()}); states and out as {@link #step(int, int[], float[], float[])}.
     */
    public void step(int rows, float[] x, float[] states, float[] out) {
        step(rows, x, states, 0, out);
    }

    /** {@link #step(int, float[], float[], float[])} with row r's state at {@code states[off + r*S ..)}. */
    void step(int rows, float[] x, float[] states, int off, float[] out) {
        checkCommon(rows, states, off, out);
        if (model.embedding != null) {
            throw new IllegalArgumentException("this model starts with an embedding: step with token ids");
        }
        long need = (long) rows * model.rnn.inputSize;
        if (x == null || x.length < need) {
            throw new IllegalArgumentException("x must hold rows*input_size = " + rows + "*" + model.rnn.inputSize
                    + " = " + need + " floats, got " + (x == null ? "null" : x.length));
        }
        this.x.position(0).put(x, 0, (int) need);
        run(rows, states, off, out);
    }

    private void checkCommon(int rows, float[] states, int off, float[] out) {
        if (closed) throw new IllegalStateException("row stepper is closed");
        if (rows < 1 || rows > maxRows) {
            throw new IllegalArgumentException("rows must be in [1, " + maxRows + "] (this stepper's maxRows), got "
                    + rows);
        }
        long s = (long) rows * stateSize, o = (long) rows * model.outputSize;
        if (states == null || off < 0 || states.length - (long) off < s) {
            throw new IllegalArgumentException("states must hold rows*stateSize = " + rows + "*" + stateSize + " = "
                    + s + " floats, got " + (states == null ? "null" : states.length));
        }
        if (out == null || out.length < o) {
            throw new IllegalArgumentException("out must hold rows*outputSize = " + rows + "*" + model.outputSize
                    + " = " + o + " floats, got " + (out == null ? "null" : out.length));
        }
    }

    private void run(int rows, float[] st, int off, float[] o) {
        int s = rows * stateSize;
        states.position(0).put(st, off, s);
        int rc;
        JrnnNative.SeqStepHandle h = model.stepper.acquire();
        try {
            Tensor table = model.embedding == null ? null : model.embedding.acquire();
            try {
                model.rnn.acquire();
                int held = 0;
                try {
                    for (; held < model.heads.length; held++) model.heads[held].acquire();
                    rc = JrnnNative.jrnn_seqstep_run_rows(h, rows, model.embedding == null ? null : ids,
                            model.embedding == null ? x : null, states, scratch, out, options);
                } finally {
                    for (int i = 0; i < held; i++) model.heads[i].release();
                    model.rnn.release();
                }
            } finally {
                if (table != null) model.embedding.release();
            }
        } finally {
            model.stepper.release();
        }
        if (rc == JrnnNative.OK || rc == JrnnNative.ERR_ARG) {
            states.position(0).get(st, off, s);
            out.position(0).get(o, 0, rows * model.outputSize);
        }
        if (rc == JrnnNative.ERR_ARG) {
            throw new IllegalArgumentException(model.output.configName() + ": a row has no score above -infinity "
                    + "(every entry -inf), which has no distribution; the states have advanced");
        }
        SequenceModel.check(rc, "row step");
    }

    /** Frees the native buffers; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ids.deallocate();
        x.deallocate();
        states.deallocate();
        scratch.deallocate();
        out.deallocate();
    }
}
