package io.jrnn;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

import io.jrnn.decode.StepScorer;
import io.jrnn.internal.FloatView;
import io.jrnn.internal.JrnnNative;

/**
 * The decoder of one source sentence as a {@link StepScorer}: encodes the source once, then advances up to
 * {@code maxRows} hypotheses a step at a time (SPEC §1.3). Owns every per-call buffer; one thread at a time.
 */
final class DecoderSession implements StepScorer, AutoCloseable {
    private final Seq2Seq m;
    private final Seq2SeqConfig.Decoder dc;
    private final int maxRows, S, L, Hd, Dm, Ed, Ein, V, kind;
    private static final int BAHDANAU = 0, LUONG = 1, NONE = 2;

    private final Tensor memory;        // [S, Dm] encoder outputs h_j
    private final Attention.Prepared prepared;
    private Tensor h, hSpare, c, cSpare; // decoder states [L, rows, Hd]
    private Tensor ht, htSpare;          // luong h~ [rows, Hd]
    private final Tensor emb, x, y, scratch, scores, alpha, ctx, cat, logits;
    private final IntPointer ids;
    private int rows = 1;

    DecoderSession(Seq2Seq model, int[] src, int maxRows) {
        this.m = model;
        Seq2SeqConfig cfg = model.config();
        this.dc = cfg.decoder();
        this.maxRows = maxRows;
        this.S = src.length;
        this.L = dc.numLayers();
        this.Hd = dc.hiddenSize();
        this.Dm = cfg.encoder().outputSize();
        this.Ed = dc.embedDim();
        this.Ein = cfg.decoderInputSize();
        this.V = cfg.tgtVocabSize();
        this.kind = dc.attention() == AttentionKind.BAHDANAU ? BAHDANAU : dc.luong() ? LUONG : NONE;
        final int K = maxRows;
        final boolean lstm = dc.cell() == Cell.LSTM;
        this.ids = new IntPointer(Math.max(S, K));
        Tensor[] made = new Tensor[20];
        int nm = 0;
        try {
            // Encoder: embedding -> recurrent stack; h_j = outputs, bridge from the final states.
            Tensor hn;
            final int Ee = cfg.encoder().embedDim();
            try (Tensor xs = Tensor.uninitialized(S, 1, Ee)) {
                ids.position(0).put(src, 0, S);
                check(JrnnNative.jrnn_gather_rows_f32(model.srcEmbedding().pointer(), cfg.srcVocabSize(), Ee, ids, S,
                        xs.pointer()), "source embedding");
                RecurrentOutput enc = model.encoder().forward(xs, null, null, null);
                if (enc.cn() != null) enc.cn().close();
                memory = made[nm++] = enc.output(); // [S, 1, Dm] is [S, Dm]
                hn = made[nm++] = enc.hn();           // [Le*De, 1, He]
            }
            h = made[nm++] = Tensor.zeros(L, K, Hd);
            hSpare = made[nm++] = Tensor.zeros(L, K, Hd);
            c = lstm ? (made[nm++] = Tensor.zeros(L, K, Hd)) : null;
            cSpare = lstm ? (made[nm++] = Tensor.zeros(L, K, Hd)) : null;
            ht = kind == LUONG ? (made[nm++] = Tensor.zeros(K, Hd)) : null;
            htSpare = kind == LUONG ? (made[nm++] = Tensor.zeros(K, Hd)) : null;
            if (model.bridge() != null) {
                // s_0^l = tanh(W_b [hn_fwd^l ; hn_bwd^l] + b_b): hn rows 2l, 2l+1 are contiguous, so hn is [L, D*He]
                model.bridge().forward(L, hn.pointer(), Dm, h.pointer(), Hd);
                JrnnNative.jrnn_tanh_f32(h.pointer(), h.pointer(), (long) L * Hd);
            }
            emb = made[nm++] = Tensor.uninitialized(K, Ed);
            x = made[nm++] = Tensor.uninitialized(K, Ein);
            y = made[nm++] = Tensor.uninitialized(K, Hd);
            int sw = m.attention() == null ? 1 : Math.max(1, m.attention().scratchWidth());
            scratch = made[nm++] = Tensor.uninitialized(K, sw);
            scores = made[nm++] = Tensor.uninitialized(K, S);
            alpha = made[nm++] = Tensor.uninitialized(K, S);
            ctx = made[nm++] = Tensor.uninitialized(K, Dm);
            cat = made[nm++] = Tensor.uninitialized(K, Hd + Dm);
            logits = made[nm++] = Tensor.uninitialized(K, V);
            prepared = m.attention() == null ? null : m.attention().prepare(memory.pointer(), S);
            hn.close();
        } catch (RuntimeException | Error e) {
            for (int i = 0; i < nm; i++) made[i].close();
            ids.deallocate();
            throw e;
        }
    }

    @Override
    public int vocabSize() {
        return V;
    }

    @Override
    public boolean hasAttention() {
        return prepared != null;
    }

    @Override
    public void advance(int[] parents, int[] tokens, int n, float[] logProbs, float[][] attention) {
        if (n < 1 || n > maxRows) throw new IllegalArgumentException("rows must be in [1, " + maxRows + "], got " + n);
        reorder(parents, n);
        ids.position(0).put(tokens, 0, n);
        check(JrnnNative.jrnn_gather_rows_f32(m.tgtEmbedding().pointer(), V, Ed, ids, n, emb.pointer()), "embedding");
        final FloatPointer top = new FloatView(h.pointer(), (long) (L - 1) * n * Hd); // s_t after the step: [n, Hd]
        switch (kind) {
            case BAHDANAU:
                // attention before the RNN, query s_{t-1}
                attend(top, n);
                copyRows(x.pointer(), 0, Ein, emb.pointer(), 0, Ed, n, Ed);
                copyRows(x.pointer(), Ed, Ein, ctx.pointer(), 0, Dm, n, Dm);
                rnnStep(n, x.pointer());
                copyRows(cat.pointer(), 0, Hd + Dm, top, 0, Hd, n, Hd);
                copyRows(cat.pointer(), Hd, Hd + Dm, ctx.pointer(), 0, Dm, n, Dm);
                m.out().forward(n, cat.pointer(), Hd + Dm, logits.pointer(), V);
                break;
            case LUONG:
                if (dc.feedsInput()) {
                    copyRows(x.pointer(), 0, Ein, emb.pointer(), 0, Ed, n, Ed);
                    copyRows(x.pointer(), Ed, Ein, ht.pointer(), 0, Hd, n, Hd);
                    rnnStep(n, x.pointer());
                } else {
                    rnnStep(n, emb.pointer());
                }
                attend(top, n);
                // h~_t = tanh(W_c [c_t ; s_t])
                copyRows(cat.pointer(), 0, Dm + Hd, ctx.pointer(), 0, Dm, n, Dm);
                copyRows(cat.pointer(), Dm, Dm + Hd, top, 0, Hd, n, Hd);
                m.combine().forward(n, cat.pointer(), Dm + Hd, ht.pointer(), Hd);
                JrnnNative.jrnn_tanh_f32(ht.pointer(), ht.pointer(), (long) n * Hd);
                m.out().forward(n, ht.pointer(), Hd, logits.pointer(), V);
                break;
            default:
                rnnStep(n, emb.pointer());
                m.out().forward(n, top, Hd, logits.pointer(), V);
        }
        softmaxRows(true, n, V, logits.pointer(), logits.pointer());
        logits.pointer().get(logProbs, 0, n * V);
        if (attention != null && prepared != null) {
            for (int j = 0; j < n; j++) {
                float[] row = new float[S];
                new FloatView(alpha.pointer(), (long) j * S).get(row, 0, S);
                attention[j] = row;
            }
        }
    }

    /** scores, alpha = softmax(scores), ctx = alpha . H for queries q[n, Hd]. */
    private void attend(FloatPointer q, int n) {
        m.attention().score(q, n, prepared, scratch.pointer(), scores.pointer());
        softmaxRows(false, n, S, scores.pointer(), alpha.pointer());
        check(JrnnNative.jrnn_attn_context_f32(n, S, Dm, alpha.pointer(), memory.pointer(), ctx.pointer()), "context");
    }

    /**
     * (Log-)softmax of rows x[n, width] into y. Nothing is masked here, so the kernel fails only on a row whose every
     * entry is -inf (weights of -inf): such a row becomes NaN, as IEEE 754 has it (-inf - max = -inf - -inf = NaN),
     * like a row holding a NaN, and decoding goes on.
     */
    private static void softmaxRows(boolean log, int n, int width, FloatPointer x, FloatPointer y) {
        if (softmax(log, n, width, x, y) == JrnnNative.OK) return;
        float[] nan = null;
        for (int r = 0; r < n; r++) {
            FloatPointer xr = new FloatView(x, (long) r * width), yr = new FloatView(y, (long) r * width);
            if (softmax(log, 1, width, xr, yr) == JrnnNative.OK) continue;
            if (nan == null) {
                nan = new float[width];
                java.util.Arrays.fill(nan, Float.NaN);
            }
            yr.put(nan, 0, width);
        }
    }

    private static int softmax(boolean log, int n, int width, FloatPointer x, FloatPointer y) {
        return log ? JrnnNative.jrnn_log_softmax_f32(n, width, x, null, y)
                : JrnnNative.jrnn_softmax_f32(n, width, x, null, y);
    }

    private void rnnStep(int n, FloatPointer in) {
        m.decoderRnn().stepRaw(n, in, h.pointer(), c == null ? null : c.pointer(), y.pointer());
    }

    /** Row j of the new state = row parents[j] of the old one (states are [L, rows, Hd]). */
    private void reorder(int[] parents, int n) {
        boolean identity = n == rows;
        for (int j = 0; j < n && identity; j++) identity = parents[j] == j;
        if (identity) return;
        for (int j = 0; j < n; j++) {
            if (parents[j] < 0 || parents[j] >= rows) {
                throw new IllegalArgumentException("parents[" + j + "] must be in [0, " + rows + "), got " + parents[j]);
            }
        }
        ids.position(0).put(parents, 0, n);
        gatherLayers(h, hSpare, L, n);
        Tensor t = h;
        h = hSpare;
        hSpare = t;
        if (c != null) {
            gatherLayers(c, cSpare, L, n);
            t = c;
            c = cSpare;
            cSpare = t;
        }
        if (ht != null) {
            gatherLayers(ht, htSpare, 1, n);
            t = ht;
            ht = htSpare;
            htSpare = t;
        }
        rows = n;
    }

    /** into[l, j, :] = from[l, ids[j], :] per layer, from laid out [layers, rows, Hd], into [layers, n, Hd]. */
    private void gatherLayers(Tensor from, Tensor into, int layers, int n) {
        for (int l = 0; l < layers; l++) {
            check(JrnnNative.jrnn_gather_rows_f32(new FloatView(from.pointer(), (long) l * rows * Hd), rows, Hd, ids, n,
                    new FloatView(into.pointer(), (long) l * n * Hd)), "reorder");
        }
    }

    /** dst[r, dOff : dOff+cols] = src[r, sOff : sOff+cols] for r < rows (row strides ldDst, ldSrc). */
    private static void copyRows(FloatPointer dst, long dOff, long ldDst, FloatPointer src, long sOff, long ldSrc,
                                 int rows, int cols) {
        if (rows == 1 || (ldDst == cols && ldSrc == cols)) {
            Pointer.memcpy(new FloatView(dst, dOff), new FloatView(src, sOff), (long) cols * rows * Float.BYTES);
            return;
        }
        for (int r = 0; r < rows; r++) {
            Pointer.memcpy(new FloatView(dst, dOff + r * ldDst), new FloatView(src, sOff + r * ldSrc),
                    (long) cols * Float.BYTES);
        }
    }

    private static void check(int rc, String what) {
        if (rc != JrnnNative.OK) throw new IllegalStateException(what + " failed in native code (status " + rc + ")");
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {memory, h, hSpare, c, cSpare, ht, htSpare, emb, x, y, scratch, scores, alpha, ctx,
                cat, logits}) {
            if (t != null) t.close();
        }
        if (prepared != null) prepared.close();
        ids.deallocate();
    }
}
