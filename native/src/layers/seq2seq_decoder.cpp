// One native call per decoder step of io.jrnn.Seq2Seq (SPEC §1.3): the reorder of the beam's states, the target
// embedding, the recurrent step, attention (scores, softmax, context), the combine and output projections and the
// log-softmax. The decoding strategies (greedy, beam search) stay in Java and see only log-probabilities.
//
// jrnn_s2s points at parts other handles own (the two stacks, the linear layers, the embedding tables, v); the
// Java side keeps them alive and unchanged while it exists. A session holds the buffers of one or several
// sentences decoded together: the encoder outputs, the per-sentence attention keys, the decoder states (two
// copies, for the reorder) and the step's intermediates, in one allocation made once per session.
//
// Batch invariance: a session decodes several sentences at once (a batcher's requests) and each sentence's results
// are bit-identical to decoding it alone. Every product runs through the batch-invariant kernel table (the
// encoder's and decoder's recurrent products, every linear layer: no OpenBLAS), and attention, which reads one
// sentence's memory, runs once per sentence over that sentence's rows, exactly as when it is alone.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>

#include "jrnn/jrnn.h"
#include "kernels.h"
#include "layers/recurrent.h"

struct jrnn_s2s {
    const jrnn_rnn* enc = nullptr;
    const jrnn_rnn* dec = nullptr;
    int flow = JRNN_S2S_FLOW_NONE, score = JRNN_S2S_SCORE_DOT, feed = 0, lstm = 0;
    const float* src_table = nullptr;
    int src_vocab = 0, ee = 0;  // source vocabulary, encoder embedding dim
    const float* tgt_table = nullptr;
    int v = 0, ed = 0;          // target vocabulary, decoder embedding dim
    int le = 0, dm = 0;         // encoder layers, encoder output width D*He
    int hd = 0, l = 0;          // decoder hidden size and layers
    int a = 0;                  // attention dim (additive)
    const float* att_v = nullptr;
    const jrnn_linear* lin[JRNN_S2S_LIN_COUNT] = {};
    int lin_n[JRNN_S2S_LIN_COUNT] = {}, lin_k[JRNN_S2S_LIN_COUNT] = {};

    int ein() const { return flow == JRNN_S2S_FLOW_BAHDANAU ? ed + dm : feed ? ed + hd : ed; }
    bool attends() const { return flow != JRNN_S2S_FLOW_NONE; }
    // The width of what the attention's query projection writes per row (additive only).
    int scratch_width() const { return attends() && score == JRNN_S2S_SCORE_ADDITIVE ? a : 0; }
    // Width of the per-sentence keys: A (additive), Hd (general: W_a h_j), 0 (dot: the memory itself).
    int keys_width() const {
        if (!attends()) return 0;
        if (score == JRNN_S2S_SCORE_ADDITIVE) return a;
        return lin[JRNN_S2S_LIN_GENERAL] ? hd : 0;
    }
};

struct jrnn_s2s_session {
    int max_s = 0, max_k = 0, max_n = 0;  // capacity: tokens of one sentence, rows in all, sentences
    int s = 0, n = 0, rows = 0, cur = 0;  // longest source of this batch, sentences, live rows, current state copy
    float* arena = nullptr;
    int32_t* ids = nullptr;     // the caller's ids: sources [max_n * max_s], parents [max_k], tokens [max_k], lengths [max_n]
    int32_t* sent[2] = {};      // the sentence of each row, per state copy [max_k]
    int32_t* len = nullptr;     // source length of each sentence [max_n]
    // Distinct queries of a step (attention before the RNN): for each row its distinct query, for each distinct query
    // its first row and sentence, and the distinct query of each old row [max_k each]
    int32_t *query_of = nullptr, *first_row = nullptr, *query_sent = nullptr, *seen = nullptr;
    float *xs, *enc_y, *hn, *bridge_in, *memory, *keys;  // memory [n, s, Dm] and keys [n, s, kw]: one block a sentence
    float *h[2], *c[2], *ht[2];  // [L, K, Hd], [L, K, Hd] (LSTM), [K, Hd] (luong)
    float *emb, *x, *y, *scratch, *scores, *alpha, *ctx, *cat, *logits;
};

namespace {

constexpr int64_t kAlign = 16;  // floats: each buffer on its own 64-byte line

int64_t rounded(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// The buffers of a session for N sentences of up to S source tokens and K rows, in order; with base == nullptr only
// counts.
int64_t layout(const jrnn_s2s* m, int S, int K, int N, float* base, jrnn_s2s_session* s) {
    int64_t used = 0;
    const auto take = [&](int64_t n) -> float* {
        if (n == 0) return nullptr;
        float* p = base ? base + used : nullptr;
        used += rounded(n);
        return p;
    };
    const int64_t LKH = static_cast<int64_t>(m->l) * K * m->hd;
    const int64_t NS = static_cast<int64_t>(N) * S;
    const bool luong = m->flow == JRNN_S2S_FLOW_LUONG;
    float* xs = take(NS * m->ee);
    float* enc_y = N > 1 ? take(NS * m->dm) : nullptr;  // [S, N, Dm]; one sentence's output is its memory already
    float* hn = take(static_cast<int64_t>(m->le) * N * m->dm);
    float* bridge_in = take(static_cast<int64_t>(m->l) * N * m->dm);
    float* memory = take(NS * m->dm);
    float* keys = take(NS * m->keys_width());
    float* h0 = take(LKH);
    float* h1 = take(LKH);
    float* c0 = m->lstm ? take(LKH) : nullptr;
    float* c1 = m->lstm ? take(LKH) : nullptr;
    float* ht0 = luong ? take(static_cast<int64_t>(K) * m->hd) : nullptr;
    float* ht1 = luong ? take(static_cast<int64_t>(K) * m->hd) : nullptr;
    float* emb = take(static_cast<int64_t>(K) * m->ed);
    float* x = take(static_cast<int64_t>(K) * m->ein());
    float* y = take(static_cast<int64_t>(K) * m->hd);
    float* scratch = take(static_cast<int64_t>(K) * m->scratch_width());
    const int64_t ks = m->attends() ? static_cast<int64_t>(K) * S : 0;
    float* scores = take(ks);
    float* alpha = take(ks);
    float* ctx = m->attends() ? take(static_cast<int64_t>(K) * m->dm) : nullptr;
    float* cat = m->attends() ? take(static_cast<int64_t>(K) * (m->hd + m->dm)) : nullptr;
    float* logits = take(static_cast<int64_t>(K) * m->v);
    if (s) {
        s->xs = xs;
        s->enc_y = enc_y ? enc_y : memory;
        s->hn = hn;
        s->bridge_in = bridge_in;
        s->memory = memory;
        s->keys = keys ? keys : memory;  // dot: the memory itself
        s->h[0] = h0;
        s->h[1] = h1;
        s->c[0] = c0;
        s->c[1] = c1;
        s->ht[0] = ht0;
        s->ht[1] = ht1;
        s->emb = emb;
        s->x = x;
        s->y = y;
        s->scratch = scratch;
        s->scores = scores;
        s->alpha = alpha;
        s->ctx = ctx;
        s->cat = cat;
        s->logits = logits;
    }
    return used;
}

int invariant_linear(const jrnn_linear* lin, int m, const float* x, int64_t ldx, float* y, int64_t ldy) {
    return jrnn_linear_forward_ex(lin, m, x, ldx, y, ldy, JRNN_RUN_BATCH_INVARIANT);
}

// dst[r, 0:cols] (row stride ld_dst) = src[r, 0:cols] (row stride ld_src) for r < rows.
void copy_rows(float* dst, int64_t ld_dst, const float* src, int64_t ld_src, int rows, int cols) {
    if (rows == 1 || (ld_dst == cols && ld_src == cols)) {
        std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(cols) * rows);
        return;
    }
    for (int r = 0; r < rows; ++r) std::memcpy(dst + r * ld_dst, src + r * ld_src, sizeof(float) * cols);
}

// (Log-)softmax of rows x[n, width] into y. Nothing is masked here, so the kernel fails only on a row whose every
// entry is -inf: such a row becomes NaN, as IEEE 754 has it (-inf - max = -inf - -inf = NaN), like a row holding a
// NaN, and decoding goes on.
void softmax_rows(bool log, int n, int width, const float* x, float* y) {
    const auto run = [log](int m, int w, const float* xr, float* yr) {
        return log ? jrnn_log_softmax_f32(m, w, xr, nullptr, yr) : jrnn_softmax_f32(m, w, xr, nullptr, yr);
    };
    if (run(n, width, x, y) == JRNN_OK) return;
    for (int r = 0; r < n; ++r) {
        const float* xr = x + static_cast<int64_t>(r) * width;
        float* yr = y + static_cast<int64_t>(r) * width;
        if (run(1, width, xr, yr) == JRNN_OK) continue;
        for (int i = 0; i < width; ++i) yr[i] = std::numeric_limits<float>::quiet_NaN();
    }
}

// into[l, j, :] = from[l, parents[j], :] per layer; from is [layers, rows, w], into [layers, n, w].
int gather_layers(const float* from, float* into, int layers, int rows, int w, const int32_t* parents, int n) {
    for (int l = 0; l < layers; ++l) {
        const int rc = jrnn_gather_rows_f32(from + static_cast<int64_t>(l) * rows * w, rows, w, parents, n,
                                            into + static_cast<int64_t>(l) * n * w);
        if (rc != JRNN_OK) return rc;
    }
    return JRNN_OK;
}

// scores, alpha = softmax(scores), ctx = alpha . H for queries q[n, Hd] of sentences sent[n]: once per sentence, over
// its rows (a run of rows j0..j1 of sentence i writes its scores and weights at j0 * s, S_i wide, as when the sentence
// is alone). alpha may be scores (softmax in place).
int attend(const jrnn_s2s* m, jrnn_s2s_session* s, const float* q, int n, const int32_t* sent, float* scores_out,
           float* alpha_out, float* ctx_out) {
    const bool additive = m->score == JRNN_S2S_SCORE_ADDITIVE;
    const int kw = m->keys_width() ? m->keys_width() : m->dm;  // dot without W_a: the memory is the keys
    int rc;
    if (additive) {
        rc = invariant_linear(m->lin[JRNN_S2S_LIN_QUERY], n, q, m->hd, s->scratch, m->a);
        if (rc != JRNN_OK) return rc;
    }
    for (int j0 = 0, j1; j0 < n; j0 = j1) {
        const int i = sent[j0];
        for (j1 = j0 + 1; j1 < n && sent[j1] == i; ++j1) {
        }
        const int rows = j1 - j0, S = s->len[i];
        const int64_t block = static_cast<int64_t>(i) * s->s;  // sentence i's first source position
        const float* keys = s->keys + block * kw;
        const float* memory = s->memory + block * m->dm;
        float* scores = scores_out + static_cast<int64_t>(j0) * s->s;
        float* alpha = alpha_out + static_cast<int64_t>(j0) * s->s;
        if (additive) {
            rc = jrnn_attn_additive_f32(rows, S, m->a, s->scratch + static_cast<int64_t>(j0) * m->a, keys, m->att_v,
                                        scores);
        } else {
            rc = jrnn_attn_dot_f32(rows, S, m->hd, q + static_cast<int64_t>(j0) * m->hd, keys, scores);
        }
        if (rc != JRNN_OK) return rc;
        softmax_rows(false, rows, S, scores, alpha);
        rc = jrnn_attn_context_f32(rows, S, m->dm, alpha, memory, ctx_out + static_cast<int64_t>(j0) * m->dm);
        if (rc != JRNN_OK) return rc;
    }
    return JRNN_OK;
}

// Attention for the step's n rows with queries top[n, Hd] (after the reorder). Before the RNN (Bahdanau) a row's query
// is its parent's state, so the rows a beam grew from one parent share it: attention runs once per distinct query
// (into scratch that later parts of the step overwrite: y for the queries, scores for the weights, cat for the
// contexts) and is copied to each row. Bit for bit what every row gets on its own, as each row's attention depends
// on its query and sentence only (batch-invariant kernels). The date demo's beam-5 steps (32 held-out dates): 4.31
// rows from 3.04 parents a step on average, a shared parent in 55% of the steps.
int attend_rows(const jrnn_s2s* m, jrnn_s2s_session* s, const float* top, int n, int distinct) {
    const int32_t* sent = s->sent[s->cur];
    if (distinct == n) return attend(m, s, top, n, sent, s->scores, s->alpha, s->ctx);
    const int Hd = m->hd, Dm = m->dm;
    for (int c = 0; c < distinct; ++c) {
        std::memcpy(s->y + static_cast<int64_t>(c) * Hd, top + static_cast<int64_t>(s->first_row[c]) * Hd,
                    sizeof(float) * Hd);
        s->query_sent[c] = sent[s->first_row[c]];
    }
    float* alpha_q = s->scores;  // [distinct rows, per sentence as attend lays them out]
    float* ctx_q = s->cat;       // [distinct, Dm]
    const int rc = attend(m, s, s->y, distinct, s->query_sent, alpha_q, alpha_q, ctx_q);
    if (rc != JRNN_OK) return rc;
    // Row j of sentence i (first row j0, first distinct query c0) takes distinct query c's weights and context.
    for (int j = 0, j0 = 0, c0 = 0; j < n; ++j) {
        if (j == 0 || sent[j] != sent[j - 1]) {
            j0 = j;
            c0 = s->query_of[j];  // a sentence's first row is the first with its query
        }
        const int c = s->query_of[j];
        const int64_t S = s->len[sent[j]];
        std::memcpy(s->alpha + static_cast<int64_t>(j0) * s->s + (j - j0) * S,
                    alpha_q + static_cast<int64_t>(c0) * s->s + (c - c0) * S, sizeof(float) * S);
        std::memcpy(s->ctx + static_cast<int64_t>(j) * Dm, ctx_q + static_cast<int64_t>(c) * Dm, sizeof(float) * Dm);
    }
    return JRNN_OK;
}

}  // namespace

extern "C" {

jrnn_s2s* jrnn_s2s_create(const jrnn_rnn* encoder, const jrnn_rnn* decoder, int flow, int score, int input_feeding,
                          const float* src_table, int src_vocab, int src_embed, const float* tgt_table, int tgt_vocab,
                          int tgt_embed, int encoder_layers, int encoder_output, int hidden, int layers, int lstm,
                          int attention_dim, const float* v) {
    if (!encoder || !decoder || flow < JRNN_S2S_FLOW_NONE || flow > JRNN_S2S_FLOW_LUONG ||
        score < JRNN_S2S_SCORE_ADDITIVE || score > JRNN_S2S_SCORE_DOT || !src_table || src_vocab < 1 ||
        src_embed < 1 || !tgt_table || tgt_vocab < 1 || tgt_embed < 1 || encoder_layers < 1 || encoder_output < 1 ||
        hidden < 1 || layers < 1 || attention_dim < 0)
        return nullptr;
    const bool additive = flow != JRNN_S2S_FLOW_NONE && score == JRNN_S2S_SCORE_ADDITIVE;
    if (additive && (attention_dim < 1 || !v)) return nullptr;
    jrnn_s2s* m = new (std::nothrow) jrnn_s2s();
    if (!m) return nullptr;
    m->enc = encoder;
    m->dec = decoder;
    m->flow = flow;
    m->score = score;
    m->feed = flow == JRNN_S2S_FLOW_LUONG && input_feeding ? 1 : 0;
    m->lstm = lstm ? 1 : 0;
    m->src_table = src_table;
    m->src_vocab = src_vocab;
    m->ee = src_embed;
    m->tgt_table = tgt_table;
    m->v = tgt_vocab;
    m->ed = tgt_embed;
    m->le = encoder_layers;
    m->dm = encoder_output;
    m->hd = hidden;
    m->l = layers;
    m->a = additive ? attention_dim : 0;
    m->att_v = additive ? v : nullptr;
    return m;
}

int jrnn_s2s_set_linear(jrnn_s2s* m, int slot, const jrnn_linear* lin, int n, int k) {
    if (!m || slot < 0 || slot >= JRNN_S2S_LIN_COUNT || !lin || n < 1 || k < 1) return JRNN_ERR_ARG;
    int want_n = 0, want_k = 0;
    switch (slot) {
        case JRNN_S2S_LIN_BRIDGE: want_n = m->hd; want_k = m->dm; break;
        case JRNN_S2S_LIN_QUERY: want_n = m->a; want_k = m->hd; break;
        case JRNN_S2S_LIN_KEY: want_n = m->a; want_k = m->dm; break;
        case JRNN_S2S_LIN_GENERAL: want_n = m->hd; want_k = m->dm; break;
        case JRNN_S2S_LIN_COMBINE: want_n = m->hd; want_k = m->dm + m->hd; break;
        case JRNN_S2S_LIN_OUT:
            want_n = m->v;
            want_k = m->flow == JRNN_S2S_FLOW_BAHDANAU ? m->hd + m->dm : m->hd;
            break;
        default: return JRNN_ERR_ARG;
    }
    if (n != want_n || k != want_k) return JRNN_ERR_ARG;
    m->lin[slot] = lin;
    m->lin_n[slot] = n;
    m->lin_k[slot] = k;
    return JRNN_OK;
}

void jrnn_s2s_destroy(jrnn_s2s* m) { delete m; }

// Every part the config needs is set (JRNN_ERR_STATE otherwise).
static int complete(const jrnn_s2s* m) {
    if (!m->lin[JRNN_S2S_LIN_OUT]) return JRNN_ERR_STATE;
    if (m->flow == JRNN_S2S_FLOW_LUONG && !m->lin[JRNN_S2S_LIN_COMBINE]) return JRNN_ERR_STATE;
    if (m->attends() && m->score == JRNN_S2S_SCORE_ADDITIVE &&
        (!m->lin[JRNN_S2S_LIN_QUERY] || !m->lin[JRNN_S2S_LIN_KEY]))
        return JRNN_ERR_STATE;
    return JRNN_OK;
}

void jrnn_s2s_session_destroy(jrnn_s2s_session* s);

jrnn_s2s_session* jrnn_s2s_session_create(const jrnn_s2s* m, int max_src, int max_rows) {
    return jrnn_s2s_session_create_batch(m, max_src, max_rows, 1);
}

jrnn_s2s_session* jrnn_s2s_session_create_batch(const jrnn_s2s* m, int max_src, int max_rows, int max_sents) {
    if (!m || max_src < 1 || max_rows < 1 || max_sents < 1 || max_sents > max_rows || complete(m) != JRNN_OK)
        return nullptr;
    jrnn_s2s_session* s = new (std::nothrow) jrnn_s2s_session();
    if (!s) return nullptr;
    const int64_t floats = layout(m, max_src, max_rows, max_sents, nullptr, nullptr);
    const size_t src_ids = static_cast<size_t>(max_sents) * max_src;
    s->arena = static_cast<float*>(jrnn::aligned_alloc64(sizeof(float) * static_cast<size_t>(floats)));
    // ids: sources, parents, tokens, lengths (the caller's), then the sentence of each row (two copies), the
    // lengths as started and the distinct queries' bookkeeping (attend_rows)
    s->ids = static_cast<int32_t*>(jrnn::aligned_alloc64(
        sizeof(int32_t) * (src_ids + 8 * static_cast<size_t>(max_rows) + 2 * static_cast<size_t>(max_sents))));
    if (!s->arena || !s->ids) {
        jrnn_s2s_session_destroy(s);
        return nullptr;
    }
    s->max_s = max_src;
    s->max_k = max_rows;
    s->max_n = max_sents;
    s->sent[0] = s->ids + src_ids + 2 * static_cast<size_t>(max_rows) + max_sents;
    s->sent[1] = s->sent[0] + max_rows;
    s->len = s->sent[1] + max_rows;
    s->query_of = s->len + max_sents;
    s->first_row = s->query_of + max_rows;
    s->query_sent = s->first_row + max_rows;
    s->seen = s->query_sent + max_rows;
    return s;
}

void jrnn_s2s_session_destroy(jrnn_s2s_session* s) {
    if (!s) return;
    jrnn::aligned_free(s->arena);
    jrnn::aligned_free(s->ids);
    delete s;
}

int jrnn_s2s_start(const jrnn_s2s* m, jrnn_s2s_session* s, const int32_t* src, int S) {
    if (!s || S < 1) return JRNN_ERR_ARG;
    const int32_t len[1] = {S};
    return jrnn_s2s_start_batch(m, s, src, len, 1);
}

int jrnn_s2s_start_batch(const jrnn_s2s* m, jrnn_s2s_session* s, const int32_t* src, const int32_t* lengths, int N) {
    if (!m || !s || !src || !lengths || N < 1 || N > s->max_n) return JRNN_ERR_ARG;
    int S = 0;
    for (int i = 0; i < N; ++i) {
        if (lengths[i] < 1 || lengths[i] > s->max_s) return JRNN_ERR_ARG;
        if (lengths[i] > S) S = lengths[i];
    }
    int32_t* len = s->len;  // copied first: lengths may point into the caller's part of ids
    for (int i = 0; i < N; ++i) len[i] = lengths[i];
    layout(m, S, s->max_k, N, s->arena, s);  // the buffers sized for this batch (within the arena sized for max)
    s->s = S;
    s->n = N;
    s->rows = N;
    s->cur = 0;
    for (int i = 0; i < N; ++i) s->sent[0][i] = i;
    // Encoder, all sentences at once, time-major: xs[t, i] = embedding of sentence i's token t (zeros past its end,
    // where the lengths stop the recurrence); its output y[t, i] is sentence i's memory row t.
    const int64_t ee = m->ee, dm = m->dm;
    std::memset(s->xs, 0, sizeof(float) * static_cast<size_t>(S) * N * ee);
    const int32_t* ids = src;
    for (int i = 0; i < N; ids += len[i], ++i) {
        for (int t = 0; t < len[i]; ++t) {
            if (ids[t] < 0 || ids[t] >= m->src_vocab) return JRNN_ERR_ARG;
            std::memcpy(s->xs + (static_cast<int64_t>(t) * N + i) * ee, m->src_table + ids[t] * ee,
                        sizeof(float) * ee);
        }
    }
    int rc = jrnn_rnn_forward_ex(m->enc, S, N, s->xs, len, nullptr, nullptr, s->enc_y, s->hn, nullptr,
                                 JRNN_RUN_BATCH_INVARIANT);
    if (rc != JRNN_OK) return rc;
    if (N > 1) {
        for (int i = 0; i < N; ++i)
            for (int t = 0; t < len[i]; ++t)
                std::memcpy(s->memory + (static_cast<int64_t>(i) * S + t) * dm,
                            s->enc_y + (static_cast<int64_t>(t) * N + i) * dm, sizeof(float) * dm);
    }
    const size_t lkh = sizeof(float) * static_cast<size_t>(m->l) * s->max_k * m->hd;
    std::memset(s->h[0], 0, lkh);
    if (m->lstm) std::memset(s->c[0], 0, lkh);
    if (s->ht[0]) std::memset(s->ht[0], 0, sizeof(float) * static_cast<size_t>(s->max_k) * m->hd);
    if (const jrnn_linear* bridge = m->lin[JRNN_S2S_LIN_BRIDGE]) {
        // s_0[l, i] = tanh(W_b [hn_fwd[l, i] ; hn_bwd[l, i]] + b_b): hn is [Le*D, N, He], s_0 is [L, N, Hd]
        const int D = m->enc->D;
        const int64_t he = dm / D;
        for (int l = 0; l < m->l; ++l)
            for (int i = 0; i < N; ++i)
                for (int d = 0; d < D; ++d)
                    std::memcpy(s->bridge_in + (static_cast<int64_t>(l) * N + i) * dm + d * he,
                                s->hn + ((static_cast<int64_t>(l) * D + d) * N + i) * he, sizeof(float) * he);
        rc = invariant_linear(bridge, m->l * N, s->bridge_in, dm, s->h[0], m->hd);
        if (rc != JRNN_OK) return rc;
        jrnn_tanh_f32(s->h[0], s->h[0], static_cast<int64_t>(m->l) * N * m->hd);
    }
    // What the attention needs of the sources alone: keys[n, S, A] (additive), W_a H [n, S, Hd] (general); rows
    // past a sentence's end are zeros and never read.
    if (m->attends()) {
        const int slot = m->score == JRNN_S2S_SCORE_ADDITIVE ? JRNN_S2S_LIN_KEY : JRNN_S2S_LIN_GENERAL;
        if (const jrnn_linear* pre = m->lin[slot]) {
            if (N > 1) {
                for (int i = 0; i < N; ++i)
                    std::memset(s->memory + (static_cast<int64_t>(i) * S + len[i]) * dm, 0,
                                sizeof(float) * static_cast<size_t>(S - len[i]) * dm);
            }
            rc = invariant_linear(pre, N * S, s->memory, m->lin_k[slot], s->keys, m->lin_n[slot]);
            if (rc != JRNN_OK) return rc;
        }
    }
    return JRNN_OK;
}

int jrnn_s2s_step(const jrnn_s2s* m, jrnn_s2s_session* s, int n, const int32_t* parents, const int32_t* tokens) {
    if (!m || !s || s->s < 1 || n < 1 || n > s->max_k || !parents || !tokens) return JRNN_ERR_ARG;
    const int L = m->l, Hd = m->hd, Dm = m->dm, Ed = m->ed, V = m->v, Ein = m->ein();
    for (int j = 0; j < n; ++j)
        if (tokens[j] < 0 || tokens[j] >= V) return JRNN_ERR_ARG;  // before anything changes
    // Row j of the new state = row parents[j] of the old one (states are [L, rows, Hd]); it decodes the parent's
    // sentence, and each sentence's rows stay together, in sentence order.
    bool identity = n == s->rows;
    for (int j = 0; j < n && identity; ++j) identity = parents[j] == j;
    int distinct = n;  // queries of attention before the RNN: one per parent
    if (!identity) {
        const int32_t* from_sent = s->sent[s->cur];
        for (int j = 0; j < n; ++j) {
            if (parents[j] < 0 || parents[j] >= s->rows) return JRNN_ERR_ARG;
            if (j > 0 && from_sent[parents[j]] < from_sent[parents[j - 1]]) return JRNN_ERR_ARG;
        }
        const int from = s->cur, to = 1 - s->cur;
        for (int j = 0; j < n; ++j) s->sent[to][j] = from_sent[parents[j]];
        if (m->flow == JRNN_S2S_FLOW_BAHDANAU) {
            for (int r = 0; r < s->rows; ++r) s->seen[r] = -1;
            distinct = 0;
            for (int j = 0; j < n; ++j) {
                int32_t& q = s->seen[parents[j]];
                if (q < 0) {
                    q = distinct++;
                    s->first_row[q] = j;
                }
                s->query_of[j] = q;
            }
        }
        int rc = gather_layers(s->h[from], s->h[to], L, s->rows, Hd, parents, n);
        if (rc == JRNN_OK && m->lstm) rc = gather_layers(s->c[from], s->c[to], L, s->rows, Hd, parents, n);
        if (rc == JRNN_OK && s->ht[0]) rc = gather_layers(s->ht[from], s->ht[to], 1, s->rows, Hd, parents, n);
        if (rc != JRNN_OK) return rc;
        s->cur = to;
        s->rows = n;
    }
    float* h = s->h[s->cur];
    float* c = m->lstm ? s->c[s->cur] : nullptr;
    float* ht = s->ht[s->cur];
    const auto step = [&](const float* x) {
        return jrnn_rnn_step_ex(m->dec, n, x, h, c, s->y, JRNN_RUN_BATCH_INVARIANT);
    };
    int rc = jrnn_gather_rows_f32(m->tgt_table, V, Ed, tokens, n, s->emb);
    if (rc != JRNN_OK) return rc;
    const float* top = h + static_cast<int64_t>(L - 1) * n * Hd;  // s_t after the step: [n, Hd]
    switch (m->flow) {
        case JRNN_S2S_FLOW_BAHDANAU:
            // attention before the RNN, query s_{t-1}
            if ((rc = attend_rows(m, s, top, n, distinct)) != JRNN_OK) return rc;
            copy_rows(s->x, Ein, s->emb, Ed, n, Ed);
            copy_rows(s->x + Ed, Ein, s->ctx, Dm, n, Dm);
            if ((rc = step(s->x)) != JRNN_OK) return rc;
            copy_rows(s->cat, Hd + Dm, top, Hd, n, Hd);
            copy_rows(s->cat + Hd, Hd + Dm, s->ctx, Dm, n, Dm);
            rc = invariant_linear(m->lin[JRNN_S2S_LIN_OUT], n, s->cat, Hd + Dm, s->logits, V);
            break;
        case JRNN_S2S_FLOW_LUONG:
            if (m->feed) {
                copy_rows(s->x, Ein, s->emb, Ed, n, Ed);
                copy_rows(s->x + Ed, Ein, ht, Hd, n, Hd);
                rc = step(s->x);
            } else {
                rc = step(s->emb);
            }
            if (rc != JRNN_OK) return rc;
            if ((rc = attend(m, s, top, n, s->sent[s->cur], s->scores, s->alpha, s->ctx)) != JRNN_OK) return rc;
            // h~_t = tanh(W_c [c_t ; s_t])
            copy_rows(s->cat, Dm + Hd, s->ctx, Dm, n, Dm);
            copy_rows(s->cat + Dm, Dm + Hd, top, Hd, n, Hd);
            rc = invariant_linear(m->lin[JRNN_S2S_LIN_COMBINE], n, s->cat, Dm + Hd, ht, Hd);
            if (rc != JRNN_OK) return rc;
            jrnn_tanh_f32(ht, ht, static_cast<int64_t>(n) * Hd);
            rc = invariant_linear(m->lin[JRNN_S2S_LIN_OUT], n, ht, Hd, s->logits, V);
            break;
        default:
            if ((rc = step(s->emb)) != JRNN_OK) return rc;
            rc = invariant_linear(m->lin[JRNN_S2S_LIN_OUT], n, top, Hd, s->logits, V);
    }
    if (rc != JRNN_OK) return rc;
    softmax_rows(true, n, V, s->logits, s->logits);
    return JRNN_OK;
}

int32_t* jrnn_s2s_ids(jrnn_s2s_session* s) { return s ? s->ids : nullptr; }

float* jrnn_s2s_log_probs(jrnn_s2s_session* s) { return s ? s->logits : nullptr; }

float* jrnn_s2s_attention(jrnn_s2s_session* s) { return s ? s->alpha : nullptr; }

}  // extern "C"
