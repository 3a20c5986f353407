package io.jrnn;

/**
 * The weights of the attention (SPEC §1.2), owned here; the scores are computed natively by the decoder step
 * ({@code jrnn_s2s_step}). The kinds differ only in the score: additive ({@code bahdanau}, and
 * {@code luong_concat} once W_a is split into its query and key halves) and dot ({@code luong_dot}, and
 * {@code luong_general} with {@code W_a h_j} precomputed once per sentence). Immutable; safe to share across threads.
 */
abstract class Attention implements AutoCloseable {

    @Override
    public abstract void close();

    /** Bytes of the attention's weights held natively (its projections in their precision, v in float32). */
    abstract long weightBytes();

    /** e_j = v · tanh(W_q q + W_k h_j). */
    static final class Additive extends Attention {
        final Linear query, key;
        final Tensor v;

        Additive(Linear query, Linear key, Tensor v) {
            this.query = query;
            this.key = key;
            this.v = v;
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
        final Linear general; // null for luong_dot

        Dot(Linear general) {
            this.general = general;
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
