// jrnn_linear_* (packed kernel at M <= 8, OpenBLAS above; whichever ISA JRNN_ISA selects), jrnn_gather_rows_f32
// and jrnn_topk_f32, through the C ABI.
// Tolerances: linear |y - exact| <= (K + 2) u (sum_k |x_k w_nk| + |b_n|), u = 2^-24, the worst-case rounding
// bound of a float sum in any order (float64 exact value). gather and top-k are exact: compared bit for bit,
// top-k against a stable sort (larger first, NaN after every number, ties by the lower index).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "check.h"
#include "jrnn/jrnn.h"
#include "kernels.h"

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kSentinel = -5555.75f;
constexpr double kU = 1.0 / (1 << 24);

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::vector<float> uniform(size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (float& f : v) f = u(rng);
    return v;
}

// ---- linear ----

double g_linear_worst = 0;

void run_linear(int N, int K, int M, bool bias, int pad, std::mt19937& rng) {
    const int64_t ldx = K + pad * 3, ldy = N + pad * 5;
    const std::vector<float> w0 = uniform(static_cast<size_t>(N) * K, rng), b0 = uniform(N, rng);
    std::vector<float> x(static_cast<size_t>(M) * ldx);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) x[i] = i % ldx < K ? u(rng) : kNaN;  // pad: NaN

    std::vector<float> w(w0), b(b0);
    jrnn_linear* lin = jrnn_linear_create(N, K, w.data(), bias ? b.data() : nullptr);
    if (!CHECK(lin != nullptr, "jrnn_linear_create(%d, %d) failed", N, K)) return;
    std::fill(w.begin(), w.end(), kNaN);  // the layer must hold its own copies
    std::fill(b.begin(), b.end(), kNaN);

    // y: NaN where outputs go (nothing may read them), sentinel in the row padding and past the end
    std::vector<float> y(static_cast<size_t>(M) * ldy + 11, kSentinel);
    for (int i = 0; i < M; ++i)
        for (int n = 0; n < N; ++n) y[i * ldy + n] = kNaN;
    const int rc = jrnn_linear_forward(lin, M, x.data(), ldx, y.data(), ldy);
    jrnn_linear_destroy(lin);

    int bad = 0, spill = 0;
    double worst = 0;
    for (int i = 0; i < M; ++i) {
        for (int n = 0; n < N; ++n) {
            double exact = bias ? b0[n] : 0.0, mag = std::fabs(exact);
            for (int k = 0; k < K; ++k) {
                const double p = static_cast<double>(x[i * ldx + k]) * w0[static_cast<size_t>(n) * K + k];
                exact += p;
                mag += std::fabs(p);
            }
            const double ratio = std::fabs(y[i * ldy + n] - exact) / ((K + 2) * kU * mag + 1e-30);
            if (!(ratio <= 1)) ++bad;
            worst = std::isnan(ratio) ? INFINITY : std::fmax(worst, ratio);
        }
        for (int64_t n = N; n < ldy; ++n) spill += !same_bits(y[i * ldy + n], kSentinel);
    }
    for (size_t t = static_cast<size_t>(M) * ldy; t < y.size(); ++t) spill += !same_bits(y[t], kSentinel);
    g_linear_worst = std::fmax(g_linear_worst, worst);
    CHECK(rc == JRNN_OK && bad == 0 && spill == 0,
          "linear N=%d K=%d M=%d bias=%d ldx=%lld ldy=%lld: rc %d, %d beyond tolerance (worst %.3g), %d writes "
          "outside y",
          N, K, M, bias, static_cast<long long>(ldx), static_cast<long long>(ldy), rc, bad, worst, spill);
}

void test_linear() {
    std::mt19937 rng(31);
    int cases = 0;
    for (int N : {1, 3, 17, 33, 1000, 1003})
        for (int K : {1, 3, 17, 64, 257})
            for (int M : {0, 1, 3, 8, 9, 33}) {
                run_linear(N, K, M, cases % 2 == 0, (cases / 2) % 2, rng);
                ++cases;
            }
    run_linear(5003, 96, 1, true, 1, rng);  // a vocabulary projection, one hypothesis and a beam
    run_linear(5003, 96, 5, true, 0, rng);
    run_linear(5003, 96, 12, false, 0, rng);
    std::printf("linear (%s): %d shapes, max |y - exact| = %.3g of the tolerance\n", jrnn::kernels().name, cases + 3,
                g_linear_worst);

    const float w[6] = {1, 2, 3, 4, 5, 6};
    float x[4] = {1, 1, 1, 1}, y[4];
    CHECK(jrnn_linear_create(0, 3, w, nullptr) == nullptr, "linear_create: n = 0 -> NULL");
    CHECK(jrnn_linear_create(2, 0, w, nullptr) == nullptr, "linear_create: k = 0 -> NULL");
    CHECK(jrnn_linear_create(2, 3, nullptr, nullptr) == nullptr, "linear_create: w NULL -> NULL");
    jrnn_linear_destroy(nullptr);
    jrnn_linear* lin = jrnn_linear_create(2, 3, w, nullptr);
    CHECK(lin != nullptr, "linear_create 2x3");
    CHECK(jrnn_linear_forward(nullptr, 1, x, 3, y, 2) == JRNN_ERR_ARG, "linear_forward: NULL layer");
    CHECK(jrnn_linear_forward(lin, -1, x, 3, y, 2) == JRNN_ERR_ARG, "linear_forward: m < 0");
    CHECK(jrnn_linear_forward(lin, 1, x, 2, y, 2) == JRNN_ERR_ARG, "linear_forward: ldx < k");
    CHECK(jrnn_linear_forward(lin, 1, x, 3, y, 1) == JRNN_ERR_ARG, "linear_forward: ldy < n");
    CHECK(jrnn_linear_forward(lin, 1, nullptr, 3, y, 2) == JRNN_ERR_ARG, "linear_forward: x NULL");
    CHECK(jrnn_linear_forward(lin, 0, nullptr, 3, nullptr, 2) == JRNN_OK, "linear_forward: m = 0 no-op");
    CHECK(jrnn_linear_forward(lin, 1, x, 3, y, 2) == JRNN_OK && y[0] == 6 && y[1] == 15, "linear_forward: 2x3 . ones");
    jrnn_linear_destroy(lin);
}

// ---- gather ----

void test_gather() {
    std::mt19937 rng(8);
    for (int cols : {1, 3, 17, 64}) {
        const int rows = 50, n = 40;
        const std::vector<float> table = uniform(static_cast<size_t>(rows) * cols, rng);
        std::vector<int32_t> ids(n);
        for (int32_t& id : ids) id = static_cast<int32_t>(rng() % rows);
        ids[0] = 0;
        ids[1] = rows - 1;
        std::vector<float> out(static_cast<size_t>(n) * cols + 5, kSentinel);
        const int rc = jrnn_gather_rows_f32(table.data(), rows, cols, ids.data(), n, out.data());
        bool ok = rc == JRNN_OK;
        for (int i = 0; i < n; ++i)
            ok = ok && std::memcmp(&out[static_cast<size_t>(i) * cols], &table[static_cast<size_t>(ids[i]) * cols],
                                   sizeof(float) * cols) == 0;
        for (size_t t = static_cast<size_t>(n) * cols; t < out.size(); ++t) ok = ok && out[t] == kSentinel;
        CHECK(ok, "gather cols=%d: rc %d, rows copied exactly and nothing past out", cols, rc);
    }

    // reordering beam states in place: out is the table itself, or overlaps it
    const int B = 5, C = 33;
    std::vector<float> states = uniform(static_cast<size_t>(B) * C, rng);
    const std::vector<float> before(states);
    const int32_t order[B] = {4, 4, 0, 2, 1};
    int rc = jrnn_gather_rows_f32(states.data(), B, C, order, B, states.data());
    bool ok = rc == JRNN_OK;
    for (int i = 0; i < B; ++i)
        ok = ok && std::memcmp(&states[static_cast<size_t>(i) * C], &before[static_cast<size_t>(order[i]) * C],
                               sizeof(float) * C) == 0;
    CHECK(ok, "gather in place (beam reorder): rc %d", rc);
    std::vector<float> buf(before);
    buf.resize(static_cast<size_t>(B + 1) * C, kSentinel);
    const int32_t shift[B] = {0, 1, 2, 3, 4};
    rc = jrnn_gather_rows_f32(buf.data(), B, C, shift, B, buf.data() + C);  // out one row further
    ok = rc == JRNN_OK;
    for (int i = 0; i < B; ++i)
        ok = ok && std::memcmp(&buf[static_cast<size_t>(i + 1) * C], &before[static_cast<size_t>(i) * C],
                               sizeof(float) * C) == 0;
    CHECK(ok, "gather into an overlapping output: rc %d", rc);

    const float table[6] = {1, 2, 3, 4, 5, 6};
    float out[4] = {kSentinel, kSentinel, kSentinel, kSentinel};
    const int32_t bad_hi[2] = {1, 3}, bad_neg[2] = {0, -1};
    CHECK(jrnn_gather_rows_f32(table, 3, 2, bad_hi, 2, out) == JRNN_ERR_ARG && out[0] == kSentinel,
          "gather: id = rows -> JRNN_ERR_ARG, out untouched");
    CHECK(jrnn_gather_rows_f32(table, 3, 2, bad_neg, 2, out) == JRNN_ERR_ARG && out[0] == kSentinel,
          "gather: id < 0 -> JRNN_ERR_ARG, out untouched");
    CHECK(jrnn_gather_rows_f32(table, 3, 2, nullptr, 2, out) == JRNN_ERR_ARG, "gather: ids NULL");
    CHECK(jrnn_gather_rows_f32(table, 3, -2, bad_hi, 2, out) == JRNN_ERR_ARG, "gather: cols < 0");
    CHECK(jrnn_gather_rows_f32(table, 3, 2, bad_hi, 0, nullptr) == JRNN_OK, "gather: n = 0 no-op");
}

// ---- top-k ----

// The expected order: a stable sort of the indices, larger first and NaN last.
std::vector<int32_t> sorted_indices(const std::vector<float>& x) {
    std::vector<int32_t> idx(x.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) {
        return !std::isnan(x[a]) && (std::isnan(x[b]) || x[a] > x[b]);
    });
    return idx;
}

enum class TopkDist { kUniform, kTies, kSpecial, kAscending, kDescending, kEqual, kAllNaN };
const char* const kTopkDistNames[] = {"uniform", "ties", "nan/inf/-0", "ascending", "descending", "equal", "all NaN"};

std::vector<float> topk_input(TopkDist dist, int N, std::mt19937& rng) {
    std::vector<float> x = uniform(N, rng);
    const float specials[] = {kNaN, kInf, -kInf, 0.0f, -0.0f, 1.0f};
    for (int i = 0; i < N; ++i) {
        switch (dist) {
            case TopkDist::kUniform: break;
            case TopkDist::kTies: x[i] = static_cast<float>(static_cast<int>(rng() % 5)); break;
            case TopkDist::kSpecial:
                if (rng() % 3 == 0) x[i] = specials[rng() % 6];
                break;
            case TopkDist::kAscending: x[i] = static_cast<float>(i); break;
            case TopkDist::kDescending: x[i] = static_cast<float>(-i); break;
            case TopkDist::kEqual: x[i] = 2.5f; break;
            case TopkDist::kAllNaN: x[i] = kNaN; break;
        }
    }
    return x;
}

void test_topk() {
    std::mt19937 rng(4242);
    int cases = 0;
    for (int N : {1, 2, 3, 17, 33, 1000, 50257})
        for (int k : {1, 2, 3, 5, 17, 64, N}) {
            if (k > N) continue;
            for (int d = 0; d <= static_cast<int>(TopkDist::kAllNaN); ++d) {
                const std::vector<float> x = topk_input(static_cast<TopkDist>(d), N, rng);
                const std::vector<int32_t> want = sorted_indices(x);
                std::vector<int32_t> idx(k + 1, -7);
                std::vector<float> val(k + 1, kSentinel);
                const bool with_val = cases % 4 != 3;  // val may be NULL
                const int rc = jrnn_topk_f32(N, x.data(), k, idx.data(), with_val ? val.data() : nullptr);
                int wrong = 0;
                for (int r = 0; r < k; ++r) {
                    wrong += idx[r] != want[r];
                    if (with_val) wrong += !same_bits(val[r], x[want[r]]);
                }
                const bool tail_ok = idx[k] == -7 && same_bits(val[k], kSentinel);
                CHECK(rc == JRNN_OK && wrong == 0 && tail_ok, "topk N=%d k=%d %s: rc %d, %d wrong, %s", N, k,
                      kTopkDistNames[d], rc, wrong, tail_ok ? "nothing past k" : "WROTE PAST k");
                ++cases;
            }
        }
    std::printf("topk: %d cases\n", cases);

    // the documented order on a small example: 3 > 1 = 1 > -0 = 0 > -inf > NaN = NaN
    const float x[] = {kNaN, 1.0f, -0.0f, 3.0f, -kInf, 1.0f, 0.0f, kNaN};
    int32_t idx[8];
    float val[8];
    const int32_t want[8] = {3, 1, 5, 2, 6, 4, 0, 7};
    CHECK(jrnn_topk_f32(8, x, 8, idx, val) == JRNN_OK && std::memcmp(idx, want, sizeof want) == 0,
          "topk order: got %d %d %d %d %d %d %d %d", idx[0], idx[1], idx[2], idx[3], idx[4], idx[5], idx[6], idx[7]);
    CHECK(jrnn_topk_f32(3, x, 4, idx, val) == JRNN_ERR_ARG, "topk: k > n -> JRNN_ERR_ARG");
    CHECK(jrnn_topk_f32(3, x, -1, idx, val) == JRNN_ERR_ARG, "topk: k < 0 -> JRNN_ERR_ARG");
    CHECK(jrnn_topk_f32(-1, x, 0, idx, val) == JRNN_ERR_ARG, "topk: n < 0 -> JRNN_ERR_ARG");
    CHECK(jrnn_topk_f32(3, nullptr, 2, idx, val) == JRNN_ERR_ARG, "topk: x NULL");
    CHECK(jrnn_topk_f32(3, x, 2, nullptr, val) == JRNN_ERR_ARG, "topk: idx NULL");
    CHECK(jrnn_topk_f32(3, x, 0, nullptr, nullptr) == JRNN_OK, "topk: k = 0 no-op");
}

}  // namespace

int main() {
    jrnn_test::check_dispatch();
    test_linear();
    test_gather();
    test_topk();
    return jrnn_test::finish();
}
