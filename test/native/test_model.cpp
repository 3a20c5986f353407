// The whole-model pieces of jrnn.h (layers/model.cpp): ReLU, the mean readout, the leading-axes swap and the
// batch-first recurrent forward; the fused model step, and the same step over caller-kept per-row states. Exact comparisons: each is a copy, a max or a sum in a fixed order, and the
// batch-first forward must be bit-identical to the time-major forward on swapped data.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "check.h"
#include "jrnn/jrnn.h"

namespace {

std::vector<float> uniform(size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (float& f : v) f = u(rng);
    return v;
}

std::vector<float> swapped(const std::vector<float>& x, int A, int B, int F) {
    std::vector<float> y(x.size());
    for (int a = 0; a < A; ++a)
        for (int b = 0; b < B; ++b)
            for (int f = 0; f < F; ++f) y[(static_cast<size_t>(b) * A + a) * F + f] = x[(static_cast<size_t>(a) * B + b) * F + f];
    return y;
}

void test_relu() {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    float x[5] = {-1.5f, 0.0f, 2.0f, nan, -0.0f}, y[5];
    jrnn_relu_f32(x, y, 5);
    CHECK(y[0] == 0.0f && y[1] == 0.0f && y[2] == 2.0f && std::isnan(y[3]) && y[4] == 0.0f, "relu values");
    jrnn_relu_f32(x, x, 5);
    CHECK(x[0] == 0.0f && x[2] == 2.0f, "relu in place");
}

void test_mean() {
    std::mt19937 rng(3);
    const int T = 5, B = 3, F = 4;
    std::vector<float> y = uniform(static_cast<size_t>(T) * B * F, rng), out(B * F);
    const int32_t len[B] = {5, 1, 3};
    CHECK(jrnn_mean_steps_f32(T, B, F, y.data(), len, out.data()) == JRNN_OK, "mean ok");
    bool ok = true;
    for (int b = 0; b < B; ++b)
        for (int f = 0; f < F; ++f) {
            float s = 0.0f;
            for (int t = 0; t < len[b]; ++t) s += y[(static_cast<size_t>(t) * B + b) * F + f];
            ok &= out[b * F + f] == s / static_cast<float>(len[b]);
        }
    CHECK(ok, "mean over the valid steps, summed in step order then divided");
    const int32_t zero[B] = {5, 0, 3}, big[B] = {5, 6, 3};
    CHECK(jrnn_mean_steps_f32(T, B, F, y.data(), zero, out.data()) == JRNN_ERR_ARG, "mean: length 0 rejected");
    CHECK(jrnn_mean_steps_f32(T, B, F, y.data(), big, out.data()) == JRNN_ERR_ARG, "mean: length > T rejected");
    CHECK(jrnn_mean_steps_f32(T, B, F, y.data(), nullptr, out.data()) == JRNN_OK, "mean: no lengths = all T");
}

void test_swap() {
    std::mt19937 rng(4);
    const int A = 3, B = 4, F = 5;
    std::vector<float> x = uniform(static_cast<size_t>(A) * B * F, rng), y(x.size());
    CHECK(jrnn_swap01_f32(A, B, F, x.data(), y.data()) == JRNN_OK && y == swapped(x, A, B, F), "swap01 values");
    CHECK(jrnn_swap01_f32(A, B, F, x.data(), x.data()) == JRNN_ERR_ARG, "swap01: in place rejected");
    CHECK(jrnn_swap01_f32(-1, B, F, x.data(), y.data()) == JRNN_ERR_ARG, "swap01: negative size rejected");
}

void test_batch_first(int cell, int L, int D) {
    std::mt19937 rng(5 + cell);
    const int I = 3, H = 4, T = 6, B = 3;
    const int G = cell == JRNN_CELL_LSTM ? 4 : cell == JRNN_CELL_GRU ? 3 : 1;
    jrnn_rnn* r = jrnn_rnn_create(cell, 0, L, D, I, H, 0);
    CHECK(r != nullptr, "create");
    if (!r) return;
    for (int l = 0; l < L; ++l)
        for (int d = 0; d < D; ++d) {
            const int in = l == 0 ? I : D * H;
            std::vector<float> wih = uniform(static_cast<size_t>(G) * H * in, rng), whh = uniform(static_cast<size_t>(G) * H * H, rng);
            std::vector<float> bih = uniform(G * H, rng), bhh = uniform(G * H, rng);
            jrnn_rnn_set_weights(r, l, d, wih.data(), whh.data(), bih.data(), bhh.data(), nullptr);
        }
    const int F = D * H;
    std::vector<float> x = uniform(static_cast<size_t>(T) * B * I, rng);
    std::vector<float> y(static_cast<size_t>(T) * B * F), hn(static_cast<size_t>(L) * D * B * H), cn(hn.size());
    std::vector<float> yb(y.size()), hnb(hn.size()), cnb(cn.size());
    const int32_t len[B] = {6, 2, 4};
    const bool lstm = cell == JRNN_CELL_LSTM;
    CHECK(jrnn_rnn_forward(r, T, B, x.data(), len, nullptr, nullptr, y.data(), hn.data(), lstm ? cn.data() : nullptr) ==
              JRNN_OK, "time-major forward");
    std::vector<float> xb = swapped(x, T, B, I);
    CHECK(jrnn_rnn_forward_batch_first(r, T, B, I, F, xb.data(), len, nullptr, nullptr, yb.data(), hnb.data(),
                                       lstm ? cnb.data() : nullptr) == JRNN_OK, "batch-first forward");
    CHECK(yb == swapped(y, T, B, F) && hnb == hn && (!lstm || cnb == cn),
          "cell %d, L %d, D %d: batch-first = time-major with swapped axes, bit for bit", cell, L, D);
    CHECK(jrnn_rnn_forward_batch_first(r, T, B, I, F, nullptr, len, nullptr, nullptr, yb.data(), nullptr, nullptr) ==
              JRNN_ERR_ARG, "batch-first: null x rejected");
    jrnn_rnn_destroy(r);
}

// The fused step equals the calls it stands for (gather, rnn step, linear + activation per head, softmax), bit for
// bit: it makes the same calls in the same order.
void test_seqstep() {
    std::mt19937 rng(9);
    const int V = 7, E = 3, H = 5, N1 = 4, N2 = V, B = 2;
    std::vector<float> table = uniform(static_cast<size_t>(V) * E, rng);
    jrnn_rnn* r = jrnn_rnn_create(JRNN_CELL_LSTM, 0, 2, 1, E, H, 0);
    for (int l = 0; l < 2; ++l) {
        const int in = l == 0 ? E : H;
        std::vector<float> wih = uniform(static_cast<size_t>(4) * H * in, rng), whh = uniform(static_cast<size_t>(4) * H * H, rng);
        jrnn_rnn_set_weights(r, l, 0, wih.data(), whh.data(), nullptr, nullptr, nullptr);
    }
    std::vector<float> w1 = uniform(N1 * H, rng), b1 = uniform(N1, rng), w2 = uniform(N2 * N1, rng);
    jrnn_linear* l1 = jrnn_linear_create(N1, H, w1.data(), b1.data());
    jrnn_linear* l2 = jrnn_linear_create(N2, N1, w2.data(), nullptr);
    jrnn_seqstep* s = jrnn_seqstep_create(r, E, H, table.data(), V, 2, JRNN_OUT_LOG_SOFTMAX);
    CHECK(s && jrnn_seqstep_set_head(s, 0, l1, N1, H, JRNN_ACT_RELU) == JRNN_OK &&
              jrnn_seqstep_set_head(s, 1, l2, N2, N1, JRNN_ACT_NONE) == JRNN_OK, "seqstep create");
    CHECK(jrnn_seqstep_set_head(s, 1, l2, N2, N1 + 1, JRNN_ACT_NONE) == JRNN_ERR_ARG, "seqstep: wrong k rejected");
    int64_t floats = 0;
    CHECK(jrnn_seqstep_scratch_floats(s, B, &floats) == JRNN_OK && floats == B * (E + H + N1 + N2), "scratch size");
    std::vector<float> scratch(static_cast<size_t>(floats)), h(2 * B * H, 0.0f), c(2 * B * H, 0.0f), out(B * N2);
    std::vector<float> h2 = h, c2 = c, x(B * E), y(B * H), a(B * N1), o(B * N2);
    bool same = true;
    for (int t = 0; t < 4; ++t) {
        const int32_t ids[B] = {t % V, (3 * t + 1) % V};
        CHECK(jrnn_seqstep_run(s, B, ids, nullptr, h.data(), c.data(), scratch.data(), out.data(), 1) == JRNN_OK,
              "seqstep run");
        jrnn_gather_rows_f32(table.data(), V, E, ids, B, x.data());
        jrnn_rnn_step(r, B, x.data(), h2.data(), c2.data(), y.data());
        jrnn_linear_forward(l1, B, y.data(), H, a.data(), N1);
        jrnn_relu_f32(a.data(), a.data(), B * N1);
        jrnn_linear_forward(l2, B, a.data(), N1, o.data(), N2);
        jrnn_log_softmax_f32(B, N2, o.data(), nullptr, o.data());
        same &= out == o && h == h2 && c == c2;
    }
    CHECK(same, "seqstep = its calls one by one, bit for bit, over 4 steps");
    CHECK(jrnn_seqstep_run(s, B, nullptr, nullptr, h.data(), c.data(), scratch.data(), out.data(), 1) == JRNN_ERR_ARG,
          "seqstep: ids missing");
    CHECK(jrnn_seqstep_create(r, E, H, table.data(), V, 0, 7) == nullptr, "seqstep: bad output kind");
    jrnn_seqstep_destroy(s);
    jrnn_linear_destroy(l1);
    jrnn_linear_destroy(l2);
    jrnn_rnn_destroy(r);
}

// rows[B, S] (each row: h of layers 0..L-1, then c of layers 0..L-1 for an LSTM) in the stack's layout: h[L,B,H]
// then c[L,B,H].
std::vector<float> layered(const std::vector<float>& rows, int B, int L, int H, int64_t S, bool lstm) {
    std::vector<float> out(static_cast<size_t>(B) * S);
    const size_t cbase = static_cast<size_t>(L) * B * H;
    for (int b = 0; b < B; ++b)
        for (int l = 0; l < L; ++l)
            for (int j = 0; j < H; ++j) {
                out[(static_cast<size_t>(l) * B + b) * H + j] = rows[b * S + l * H + j];
                if (lstm) out[cbase + (static_cast<size_t>(l) * B + b) * H + j] = rows[b * S + (L + l) * H + j];
            }
    return out;
}

// The step over caller-kept rows (jrnn_seqstep_run_rows) on every ISA: rows in any order and any number equal each
// row stepped alone (B = 1), bit for bit, with JRNN_RUN_BATCH_INVARIANT (FP32); and equal to jrnn_seqstep_run over
// the stack's own [L,B,*] layout, bit for bit, without it (the same calls on the same data); and JRNN_ROWS_LAYERED
// (the rows already in that layout, in one buffer) equal to the rows step, bit for bit.
void test_seqstep_rows(int cell, bool embed, int L, int I, int H, int heads, int output) {
    std::mt19937 rng(17 + cell * 7 + L);
    const int V = 11, N1 = 6, N2 = 5;
    std::vector<float> table = uniform(static_cast<size_t>(V) * I, rng);
    const int G = cell == JRNN_CELL_LSTM ? 4 : cell == JRNN_CELL_GRU ? 3 : 1;
    jrnn_rnn* r = jrnn_rnn_create(cell, 0, L, 1, I, H, 0);
    for (int l = 0; l < L; ++l) {
        const int in = l == 0 ? I : H;
        std::vector<float> wih = uniform(static_cast<size_t>(G) * H * in, rng), whh = uniform(static_cast<size_t>(G) * H * H, rng);
        std::vector<float> bih = uniform(static_cast<size_t>(G) * H, rng);
        jrnn_rnn_set_weights(r, l, 0, wih.data(), whh.data(), bih.data(), nullptr, nullptr);
    }
    std::vector<float> w1 = uniform(static_cast<size_t>(N1) * H, rng), b1 = uniform(N1, rng);
    std::vector<float> w2 = uniform(static_cast<size_t>(N2) * N1, rng);
    jrnn_linear* l1 = jrnn_linear_create(N1, H, w1.data(), b1.data());
    jrnn_linear* l2 = jrnn_linear_create(N2, N1, w2.data(), nullptr);
    jrnn_seqstep* s = jrnn_seqstep_create(r, I, H, embed ? table.data() : nullptr, embed ? V : 0, heads, output);
    if (heads > 0) jrnn_seqstep_set_head(s, 0, l1, N1, H, JRNN_ACT_TANH);
    if (heads > 1) jrnn_seqstep_set_head(s, 1, l2, N2, N1, JRNN_ACT_RELU);
    const int N = heads == 0 ? H : heads == 1 ? N1 : N2;
    const int64_t S = static_cast<int64_t>(L) * H * (cell == JRNN_CELL_LSTM ? 2 : 1);
    int64_t got = 0;
    CHECK(jrnn_seqstep_state_floats(s, &got) == JRNN_OK && got == S, "state floats %lld, expected %lld",
          static_cast<long long>(got), static_cast<long long>(S));
    const int saved = jrnn_isa();
    for (int isa = 0; isa < 8; ++isa) {
        if (jrnn_set_isa(isa) != JRNN_OK) continue;
        for (int B : {1, 3, 17, 33}) {
            int64_t floats = 0, base = 0;
            CHECK(jrnn_seqstep_rows_scratch_floats(s, B, &floats) == JRNN_OK &&
                      jrnn_seqstep_scratch_floats(s, B, &base) == JRNN_OK && floats == base + B * S,
                  "rows scratch size at B=%d", B);
            std::vector<float> scratch(static_cast<size_t>(floats));
            int64_t f1 = 0;
            jrnn_seqstep_rows_scratch_floats(s, 1, &f1);
            std::vector<float> scratch1(static_cast<size_t>(f1));
            std::vector<float> states = uniform(static_cast<size_t>(B) * S, rng), alone = states, plain = states;
            std::vector<float> out(static_cast<size_t>(B) * N), out1(N), outp(static_cast<size_t>(B) * N);
            std::vector<float> outl(static_cast<size_t>(B) * N);
            const bool lstm = cell == JRNN_CELL_LSTM;
            bool inv = true, same_plain = true, same_layered = true;
            for (int t = 0; t < 3; ++t) {
                std::vector<int32_t> ids(B);
                for (int b = 0; b < B; ++b) ids[b] = static_cast<int32_t>((b * 5 + t * 3 + 1) % V);
                std::vector<float> x = uniform(static_cast<size_t>(B) * I, rng);
                const int32_t* idp = embed ? ids.data() : nullptr;
                const float* xp = embed ? nullptr : x.data();
                // states in the stack's layout, for the layered route
                std::vector<float> lay = layered(states, B, L, H, S, lstm);
                CHECK(jrnn_seqstep_run_rows(s, B, idp, xp, lay.data(), scratch.data(), outl.data(),
                                            JRNN_RUN_BATCH_INVARIANT | JRNN_ROWS_LAYERED) == JRNN_OK,
                      "run_rows layered B=%d", B);
                CHECK(jrnn_seqstep_run_rows(s, B, idp, xp, states.data(), scratch.data(), out.data(),
                                            JRNN_RUN_BATCH_INVARIANT) == JRNN_OK, "run_rows B=%d", B);
                for (int b = 0; b < B; ++b) {
                    CHECK(jrnn_seqstep_run_rows(s, 1, embed ? idp + b : nullptr, embed ? nullptr : xp + static_cast<int64_t>(b) * I,
                                                alone.data() + b * S, scratch1.data(), out1.data(),
                                                JRNN_RUN_BATCH_INVARIANT) == JRNN_OK, "run_rows alone");
                    inv &= std::memcmp(out1.data(), out.data() + static_cast<int64_t>(b) * N, sizeof(float) * N) == 0;
                }
                inv &= states == alone;
                same_layered &= outl == out && lay == layered(states, B, L, H, S, lstm);
                // the plain route against jrnn_seqstep_run on the [L,B,*] layout
                std::vector<float> hc = layered(plain, B, L, H, S, lstm);
                float* cp = lstm ? hc.data() + static_cast<size_t>(L) * B * H : nullptr;
                CHECK(jrnn_seqstep_run_rows(s, B, idp, xp, plain.data(), scratch.data(), outp.data(), 0) == JRNN_OK,
                      "run_rows plain");
                std::vector<float> o(static_cast<size_t>(B) * N), sc(static_cast<size_t>(base));
                CHECK(jrnn_seqstep_run(s, B, idp, xp, hc.data(), cp, sc.data(), o.data(), 1) == JRNN_OK, "run");
                same_plain &= o == outp && hc == layered(plain, B, L, H, S, lstm);
            }
            CHECK(inv, "isa %d cell %d L%d H%d heads %d B=%d: a row of the invariant rows step differs from it alone",
                  isa, cell, L, H, heads, B);
            CHECK(same_plain, "isa %d cell %d L%d H%d heads %d B=%d: rows step != jrnn_seqstep_run on the stack layout",
                  isa, cell, L, H, heads, B);
            CHECK(same_layered, "isa %d cell %d L%d H%d heads %d B=%d: layered rows step != rows step", isa, cell, L, H,
                  heads, B);
        }
    }
    jrnn_set_isa(saved);
    int64_t f = 0;
    jrnn_seqstep_rows_scratch_floats(s, 2, &f);
    std::vector<float> sc(static_cast<size_t>(f)), st(static_cast<size_t>(2 * S)), o(2 * static_cast<size_t>(N));
    const int32_t ids[2] = {0, 1};
    std::vector<float> x(2 * static_cast<size_t>(I));
    CHECK(jrnn_seqstep_run_rows(s, 2, ids, x.data(), nullptr, sc.data(), o.data(), 0) == JRNN_ERR_ARG, "rows: states missing");
    CHECK(jrnn_seqstep_run_rows(s, 2, ids, x.data(), st.data(), sc.data(), o.data(), 4) == JRNN_ERR_ARG, "rows: bad option");
    CHECK(jrnn_seqstep_run_rows(s, 2, ids, x.data(), st.data(), sc.data(), o.data(), JRNN_ROWS_LAYERED << 1) ==
              JRNN_ERR_ARG, "rows: bad high option");
    CHECK(jrnn_seqstep_run_rows(s, 0, ids, x.data(), st.data(), sc.data(), o.data(), 0) == JRNN_ERR_ARG, "rows: B=0");
    jrnn_seqstep_destroy(s);
    jrnn_linear_destroy(l1);
    jrnn_linear_destroy(l2);
    jrnn_rnn_destroy(r);
}

}  // namespace

int main() {
    test_relu();
    test_mean();
    test_swap();
    test_seqstep();
    test_seqstep_rows(JRNN_CELL_LSTM, true, 2, 4, 7, 2, JRNN_OUT_LOG_SOFTMAX);
    test_seqstep_rows(JRNN_CELL_GRU, false, 1, 3, 33, 1, JRNN_OUT_SOFTMAX);
    test_seqstep_rows(JRNN_CELL_RNN_TANH, false, 3, 17, 1, 0, JRNN_OUT_NONE);
    test_seqstep_rows(JRNN_CELL_LSTM, false, 1, 5, 64, 2, JRNN_OUT_NONE);
    for (int cell : {JRNN_CELL_RNN_TANH, JRNN_CELL_LSTM, JRNN_CELL_GRU}) {
        test_batch_first(cell, 1, 1);
        test_batch_first(cell, 2, 2);
    }
    return jrnn_test::finish();
}
