// The recurrent driver with ONNX-style options (jrnn_rnn_set_options, jrnn_rnn_set_peepholes), on random shapes
// (hidden sizes 1..97, batch 1..40 with lengths, two layers, bidirectional, every cell and every option):
//  * teams of 1, 2 and 3 threads with every split forced give the same bits (the general cell passes split by
//    columns like the fused ones);
//  * a reverse stack on x gives, bit for bit, the forward stack on each sequence's first len steps reversed
//    (outputs reversed back, zeros at t >= len, the same final states), both batch-invariant (JRNN_RUN_BATCH_INVARIANT:
//    the input products of rows at other positions of x give the same bits);
//  * PyTorch's functions given explicitly give the bits of the default (fused) path;
//  * the ABI rejects what it must (order, counts, kinds, clip, cells, directions).
// The values themselves are checked against ONNX's reference in the Java tests (OnnxGoldenTest, RecurrentOptionsTest).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "core/pool.h"
#include "jrnn/jrnn.h"

namespace {

struct Spec {
    int cell, flags, L, D, I, H, T, B;
    int opt_flags = 0;
    float clip = 0.0f;
    std::vector<int32_t> kinds;
    std::vector<float> alpha, beta;
    bool peep = false;
    std::vector<float> w;  // every weight, biases and peepholes drawn from one stream
    int G() const { return cell == JRNN_CELL_LSTM ? 4 : cell == JRNN_CELL_GRU ? 3 : 1; }
    int in(int l) const { return l == 0 ? I : D * H; }
};

struct Out {
    std::vector<float> y, hn, cn;
};

// Builds the stack (weights from a seeded stream) and runs it; rc of the first failing call in *rc.
Out run(const Spec& s, const std::vector<float>& x, const std::vector<int32_t>& lengths, const std::vector<float>& h0,
        const std::vector<float>& c0, unsigned wseed, int* rc, int run_options = 0) {
    Out o;
    jrnn_rnn* r = jrnn_rnn_create(s.cell, s.flags, s.L, s.D, s.I, s.H, 0);
    *rc = r ? JRNN_OK : -1;
    if (!r) return o;
    if (s.opt_flags || s.clip > 0 || !s.kinds.empty())
        *rc = jrnn_rnn_set_options(r, s.opt_flags, s.clip, static_cast<int>(s.kinds.size()), s.kinds.data(),
                                   s.alpha.data(), s.beta.data());
    std::mt19937 rng(wseed);
    std::normal_distribution<float> n(0.0f, 1.0f / std::sqrt(static_cast<float>(s.H)));  // keeps h bounded
    auto draw = [&](size_t k) {
        std::vector<float> v(k);
        for (float& e : v) e = n(rng);
        return v;
    };
    const int G = s.G(), H = s.H;
    for (int l = 0; l < s.L && *rc == JRNN_OK; ++l)
        for (int d = 0; d < s.D && *rc == JRNN_OK; ++d) {
            auto wih = draw(static_cast<size_t>(G) * H * s.in(l)), whh = draw(static_cast<size_t>(G) * H * H);
            auto bih = draw(G * H), bhh = draw(G * H), p = draw(3 * H);
            *rc = jrnn_rnn_set_weights(r, l, d, wih.data(), whh.data(), bih.data(), bhh.data(), nullptr);
            if (*rc == JRNN_OK && s.peep) *rc = jrnn_rnn_set_peepholes(r, l, d, p.data());
        }
    if (*rc == JRNN_OK) {
        o.y.assign(static_cast<size_t>(s.T) * s.B * s.D * H, 0.0f);
        o.hn.assign(static_cast<size_t>(s.L) * s.D * s.B * H, 0.0f);
        o.cn.assign(o.hn.size(), 0.0f);
        *rc = jrnn_rnn_forward_ex(r, s.T, s.B, x.data(), lengths.empty() ? nullptr : lengths.data(),
                                  h0.empty() ? nullptr : h0.data(), c0.empty() ? nullptr : c0.data(), o.y.data(),
                                  o.hn.data(), s.cell == JRNN_CELL_LSTM ? o.cn.data() : nullptr, run_options);
    }
    jrnn_rnn_destroy(r);
    return o;
}

bool same(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

// Every function, with parameters that keep a stack bounded.
void pick_fn(std::mt19937& rng, Spec& s) {
    const int k = static_cast<int>(rng() % 11);
    float a = 0.0f, b = 0.0f;
    switch (k) {
        case JRNN_FN_HARD_SIGMOID: a = 0.2f, b = 0.5f; break;
        case JRNN_FN_ELU: a = 0.8f; break;
        case JRNN_FN_AFFINE: a = 0.5f, b = 0.1f; break;
        case JRNN_FN_LEAKY_RELU: a = 0.05f; break;
        case JRNN_FN_THRESHOLDED_RELU: a = 0.2f; break;
        case JRNN_FN_SCALED_TANH: a = 1.2f, b = 0.7f; break;
        default: break;
    }
    s.kinds.push_back(k);
    s.alpha.push_back(a);
    s.beta.push_back(b);
}

Spec random_spec(unsigned seed) {
    std::mt19937 rng(seed);
    Spec s{};
    const int cells[] = {JRNN_CELL_RNN_TANH, JRNN_CELL_LSTM, JRNN_CELL_GRU, JRNN_CELL_GRU};
    s.cell = cells[rng() % 4];
    s.flags = s.cell == JRNN_CELL_GRU && rng() % 2 ? JRNN_GRU_RESET_BEFORE : 0;
    s.L = 1 + rng() % 2;
    s.D = 1 + rng() % 2;
    s.I = 1 + rng() % 20;
    s.H = 1 + rng() % 97;
    s.T = 1 + rng() % 6;
    s.B = 1 + rng() % 40;
    if (s.D == 1 && rng() % 2) s.opt_flags |= JRNN_RNN_REVERSE;
    if (s.cell == JRNN_CELL_LSTM && rng() % 2) s.opt_flags |= JRNN_RNN_INPUT_FORGET;
    if (rng() % 2) s.clip = 0.5f + static_cast<float>(rng() % 100) / 50.0f;
    if (rng() % 2) {
        const int per = s.cell == JRNN_CELL_LSTM ? 3 : s.cell == JRNN_CELL_GRU ? 2 : 1;
        for (int i = 0; i < per * s.D; ++i) pick_fn(rng, s);
    }
    s.peep = s.cell == JRNN_CELL_LSTM && rng() % 2;
    return s;
}

void check_spec(unsigned seed) {
    Spec s = random_spec(seed);
    std::mt19937 rng(seed * 7919u);
    std::normal_distribution<float> n(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(s.T) * s.B * s.I), h0(static_cast<size_t>(s.L) * s.D * s.B * s.H),
        c0(h0.size());
    for (float& v : x) v = n(rng);
    for (float& v : h0) v = 0.5f * n(rng);
    for (float& v : c0) v = 0.5f * n(rng);
    std::vector<int32_t> lengths(s.B);
    for (int32_t& len : lengths) len = static_cast<int32_t>(1 + rng() % s.T);
    const std::vector<float> c0_or = s.cell == JRNN_CELL_LSTM ? c0 : std::vector<float>();
    char what[160];
    std::snprintf(what, sizeof what,
                  "seed %u cell %d flags %d L%d D%d I%d H%d T%d B%d options %d clip %g fns %zu peep %d", seed, s.cell, s.flags, s.L, s.D, s.I, s.H, s.T, s.B, s.opt_flags, s.clip, s.kinds.size(), s.peep);

    int rc = 0;
    jrnn::set_threads(1);
    const Out one = run(s, x, lengths, h0, c0_or, seed, &rc);
    if (!CHECK(rc == JRNN_OK, "%s: rc %d", what, rc)) return;
    bool finite = true;
    for (float v : one.y) finite &= std::isfinite(v);
    CHECK(finite, "%s: non-finite output", what);
    for (int threads : {2, 3}) {
        jrnn::set_threads(threads);
        const Out t = run(s, x, lengths, h0, c0_or, seed, &rc);
        CHECK(rc == JRNN_OK && same(t.y, one.y) && same(t.hn, one.hn) && same(t.cn, one.cn),
              "%s: %d threads not the bits of 1", what, threads);
    }
    jrnn::set_threads(1);

    // A reverse stack against the forward one on reversed sequences (per sequence, within its length).
    if (s.D == 1 && s.L == 1) {
        Spec fwd = s, rev = s;
        fwd.opt_flags &= ~JRNN_RNN_REVERSE;
        rev.opt_flags |= JRNN_RNN_REVERSE;
        std::vector<float> xr(x.size(), 0.0f);
        for (int b = 0; b < s.B; ++b)
            for (int t = 0; t < lengths[b]; ++t)
                std::memcpy(&xr[(static_cast<size_t>(t) * s.B + b) * s.I],
                            &x[(static_cast<size_t>(lengths[b] - 1 - t) * s.B + b) * s.I], sizeof(float) * s.I);
        // batch-invariant products: a row's input product must not depend on where the row sits in x
        const Out a = run(rev, x, lengths, h0, c0_or, seed, &rc, JRNN_RUN_BATCH_INVARIANT);
        const Out f = run(fwd, xr, lengths, h0, c0_or, seed, &rc, JRNN_RUN_BATCH_INVARIANT);
        bool ok = rc == JRNN_OK && same(a.hn, f.hn) && same(a.cn, f.cn);
        for (int b = 0; b < s.B && ok; ++b)
            for (int t = 0; t < s.T; ++t) {
                const float* ya = &a.y[(static_cast<size_t>(t) * s.B + b) * s.H];
                const int tf = t < lengths[b] ? lengths[b] - 1 - t : t;
                const float* yf = &f.y[(static_cast<size_t>(tf) * s.B + b) * s.H];
                ok &= std::memcmp(ya, yf, sizeof(float) * s.H) == 0;
            }
        CHECK(ok, "%s: reverse is not the forward stack on reversed sequences", what);
    }

    // PyTorch's own functions, given explicitly, take the fused path: the default's bits.
    {
        Spec plain = s, explicit_fns = s;
        plain.opt_flags = explicit_fns.opt_flags = s.opt_flags & JRNN_RNN_REVERSE;
        plain.clip = explicit_fns.clip = 0.0f;
        plain.peep = explicit_fns.peep = false;
        plain.kinds.clear();
        explicit_fns.kinds.clear();
        const int defaults[3] = {s.cell == JRNN_CELL_RNN_TANH ? JRNN_FN_TANH : JRNN_FN_SIGMOID, JRNN_FN_TANH,
                                 JRNN_FN_TANH};
        const int per = s.cell == JRNN_CELL_LSTM ? 3 : s.cell == JRNN_CELL_GRU ? 2 : 1;
        for (int d = 0; d < s.D; ++d)
            for (int i = 0; i < per; ++i) explicit_fns.kinds.push_back(defaults[i]);
        explicit_fns.alpha.assign(explicit_fns.kinds.size(), 0.0f);
        explicit_fns.beta.assign(explicit_fns.kinds.size(), 0.0f);
        int rc2 = 0;
        const Out p = run(plain, x, lengths, h0, c0_or, seed, &rc);
        const Out e = run(explicit_fns, x, lengths, h0, c0_or, seed, &rc2);
        CHECK(rc == JRNN_OK && rc2 == JRNN_OK && same(p.y, e.y) && same(p.hn, e.hn) && same(p.cn, e.cn),
              "%s: explicit default functions differ from the default path", what);
    }
}

void check_abi() {
    const int32_t kinds[6] = {0, 1, 1, 0, 1, 1};
    const float zero[6] = {};
    const float w[4 * 3 * 3] = {}, p[9] = {};
    jrnn_rnn* lstm = jrnn_rnn_create(JRNN_CELL_LSTM, 0, 1, 2, 3, 3, 0);
    CHECK(jrnn_rnn_set_options(lstm, JRNN_RNN_REVERSE, 0.0f, 0, nullptr, nullptr, nullptr) == JRNN_ERR_ARG,
          "reverse with two directions accepted");
    CHECK(jrnn_rnn_set_options(lstm, 0, 0.0f, 3, kinds, zero, zero) == JRNN_ERR_ARG, "3 functions for a bi-LSTM");
    CHECK(jrnn_rnn_set_options(lstm, 0, -1.0f, 0, nullptr, nullptr, nullptr) == JRNN_ERR_ARG, "negative clip");
    CHECK(jrnn_rnn_set_options(lstm, 0, NAN, 0, nullptr, nullptr, nullptr) == JRNN_ERR_ARG, "NaN clip");
    CHECK(jrnn_rnn_set_options(lstm, 8, 0.0f, 0, nullptr, nullptr, nullptr) == JRNN_ERR_ARG, "unknown flag");
    const int32_t bad[6] = {0, 1, 11, 0, 1, 1};
    CHECK(jrnn_rnn_set_options(lstm, 0, 0.0f, 6, bad, zero, zero) == JRNN_ERR_ARG, "unknown function kind");
    CHECK(jrnn_rnn_set_options(lstm, JRNN_RNN_INPUT_FORGET, 1.0f, 6, kinds, zero, zero) == JRNN_OK,
          "valid options refused");
    CHECK(jrnn_rnn_set_peepholes(lstm, 0, 0, p) == JRNN_ERR_STATE, "peepholes before weights");
    CHECK(jrnn_rnn_set_weights(lstm, 0, 0, w, w, nullptr, nullptr, nullptr) == JRNN_OK, "weights refused");
    CHECK(jrnn_rnn_set_peepholes(lstm, 0, 0, p) == JRNN_OK, "peepholes refused");
    CHECK(jrnn_rnn_set_peepholes(lstm, 1, 0, p) == JRNN_ERR_ARG, "peepholes of layer 1 of 1");
    CHECK(jrnn_rnn_set_options(lstm, 0, 0.0f, 0, nullptr, nullptr, nullptr) == JRNN_ERR_STATE,
          "options after weights");
    jrnn_rnn_destroy(lstm);
    jrnn_rnn* gru = jrnn_rnn_create(JRNN_CELL_GRU, 0, 1, 1, 3, 3, 0);
    CHECK(jrnn_rnn_set_options(gru, JRNN_RNN_INPUT_FORGET, 0.0f, 0, nullptr, nullptr, nullptr) == JRNN_ERR_ARG,
          "input_forget on a GRU");
    CHECK(jrnn_rnn_set_weights(gru, 0, 0, w, w, nullptr, nullptr, nullptr) == JRNN_OK, "gru weights refused");
    CHECK(jrnn_rnn_set_peepholes(gru, 0, 0, p) == JRNN_ERR_ARG, "peepholes on a GRU");
    jrnn_rnn_destroy(gru);
    jrnn_rnn* rev = jrnn_rnn_create(JRNN_CELL_RNN_TANH, 0, 1, 1, 3, 3, 0);
    CHECK(jrnn_rnn_set_options(rev, JRNN_RNN_REVERSE, 0.0f, 0, nullptr, nullptr, nullptr) == JRNN_OK,
          "reverse refused");
    CHECK(jrnn_rnn_set_weights(rev, 0, 0, w, w, nullptr, nullptr, nullptr) == JRNN_OK, "rnn weights refused");
    float x[3] = {}, h[3] = {}, y[3] = {};
    CHECK(jrnn_rnn_step(rev, 1, x, h, nullptr, y) == JRNN_ERR_ARG, "a step of a reverse stack");
    jrnn_rnn_destroy(rev);
}

}  // namespace

int main() {
    jrnn_test::check_dispatch();
    jrnn::set_min_parallel_work(0);  // split everything, however small
    check_abi();
    for (unsigned seed = 1; seed <= 60; ++seed) check_spec(seed);
    jrnn::set_threads(0);
    std::printf("recurrent options: 60 random stacks [%s]\n", jrnn_isa_name(jrnn_isa()));
    return jrnn_test::finish();
}
