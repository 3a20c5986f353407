package io.jrnn;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import java.util.Arrays;
import java.util.List;

import io.jrnn.decode.Decoding;
import io.jrnn.decode.StepScorer;
import io.jrnn.internal.JrnnNative;

/**
 * The decoder of one source sentence as a {@link StepScorer}: encodes the source once (one native call), then
 * advances up to {@code maxRows} hypotheses a step at a time (SPEC §1.3), each step one native call
 * ({@code jrnn_s2s_step}: the reorder of the states, embedding, recurrent stack, attention, output projection and
 * log-softmax). Its buffers live in one native session; a step allocates nothing on the Java heap except the
 * attention rows it is asked to report. One thread at a time, inside the model's read lock (the caller's
 * {@code withModel}), which keeps the parts the native decoder points at alive.
 *
 * <p>Several sentences: {@link #DecoderSession(Seq2Seq, List, int)} encodes them together and {@link #decodeAll}
 * scores the rows of all their decodings in one native call a step; each sentence's results are bit-identical to
 * decoding it alone (the native decoder's products are batch-invariant; attention runs once per sentence).
 */
final class DecoderSession implements StepScorer, AutoCloseable {
    private final JrnnNative.S2SHandle m;
    private final JrnnNative.S2SSessionHandle s;
    private final int maxRows, S, V;
    private final int[] lengths;  // of each sentence's source
    private final boolean attends;
    // views into the session's ids: parents [maxRows], then tokens [maxRows]
    private final IntPointer parentsAndTokens, tokens;
    private final FloatPointer logProbs, alpha;
    // A step's parents and tokens as they go native, and its attention weights as they come back: one JNI copy each
    // way a step instead of one per row (each copy is a JNI transition with a critical section)
    private final int[] rowIds;
    private final float[] alphaRows;
    private int rows = 1;

    /** One sentence, up to {@code maxRows} hypotheses. */
    DecoderSession(Seq2Seq model, int[] src, int maxRows) {
        this(model, List.of(src), maxRows);
    }

    /** Several sentences (ids checked by the caller), up to {@code maxRows} hypotheses in all; row i = sentence i. */
    DecoderSession(Seq2Seq model, List<int[]> srcs, int maxRows) {
        this.m = model.decoder;
        Seq2SeqConfig cfg = model.config();
        final int N = srcs.size();
        if (N < 1 || N > maxRows) {
            throw new IllegalArgumentException("sentences must be in [1, " + maxRows + "], got " + N);
        }
        this.maxRows = maxRows;
        this.lengths = new int[N];
        int longest = 0;
        for (int i = 0; i < N; i++) {
            lengths[i] = srcs.get(i).length;
            longest = Math.max(longest, lengths[i]);
        }
        this.S = longest;
        this.V = cfg.tgtVocabSize();
        this.attends = cfg.hasAttention();
        JrnnNative.S2SSessionHandle h = JrnnNative.jrnn_s2s_session_create_batch(m, S, maxRows, N);
        if (h == null || h.isNull()) {
            throw new OutOfMemoryError("cannot allocate a decoding session (" + N + " sentences of up to " + S
                    + " source tokens, " + maxRows + " rows)");
        }
        this.s = h;
        try {
            IntPointer ids = JrnnNative.jrnn_s2s_ids(s);
            long at = 0;
            for (int[] src : srcs) {
                ids.position(at).put(src, 0, src.length);
                at += src.length;
            }
            final long idsEnd = (long) N * S;  // sources, then parents and tokens [maxRows], then lengths [N]
            IntPointer lens = new IntPointer(ids).position(idsEnd + 2L * maxRows);
            lens.put(lengths, 0, N);
            check(JrnnNative.jrnn_s2s_start_batch(m, s, ids.position(0), lens, N), "encoder");
            this.parentsAndTokens = new IntPointer(ids).position(idsEnd);
            this.tokens = new IntPointer(ids).position(idsEnd + maxRows);
            this.logProbs = JrnnNative.jrnn_s2s_log_probs(s);
            this.alpha = attends ? JrnnNative.jrnn_s2s_attention(s) : null;
        } catch (RuntimeException | Error e) {
            JrnnNative.jrnn_s2s_session_destroy(h);
            throw e;
        }
        this.rows = N;
        this.rowIds = new int[2 * maxRows];
        this.alphaRows = attends ? new float[maxRows * S] : null;
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
        System.arraycopy(parents, 0, rowIds, 0, n);
        System.arraycopy(tokens, 0, rowIds, maxRows, n);
        parentsAndTokens.put(rowIds, 0, maxRows + n);
        check(JrnnNative.jrnn_s2s_step(m, s, n, parentsAndTokens, this.tokens), "decoder step");
        rows = n;
        this.logProbs.position(0).get(logProbs, 0, n * V);
        if (attention != null && attends) {
            fetchAttention(n);
            for (int j = 0; j < n; j++) attention[j] = Arrays.copyOfRange(alphaRows, j * S, (j + 1) * S);
        }
    }

    // The attention weights of the step's n rows, row j's at [j * S, ...) of alphaRows (the session's layout).
    private void fetchAttention(int n) {
        alpha.position(0).get(alphaRows, 0, n * S);
    }

    /**
     * Drives {@code ds.get(i)}, the decoding of sentence {@code i}, for every sentence to its end, all rows of all
     * unfinished decodings scored in one native step; the decodings' rows must fit in {@code maxRows}. Rows come in
     * sentence order, so the native decoder's rule (each sentence's rows together, in order) holds.
     */
    void decodeAll(List<? extends Decoding<?>> ds) {
        final int N = ds.size();
        if (N != lengths.length) {
            throw new IllegalArgumentException("one decoding per sentence: " + lengths.length + " sentences, got " + N);
        }
        final int[] prevBase = new int[N], base = new int[N];
        for (int i = 0; i < N; i++) prevBase[i] = i;  // after the encoder, row i is sentence i's start
        final boolean[] done = new boolean[N];
        final int[] p = new int[maxRows], t = new int[maxRows];
        final float[] logp = new float[maxRows * V];
        while (true) {
            int n = 0;
            for (int i = 0; i < N; i++) {
                if (done[i]) continue;
                Decoding<?> d = ds.get(i);
                final int r = d.rows();
                if (r < 1 || n + r > maxRows) {
                    throw new IllegalStateException("decoding " + i + " asks for " + r + " rows; " + n + " of "
                            + maxRows + " are taken");
                }
                final int[] dp = d.parents(), dt = d.tokens();
                for (int j = 0; j < r; j++) {
                    p[n + j] = prevBase[i] + dp[j];
                    t[n + j] = dt[j];
                }
                base[i] = n;
                n += r;
            }
            if (n == 0) return;
            advance(p, t, n, logp, null);
            if (attends) fetchAttention(n);
            for (int i = 0; i < N; i++) {
                if (done[i]) continue;
                Decoding<?> d = ds.get(i);
                final int r = d.rows();
                float[][] attention = null;
                if (attends) {
                    attention = new float[r][];
                    for (int j = 0, at = base[i] * S; j < r; j++, at += lengths[i]) {
                        attention[j] = Arrays.copyOfRange(alphaRows, at, at + lengths[i]);
                    }
                }
                done[i] = d.accept(logp, base[i] * V, attention);
                prevBase[i] = base[i];
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
