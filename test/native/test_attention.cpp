// attn_additive_f32, attn_dot_f32, attn_context_f32 (every supported ISA) against float64, and the jrnn_attn_* entry
// points (dispatched kernel at M <= 8, OpenBLAS above). Tolerances are worst-case rounding bounds per output
// (u = 2^-24; any summation order passes, an indexing mistake fails):
//   additive  |s - exact| <= sum_a |v_a| (2e-7 + u |q_a + k_a|) + (A + 2) u sum_a |v_a tanh(q_a + k_a)|
//             (tanh's absolute error <= 1.2e-7, test_activation; the rounding of q + k moves tanh by <= u |q + k|)
//   dot       |s - exact| <= (Dm + 2) u sum_d |q_d mem_jd|
//   context   |c - exact| <= (S + 2) u sum_j |alpha_j mem_jd|
// The observed maximum of error / tolerance is printed.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "check.h"
#include "jrnn/jrnn.h"
#include "kernels.h"
#include "ref/kernels_ref.h"

namespace {

using AdditiveFn = void (*)(int, int, int, const float*, const float*, const float*, float*);
using DotFn = void (*)(int, int, int, const float*, const float*, float*);
using ContextFn = void (*)(int, int, int, const float*, const float*, float*);

struct Path {
    const char* name;
    AdditiveFn additive;
    DotFn dot;
    ContextFn context;
};

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kSentinel = -9999.5f;
constexpr double kU = 1.0 / (1 << 24);

std::vector<float> uniform(size_t n, float lo, float hi, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (float& f : v) f = u(rng);
    return v;
}

// Error / tolerance bookkeeping of one op over many outputs.
struct Tally {
    double worst = 0;
    int bad = 0;
    void add(double got, double exact, double tol) {
        const double ratio = std::fabs(got - exact) / tol;
        if (!(ratio <= 1)) ++bad;
        worst = std::isnan(ratio) ? INFINITY : std::fmax(worst, ratio);
    }
};

double g_worst[3] = {0, 0, 0};  // additive, dot, context

void check_additive(int M, int S, int A, const std::vector<float>& q, const std::vector<float>& k,
                    const std::vector<float>& v, const float* scores, Tally& t) {
    for (int i = 0; i < M; ++i)
        for (int j = 0; j < S; ++j) {
            double exact = 0, vmag = 0, tmag = 0;
            for (int a = 0; a < A; ++a) {
                const double arg = static_cast<double>(q[i * A + a]) + k[j * A + a];
                const double term = v[a] * std::tanh(arg);
                exact += term;
                vmag += std::fabs(v[a]) * (2e-7 + kU * std::fabs(arg));
                tmag += std::fabs(term);
            }
            t.add(scores[i * S + j], exact, vmag + (A + 2) * kU * tmag + 1e-30);
        }
}

void check_dot(int M, int S, int D, const std::vector<float>& q, const std::vector<float>& mem, const float* scores,
               Tally& t) {
    for (int i = 0; i < M; ++i)
        for (int j = 0; j < S; ++j) {
            double exact = 0, mag = 0;
            for (int d = 0; d < D; ++d) {
                const double p = static_cast<double>(q[i * D + d]) * mem[j * D + d];
                exact += p;
                mag += std::fabs(p);
            }
            t.add(scores[i * S + j], exact, (D + 2) * kU * mag + 1e-30);
        }
}

void check_context(int M, int S, int D, const std::vector<float>& alpha, const std::vector<float>& mem,
                   const float* ctx, Tally& t) {
    for (int i = 0; i < M; ++i)
        for (int d = 0; d < D; ++d) {
            double exact = 0, mag = 0;
            for (int j = 0; j < S; ++j) {
                const double p = static_cast<double>(alpha[i * S + j]) * mem[j * D + d];
                exact += p;
                mag += std::fabs(p);
            }
            t.add(ctx[i * D + d], exact, (S + 2) * kU * mag + 1e-30);
        }
}

// Writes outside out[0:n) show in the sentinel tail.
int spill(const std::vector<float>& out, size_t n) {
    int c = 0;
    for (size_t t = n; t < out.size(); ++t) c += out[t] != kSentinel;
    return c;
}

// Attention weights: rows of a random softmax (what the context sees in practice), some exact zeros (masks).
std::vector<float> weights(int M, int S, std::mt19937& rng) {
    std::vector<float> a = uniform(static_cast<size_t>(M) * S, -4.0f, 4.0f, rng);
    for (int i = 0; i < M; ++i) {
        double sum = 0;
        for (int j = 0; j < S; ++j) sum += std::exp(a[i * S + j]);
        for (int j = 0; j < S; ++j) a[i * S + j] = j % 7 == 6 ? 0.0f : static_cast<float>(std::exp(a[i * S + j]) / sum);
    }
    return a;
}

void run_shape(const Path& p, int M, int S, int D, std::mt19937& rng) {
    const std::vector<float> q = uniform(static_cast<size_t>(M) * D, -3.0f, 3.0f, rng);
    const std::vector<float> k = uniform(static_cast<size_t>(S) * D, -3.0f, 3.0f, rng);
    const std::vector<float> v = uniform(D, -1.0f, 1.0f, rng);
    const std::vector<float> alpha = weights(M, S, rng);
    const size_t ns = static_cast<size_t>(M) * S, nc = static_cast<size_t>(M) * D;

    Tally ta, td, tc;
    std::vector<float> scores(ns + 17, kSentinel);
    p.additive(M, S, D, q.data(), k.data(), v.data(), scores.data());
    check_additive(M, S, D, q, k, v, scores.data(), ta);
    const int sa = spill(scores, ns);
    std::fill(scores.begin(), scores.end(), kSentinel);
    p.dot(M, S, D, q.data(), k.data(), scores.data());
    check_dot(M, S, D, q, k, scores.data(), td);
    const int sd = spill(scores, ns);
    std::vector<float> ctx(nc + 17, kSentinel);
    p.context(M, S, D, alpha.data(), k.data(), ctx.data());
    check_context(M, S, D, alpha, k, ctx.data(), tc);
    const int sc = spill(ctx, nc);

    CHECK(ta.bad == 0 && sa == 0, "%s additive M=%d S=%d A=%d: %d beyond tolerance (worst %.3g), %d writes past",
          p.name, M, S, D, ta.bad, ta.worst, sa);
    CHECK(td.bad == 0 && sd == 0, "%s dot M=%d S=%d Dm=%d: %d beyond tolerance (worst %.3g), %d writes past", p.name, M,
          S, D, td.bad, td.worst, sd);
    CHECK(tc.bad == 0 && sc == 0, "%s context M=%d S=%d Dm=%d: %d beyond tolerance (worst %.3g), %d writes past",
          p.name, M, S, D, tc.bad, tc.worst, sc);
    g_worst[0] = std::fmax(g_worst[0], ta.worst);
    g_worst[1] = std::fmax(g_worst[1], td.worst);
    g_worst[2] = std::fmax(g_worst[2], tc.worst);
}

void test_random(const Path& p) {
    std::mt19937 rng(77);
    int cases = 0;
    for (int M : {1, 3, 5})
        for (int S : {1, 3, 4, 5, 17, 33, 100})
            for (int D : {1, 3, 7, 8, 9, 17, 33, 64, 257, 1000}) {
                run_shape(p, M, S, D, rng);
                ++cases;
            }
    std::printf("%s: %d shapes\n", p.name, cases);
}

// NaN and inf go through as IEEE arithmetic says; they never spread to other rows or columns.
void test_nonfinite(const Path& p) {
    std::mt19937 rng(5);
    const int M = 3, S = 6, D = 19;
    std::vector<float> q = uniform(M * D, -2.0f, 2.0f, rng), k = uniform(S * D, -2.0f, 2.0f, rng);
    const std::vector<float> v = uniform(D, -1.0f, 1.0f, rng);
    q[1 * D + 17] = kNaN;  // query row 1 (in the tail lanes)
    std::vector<float> s(M * S);
    p.additive(M, S, D, q.data(), k.data(), v.data(), s.data());
    int wrong = 0;
    for (int i = 0; i < M; ++i)
        for (int j = 0; j < S; ++j) wrong += std::isnan(s[i * S + j]) != (i == 1);
    CHECK(wrong == 0, "%s additive: a NaN query entry gives NaN in its row only (%d wrong)", p.name, wrong);

    // q = +inf everywhere: tanh = 1, scores = sum(v)
    std::vector<float> qi(M * D, kInf);
    p.additive(M, S, D, qi.data(), k.data(), v.data(), s.data());
    double sumv = 0, magv = 0;
    for (float f : v) sumv += f, magv += std::fabs(f);
    int off = 0;
    for (float f : s) off += !(std::fabs(f - sumv) <= (D + 2) * kU * magv);
    CHECK(off == 0, "%s additive: q = +inf gives sum(v) (%d off)", p.name, off);

    std::vector<float> mem = k;
    mem[4 * D + 3] = kNaN;  // memory row 4
    p.dot(M, S, D, q.data(), mem.data(), s.data());
    wrong = 0;
    for (int i = 0; i < M; ++i)
        for (int j = 0; j < S; ++j) wrong += std::isnan(s[i * S + j]) != (i == 1 || j == 4);
    CHECK(wrong == 0, "%s dot: NaN in query row 1 and memory row 4 stays in its row and column (%d wrong)", p.name,
          wrong);

    std::vector<float> alpha = weights(M, S, rng), ctx(M * D);
    alpha[2 * S + 5] = kNaN;
    p.context(M, S, D, alpha.data(), k.data(), ctx.data());
    wrong = 0;
    for (int i = 0; i < M; ++i)
        for (int d = 0; d < D; ++d) wrong += std::isnan(ctx[i * D + d]) != (i == 2);
    CHECK(wrong == 0, "%s context: a NaN weight gives NaN in its row only (%d wrong)", p.name, wrong);
}

// Through jrnn.h: the small-M kernel and the OpenBLAS path, argument checks, empty sizes.
void test_entry_points() {
    std::mt19937 rng(99);
    for (int M : {1, 3, 8, 9, 16, 40}) {
        const int S = 23, D = 70;
        const std::vector<float> q = uniform(M * D, -3.0f, 3.0f, rng), k = uniform(S * D, -3.0f, 3.0f, rng);
        const std::vector<float> v = uniform(D, -1.0f, 1.0f, rng), alpha = weights(M, S, rng);
        std::vector<float> s(M * S, kNaN), c(M * D, kNaN);  // NaN: the OpenBLAS path must not read its output
        Tally ta, td, tc;
        CHECK(jrnn_attn_additive_f32(M, S, D, q.data(), k.data(), v.data(), s.data()) == JRNN_OK, "additive ok");
        check_additive(M, S, D, q, k, v, s.data(), ta);
        std::fill(s.begin(), s.end(), kNaN);
        CHECK(jrnn_attn_dot_f32(M, S, D, q.data(), k.data(), s.data()) == JRNN_OK, "dot ok");
        check_dot(M, S, D, q, k, s.data(), td);
        CHECK(jrnn_attn_context_f32(M, S, D, alpha.data(), k.data(), c.data()) == JRNN_OK, "context ok");
        check_context(M, S, D, alpha, k, c.data(), tc);
        CHECK(ta.bad == 0 && td.bad == 0 && tc.bad == 0,
              "jrnn_attn_* M=%d: additive %d, dot %d, context %d beyond tolerance", M, ta.bad, td.bad, tc.bad);
    }

    float q[6] = {1, 2, 3, 4, 5, 6}, out[8];
    CHECK(jrnn_attn_additive_f32(-1, 1, 1, q, q, q, out) == JRNN_ERR_ARG, "additive: m < 0");
    CHECK(jrnn_attn_additive_f32(1, 1, 2, q, q, nullptr, out) == JRNN_ERR_ARG, "additive: v null");
    CHECK(jrnn_attn_additive_f32(1, 1, 2, q, q, q, nullptr) == JRNN_ERR_ARG, "additive: scores null");
    CHECK(jrnn_attn_dot_f32(1, -2, 2, q, q, out) == JRNN_ERR_ARG, "dot: s < 0");
    CHECK(jrnn_attn_dot_f32(1, 2, 2, nullptr, q, out) == JRNN_ERR_ARG, "dot: q null");
    CHECK(jrnn_attn_context_f32(1, 2, -1, q, q, out) == JRNN_ERR_ARG, "context: dm < 0");
    CHECK(jrnn_attn_context_f32(1, 2, 2, q, nullptr, out) == JRNN_ERR_ARG, "context: mem null");
    CHECK(jrnn_attn_additive_f32(0, 3, 2, nullptr, nullptr, nullptr, nullptr) == JRNN_OK, "additive: m = 0 no-op");
    CHECK(jrnn_attn_dot_f32(2, 0, 2, nullptr, nullptr, nullptr) == JRNN_OK, "dot: s = 0 no-op");
    // empty sums are 0
    for (float& f : out) f = kSentinel;
    CHECK(jrnn_attn_additive_f32(2, 3, 0, nullptr, nullptr, nullptr, out) == JRNN_OK && out[0] == 0 && out[5] == 0 &&
              out[6] == kSentinel,
          "additive: a = 0 gives zeros");
    for (float& f : out) f = kSentinel;
    CHECK(jrnn_attn_dot_f32(2, 3, 0, nullptr, nullptr, out) == JRNN_OK && out[0] == 0 && out[5] == 0 &&
              out[6] == kSentinel,
          "dot: dm = 0 gives zeros");
    for (float& f : out) f = kSentinel;
    CHECK(jrnn_attn_context_f32(2, 0, 3, nullptr, nullptr, out) == JRNN_OK && out[0] == 0 && out[5] == 0 &&
              out[6] == kSentinel,
          "context: s = 0 gives zeros");
}

}  // namespace

int main() {
    jrnn_test::check_dispatch();
    std::vector<Path> paths;
    for (const jrnn::Isa* isa : jrnn_test::supported_isas())
        paths.push_back({isa->name, isa->table->attn_additive_f32, isa->table->attn_dot_f32, isa->table->attn_context_f32});
    for (const Path& p : paths) {
        test_random(p);
        test_nonfinite(p);
    }
    std::printf("max error / tolerance: additive %.3g, dot %.3g, context %.3g\n", g_worst[0], g_worst[1], g_worst[2]);
    test_entry_points();
    return jrnn_test::finish();
}
