// Batch invariance (JRNN_RUN_BATCH_INVARIANT): a row's results are bit-identical whatever the batch size, the row's
// position and the other rows — for the invariant product itself and for the recurrent driver's step and forward
// (every cell variant, two layers, a projection, lengths, bidirectional, batch >= 16, 1 and 2 threads with every
// split forced, fp32, bf16 and int8 weights). Runs on every ISA this CPU supports: ISA ids are tried from 0 up until kMaxIsa; the ones this
// machine cannot run are named as skipped. The plain (batch-dependent) product is measured too and only reported.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "core/pool.h"
#include "invariant.h"
#include "jrnn/jrnn.h"
#include "kernels.h"

namespace {

constexpr int kMaxIsa = 16;  // ISA ids tried: the known ones and room for those added later

std::vector<float> random_floats(std::mt19937& rng, size_t n) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& f : v) f = u(rng);
    return v;
}

bool same_bits(const float* a, const float* b, size_t n) { return std::memcmp(a, b, sizeof(float) * n) == 0; }

// The product: every row of one call of B rows equals that row alone (B = 1), for the invariant table; returns how
// many rows of the plain table differ (information: the plain AVX2 product is allowed to depend on B).
int check_gemm(std::mt19937& rng, int isa) {
    const jrnn::KernelTable& plain = jrnn::kernels();
    const jrnn::KernelTable& inv = jrnn::invariant_kernels(plain);
    CHECK(inv.gemm_batch_invariant, "isa %d: the invariant table says its product is batch-dependent", isa);
    int plain_differs = 0;
    const int shapes[][2] = {{16, 8}, {33, 17}, {1024, 256}, {48, 61}, {7, 3}, {64, 130}, {20, 1}};
    for (const auto& nk : shapes) {
        const int N = nk[0], K = nk[1];
        std::vector<float> w = random_floats(rng, static_cast<size_t>(N) * K);
        jrnn::Packed p;
        if (!CHECK(jrnn::pack_rows(w.data(), N, K, K, &p), "pack %dx%d", N, K)) continue;
        for (int B : {1, 2, 3, 4, 5, 6, 7, 11, 13, 64, 70}) {
            const int64_t ldx = K + 3, ldy = N + 5;  // strides beyond the width, as the driver passes them
            std::vector<float> x = random_floats(rng, static_cast<size_t>(B) * ldx);
            std::vector<float> y0 = random_floats(rng, static_cast<size_t>(B) * ldy);
            for (bool acc : {false, true}) {
                std::vector<float> yb(y0), yp(y0), one(y0);
                inv.gemm_packed_f32(p, B, x.data(), ldx, yb.data(), ldy, acc);
                plain.gemm_packed_f32(p, B, x.data(), ldx, yp.data(), ldy, acc);
                for (int b = 0; b < B; ++b) {
                    inv.gemm_packed_f32(p, 1, x.data() + b * ldx, ldx, one.data() + b * ldy, ldy, acc);
                    CHECK(same_bits(yb.data() + b * ldy, one.data() + b * ldy, N),
                          "isa %d invariant gemm N%d K%d B%d acc%d: row %d differs from the row alone", isa, N, K, B,
                          acc, b);
                    plain_differs += !same_bits(yp.data() + b * ldy, one.data() + b * ldy, N);
                }
                // at B = 1 the invariant product is the plain one
                std::vector<float> p1(y0), i1(y0);
                plain.gemm_packed_f32(p, 1, x.data(), ldx, p1.data(), ldy, acc);
                inv.gemm_packed_f32(p, 1, x.data(), ldx, i1.data(), ldy, acc);
                CHECK(same_bits(p1.data(), i1.data(), N), "isa %d N%d K%d: invariant != plain at B=1", isa, N, K);
            }
        }
        jrnn::free_packed(&p);
    }
    return plain_differs;
}

struct Net {
    int cell, flags, L, D, I, H, P;
    int G() const { return cell == JRNN_CELL_LSTM ? 4 : cell == JRNN_CELL_GRU ? 3 : 1; }
    int Hout() const { return P > 0 ? P : H; }
};

int g_precision = JRNN_PRECISION_FP32;  // of the stacks build() makes

jrnn_rnn* build(const Net& n, std::mt19937& rng) {
    jrnn_rnn* r = jrnn_rnn_create(n.cell, n.flags, n.L, n.D, n.I, n.H, n.P);
    if (!r) return nullptr;
    if (jrnn_rnn_set_precision(r, g_precision) != JRNN_OK) {
        jrnn_rnn_destroy(r);
        return nullptr;
    }
    const float scale = 1.0f / static_cast<float>(n.H);
    for (int l = 0; l < n.L; ++l)
        for (int d = 0; d < n.D; ++d) {
            const int in = l == 0 ? n.I : n.D * n.Hout();
            auto wih = random_floats(rng, static_cast<size_t>(n.G()) * n.H * in);
            auto whh = random_floats(rng, static_cast<size_t>(n.G()) * n.H * n.Hout());
            auto bih = random_floats(rng, static_cast<size_t>(n.G()) * n.H);
            auto bhh = random_floats(rng, static_cast<size_t>(n.G()) * n.H);
            auto whr = random_floats(rng, static_cast<size_t>(n.P) * n.H);
            for (auto& v : whh) v *= 8 * scale;  // keep the state away from saturation so differences show
            jrnn_rnn_set_weights(r, l, d, wih.data(), whh.data(), bih.data(), bhh.data(), n.P ? whr.data() : nullptr);
        }
    return r;
}

// Steps: rows of a batch of B (a random B each step, the watched rows at random positions, the other rows random)
// against each watched row stepped alone at B = 1, over several steps (the batch-1 path alternates its weight order).
void check_step(const Net& n, std::mt19937& rng, int isa) {
    jrnn_rnn* r = build(n, rng);
    if (!CHECK(r, "create")) return;
    const int L = n.L, H = n.H, Ho = n.Hout(), I = n.I;
    constexpr int kWatched = 3;
    std::vector<float> h1[kWatched], c1[kWatched], hb[kWatched], cb[kWatched];
    for (int i = 0; i < kWatched; ++i) {
        h1[i] = hb[i] = random_floats(rng, static_cast<size_t>(L) * Ho);
        c1[i] = cb[i] = random_floats(rng, static_cast<size_t>(L) * H);
    }
    for (int step = 0; step < 6; ++step) {
        const int B = kWatched + static_cast<int>(rng() % 40);
        std::vector<int> pos(B);
        for (int b = 0; b < B; ++b) pos[b] = b;
        std::shuffle(pos.begin(), pos.end(), rng);  // watched row i sits at pos[i]
        std::vector<float> x = random_floats(rng, static_cast<size_t>(B) * I);
        std::vector<float> h = random_floats(rng, static_cast<size_t>(L) * B * Ho);
        std::vector<float> c = random_floats(rng, static_cast<size_t>(L) * B * H);
        std::vector<float> y(static_cast<size_t>(B) * Ho);
        for (int i = 0; i < kWatched; ++i)
            for (int l = 0; l < L; ++l) {
                std::memcpy(&h[(static_cast<size_t>(l) * B + pos[i]) * Ho], &hb[i][static_cast<size_t>(l) * Ho], sizeof(float) * Ho);
                std::memcpy(&c[(static_cast<size_t>(l) * B + pos[i]) * H], &cb[i][static_cast<size_t>(l) * H], sizeof(float) * H);
            }
        CHECK(jrnn_rnn_step_ex(r, B, x.data(), h.data(), c.data(), y.data(), 2) == JRNN_ERR_ARG, "unknown option");
        CHECK(jrnn_rnn_step_ex(r, B, x.data(), h.data(), c.data(), y.data(), JRNN_RUN_BATCH_INVARIANT) == JRNN_OK, "step");
        for (int i = 0; i < kWatched; ++i) {
            std::vector<float> y1(Ho);
            CHECK(jrnn_rnn_step_ex(r, 1, &x[static_cast<size_t>(pos[i]) * I], h1[i].data(), c1[i].data(), y1.data(),
                                   JRNN_RUN_BATCH_INVARIANT) == JRNN_OK, "step alone");
            bool ok = same_bits(y1.data(), &y[static_cast<size_t>(pos[i]) * Ho], Ho);
            for (int l = 0; l < L; ++l) {
                std::memcpy(&hb[i][static_cast<size_t>(l) * Ho], &h[(static_cast<size_t>(l) * B + pos[i]) * Ho], sizeof(float) * Ho);
                std::memcpy(&cb[i][static_cast<size_t>(l) * H], &c[(static_cast<size_t>(l) * B + pos[i]) * H], sizeof(float) * H);
            }
            ok = ok && same_bits(h1[i].data(), hb[i].data(), h1[i].size());
            if (n.cell == JRNN_CELL_LSTM) ok = ok && same_bits(c1[i].data(), cb[i].data(), c1[i].size());
            CHECK(ok, "isa %d precision %d step cell %d flags %d L%d H%d P%d: row at %d of B=%d differs from the row alone "
                  "(step %d)", isa, g_precision, n.cell, n.flags, L, H, n.P, pos[i], B, step);
        }
    }
    jrnn_rnn_destroy(r);
}

// Forward with lengths: each sequence of a batch (B below and from 16, where the input products change strategy)
// against the same sequence alone; y over its length and hn, cn bit for bit.
void check_forward(const Net& n, std::mt19937& rng, int isa) {
    jrnn_rnn* r = build(n, rng);
    if (!CHECK(r, "create")) return;
    const int LD = n.L * n.D, H = n.H, Ho = n.Hout(), I = n.I, Dy = n.D * Ho;
    for (int B : {5, 19}) {
        const int T = 7;
        std::vector<int32_t> len(B);
        for (auto& v : len) v = static_cast<int32_t>(rng() % (T + 1));
        len[0] = T;
        std::vector<float> x = random_floats(rng, static_cast<size_t>(T) * B * I);
        std::vector<float> h0 = random_floats(rng, static_cast<size_t>(LD) * B * Ho);
        std::vector<float> c0 = random_floats(rng, static_cast<size_t>(LD) * B * H);
        std::vector<float> y(static_cast<size_t>(T) * B * Dy), hn(h0.size()), cn(c0.size());
        CHECK(jrnn_rnn_forward_ex(r, T, B, x.data(), len.data(), h0.data(), c0.data(), y.data(), hn.data(), cn.data(),
                                  JRNN_RUN_BATCH_INVARIANT) == JRNN_OK, "forward");
        for (int b = 0; b < B; ++b) {
            const int Tb = std::max(1, static_cast<int>(len[b]));
            std::vector<float> xb(static_cast<size_t>(Tb) * I, 0.0f), h0b(static_cast<size_t>(LD) * Ho), c0b(static_cast<size_t>(LD) * H);
            for (int t = 0; t < len[b]; ++t) std::memcpy(&xb[static_cast<size_t>(t) * I], &x[(static_cast<size_t>(t) * B + b) * I], sizeof(float) * I);
            for (int i = 0; i < LD; ++i) {
                std::memcpy(&h0b[static_cast<size_t>(i) * Ho], &h0[(static_cast<size_t>(i) * B + b) * Ho], sizeof(float) * Ho);
                std::memcpy(&c0b[static_cast<size_t>(i) * H], &c0[(static_cast<size_t>(i) * B + b) * H], sizeof(float) * H);
            }
            std::vector<float> yb(static_cast<size_t>(Tb) * Dy), hnb(h0b.size()), cnb(c0b.size());
            const int32_t lb = len[b];
            CHECK(jrnn_rnn_forward_ex(r, Tb, 1, xb.data(), &lb, h0b.data(), c0b.data(), yb.data(), hnb.data(), cnb.data(),
                                      JRNN_RUN_BATCH_INVARIANT) == JRNN_OK, "forward alone");
            bool ok = true;
            for (int t = 0; t < len[b]; ++t) ok = ok && same_bits(&yb[static_cast<size_t>(t) * Dy], &y[(static_cast<size_t>(t) * B + b) * Dy], Dy);
            for (int i = 0; i < LD; ++i) {
                ok = ok && same_bits(&hnb[static_cast<size_t>(i) * Ho], &hn[(static_cast<size_t>(i) * B + b) * Ho], Ho);
                if (n.cell == JRNN_CELL_LSTM) ok = ok && same_bits(&cnb[static_cast<size_t>(i) * H], &cn[(static_cast<size_t>(i) * B + b) * H], H);
            }
            CHECK(ok, "isa %d precision %d forward cell %d flags %d L%d D%d H%d P%d: sequence %d (length %d) of B=%d differs "
                  "from it alone", isa, g_precision, n.cell, n.flags, n.L, n.D, H, n.P, b, len[b], B);
        }
    }
    jrnn_rnn_destroy(r);
}

}  // namespace

int main() {
    std::mt19937 rng(13);
    const Net nets[] = {
        {JRNN_CELL_LSTM, 0, 2, 1, 12, 37, 0},   {JRNN_CELL_LSTM, 0, 1, 1, 7, 40, 19},
        {JRNN_CELL_GRU, 0, 2, 1, 9, 33, 0},     {JRNN_CELL_GRU, JRNN_GRU_RESET_BEFORE, 1, 1, 5, 48, 0},
        {JRNN_CELL_RNN_TANH, 0, 1, 1, 30, 64, 0}, {JRNN_CELL_LSTM, JRNN_LSTM_SIGMOID_CANDIDATE, 1, 1, 17, 256, 0},
    };
    const Net bidir[] = {{JRNN_CELL_LSTM, 0, 2, 2, 11, 21, 0}, {JRNN_CELL_GRU, 0, 1, 2, 6, 35, 0}};
    const int saved_isa = jrnn_isa();
    const int64_t saved_work = jrnn::min_parallel_work();
    int ran = 0;
    std::string skipped;
    for (int isa = 0; isa < kMaxIsa; ++isa) {
        if (jrnn_set_isa(isa) != JRNN_OK) {
            skipped += ' ';
            skipped += std::to_string(isa);
            continue;
        }
        ++ran;
        const int plain_differs = check_gemm(rng, isa);
        std::printf("isa %d: plain product rows that differ from the row alone: %d (allowed; the invariant ones: 0)\n",
                    isa, plain_differs);
        for (int threads : {1, 2}) {
            jrnn::set_threads(threads);
            jrnn::set_min_parallel_work(threads == 1 ? saved_work : 0);  // with 2 threads: every split forced
            for (int precision : {JRNN_PRECISION_FP32, JRNN_PRECISION_BF16, JRNN_PRECISION_INT8}) {
                g_precision = precision;
                for (const Net& n : nets) check_step(n, rng, isa);
                for (const Net& n : nets) check_forward(n, rng, isa);
                for (const Net& n : bidir) check_forward(n, rng, isa);
            }
            g_precision = JRNN_PRECISION_FP32;
        }
        jrnn::set_min_parallel_work(saved_work);
    }
    std::printf("ISA ids skipped (not supported by this CPU/OS, or not an ISA of this build):%s\n", skipped.c_str());
    CHECK(ran >= 1, "no ISA ran");
    jrnn_set_isa(saved_isa);
    return jrnn_test::finish();
}
