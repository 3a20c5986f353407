package io.jrnn;

import org.bytedeco.javacpp.FloatPointer;

import io.jrnn.internal.JrnnNative;

/**
 * Attention scores over encoder states h_j (SPEC §1.2). The kinds differ only in {@link #score}: additive
 * ({@code bahdanau}, and {@code luong_concat} once W_a is split into its query and key halves) and dot
 * ({@code luong_dot}, and {@code luong_general} once {@code W_a h_j} is precomputed). What depends only on the
 * source is computed once per sentence by {@link #prepare}. Immutable; safe to share across threads.
 */
abstract class Attention implements AutoCloseable {

    /** Per-sentence precomputation: keys[S, A] (additive), W_a H [S, Hd] (general), or the memory itself (dot). */
    static final class Prepared implements AutoCloseable {
        final Tensor owned;   // null when it is the memory itself
        final FloatPointer keys;
        final int s;

        Prepared(Tensor owned, FloatPointer keys, int s) {
            this.owned = owned;
            this.keys = keys;
            this.s = s;
        }

        @Override
        public void close() {
            if (owned != null) owned.close();
        }
    }

    /** Precomputes from memory[S, Dm]. */
    abstract Prepared prepare(FloatPointer memory, int s);

    /** scores[n, S] for queries q[n, Hd]; scratch holds at least n * {@link #scratchWidth()} floats. */
    abstract void score(FloatPointer q, int n, Prepared p, FloatPointer scratch, FloatPointer scores);

    abstract int scratchWidth();

    @Override
    public abstract void close();

    /** Bytes of the attention's weights held natively (its projections in their precision, v in float32). */
    abstract long weightBytes();

    static void check(int rc, String what) {
        if (rc != JrnnNative.OK) throw new IllegalStateException(what + " failed (status " + rc + ")");
    }

    /** e_j = v · tanh(W_q q + W_k h_j). */
    static final class Additive extends Attention {
        private final Linear query, key;
        private final Tensor v;

        Additive(Linear query, Linear key, Tensor v) {
            this.query = query;
            this.key = key;
            this.v = v;
        }

        @Override
        Prepared prepare(FloatPointer memory, int s) {
            Tensor keys = Tensor.uninitialized(s, key.n);
            key.forward(s, memory, key.k, keys.pointer(), key.n);
            return new Prepared(keys, keys.pointer(), s);
        }

        @Override
        void score(FloatPointer q, int n, Prepared p, FloatPointer scratch, FloatPointer scores) {
            query.forward(n, q, query.k, scratch, query.n);
            check(JrnnNative.jrnn_attn_additive_f32(n, p.s, query.n, scratch, p.keys, v.pointer(), scores), "additive attention");
        }

        @Override
        int scratchWidth() {
            return query.n;
        }

        @Override
        long weightBytes() {
            return query.weightBytes() + key.weightBytes() + 4L * v.size();
        }

        @Override
        public void close() {
            query.close();
            key.close();
            v.close();
        }
    }

    /** e_j = q · h_j, or q · (W_a h_j) when general is set. */
    static final class Dot extends Attention {
        private final Linear general; // null for luong_dot
        private final int dim;

        Dot(Linear general, int dim) {
            this.general = general;
            this.dim = dim;
        }

        @Override
        Prepared prepare(FloatPointer memory, int s) {
            if (general == null) return new Prepared(null, memory, s);
            Tensor mem = Tensor.uninitialized(s, general.n);
            general.forward(s, memory, general.k, mem.pointer(), general.n);
            return new Prepared(mem, mem.pointer(), s);
        }

        @Override
        void score(FloatPointer q, int n, Prepared p, FloatPointer scratch, FloatPointer scores) {
            check(JrnnNative.jrnn_attn_dot_f32(n, p.s, dim, q, p.keys, scores), "dot attention");
        }

        @Override
        int scratchWidth() {
            return 0;
        }

        @Override
        long weightBytes() {
            return general == null ? 0 : general.weightBytes();
        }

        @Override
        public void close() {
            if (general != null) general.close();
        }
    }
}
