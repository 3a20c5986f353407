package io.jrnn.internal;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Opaque;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JavaCPP binding of the C ABI in {@code native/include/jrnn/jrnn.h}. Hand-written: no parser step.
 *
 * <p>Nothing here checks arguments: JavaCPP passes no lengths to C, so every caller in {@code io.jrnn}
 * validates shapes, sizes and lengths before calling. Not part of the public API.
 */
@Platform(include = "jrnn/jrnn.h", link = "jrnn")
public final class JrnnNative {
    static {
        // Load bytedeco's OpenBLAS first so that libjrnn's libopenblas.so.0 dependency resolves to it,
        // never to a system copy.
        Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
        Loader.load();
        BytePointer refused = jrnn_isa_error();
        if (refused != null && !refused.isNull()) {
            // JRNN_ISA named an unknown ISA or one this CPU lacks: refuse to run rather than run another path
            throw new IllegalStateException(refused.getString());
        }
    }

    private JrnnNative() {}

    public static final int OK = 0, ERR_ARG = 1, ERR_NOMEM = 2, ERR_STATE = 3;
    public static final int ISA_REF = 0, ISA_AVX2 = 1, ISA_AVX512 = 2;
    public static final int CELL_RNN_TANH = 0, CELL_RNN_RELU = 1, CELL_LSTM = 2, CELL_GRU = 3;
    public static final int LSTM_SIGMOID_CANDIDATE = 1, GRU_RESET_BEFORE = 2;

    /** Opaque handle of a native recurrent stack ({@code jrnn_rnn*}). */
    @Opaque
    @Name("jrnn_rnn")
    public static final class RnnHandle extends Pointer {
        public RnnHandle() {
            super((Pointer) null);
        }

        public RnnHandle(Pointer p) {
            super(p);
        }
    }

    public static native @Cast("const char*") BytePointer jrnn_version();

    public static native int jrnn_isa();

    public static native int jrnn_isa_supported(int isa);

    public static native int jrnn_isa_count();

    public static native @Cast("const char*") BytePointer jrnn_isa_name(int isa);

    public static native @Cast("const char*") BytePointer jrnn_isa_error();

    public static native @Cast("const char*") BytePointer jrnn_cpu_features();

    public static native int jrnn_set_isa(int isa);

    public static native int jrnn_set_threads(int n);

    public static native int jrnn_threads();

    public static native int jrnn_set_thread_inline(int on);

    public static native void jrnn_sigmoid_f32(@Const FloatPointer x, FloatPointer y, long n);

    public static native void jrnn_tanh_f32(@Const FloatPointer x, FloatPointer y, long n);

    public static native void jrnn_exp_f32(@Const FloatPointer x, FloatPointer y, long n);

    public static native RnnHandle jrnn_rnn_create(int cell, int flags, int numLayers, int numDirections,
                                                   int inputSize, int hiddenSize, int projSize);

    public static native int jrnn_rnn_set_weights(RnnHandle rnn, int layer, int direction, @Const FloatPointer wIh,
                                                  @Const FloatPointer wHh, @Const FloatPointer bIh,
                                                  @Const FloatPointer bHh, @Const FloatPointer wHr);

    public static native void jrnn_rnn_destroy(RnnHandle rnn);

    public static native int jrnn_rnn_set_precision(RnnHandle rnn, int precision);

    public static native int jrnn_rnn_precision(@Const RnnHandle rnn);

    /** Flags of {@link #jrnn_rnn_set_options} (jrnn.h: JRNN_RNN_REVERSE, JRNN_RNN_INPUT_FORGET). */
    public static final int RNN_REVERSE = 1, RNN_INPUT_FORGET = 2;

    public static native int jrnn_rnn_set_options(RnnHandle rnn, int flags, float clip, int numActivations,
                                                  @Cast("const int32_t*") IntPointer kinds, @Const FloatPointer alpha,
                                                  @Const FloatPointer beta);

    public static native int jrnn_rnn_set_peepholes(RnnHandle rnn, int layer, int direction, @Const FloatPointer p);

    public static native long jrnn_rnn_weight_bytes(@Const RnnHandle rnn);

    public static native int jrnn_rnn_forward(@Const RnnHandle rnn, int T, int B, @Const FloatPointer x,
                                              @Cast("const int32_t*") IntPointer lengths, @Const FloatPointer h0,
                                              @Const FloatPointer c0, FloatPointer y, FloatPointer hn,
                                              FloatPointer cn);

    public static native int jrnn_rnn_step(@Const RnnHandle rnn, int B, @Const FloatPointer x, FloatPointer h,
                                           FloatPointer c, FloatPointer y);

    /** Options of the {@code _ex} calls: rows bit-identical whatever the batch (jrnn.h). */
    public static final int RUN_BATCH_INVARIANT = 1;
    /** jrnn_seqstep_run_rows only: the rows already in the stack's layout (JRNN_ROWS_LAYERED). */
    public static final int ROWS_LAYERED = 1 << 16;

    public static native int jrnn_rnn_forward_ex(@Const RnnHandle rnn, int T, int B, @Const FloatPointer x,
                                                 @Cast("const int32_t*") IntPointer lengths, @Const FloatPointer h0,
                                                 @Const FloatPointer c0, FloatPointer y, FloatPointer hn,
                                                 FloatPointer cn, int options);

    public static native int jrnn_rnn_step_ex(@Const RnnHandle rnn, int B, @Const FloatPointer x, FloatPointer h,
                                              FloatPointer c, FloatPointer y, int options);

    // ---- seq2seq building blocks ----

    /** Opaque handle of a packed linear layer ({@code jrnn_linear*}). */
    @Opaque
    @Name("jrnn_linear")
    public static final class LinearHandle extends Pointer {
        public LinearHandle() {
            super((Pointer) null);
        }

        public LinearHandle(Pointer p) {
            super(p);
        }
    }

    public static native int jrnn_gather_rows_f32(@Const FloatPointer table, int rows, int cols,
                                                  @Cast("const int32_t*") IntPointer ids, int n, FloatPointer out);

    public static native LinearHandle jrnn_linear_create(int n, int k, @Const FloatPointer w, @Const FloatPointer b);

    public static native void jrnn_linear_destroy(LinearHandle lin);

    public static native LinearHandle jrnn_linear_create_ex(int n, int k, @Const FloatPointer w, @Const FloatPointer b,
                                                            int precision);

    public static native long jrnn_linear_weight_bytes(@Const LinearHandle lin);

    public static native int jrnn_linear_forward(@Const LinearHandle lin, int m, @Const FloatPointer x, long ldx,
                                                 FloatPointer y, long ldy);

    public static native int jrnn_attn_additive_f32(int m, int s, int a, @Const FloatPointer qproj,
                                                    @Const FloatPointer keys, @Const FloatPointer v,
                                                    FloatPointer scores);

    public static native int jrnn_attn_dot_f32(int m, int s, int dm, @Const FloatPointer q, @Const FloatPointer mem,
                                               FloatPointer scores);

    public static native int jrnn_attn_context_f32(int m, int s, int dm, @Const FloatPointer alpha,
                                                   @Const FloatPointer mem, FloatPointer ctx);

    public static native int jrnn_softmax_f32(int m, int n, @Const FloatPointer x,
                                              @Cast("const uint8_t*") BytePointer valid, FloatPointer y);

    public static native int jrnn_log_softmax_f32(int m, int n, @Const FloatPointer x,
                                                  @Cast("const uint8_t*") BytePointer valid, FloatPointer y);

    public static native int jrnn_topk_f32(int n, @Const FloatPointer x, int k, @Cast("int32_t*") IntPointer idx,
                                           FloatPointer val);

    // ---- whole-model pieces ----

    public static native void jrnn_relu_f32(@Const FloatPointer x, FloatPointer y, long n);

    public static native int jrnn_mean_steps_f32(int T, int B, int F, @Const FloatPointer y,
                                                 @Cast("const int32_t*") IntPointer lengths, FloatPointer out);

    public static native int jrnn_swap01_f32(int A, int B, int F, @Const FloatPointer x, FloatPointer y);

    public static native int jrnn_rnn_forward_batch_first(@Const RnnHandle rnn, int T, int B, int I, int F,
                                                          @Const FloatPointer x,
                                                          @Cast("const int32_t*") IntPointer lengths,
                                                          @Const FloatPointer h0, @Const FloatPointer c0,
                                                          FloatPointer y, FloatPointer hn, FloatPointer cn);

    // ---- one native call per step of a whole model ----

    public static final int ACT_NONE = 0, ACT_TANH = 1, ACT_RELU = 2, ACT_SIGMOID = 3;
    public static final int OUT_NONE = 0, OUT_SOFTMAX = 1, OUT_LOG_SOFTMAX = 2;

    /** Opaque handle of a whole-model step ({@code jrnn_seqstep*}). */
    @Opaque
    @Name("jrnn_seqstep")
    public static final class SeqStepHandle extends Pointer {
        public SeqStepHandle() {
            super((Pointer) null);
        }

        public SeqStepHandle(Pointer p) {
            super(p);
        }
    }

    public static native SeqStepHandle jrnn_seqstep_create(@Const RnnHandle rnn, int inputSize, int outputSize,
                                                           @Const FloatPointer table, int vocab, int numHeads,
                                                           int output);

    public static native int jrnn_seqstep_set_head(SeqStepHandle s, int i, @Const LinearHandle lin, int n, int k,
                                                   int activation);

    public static native void jrnn_seqstep_destroy(SeqStepHandle s);

    public static native int jrnn_seqstep_scratch_floats(@Const SeqStepHandle s, int B,
                                                         @Cast("int64_t*") org.bytedeco.javacpp.LongPointer floats);

    public static native int jrnn_seqstep_run(@Const SeqStepHandle s, int B, @Cast("const int32_t*") IntPointer ids,
                                              @Const FloatPointer x, FloatPointer h, FloatPointer c,
                                              FloatPointer scratch, FloatPointer out, int applyOutput);

    public static native int jrnn_seqstep_state_floats(@Const SeqStepHandle s,
                                                       @Cast("int64_t*") org.bytedeco.javacpp.LongPointer floats);

    public static native int jrnn_seqstep_rows_scratch_floats(@Const SeqStepHandle s, int B,
                                                              @Cast("int64_t*") org.bytedeco.javacpp.LongPointer floats);

    public static native int jrnn_seqstep_run_rows(@Const SeqStepHandle s, int B, @Cast("const int32_t*") IntPointer ids,
                                                   @Const FloatPointer x, FloatPointer states, FloatPointer scratch,
                                                   FloatPointer out, int options);

    // ---- one native call per seq2seq decoder step ----

    public static final int S2S_FLOW_NONE = 0, S2S_FLOW_BAHDANAU = 1, S2S_FLOW_LUONG = 2;
    public static final int S2S_SCORE_ADDITIVE = 0, S2S_SCORE_DOT = 1;
    public static final int S2S_LIN_BRIDGE = 0, S2S_LIN_QUERY = 1, S2S_LIN_KEY = 2, S2S_LIN_GENERAL = 3,
            S2S_LIN_COMBINE = 4, S2S_LIN_OUT = 5;

    /** Opaque handle of a seq2seq decoder over its parts ({@code jrnn_s2s*}). */
    @Opaque
    @Name("jrnn_s2s")
    public static final class S2SHandle extends Pointer {
        public S2SHandle() {
            super((Pointer) null);
        }

        public S2SHandle(Pointer p) {
            super(p);
        }
    }

    /** Opaque handle of the buffers of one sentence's decoding ({@code jrnn_s2s_session*}). */
    @Opaque
    @Name("jrnn_s2s_session")
    public static final class S2SSessionHandle extends Pointer {
        public S2SSessionHandle() {
            super((Pointer) null);
        }

        public S2SSessionHandle(Pointer p) {
            super(p);
        }
    }

    public static native S2SHandle jrnn_s2s_create(@Const RnnHandle encoder, @Const RnnHandle decoder, int flow,
                                                   int score, int inputFeeding, @Const FloatPointer srcTable,
                                                   int srcVocab, int srcEmbed, @Const FloatPointer tgtTable,
                                                   int tgtVocab, int tgtEmbed, int encoderLayers, int encoderOutput,
                                                   int hidden, int layers, int lstm, int attentionDim,
                                                   @Const FloatPointer v);

    public static native int jrnn_s2s_set_linear(S2SHandle m, int slot, @Const LinearHandle lin, int n, int k);

    public static native void jrnn_s2s_destroy(S2SHandle m);

    public static native S2SSessionHandle jrnn_s2s_session_create(@Const S2SHandle m, int maxSrc, int maxRows);

    public static native void jrnn_s2s_session_destroy(S2SSessionHandle s);

    public static native S2SSessionHandle jrnn_s2s_session_create_batch(@Const S2SHandle m, int maxSrc, int maxRows,
                                                                       int maxSents);

    public static native int jrnn_s2s_start(@Const S2SHandle m, S2SSessionHandle s,
                                            @Cast("const int32_t*") IntPointer src, int S);

    public static native int jrnn_s2s_start_batch(@Const S2SHandle m, S2SSessionHandle s,
                                                  @Cast("const int32_t*") IntPointer src,
                                                  @Cast("const int32_t*") IntPointer lengths, int n);

    public static native int jrnn_s2s_step(@Const S2SHandle m, S2SSessionHandle s, int n,
                                           @Cast("const int32_t*") IntPointer parents,
                                           @Cast("const int32_t*") IntPointer tokens);

    public static native @Cast("int32_t*") IntPointer jrnn_s2s_ids(S2SSessionHandle s);

    public static native FloatPointer jrnn_s2s_log_probs(S2SSessionHandle s);

    public static native FloatPointer jrnn_s2s_attention(S2SSessionHandle s);
}
