package io.jrnn;

import java.nio.FloatBuffer;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;

import io.jrnn.internal.JrnnNative;

/**
 * Batched steps of a {@link SequenceModel} over states the caller keeps, one row per sequence (from
 * {@link SequenceModel#rowStepper}): for per-key state held outside jrnn, e.g. in a stream processor's keyed state.
 * Each {@link #step} is one native call (embedding, recurrent step, heads, output) over up to {@link #maxRows()}
 * rows. The caller's arrays are copied into native buffers this stepper owns and back, so a step allocates nothing
 * on the Java heap once made; each row's state goes straight into the recurrent stack's own layout (one copy each
 * way, no reordering on the native side). Arrays may be longer than {@code rows} needs (buffers reused across calls
 * of different sizes).
 *
 * <p>Thread safety: not thread-safe; one stepper per thread (any number may share one model).
 * {@link #close()} frees its buffers (idempotent); closing the model first makes later steps throw
 * {@link IllegalStateException}.
 */
public final class RowStepper implements AutoCloseable {
    private final SequenceModel model;
    private final int maxRows, stateSize, options;
    private final int layers, hout, cellSize; // cellSize: an LSTM's H (the c rows), else 0
    private final IntPointer ids;
    private final FloatPointer x, states, scratch, out;
    private final FloatBuffer stateView; // states' memory, where the rows are written in the stack's layout
    private boolean closed;

    RowStepper(SequenceModel m, int maxRows, boolean batchInvariant) {
        this.model = m;
        this.maxRows = maxRows;
        this.stateSize = m.stateSize();
        this.options = (batchInvariant ? JrnnNative.RUN_BATCH_INVARIANT : 0) | JrnnNative.ROWS_LAYERED;
        this.layers = m.rnn.numLayers;
        this.hout = m.rnn.outputSize;
        this.cellSize = m.rnn.isLstm() ? m.rnn.hiddenSize : 0;
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
        this.stateView = states.asBuffer();
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
        checkIds(rows, ids);
        run(rows, states, null, off, out);
    }

    /** Checks the ids and puts them in the native buffer. */
    private void checkIds(int rows, int[] ids) {
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
    }

    /**
     * {@link #step(int, int[], float[], float[])} with row r's state in its own array {@code states[r]} (at least
     * {@link #stateSize()} floats, read and updated in place): per-key states stepped where they are kept, without
     * first gathering them into one array.
     */
    public void stepRows(int rows, int[] ids, float[][] states, float[] out) {
        checkRows(rows, states, out);
        checkIds(rows, ids);
        run(rows, null, states, 0, out);
    }

    /**
     * {@link #step(int, float[], float[], float[])} with row r's state in its own array {@code states[r]}, as
     * {@link #stepRows(int, int[], float[][], float[])}.
     */
    public void stepRows(int rows, float[] x, float[][] states, float[] out) {
        checkRows(rows, states, out);
        checkX(rows, x);
        run(rows, null, states, 0, out);
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
        checkX(rows, x);
        run(rows, states, null, off, out);
    }

    /** Checks the features and puts them in the native buffer. */
    private void checkX(int rows, float[] x) {
        if (model.embedding != null) {
            throw new IllegalArgumentException("this model starts with an embedding: step with token ids");
        }
        long need = (long) rows * model.rnn.inputSize;
        if (x == null || x.length < need) {
            throw new IllegalArgumentException("x must hold rows*input_size = " + rows + "*" + model.rnn.inputSize
                    + " = " + need + " floats, got " + (x == null ? "null" : x.length));
        }
        this.x.position(0).put(x, 0, (int) need);
    }

    private void checkCommon(int rows, float[] states, int off, float[] out) {
        checkRowsOut(rows, out);
        long s = (long) rows * stateSize;
        if (states == null || off < 0 || states.length - (long) off < s) {
            throw new IllegalArgumentException("states must hold rows*stateSize = " + rows + "*" + stateSize + " = "
                    + s + " floats, got " + (states == null ? "null" : states.length));
        }
    }

    private void checkRows(int rows, float[][] states, float[] out) {
        checkRowsOut(rows, out);
        if (states == null || states.length < rows) {
            throw new IllegalArgumentException("states must hold one state array per row (" + rows + " rows), got "
                    + (states == null ? "null" : states.length));
        }
        for (int r = 0; r < rows; r++) {
            if (states[r] == null || states[r].length < stateSize) {
                throw new IllegalArgumentException("states[" + r + "] must hold stateSize = " + stateSize
                        + " floats, got " + (states[r] == null ? "null" : states[r].length));
            }
        }
    }

    private void checkRowsOut(int rows, float[] out) {
        if (closed) throw new IllegalStateException("row stepper is closed");
        if (rows < 1 || rows > maxRows) {
            throw new IllegalArgumentException("rows must be in [1, " + maxRows + "] (this stepper's maxRows), got "
                    + rows);
        }
        long o = (long) rows * model.outputSize;
        if (out == null || out.length < o) {
            throw new IllegalArgumentException("out must hold rows*outputSize = " + rows + "*" + model.outputSize
                    + " = " + o + " floats, got " + (out == null ? "null" : out.length));
        }
    }

    /**
     * Row r's state (every layer's h, then every layer's c) to or from the native buffer in the stack's layout,
     * h[L, rows, Hout] then c[L, rows, H]: the copy the native step would otherwise make into that layout and back.
     */
    private void moveRow(boolean in, int rows, int r, float[] st, int at) {
        for (int l = 0; l < layers; l++) {
            int h = (l * rows + r) * hout, src = at + l * hout;
            if (in) stateView.put(h, st, src, hout);
            else stateView.get(h, st, src, hout);
            if (cellSize > 0) {
                int c = layers * rows * hout + (l * rows + r) * cellSize, csrc = at + layers * hout + l * cellSize;
                if (in) stateView.put(c, st, csrc, cellSize);
                else stateView.get(c, st, csrc, cellSize);
            }
        }
    }

    /** One step over the rows' states: flat (st from off, row r at off + r*S) or one array per row (rowStates). */
    private void run(int rows, float[] st, float[][] rowStates, int off, float[] o) {
        for (int r = 0; r < rows; r++) {
            if (st != null) moveRow(true, rows, r, st, off + r * stateSize);
            else moveRow(true, rows, r, rowStates[r], 0);
        }
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
            for (int r = 0; r < rows; r++) {
                if (st != null) moveRow(false, rows, r, st, off + r * stateSize);
                else moveRow(false, rows, r, rowStates[r], 0);
            }
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
