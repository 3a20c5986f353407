// The seq2seq decoder of jrnn.h (layers/seq2seq_decoder.cpp): one call per decoder step must give, bit for bit,
// what the building blocks give (their batch-invariant forms) when called one by one in the order SPEC 1.3 sets,
// for every attention flow, with beam reorders; several sentences decoded in one session must give each sentence
// bit for bit what it gets alone; and bad arguments must be refused with nothing changed.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "jrnn/jrnn.h"

namespace {

using Vec = std::vector<float>;

Vec uniform(size_t n, std::mt19937& rng, float scale = 0.5f) {
    std::uniform_real_distribution<float> u(-scale, scale);
    Vec v(n);
    for (float& f : v) f = u(rng);
    return v;
}

struct Config {
    const char* name;
    int flow, score;  // JRNN_S2S_*
    bool general, bridge, feed;
    int enc_cell, dec_cell, Le, De, L;
};

jrnn_rnn* stack(int cell, int L, int D, int I, int H, std::mt19937& rng) {
    const int G = cell == JRNN_CELL_LSTM ? 4 : cell == JRNN_CELL_GRU ? 3 : 1;
    jrnn_rnn* r = jrnn_rnn_create(cell, 0, L, D, I, H, 0);
    for (int l = 0; l < L; ++l)
        for (int d = 0; d < D; ++d) {
            const int in = l == 0 ? I : D * H;
            Vec wih = uniform(static_cast<size_t>(G) * H * in, rng), whh = uniform(static_cast<size_t>(G) * H * H, rng);
            Vec bih = uniform(static_cast<size_t>(G) * H, rng), bhh = uniform(static_cast<size_t>(G) * H, rng);
            jrnn_rnn_set_weights(r, l, d, wih.data(), whh.data(), bih.data(), bhh.data(), nullptr);
        }
    return r;
}

jrnn_linear* linear(int n, int k, bool bias, std::mt19937& rng) {
    Vec w = uniform(static_cast<size_t>(n) * k, rng), b = uniform(static_cast<size_t>(n), rng);
    return jrnn_linear_create(n, k, w.data(), bias ? b.data() : nullptr);
}

// dst[r, 0:cols] (stride ld_dst) = src[r, 0:cols] (stride ld_src)
void copy_rows(float* dst, int ld_dst, const float* src, int ld_src, int rows, int cols) {
    for (int r = 0; r < rows; ++r) std::memcpy(dst + r * ld_dst, src + r * ld_src, sizeof(float) * cols);
}

bool same_bits(const float* a, const float* b, size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

// Several sentences in one session, each with its own rows (as beams of different widths ask for them, one
// finishing early): every sentence's log-probabilities and attention weights bit-identical to its decoding alone.
void test_together(const Config& c, const jrnn_s2s* m, int TV, int K, int S) {
    constexpr int N = 3, kSteps = 4, kMaxK = 3;
    const int32_t lens[N] = {S, 2, 4};
    const int32_t all[] = {1, 4, 8, 0, 3, 3, /* sentence 1 */ 7, 2, /* sentence 2 */ 5, 5, 0, 8};
    const int32_t at[N] = {0, S, S + 2};
    struct Plan {
        int n;  // 0: the sentence is done
        int32_t parents[kMaxK], tokens[kMaxK];
    };
    const Plan plans[N][kSteps] = {
        {{1, {0}, {1}}, {3, {0, 0, 0}, {2, 5, 7}}, {2, {2, 0}, {9, 6}}, {1, {1}, {3}}},
        {{1, {0}, {4}}, {1, {0}, {2}}, {2, {0, 0}, {3, 10}}, {0, {}, {}}},
        {{1, {0}, {6}}, {2, {0, 0}, {1, 1}}, {2, {1, 0}, {4, 2}}, {2, {0, 1}, {8, 8}}},
    };
    CHECK(K == kMaxK, "%s: the plans fit K", c.name);
    std::vector<Vec> lp_alone[N], at_alone[N];
    for (int i = 0; i < N; ++i) {
        jrnn_s2s_session* one = jrnn_s2s_session_create(m, lens[i], K);
        CHECK(jrnn_s2s_start(m, one, all + at[i], lens[i]) == JRNN_OK, "%s: sentence %d alone", c.name, i);
        for (int k = 0; k < kSteps && plans[i][k].n > 0; ++k) {
            const Plan& p = plans[i][k];
            CHECK(jrnn_s2s_step(m, one, p.n, p.parents, p.tokens) == JRNN_OK, "%s: sentence %d step %d", c.name, i, k);
            lp_alone[i].emplace_back(jrnn_s2s_log_probs(one), jrnn_s2s_log_probs(one) + p.n * TV);
            if (c.flow != JRNN_S2S_FLOW_NONE)
                at_alone[i].emplace_back(jrnn_s2s_attention(one), jrnn_s2s_attention(one) + p.n * lens[i]);
        }
        jrnn_s2s_session_destroy(one);
    }
    CHECK(jrnn_s2s_session_create_batch(m, S, 2, 3) == nullptr, "%s: more sentences than rows refused", c.name);
    jrnn_s2s_session* s = jrnn_s2s_session_create_batch(m, S, N * K, N);
    CHECK(s != nullptr, "%s: batch session", c.name);
    const int32_t bad_lens[N] = {S, 0, 4}, long_lens[N] = {S + 1, 2, 4};
    CHECK(jrnn_s2s_start_batch(m, s, all, bad_lens, N) == JRNN_ERR_ARG, "%s: an empty sentence refused", c.name);
    CHECK(jrnn_s2s_start_batch(m, s, all, long_lens, N) == JRNN_ERR_ARG, "%s: a sentence past max_src refused",
          c.name);
    CHECK(jrnn_s2s_start_batch(m, s, all, lens, N + 1) == JRNN_ERR_ARG, "%s: more sentences than the session's",
          c.name);
    CHECK(jrnn_s2s_start_batch(m, s, all, lens, N) == JRNN_OK, "%s: start together", c.name);
    const int32_t swapped[N] = {1, 0, 2}, ones[N] = {1, 1, 1};
    CHECK(jrnn_s2s_step(m, s, N, swapped, ones) == JRNN_ERR_ARG, "%s: rows out of sentence order refused", c.name);
    int prev[N] = {0, 1, 2}, base[N] = {};
    for (int k = 0; k < kSteps; ++k) {
        int32_t parents[N * kMaxK], tokens[N * kMaxK];
        int n = 0;
        for (int i = 0; i < N; ++i) {
            const Plan& p = plans[i][k];
            base[i] = n;
            for (int j = 0; j < p.n; ++j, ++n) {
                parents[n] = prev[i] + p.parents[j];
                tokens[n] = p.tokens[j];
            }
        }
        CHECK(jrnn_s2s_step(m, s, n, parents, tokens) == JRNN_OK, "%s: step %d together", c.name, k);
        for (int i = 0; i < N; ++i) {
            const Plan& p = plans[i][k];
            if (p.n == 0) continue;
            CHECK(same_bits(jrnn_s2s_log_probs(s) + base[i] * TV, lp_alone[i][k].data(), static_cast<size_t>(p.n) * TV),
                  "%s: step %d: sentence %d's log-probabilities together bit-identical to alone", c.name, k, i);
            if (c.flow != JRNN_S2S_FLOW_NONE)
                CHECK(same_bits(jrnn_s2s_attention(s) + base[i] * S, at_alone[i][k].data(),
                                static_cast<size_t>(p.n) * lens[i]),
                      "%s: step %d: sentence %d's attention together bit-identical to alone", c.name, k, i);
            prev[i] = base[i];
        }
    }
    jrnn_s2s_session_destroy(s);
}

void test_flow(const Config& c) {
    std::mt19937 rng(11);
    const int SV = 9, TV = 11, Ee = 5, Ed = 4, He = 6, Hd = c.flow == JRNN_S2S_FLOW_LUONG && !c.general ? c.De * He : 7;
    const int Dm = c.De * He, A = 5, K = 3, S = 6;
    const bool bahdanau = c.flow == JRNN_S2S_FLOW_BAHDANAU, luong = c.flow == JRNN_S2S_FLOW_LUONG;
    const bool additive = c.flow != JRNN_S2S_FLOW_NONE && c.score == JRNN_S2S_SCORE_ADDITIVE;
    const int Ein = bahdanau ? Ed + Dm : c.feed ? Ed + Hd : Ed;
    const bool lstm = c.dec_cell == JRNN_CELL_LSTM;
    Vec src_table = uniform(static_cast<size_t>(SV) * Ee, rng, 1.0f), tgt_table = uniform(static_cast<size_t>(TV) * Ed, rng, 1.0f);
    Vec v = uniform(A, rng);
    jrnn_rnn* enc = stack(c.enc_cell, c.Le, c.De, Ee, He, rng);
    jrnn_rnn* dec = stack(c.dec_cell, c.L, 1, Ein, Hd, rng);
    jrnn_linear* bridge = c.bridge ? linear(Hd, Dm, true, rng) : nullptr;
    jrnn_linear* query = additive ? linear(A, Hd, false, rng) : nullptr;
    jrnn_linear* key = additive ? linear(A, Dm, false, rng) : nullptr;
    jrnn_linear* general = c.general ? linear(Hd, Dm, false, rng) : nullptr;
    jrnn_linear* combine = luong ? linear(Hd, Dm + Hd, false, rng) : nullptr;
    jrnn_linear* out = linear(TV, bahdanau ? Hd + Dm : Hd, true, rng);

    jrnn_s2s* m = jrnn_s2s_create(enc, dec, c.flow, c.score, c.feed, src_table.data(), SV, Ee, tgt_table.data(), TV, Ed,
                                  c.Le, Dm, Hd, c.L, lstm, additive ? A : 0, additive ? v.data() : nullptr);
    CHECK(m != nullptr, "%s: create", c.name);
    CHECK(jrnn_s2s_session_create(m, S, K) == nullptr, "%s: no session before the output layer is set", c.name);
    if (bridge) CHECK(jrnn_s2s_set_linear(m, JRNN_S2S_LIN_BRIDGE, bridge, Hd, Dm) == JRNN_OK, "%s: bridge", c.name);
    if (query) CHECK(jrnn_s2s_set_linear(m, JRNN_S2S_LIN_QUERY, query, A, Hd) == JRNN_OK, "%s: query", c.name);
    if (key) CHECK(jrnn_s2s_set_linear(m, JRNN_S2S_LIN_KEY, key, A, Dm) == JRNN_OK, "%s: key", c.name);
    if (general) CHECK(jrnn_s2s_set_linear(m, JRNN_S2S_LIN_GENERAL, general, Hd, Dm) == JRNN_OK, "%s: general", c.name);
    if (combine)
        CHECK(jrnn_s2s_set_linear(m, JRNN_S2S_LIN_COMBINE, combine, Hd, Dm + Hd) == JRNN_OK, "%s: combine", c.name);
    const int outk = bahdanau ? Hd + Dm : Hd;
    CHECK(jrnn_s2s_set_linear(m, JRNN_S2S_LIN_OUT, out, TV, outk + 1) == JRNN_ERR_ARG, "%s: misshapen out refused",
          c.name);
    CHECK(jrnn_s2s_set_linear(m, JRNN_S2S_LIN_OUT, out, TV, outk) == JRNN_OK, "%s: out", c.name);
    jrnn_s2s_session* s = jrnn_s2s_session_create(m, S, K);
    CHECK(s != nullptr, "%s: session", c.name);

    // ---- the reference: the building blocks one by one ----
    const int32_t src[S] = {1, 4, 8, 0, 3, 3};
    Vec xs(static_cast<size_t>(S) * Ee), memory(static_cast<size_t>(S) * Dm), hn(static_cast<size_t>(c.Le) * Dm);
    jrnn_gather_rows_f32(src_table.data(), SV, Ee, src, S, xs.data());
    jrnn_rnn_forward_ex(enc, S, 1, xs.data(), nullptr, nullptr, nullptr, memory.data(), hn.data(), nullptr,
                        JRNN_RUN_BATCH_INVARIANT);
    Vec h(static_cast<size_t>(c.L) * K * Hd, 0.0f), cst(h.size(), 0.0f), ht(static_cast<size_t>(K) * Hd, 0.0f);
    if (bridge) {
        jrnn_linear_forward_ex(bridge, c.L, hn.data(), Dm, h.data(), Hd, JRNN_RUN_BATCH_INVARIANT);
        jrnn_tanh_f32(h.data(), h.data(), static_cast<int64_t>(c.L) * Hd);
    }
    Vec keys;
    if (additive || general) {
        const int w = additive ? A : Hd;
        keys.resize(static_cast<size_t>(S) * w);
        jrnn_linear_forward_ex(additive ? key : general, S, memory.data(), Dm, keys.data(), w,
                               JRNN_RUN_BATCH_INVARIANT);
    }
    const float* kp = keys.empty() ? memory.data() : keys.data();
    Vec emb(static_cast<size_t>(K) * Ed), x(static_cast<size_t>(K) * Ein), y(static_cast<size_t>(K) * Hd);
    Vec scratch(static_cast<size_t>(K) * A), scores(static_cast<size_t>(K) * S), alpha(scores.size());
    Vec ctx(static_cast<size_t>(K) * Dm), cat(static_cast<size_t>(K) * (Hd + Dm)), logits(static_cast<size_t>(K) * TV);
    int rows = 1;
    auto attend = [&](const float* q, int n) {
        if (additive) {
            jrnn_linear_forward_ex(query, n, q, Hd, scratch.data(), A, JRNN_RUN_BATCH_INVARIANT);
            jrnn_attn_additive_f32(n, S, A, scratch.data(), kp, v.data(), scores.data());
        } else {
            jrnn_attn_dot_f32(n, S, Hd, q, kp, scores.data());
        }
        jrnn_softmax_f32(n, S, scores.data(), nullptr, alpha.data());
        jrnn_attn_context_f32(n, S, Dm, alpha.data(), memory.data(), ctx.data());
    };
    auto reorder = [&](Vec& st, int layers, const int32_t* parents, int n) {
        Vec next(st.size());
        for (int l = 0; l < layers; ++l)
            jrnn_gather_rows_f32(st.data() + static_cast<size_t>(l) * rows * Hd, rows, Hd, parents, n,
                                 next.data() + static_cast<size_t>(l) * n * Hd);
        st = next;
    };
    auto ref_step = [&](const int32_t* parents, const int32_t* tokens, int n) {
        bool identity = n == rows;
        for (int j = 0; j < n && identity; ++j) identity = parents[j] == j;
        if (!identity) {
            reorder(h, c.L, parents, n);
            if (lstm) reorder(cst, c.L, parents, n);
            if (luong) reorder(ht, 1, parents, n);
            rows = n;
        }
        jrnn_gather_rows_f32(tgt_table.data(), TV, Ed, tokens, n, emb.data());
        float* top = h.data() + static_cast<size_t>(c.L - 1) * n * Hd;
        float* cp = lstm ? cst.data() : nullptr;
        if (bahdanau) {
            attend(top, n);
            copy_rows(x.data(), Ein, emb.data(), Ed, n, Ed);
            copy_rows(x.data() + Ed, Ein, ctx.data(), Dm, n, Dm);
            jrnn_rnn_step_ex(dec, n, x.data(), h.data(), cp, y.data(), JRNN_RUN_BATCH_INVARIANT);
            copy_rows(cat.data(), Hd + Dm, top, Hd, n, Hd);
            copy_rows(cat.data() + Hd, Hd + Dm, ctx.data(), Dm, n, Dm);
            jrnn_linear_forward_ex(out, n, cat.data(), Hd + Dm, logits.data(), TV, JRNN_RUN_BATCH_INVARIANT);
        } else if (luong) {
            if (c.feed) {
                copy_rows(x.data(), Ein, emb.data(), Ed, n, Ed);
                copy_rows(x.data() + Ed, Ein, ht.data(), Hd, n, Hd);
                jrnn_rnn_step_ex(dec, n, x.data(), h.data(), cp, y.data(), JRNN_RUN_BATCH_INVARIANT);
            } else {
                jrnn_rnn_step_ex(dec, n, emb.data(), h.data(), cp, y.data(), JRNN_RUN_BATCH_INVARIANT);
            }
            attend(top, n);
            copy_rows(cat.data(), Dm + Hd, ctx.data(), Dm, n, Dm);
            copy_rows(cat.data() + Dm, Dm + Hd, top, Hd, n, Hd);
            jrnn_linear_forward_ex(combine, n, cat.data(), Dm + Hd, ht.data(), Hd, JRNN_RUN_BATCH_INVARIANT);
            jrnn_tanh_f32(ht.data(), ht.data(), static_cast<int64_t>(n) * Hd);
            jrnn_linear_forward_ex(out, n, ht.data(), Hd, logits.data(), TV, JRNN_RUN_BATCH_INVARIANT);
        } else {
            jrnn_rnn_step_ex(dec, n, emb.data(), h.data(), cp, y.data(), JRNN_RUN_BATCH_INVARIANT);
            jrnn_linear_forward_ex(out, n, top, Hd, logits.data(), TV, JRNN_RUN_BATCH_INVARIANT);
        }
        jrnn_log_softmax_f32(n, TV, logits.data(), nullptr, logits.data());
    };

    // ---- the fused step against it ----
    int32_t* ids = jrnn_s2s_ids(s);
    std::memcpy(ids, src, sizeof(src));
    CHECK(jrnn_s2s_start(m, s, ids, S + 1) == JRNN_ERR_ARG, "%s: a source longer than the session refused", c.name);
    CHECK(jrnn_s2s_start(m, s, ids, S) == JRNN_OK, "%s: start", c.name);
    struct Step {
        int n;
        int32_t parents[K], tokens[K];
    };
    // rows sharing a parent ({0, 0, 0}, {1, 1}, {1, 0, 0}): the decoder attends once for them (Bahdanau), the blocks
    // below once per row
    const Step steps[] = {{1, {0}, {1}},          {3, {0, 0, 0}, {2, 5, 7}}, {3, {0, 1, 2}, {3, 3, 4}},
                          {3, {2, 0, 1}, {9, 6, 2}}, {2, {1, 1}, {10, 0}},     {3, {1, 0, 0}, {4, 5, 6}},
                          {1, {2}, {8}}};
    Vec step0;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); ++i) {
        const Step& st = steps[i];
        if (i == 3) {  // refused: a parent past the live rows, a token past the vocabulary; nothing changes
            const int32_t bad_parent[K] = {0, 3, 1}, bad_token[K] = {0, TV, 1};
            CHECK(jrnn_s2s_step(m, s, 3, bad_parent, st.tokens) == JRNN_ERR_ARG, "%s: parent 3 of 3 rows", c.name);
            CHECK(jrnn_s2s_step(m, s, 3, st.parents, bad_token) == JRNN_ERR_ARG, "%s: token %d", c.name, TV);
            CHECK(jrnn_s2s_step(m, s, K + 1, st.parents, st.tokens) == JRNN_ERR_ARG, "%s: more rows than K", c.name);
        }
        ref_step(st.parents, st.tokens, st.n);
        CHECK(jrnn_s2s_step(m, s, st.n, st.parents, st.tokens) == JRNN_OK, "%s: step %zu", c.name, i);
        CHECK(same_bits(jrnn_s2s_log_probs(s), logits.data(), static_cast<size_t>(st.n) * TV),
              "%s: step %zu: log-probabilities bit-identical to the building blocks", c.name, i);
        if (c.flow != JRNN_S2S_FLOW_NONE)
            CHECK(same_bits(jrnn_s2s_attention(s), alpha.data(), static_cast<size_t>(st.n) * S),
                  "%s: step %zu: attention weights bit-identical", c.name, i);
        if (i == 0) step0.assign(jrnn_s2s_log_probs(s), jrnn_s2s_log_probs(s) + TV);
        float sum = 0.0f;
        for (int t = 0; t < TV; ++t) sum += std::exp(jrnn_s2s_log_probs(s)[t]);
        CHECK(std::fabs(sum - 1.0f) < 1e-5f, "%s: step %zu: a distribution (sum %g)", c.name, i, sum);
    }
    // a new sentence in the same session starts afresh
    CHECK(jrnn_s2s_start(m, s, ids, S) == JRNN_OK, "%s: restart", c.name);
    CHECK(jrnn_s2s_step(m, s, 1, steps[0].parents, steps[0].tokens) == JRNN_OK, "%s: first step again", c.name);
    CHECK(same_bits(jrnn_s2s_log_probs(s), step0.data(), TV), "%s: the first step of a restart as the first", c.name);
    jrnn_s2s_session_destroy(s);
    test_together(c, m, TV, K, S);
    jrnn_s2s_destroy(m);
    for (jrnn_linear* l : {bridge, query, key, general, combine, out}) jrnn_linear_destroy(l);
    jrnn_rnn_destroy(enc);
    jrnn_rnn_destroy(dec);
}

void test_bad_create() {
    std::mt19937 rng(5);
    jrnn_rnn* r = stack(JRNN_CELL_GRU, 1, 1, 3, 4, rng);
    float t[12] = {0}, v[2] = {0};
    CHECK(jrnn_s2s_create(nullptr, r, 0, 0, 0, t, 4, 3, t, 4, 3, 1, 4, 4, 1, 0, 0, nullptr) == nullptr, "no encoder");
    CHECK(jrnn_s2s_create(r, r, 3, 0, 0, t, 4, 3, t, 4, 3, 1, 4, 4, 1, 0, 0, nullptr) == nullptr, "unknown flow");
    CHECK(jrnn_s2s_create(r, r, JRNN_S2S_FLOW_BAHDANAU, JRNN_S2S_SCORE_ADDITIVE, 0, t, 4, 3, t, 4, 3, 1, 4, 4, 1, 0, 0,
                          v) == nullptr,
          "additive attention without a dimension");
    CHECK(jrnn_s2s_create(r, r, JRNN_S2S_FLOW_BAHDANAU, JRNN_S2S_SCORE_ADDITIVE, 0, t, 4, 3, t, 4, 3, 1, 4, 4, 1, 0, 2,
                          nullptr) == nullptr,
          "additive attention without v");
    jrnn_s2s* m = jrnn_s2s_create(r, r, JRNN_S2S_FLOW_NONE, JRNN_S2S_SCORE_DOT, 0, t, 4, 3, t, 4, 3, 1, 4, 4, 1, 0, 0,
                                  nullptr);
    CHECK(m != nullptr, "a model without attention");
    CHECK(jrnn_s2s_set_linear(m, JRNN_S2S_LIN_COUNT, nullptr, 1, 1) == JRNN_ERR_ARG, "unknown slot");
    CHECK(jrnn_s2s_session_create(m, 0, 1) == nullptr && jrnn_s2s_session_create(m, 1, 0) == nullptr,
          "empty sessions refused");
    CHECK(jrnn_s2s_step(m, nullptr, 1, nullptr, nullptr) == JRNN_ERR_ARG, "step without a session");
    jrnn_s2s_destroy(m);
    jrnn_rnn_destroy(r);
}

}  // namespace

int main() {
    jrnn_test::check_dispatch();
    const Config configs[] = {
        {"bahdanau gru", JRNN_S2S_FLOW_BAHDANAU, JRNN_S2S_SCORE_ADDITIVE, false, true, false, JRNN_CELL_GRU,
         JRNN_CELL_GRU, 1, 2, 1},
        {"luong concat lstm feed", JRNN_S2S_FLOW_LUONG, JRNN_S2S_SCORE_ADDITIVE, false, false, true, JRNN_CELL_LSTM,
         JRNN_CELL_LSTM, 2, 1, 2},
        {"luong general rnn", JRNN_S2S_FLOW_LUONG, JRNN_S2S_SCORE_DOT, true, true, false, JRNN_CELL_GRU,
         JRNN_CELL_RNN_TANH, 2, 2, 2},
        {"luong dot lstm feed", JRNN_S2S_FLOW_LUONG, JRNN_S2S_SCORE_DOT, false, false, true, JRNN_CELL_RNN_TANH,
         JRNN_CELL_LSTM, 1, 2, 2},
        {"no attention lstm", JRNN_S2S_FLOW_NONE, JRNN_S2S_SCORE_DOT, false, true, false, JRNN_CELL_LSTM,
         JRNN_CELL_LSTM, 2, 2, 2},
    };
    for (const Config& c : configs) test_flow(c);
    test_bad_create();
    return jrnn_test::finish();
}
