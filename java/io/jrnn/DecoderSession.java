package io.jrnn;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import io.jrnn.decode.StepScorer;
import io.jrnn.internal.JrnnNative;

/**
 * The decoder of one source sentence as a {@link StepScorer}: encodes the source once (one native call), then
 * advances up to {@code maxRows} hypotheses a step at a time (SPEC §1.3), each step one native call
 * ({@code jrnn_s2s_step}: the reorder of the states, embedding, recurrent stack, attention, output projection and
 * log-softmax). Its buffers live in one native session; a step allocates nothing on the Java heap except the
 * attention rows it is asked to report. One thread at a time, inside the model's read lock (the caller's
 * {@code withModel}), which keeps the parts the native decoder points at alive.
 */
final class DecoderSession implements StepScorer, AutoCloseable {
    private final JrnnNative.S2SHandle m;
    private final JrnnNative.S2SSessionHandle s;
    private final int maxRows, S, V;
    private final boolean attends;
    private final IntPointer parents, tokens; // views into the session's ids: source [S], parents, tokens [maxRows]
    private final FloatPointer logProbs, alpha;
    private int rows = 1;

    DecoderSession(Seq2Seq model, int[] src, int maxRows) {
        this.m = model.decoder;
        Seq2SeqConfig cfg = model.config();
        this.maxRows = maxRows;
        this.S = src.length;
        this.V = cfg.tgtVocabSize();
        this.attends = cfg.hasAttention();
        JrnnNative.S2SSessionHandle h = JrnnNative.jrnn_s2s_session_create(m, S, maxRows);
        if (h == null || h.isNull()) {
            throw new OutOfMemoryError("cannot allocate a decoding session (" + S + " source tokens, " + maxRows + " rows)");
        }
        this.s = h;
        try {
            IntPointer ids = JrnnNative.jrnn_s2s_ids(s);
            ids.position(0).put(src, 0, S);
            check(JrnnNative.jrnn_s2s_start(m, s, ids, S), "encoder");
            this.parents = new IntPointer(ids).position(S);
            this.tokens = new IntPointer(ids).position(S + maxRows);
            this.logProbs = JrnnNative.jrnn_s2s_log_probs(s);
            this.alpha = attends ? JrnnNative.jrnn_s2s_attention(s) : null;
        } catch (RuntimeException | Error e) {
            JrnnNative.jrnn_s2s_session_destroy(h);
            throw e;
        }
    }

    @Override
    public int vocabSize() {
        return V;
    }

    @Override
    public boolean hasAttention() {
        return attends;
    }

    @Override
    public void advance(int[] parents, int[] tokens, int n, float[] logProbs, float[][] attention) {
        if (n < 1 || n > maxRows) throw new IllegalArgumentException("rows must be in [1, " + maxRows + "], got " + n);
        for (int j = 0; j < n; j++) {
            if (parents[j] < 0 || parents[j] >= rows) {
                throw new IllegalArgumentException("parents[" + j + "] must be in [0, " + rows + "), got " + parents[j]);
            }
            if (tokens[j] < 0 || tokens[j] >= V) {
                throw new IllegalArgumentException("tokens[" + j + "] must be a target id in [0, " + V + "), got "
                        + tokens[j]);
            }
        }
        this.parents.put(parents, 0, n);
        this.tokens.put(tokens, 0, n);
        check(JrnnNative.jrnn_s2s_step(m, s, n, this.parents, this.tokens), "decoder step");
        rows = n;
        this.logProbs.position(0).get(logProbs, 0, n * V);
        if (attention != null && attends) {
            for (int j = 0; j < n; j++) {
                float[] row = new float[S];
                alpha.position((long) j * S).get(row, 0, S);
                attention[j] = row;
            }
        }
    }

    private static void check(int rc, String what) {
        if (rc == JrnnNative.ERR_NOMEM) throw new OutOfMemoryError(what + ": native allocation failed");
        if (rc != JrnnNative.OK) throw new IllegalStateException(what + " failed in native code (status " + rc + ")");
    }

    @Override
    public void close() {
        JrnnNative.jrnn_s2s_session_destroy(s);
    }
}
