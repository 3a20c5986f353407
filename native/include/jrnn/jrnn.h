/*
 * jrnn C ABI: the only surface the JavaCPP binding (io.jrnn.internal.JrnnNative) sees.
 *
 * Shapes are time-major and row-major: x[T,B,I]. Every size is validated on the Java side before a call;
 * the functions below still check what they can and return a status instead of crashing.
 * Thread safety: a jrnn_rnn is immutable after its weights are set; forward/step may run concurrently on
 * one handle (each thread uses its own workspace).
 */
#ifndef JRNN_JRNN_H
#define JRNN_JRNN_H

#include <stdint.h>

#if defined(__GNUC__)
#define JRNN_API __attribute__((visibility("default")))
#else
#define JRNN_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* status codes */
#define JRNN_OK 0
#define JRNN_ERR_ARG 1    /* a bad argument that Java should have caught */
#define JRNN_ERR_NOMEM 2  /* allocation failed */
#define JRNN_ERR_STATE 3  /* call order (e.g. forward before all weights were set) */

/* instruction-set paths (ids of the ISA registry, in order of preference) */
#define JRNN_ISA_REF 0    /* portable scalar code: the spec */
#define JRNN_ISA_AVX2 1   /* AVX2 + FMA */
#define JRNN_ISA_AVX512 2 /* AVX-512 F, BW, DQ, VL */

/* cells */
#define JRNN_CELL_RNN_TANH 0
#define JRNN_CELL_RNN_RELU 1
#define JRNN_CELL_LSTM 2
#define JRNN_CELL_GRU 3

/* weight precisions (SPEC 1.5): what every product with a weight matrix reads */
#define JRNN_PRECISION_FP32 0
#define JRNN_PRECISION_BF16 1 /* bfloat16 weights, inputs rounded to bf16, float32 sums */
#define JRNN_PRECISION_INT8 2 /* int8 weights with per-row scales, inputs quantized to uint8 per row, int32 sums */
#define JRNN_INT8_MAX_K 65535 /* INT8: at most this many inputs per product (exact int32 sums) */

/* cell options (bit flags) */
#define JRNN_LSTM_SIGMOID_CANDIDATE 1 /* g = sigmoid(.) instead of tanh(.) (course-notes formula) */
#define JRNN_GRU_RESET_BEFORE 2       /* n = tanh(W_in x + b_in + W_hn (r*h) + b_hn) (Cho 2014, ONNX default) */

/* ---- runtime ---- */
JRNN_API const char* jrnn_version(void);
/* The ISA the dispatch table uses now (JRNN_ISA_*). Chosen once at load: the best the CPU and OS support,
 * unless the environment variable JRNN_ISA (ref, avx2, avx512) names another. */
JRNN_API int jrnn_isa(void);
/* How many ISAs the registry has (ids 0 .. count-1), and the name of one ("ref", "avx2", ...; NULL past them). */
JRNN_API int jrnn_isa_count(void);
JRNN_API const char* jrnn_isa_name(int isa);
/* 1 when the CPU and OS support the ISA. */
JRNN_API int jrnn_isa_supported(int isa);
/* NULL, or why the JRNN_ISA environment variable was refused at load (an unknown name, or an ISA this CPU or OS
 * lacks; the message lists what it supports). The library then runs ref; the Java side refuses to load. */
JRNN_API const char* jrnn_isa_error(void);
/* The CPU features beyond an ISA's baseline that its kernels use where present, those this CPU and OS have,
 * space-separated: "avx512-vnni", "avx512-bf16", "avx-vnni", "amx-bf16", "amx-int8" (AMX only when the OS granted
 * the tile state, which jrnn asks Linux for once per process, unless the environment variable JRNN_AMX=off).
 * The reduced-precision products pick their routes by them (SPEC 1.5). */
JRNN_API const char* jrnn_cpu_features(void);
/* Switch the dispatch table (tests run both paths in one process). Not thread-safe against running calls. */
JRNN_API int jrnn_set_isa(int isa);

/* Threads the kernels may use (the calling thread included): one persistent pool, never oversubscribed. jrnn
 * splits its own products across it and keeps OpenBLAS single-threaded (process-wide) so the two never compete.
 * n < 1 means one per available processor. Default: available processors. */
JRNN_API int jrnn_set_threads(int n);
JRNN_API int jrnn_threads(void);
/* on != 0: every call from the calling thread runs on that thread alone, leaving the pool to others (for callers
 * that run independent jobs on threads of their own, one core each); 0 restores the default. Per thread; returns the
 * previous setting. Results never depend on it. */
JRNN_API int jrnn_set_thread_inline(int on);

/* ---- element-wise kernels (n elements; in place allowed) ---- */
JRNN_API void jrnn_sigmoid_f32(const float* x, float* y, int64_t n);
JRNN_API void jrnn_tanh_f32(const float* x, float* y, int64_t n);
JRNN_API void jrnn_exp_f32(const float* x, float* y, int64_t n);

/* ---- recurrent layers ---- */
typedef struct jrnn_rnn jrnn_rnn;

/* G = 1 (RNN), 4 (LSTM), 3 (GRU); H = hidden_size; P = proj_size (LSTM only, 0 = none); Hout = P ? P : H.
 * Returns NULL on bad sizes or out of memory. */
JRNN_API jrnn_rnn* jrnn_rnn_create(int cell, int flags, int num_layers, int num_directions,
                          int input_size, int hidden_size, int proj_size);
/* Copies and packs the weights of one layer and direction (PyTorch layouts):
 * w_ih[G*H, in_l] (in_0 = input_size, else D*Hout), w_hh[G*H, Hout], b_ih[G*H] or NULL, b_hh[G*H] or NULL,
 * w_hr[P, H] (only when P > 0, else NULL). */
JRNN_API int jrnn_rnn_set_weights(jrnn_rnn* rnn, int layer, int direction, const float* w_ih, const float* w_hh,
                         const float* b_ih, const float* b_hh, const float* w_hr);
JRNN_API void jrnn_rnn_destroy(jrnn_rnn* rnn);
/* The precision of every weight matrix (JRNN_PRECISION_*), set before any jrnn_rnn_set_weights (JRNN_ERR_STATE
 * after); the weights are converted once as they are packed. Default FP32. INT8 needs every product's input size
 * <= JRNN_INT8_MAX_K (JRNN_ERR_ARG otherwise). */
JRNN_API int jrnn_rnn_set_precision(jrnn_rnn* rnn, int precision);
JRNN_API int jrnn_rnn_precision(const jrnn_rnn* rnn);
/* ONNX-style options (set before any jrnn_rnn_set_weights, JRNN_ERR_STATE after; the defaults are PyTorch's):
 * flags: JRNN_RNN_REVERSE (a unidirectional stack running each sequence from its last valid step to its first,
 * as a bidirectional stack's reverse direction; no jrnn_rnn_step), JRNN_RNN_INPUT_FORGET (LSTM: f = 1 - i).
 * clip: 0 = none, else every gate activation's input (after biases and peepholes) is bounded to [-clip, clip]
 * (LSTM i, f, g, o; GRU r, z and the whole candidate sum; RNN's pre-activation), as ONNX Runtime's CPU kernels.
 * n_act activation functions (JRNN_FN_*) with alpha[i], beta[i] in ONNX order: LSTM f, g, h; GRU f, g; RNN f;
 * per direction, forward's then reverse's (n_act == 0: the cell's defaults, else exactly G' * D with G' = 3, 2,
 * 1). JRNN_ERR_ARG on anything else. */
#define JRNN_RNN_REVERSE 1
#define JRNN_RNN_INPUT_FORGET 2
#define JRNN_FN_SIGMOID 0
#define JRNN_FN_TANH 1
#define JRNN_FN_RELU 2
#define JRNN_FN_HARD_SIGMOID 3   /* min(max(alpha*x + beta, 0), 1) */
#define JRNN_FN_ELU 4            /* x >= 0 ? x : alpha*(e^x - 1) */
#define JRNN_FN_SOFTSIGN 5       /* x / (1 + |x|) */
#define JRNN_FN_SOFTPLUS 6       /* log(1 + e^x) */
#define JRNN_FN_AFFINE 7         /* alpha*x + beta */
#define JRNN_FN_LEAKY_RELU 8     /* x >= 0 ? x : alpha*x */
#define JRNN_FN_THRESHOLDED_RELU 9 /* x > alpha ? x : 0 */
#define JRNN_FN_SCALED_TANH 10   /* alpha*tanh(beta*x) */
JRNN_API int jrnn_rnn_set_options(jrnn_rnn* rnn, int flags, float clip, int n_act, const int32_t* kinds,
                                  const float* alpha, const float* beta);
/* LSTM peepholes of one layer and direction, p[3*H] in gate order i, f, o (set after its weights; not with
 * proj_size): i = f(.. + p_i*c_{t-1}), f = f(.. + p_f*c_{t-1}), o = f(.. + p_o*c_t). */
JRNN_API int jrnn_rnn_set_peepholes(jrnn_rnn* rnn, int layer, int direction, const float* p);
/* Bytes of packed weights (scales and row sums included), folded biases and peepholes held for the layers set so
 * far. */
JRNN_API int64_t jrnn_rnn_weight_bytes(const jrnn_rnn* rnn);

/* Full sequence. x[T,B,I]; lengths[B] (0 <= len <= T) or NULL = all T; h0[L*D,B,Hout] or NULL = zeros;
 * c0[L*D,B,H] or NULL = zeros (LSTM); y[T,B,D*Hout]; hn[L*D,B,Hout] or NULL; cn[L*D,B,H] or NULL.
 * Packed-sequence semantics: y is 0 at t >= len, states are those after the last valid step. */
JRNN_API int jrnn_rnn_forward(const jrnn_rnn* rnn, int T, int B, const float* x, const int32_t* lengths,
                     const float* h0, const float* c0, float* y, float* hn, float* cn);

/* One time step of a unidirectional stack. x[B,I]; h[L,B,Hout] and c[L,B,H] (LSTM, else ignored) are the
 * state, read and updated in place; y[B,Hout] receives the top layer's output. */
JRNN_API int jrnn_rnn_step(const jrnn_rnn* rnn, int B, const float* x, float* h, float* c, float* y);

/* Options of the _ex calls (0 = what jrnn_rnn_forward / jrnn_rnn_step do).
 * JRNN_RUN_BATCH_INVARIANT: every row's results are bit-identical whatever B is, whatever the row's position and
 * whatever the other rows hold (each output sums its products in one fixed order); at B = 1 equal to the plain
 * call. Without it, the AVX2 product picks its summation order by batch size (fastest at every B). */
#define JRNN_RUN_BATCH_INVARIANT 1
JRNN_API int jrnn_rnn_forward_ex(const jrnn_rnn* rnn, int T, int B, const float* x, const int32_t* lengths,
                     const float* h0, const float* c0, float* y, float* hn, float* cn, int options);
JRNN_API int jrnn_rnn_step_ex(const jrnn_rnn* rnn, int B, const float* x, float* h, float* c, float* y, int options);

/* ---- seq2seq building blocks ----
 * Row-major, float32; ids are int32. Java validates every id and size first. */

/* out[n,E] = table[ids[i], :] for i < n (embedding lookup, and reordering of beam states). */
JRNN_API int jrnn_gather_rows_f32(const float* table, int rows, int cols, const int32_t* ids, int n, float* out);

/* A linear layer with its weight packed once: y[M,N] = x[M,K] . W[N,K]^T + b[N] (b may be NULL). */
typedef struct jrnn_linear jrnn_linear;
JRNN_API jrnn_linear* jrnn_linear_create(int n, int k, const float* w, const float* b);
/* The same with W stored in a precision (JRNN_PRECISION_*; INT8 needs k <= JRNN_INT8_MAX_K). */
JRNN_API jrnn_linear* jrnn_linear_create_ex(int n, int k, const float* w, const float* b, int precision);
/* Bytes of the packed weights (scales and row sums included) and the bias. */
JRNN_API int64_t jrnn_linear_weight_bytes(const jrnn_linear* lin);
JRNN_API void jrnn_linear_destroy(jrnn_linear* lin);
/* x row stride ldx >= K, y row stride ldy >= N. */
JRNN_API int jrnn_linear_forward(const jrnn_linear* lin, int m, const float* x, int64_t ldx, float* y, int64_t ldy);
/* The same with options: JRNN_RUN_BATCH_INVARIANT makes every row's result independent of m, of its position and of
 * the other rows (equal to the plain call at m = 1), as the seq2seq decoder needs to batch several requests. */
JRNN_API int jrnn_linear_forward_ex(const jrnn_linear* lin, int m, const float* x, int64_t ldx, float* y, int64_t ldy,
                                    int options);

/* Additive attention scores (bahdanau; luong_concat after splitting W_a): for each query i < M and source
 * position j < S: scores[i,j] = sum_a v[a] * tanh(qproj[i,a] + keys[j,a]).  qproj[M,A], keys[S,A], v[A]. */
JRNN_API int jrnn_attn_additive_f32(int m, int s, int a, const float* qproj, const float* keys, const float* v,
                                    float* scores);
/* Dot scores (luong_dot; luong_general with mem = H W_a^T precomputed): scores[i,j] = q[i,:] . mem[j,:].
 * q[M,Dm], mem[S,Dm]. */
JRNN_API int jrnn_attn_dot_f32(int m, int s, int dm, const float* q, const float* mem, float* scores);
/* Context vectors: ctx[M,Dm] = alpha[M,S] . mem[S,Dm]. */
JRNN_API int jrnn_attn_context_f32(int m, int s, int dm, const float* alpha, const float* mem, float* ctx);

/* Row-wise softmax / log-softmax over x[M,N] into y (in place allowed), max-subtracted. valid[N] (NULL = all)
 * masks columns: masked ones get probability 0 (log: -inf). -inf inputs are exact zeros of probability.
 * Returns JRNN_ERR_ARG (y untouched for that row onward) when a row has no valid finite-or-+inf entry, i.e.
 * every score is masked or -inf. */
JRNN_API int jrnn_softmax_f32(int m, int n, const float* x, const uint8_t* valid, float* y);
JRNN_API int jrnn_log_softmax_f32(int m, int n, const float* x, const uint8_t* valid, float* y);

/* The k largest of x[N] (k <= N), best first; ties: the lower index first. NaN ranks below every number. */
JRNN_API int jrnn_topk_f32(int n, const float* x, int k, int32_t* idx, float* val);

/* ---- whole-model pieces (io.jrnn.SequenceModel) ---- */

/* y = max(x, 0) element-wise (n elements; in place allowed; NaN stays NaN, as torch.relu). */
JRNN_API void jrnn_relu_f32(const float* x, float* y, int64_t n);
/* The mean readout: out[B,F] = mean over t < lengths[b] of y[t,b,:], y[T,B,F] time-major. lengths[B] (each in
 * [1, T]) or NULL = all T. */
JRNN_API int jrnn_mean_steps_f32(int T, int B, int F, const float* y, const int32_t* lengths, float* out);
/* Swaps the two leading axes: y[b,a,:] = x[a,b,:] for x[A,B,F] (time-major <-> batch-first). No overlap. */
JRNN_API int jrnn_swap01_f32(int A, int B, int F, const float* x, float* y);
/* jrnn_rnn_forward with batch-first x[B,T,I] and y[B,T,F] (F = D*Hout); lengths, states as jrnn_rnn_forward
 * (states stay [L*D,B,*], as in PyTorch with batch_first=True). I and F must be the stack's sizes (the caller
 * validated them). The data is swapped to time-major in a per-thread buffer around the time-major forward. */
JRNN_API int jrnn_rnn_forward_batch_first(const jrnn_rnn* rnn, int T, int B, int I, int F, const float* x,
                                          const int32_t* lengths, const float* h0, const float* c0, float* y,
                                          float* hn, float* cn);

/* ---- one native call per step of a whole model ----
 * embedding (optional) -> one step of a unidirectional stack -> head layers with activations -> output. The step
 * object points at parts other handles own (stack, linear layers, embedding table): the caller keeps them alive
 * and unchanged while it exists and during every call. */
#define JRNN_ACT_NONE 0
#define JRNN_ACT_TANH 1
#define JRNN_ACT_RELU 2
#define JRNN_ACT_SIGMOID 3
#define JRNN_OUT_NONE 0
#define JRNN_OUT_SOFTMAX 1
#define JRNN_OUT_LOG_SOFTMAX 2
typedef struct jrnn_seqstep jrnn_seqstep;
/* input_size = the stack's I (the embedding dim when table != NULL), output_size = its Hout; table[vocab, I] or
 * NULL; num_heads linear layers set in order with jrnn_seqstep_set_head; output = JRNN_OUT_*. NULL on bad args. */
JRNN_API jrnn_seqstep* jrnn_seqstep_create(const jrnn_rnn* rnn, int input_size, int output_size, const float* table,
                                           int vocab, int num_heads, int output);
/* Head i: lin with W[n, k] (k = Hout for i = 0, else head i-1's n), then activation JRNN_ACT_*. */
JRNN_API int jrnn_seqstep_set_head(jrnn_seqstep* s, int i, const jrnn_linear* lin, int n, int k, int activation);
JRNN_API void jrnn_seqstep_destroy(jrnn_seqstep* s);
/* How many floats of scratch jrnn_seqstep_run needs at batch B. */
JRNN_API int jrnn_seqstep_scratch_floats(const jrnn_seqstep* s, int B, int64_t* floats);
/* One step: ids[B] (with a table; each in [0, vocab), checked by the caller) or x[B, I]; h[L,B,Hout], c[L,B,H]
 * (LSTM) the state, updated in place; out[B, N] the result (N = the last head's n, or Hout); apply_output = 0
 * leaves out before the softmax (the scores a sampler reads). JRNN_ERR_ARG from the softmax when a row is all
 * -inf. */
JRNN_API int jrnn_seqstep_run(const jrnn_seqstep* s, int B, const int32_t* ids, const float* x, float* h, float* c,
                              float* scratch, float* out, int apply_output);
/* The same step over states the caller keeps one row each (per-key state held outside jrnn). A row's state is
 * jrnn_seqstep_state_floats S floats: every layer's h (L*Hout, layer 0 first), then for an LSTM every layer's c
 * (L*H). states[B, S] is read and updated in place; out[B, N] receives the output (softmax applied). scratch holds
 * jrnn_seqstep_rows_scratch_floats(s, B) floats. options: JRNN_RUN_BATCH_INVARIANT makes each row's state and
 * output bit-identical whatever B and the other rows are (FP32: the recurrent and the head products through the
 * invariant tables, activations row by row). JRNN_ERR_ARG as jrnn_seqstep_run's softmax (the states have advanced).
 * JRNN_ROWS_LAYERED (an option bit of this call only): states holds the B rows already in the stack's layout,
 * h[L,B,Hout] then c[L,B,H] (LSTM), as jrnn_seqstep_run takes them; stepped in place without the copy of every row
 * into that layout and back. */
#define JRNN_ROWS_LAYERED (1 << 16)
JRNN_API int jrnn_seqstep_state_floats(const jrnn_seqstep* s, int64_t* floats);
JRNN_API int jrnn_seqstep_rows_scratch_floats(const jrnn_seqstep* s, int B, int64_t* floats);
JRNN_API int jrnn_seqstep_run_rows(const jrnn_seqstep* s, int B, const int32_t* ids, const float* x, float* states,
                                   float* scratch, float* out, int options);

/* ---- one native call per seq2seq decoder step (io.jrnn.Seq2Seq, SPEC 1.3) ----
 * jrnn_s2s points at parts other handles own (the encoder and decoder stacks, the linear layers, both embedding
 * tables, v): the caller keeps them alive and unchanged while it exists and during every call. */
#define JRNN_S2S_FLOW_NONE 0     /* no attention: logits = out(s_t) */
#define JRNN_S2S_FLOW_BAHDANAU 1 /* attention on s_{t-1} before the step, x = [emb; c_t]; logits = out([s_t; c_t]) */
#define JRNN_S2S_FLOW_LUONG 2    /* attention on s_t after the step; h~ = tanh(combine([c_t; s_t])); logits = out(h~) */
#define JRNN_S2S_SCORE_ADDITIVE 0 /* v . tanh(query(q) + key(h_j)) (bahdanau; luong_concat with W_a split) */
#define JRNN_S2S_SCORE_DOT 1      /* q . h_j, or q . general(h_j) when the general projection is set */
#define JRNN_S2S_LIN_BRIDGE 0     /* [Hd, Dm]: s_0 = tanh(bridge(hn)) (else s_0 = 0) */
#define JRNN_S2S_LIN_QUERY 1      /* [A, Hd] */
#define JRNN_S2S_LIN_KEY 2        /* [A, Dm] */
#define JRNN_S2S_LIN_GENERAL 3    /* [Hd, Dm] (luong_general) */
#define JRNN_S2S_LIN_COMBINE 4    /* [Hd, Dm + Hd] (luong) */
#define JRNN_S2S_LIN_OUT 5        /* [V, Hd + Dm] (bahdanau) or [V, Hd] */
#define JRNN_S2S_LIN_COUNT 6
typedef struct jrnn_s2s jrnn_s2s;
typedef struct jrnn_s2s_session jrnn_s2s_session;
/* src_table[src_vocab, src_embed], tgt_table[tgt_vocab, tgt_embed]; the encoder has encoder_layers layers and
 * outputs encoder_output = D*He per position; the decoder stack has layers x hidden (lstm: it has a cell state);
 * attention_dim and v[attention_dim] for additive scores (else 0 and NULL). Linear layers are set with
 * jrnn_s2s_set_linear (n, k their W's shape, checked against the slot). NULL on bad arguments. */
JRNN_API jrnn_s2s* jrnn_s2s_create(const jrnn_rnn* encoder, const jrnn_rnn* decoder, int flow, int score,
                                   int input_feeding, const float* src_table, int src_vocab, int src_embed,
                                   const float* tgt_table, int tgt_vocab, int tgt_embed, int encoder_layers,
                                   int encoder_output, int hidden, int layers, int lstm, int attention_dim,
                                   const float* v);
JRNN_API int jrnn_s2s_set_linear(jrnn_s2s* m, int slot, const jrnn_linear* lin, int n, int k);
JRNN_API void jrnn_s2s_destroy(jrnn_s2s* m);
/* The buffers of one sentence of up to max_src tokens decoded with up to max_rows hypotheses, allocated once.
 * NULL when out of memory, on bad arguments, or when a linear layer the config needs is not set. One thread at
 * a time. */
JRNN_API jrnn_s2s_session* jrnn_s2s_session_create(const jrnn_s2s* m, int max_src, int max_rows);
JRNN_API void jrnn_s2s_session_destroy(jrnn_s2s_session* s);
/* The buffers of up to max_sents sentences (each up to max_src tokens) decoded together with up to max_rows
 * hypotheses in all (max_sents <= max_rows). Each sentence's results are bit-identical to decoding it alone. */
JRNN_API jrnn_s2s_session* jrnn_s2s_session_create_batch(const jrnn_s2s* m, int max_src, int max_rows,
                                                         int max_sents);
/* Encodes src[S] (ids checked by the caller), sets the start state (one row) and the attention keys. */
JRNN_API int jrnn_s2s_start(const jrnn_s2s* m, jrnn_s2s_session* s, const int32_t* src, int S);
/* Encodes n sentences, src holding them one after another (lengths[i] ids each, 1 <= lengths[i] <= max_src); row i
 * is sentence i's start state. */
JRNN_API int jrnn_s2s_start_batch(const jrnn_s2s* m, jrnn_s2s_session* s, const int32_t* src,
                                  const int32_t* lengths, int n);
/* One decoder step: new row j = old row parents[j] extended by tokens[j], for j < n (StepScorer's contract); a row
 * decodes its parent's sentence, and the new rows must keep the sentences in order (each sentence's rows together).
 * Afterwards jrnn_s2s_log_probs holds [n, tgt_vocab] log-probabilities and jrnn_s2s_attention the attention weights
 * (when the model attends): with S the longest source started, the rows j0..j1 of a sentence of length S_i hold
 * theirs at j0 * S + (j - j0) * S_i (one sentence: [n, S]). JRNN_ERR_ARG on a parent outside the live rows, rows out
 * of sentence order or a token outside the vocabulary (nothing changed then). */
JRNN_API int jrnn_s2s_step(const jrnn_s2s* m, jrnn_s2s_session* s, int n, const int32_t* parents,
                           const int32_t* tokens);
/* Room for the caller's ids, owned by the session: [max_sents * max_src + 2 * max_rows + max_sents] (sources, then
 * parents, then tokens, then lengths, as a caller may lay them out). */
JRNN_API int32_t* jrnn_s2s_ids(jrnn_s2s_session* s);
/* The session's output buffers for the current sentence (valid until the next jrnn_s2s_start). */
JRNN_API float* jrnn_s2s_log_probs(jrnn_s2s_session* s);
JRNN_API float* jrnn_s2s_attention(jrnn_s2s_session* s);

#ifdef __cplusplus
}
#endif

#endif /* JRNN_JRNN_H */
