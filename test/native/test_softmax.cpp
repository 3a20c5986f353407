// softmax_f32 / log_softmax_f32 (every supported ISA) against float64, and the jrnn_softmax_f32 / jrnn_log_softmax_f32
// entry points. Exact values come from the float inputs in double: d_j = x_j - max, S = sum e^d_j,
// p_j = e^d_j / S, l_j = d_j - log S; dbar = sum p_j |d_j| (the p-weighted mean of |d|).
// Tolerances (u = 2^-24):
//   softmax      |y_j - p_j| <= p_j (8e-7 + 2u (|d_j| + dbar + 2)) + 2^-148
//   log-softmax  |y_j - l_j| <= 5e-7 + 2u (|d_j| + |l_j| + log S + dbar + 2)
// from: exp's relative error <= 1.2e-7 (test_activation) in e^d_j and in S, the rounding of x_j - max (u |d_j|
// relative in e^d_j, and S inherits the p-weighted mean of those), the sum's own rounding (<= 5u: avx2 adds runs
// of 8 terms in float, then in double; ref adds in double), two roundings of the final scale or subtraction, and
// one subnormal ulp where p_j is below FLT_MIN. Exact by definition, so compared bit for bit: masked outputs (0 and
// -inf), -inf inputs (0 and -inf), one valid entry (1 and 0), rows with +inf (1/count and -log count among the
// +inf entries), rows with a NaN (NaN), the untouched rows after an error.
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

using SoftmaxFn = int (*)(int, int, const float*, const uint8_t*, float*);

struct Path {
    const char* name;
    SoftmaxFn softmax, log_softmax;
};

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kSentinel = -4321.125f;
constexpr double kU = 1.0 / (1 << 24);

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool is_valid(const std::vector<uint8_t>& valid, int j) { return valid.empty() || valid[j]; }

// Worst err/tolerance ratio seen per op, over every path and case.
double g_worst[2] = {0, 0};

// Checks one row of y (softmax or log) against float64; x has no NaN and no +inf among its valid entries.
// Returns the number of entries out of tolerance (reported by the caller).
int check_row(bool log, const float* x, const std::vector<uint8_t>& valid, int N, const float* y, int* exact_bad) {
    double mx = -INFINITY;
    for (int j = 0; j < N; ++j)
        if (is_valid(valid, j)) mx = std::fmax(mx, x[j]);
    double S = 0, wsum = 0;
    for (int j = 0; j < N; ++j) {
        if (!is_valid(valid, j)) continue;
        const double d = x[j] - mx, e = std::exp(d);
        S += e;
        if (e > 0) wsum += e * std::fabs(d);
    }
    const double dbar = wsum / S, lse = std::log(S);
    int bad = 0;
    for (int j = 0; j < N; ++j) {
        const float got = y[j];
        if (!is_valid(valid, j) || x[j] == -kInf) {  // exact by definition
            *exact_bad += !same_bits(got, log ? -kInf : 0.0f);
            continue;
        }
        const double d = x[j] - mx;
        double err, tol;
        if (!log) {
            const double p = std::exp(d) / S;
            err = std::fabs(got - p);
            tol = (p > 0 ? p * (8e-7 + 2 * kU * (std::fabs(d) + dbar + 2)) : 0.0) + std::ldexp(1.0, -148);
        } else {
            const double l = d - lse;
            if (l < -std::numeric_limits<float>::max()) {  // below float range: rounds to -inf (or -FLT_MAX)
                bad += got != -kInf && got != -std::numeric_limits<float>::max();
                continue;
            }
            err = std::fabs(got - l);
            tol = 5e-7 + 2 * kU * (std::fabs(d) + std::fabs(l) + lse + dbar + 2);
        }
        const double ratio = err / tol;
        if (!(ratio <= 1)) ++bad;
        g_worst[log] = std::isnan(ratio) ? INFINITY : std::fmax(g_worst[log], ratio);
    }
    return bad;
}

enum class Dist { kModerate, kWide, kOffset, kExtreme };

float draw(Dist dist, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    switch (dist) {
        case Dist::kModerate: return 20.0f * u(rng);
        case Dist::kWide: return 100.0f * u(rng);                      // many subnormal and zero probabilities
        case Dist::kOffset: return 1e4f + 5.0f * u(rng);               // would overflow without the max
        case Dist::kExtreme: return std::numeric_limits<float>::max() * u(rng);  // x - max overflows to -inf
    }
    return 0;
}

// One random case: M rows of N, an optional mask (with NaN / +inf hidden under it), some -inf entries.
void run_case(const Path& path, int M, int N, Dist dist, bool masked, std::mt19937& rng) {
    std::uniform_real_distribution<float> u01(0.0f, 1.0f);
    std::vector<uint8_t> valid;
    if (masked) {
        valid.resize(N);
        for (int j = 0; j < N; ++j) valid[j] = u01(rng) < 0.7f;
        valid[rng() % N] = 1;
    }
    std::vector<float> x(static_cast<size_t>(M) * N);
    for (int i = 0; i < M; ++i) {
        float* xi = x.data() + static_cast<size_t>(i) * N;
        for (int j = 0; j < N; ++j) xi[j] = draw(dist, rng);
        for (int j = 0; j < N; ++j) {
            const float r = u01(rng);
            if (!is_valid(valid, j)) xi[j] = r < 0.3f ? kNaN : r < 0.6f ? kInf : xi[j];  // must be ignored
            else if (r < 0.1f) xi[j] = -kInf;
        }
        int keep = static_cast<int>(rng() % N);  // at least one valid entry above -inf
        while (!is_valid(valid, keep)) keep = (keep + 1) % N;
        xi[keep] = draw(dist, rng);
    }
    const uint8_t* vp = masked ? valid.data() : nullptr;

    for (int log = 0; log < 2; ++log) {
        const SoftmaxFn f = log ? path.log_softmax : path.softmax;
        std::vector<float> y(x.size() + 24, kSentinel);
        const int rows = f(M, N, x.data(), vp, y.data());
        int bad = 0, exact_bad = 0, spill = 0;
        for (int i = 0; i < M; ++i) {
            const size_t row = static_cast<size_t>(i) * N;
            bad += check_row(log, x.data() + row, valid, N, y.data() + row, &exact_bad);
        }
        for (size_t t = x.size(); t < y.size(); ++t) spill += !same_bits(y[t], kSentinel);
        // in place gives the same bits
        std::vector<float> z(x);
        f(M, N, z.data(), vp, z.data());
        const bool inplace_ok = std::memcmp(z.data(), y.data(), sizeof(float) * x.size()) == 0;
        CHECK(rows == M && bad == 0 && exact_bad == 0 && spill == 0 && inplace_ok,
              "%s %s M=%d N=%d dist=%d masked=%d: rows %d, %d beyond tolerance, %d exact ones wrong, %d writes past y, "
              "in place %s",
              path.name, log ? "log_softmax" : "softmax", M, N, static_cast<int>(dist), masked, rows, bad, exact_bad,
              spill, inplace_ok ? "same" : "DIFFERS");
    }
}

void test_random(const Path& path) {
    std::mt19937 rng(2024);
    int cases = 0;
    for (int N : {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1000, 1003})
        for (Dist dist : {Dist::kModerate, Dist::kWide, Dist::kOffset, Dist::kExtreme})
            for (bool masked : {false, true})
                for (int M : {1, 3}) {
                    run_case(path, M, N, dist, masked, rng);
                    ++cases;
                }
    for (bool masked : {false, true}) {  // a vocabulary
        run_case(path, 2, 50257, Dist::kModerate, masked, rng);
        run_case(path, 1, 50257, Dist::kWide, masked, rng);
        cases += 2;
    }
    std::printf("%s: %d random cases\n", path.name, cases);
}

// Runs both ops on one row; want_p / want_l are the exact expected outputs.
void expect_row(const Path& path, const char* what, const std::vector<float>& x, const std::vector<uint8_t>& valid,
                const std::vector<float>& want_p, const std::vector<float>& want_l) {
    const int N = static_cast<int>(x.size());
    const uint8_t* vp = valid.empty() ? nullptr : valid.data();
    for (int log = 0; log < 2; ++log) {
        std::vector<float> y(N, kSentinel);
        const int rows = (log ? path.log_softmax : path.softmax)(1, N, x.data(), vp, y.data());
        const std::vector<float>& want = log ? want_l : want_p;
        bool ok = rows == 1;
        for (int j = 0; j < N; ++j) ok = ok && (same_bits(y[j], want[j]) || (std::isnan(y[j]) && std::isnan(want[j])));
        CHECK(ok, "%s %s (%s): rows %d, y[0..2] = %g %g %g", path.name, log ? "log_softmax" : "softmax", what, rows,
              y[0], N > 1 ? y[1] : 0.0f, N > 2 ? y[2] : 0.0f);
    }
}

void test_special(const Path& path) {
    const float ln2 = static_cast<float>(-std::log(2.0)), big = std::numeric_limits<float>::max();
    expect_row(path, "one entry", {3.5f}, {}, {1.0f}, {0.0f});
    expect_row(path, "one valid", {3.5f, 9.0f, kNaN, kInf, -1.0f}, {1, 0, 0, 0, 0}, {1, 0, 0, 0, 0},
               {0, -kInf, -kInf, -kInf, -kInf});
    expect_row(path, "-inf entries", {-kInf, 2.0f, -kInf}, {}, {0, 1, 0}, {-kInf, 0, -kInf});
    expect_row(path, "one +inf", {1.0f, kInf, 2.0f, -kInf}, {}, {0, 1, 0, 0}, {-kInf, 0, -kInf, -kInf});
    expect_row(path, "two +inf", {1.0f, kInf, 2.0f, kInf}, {}, {0, 0.5f, 0, 0.5f}, {-kInf, ln2, -kInf, ln2});
    expect_row(path, "masked +inf", {1.0f, kInf, 1.0f, kInf}, {1, 0, 1, 1}, {0, 0, 0, 1}, {-kInf, -kInf, -kInf, 0});
    expect_row(path, "NaN", {1.0f, kNaN, 2.0f}, {}, {kNaN, kNaN, kNaN}, {kNaN, kNaN, kNaN});
    expect_row(path, "NaN and -inf", {kNaN, -kInf}, {}, {kNaN, kNaN}, {kNaN, kNaN});
    expect_row(path, "NaN, masked", {kNaN, 2.0f, 5.0f}, {1, 0, 1}, {kNaN, 0, kNaN}, {kNaN, -kInf, kNaN});
    expect_row(path, "NaN and +inf", {kInf, kNaN}, {}, {kNaN, kNaN}, {kNaN, kNaN});
    expect_row(path, "masked NaN", {kNaN, 1.0f, 1.0f}, {0, 1, 1}, {0, 0.5f, 0.5f}, {-kInf, ln2, ln2});
    expect_row(path, "FLT_MAX twice", {big, big}, {}, {0.5f, 0.5f}, {ln2, ln2});
    expect_row(path, "+-FLT_MAX", {big, -big}, {}, {1, 0}, {0, -kInf});
    // 17 equal entries: the vector body and the tail agree
    std::vector<float> eq(17, -3.0f), p17(17, static_cast<float>(1.0 / 17)),
        l17(17, static_cast<float>(-std::log(17.0)));
    expect_row(path, "17 equal", eq, {}, p17, l17);

    // Errors: a row with nothing above -inf among its valid entries stops the call there.
    for (int log = 0; log < 2; ++log) {
        const SoftmaxFn f = log ? path.log_softmax : path.softmax;
        const char* op = log ? "log_softmax" : "softmax";
        const float masked_row[] = {1.0f, 2.0f, 3.0f};
        const uint8_t none[] = {0, 0, 0};
        float y[3] = {kSentinel, kSentinel, kSentinel};
        CHECK(f(1, 3, masked_row, none, y) == 0 && y[0] == kSentinel && y[1] == kSentinel && y[2] == kSentinel,
              "%s %s: all masked must fail untouched", path.name, op);
        const float x[] = {1.0f, 2.0f, 3.0f, -kInf, -kInf, -kInf, 4.0f, 5.0f, 6.0f};
        float z[9];
        for (float& v : z) v = kSentinel;
        const int rows = f(3, 3, x, nullptr, z);
        bool untouched = true;
        for (int t = 3; t < 9; ++t) untouched = untouched && z[t] == kSentinel;
        CHECK(rows == 1 && z[0] != kSentinel && untouched, "%s %s: all -inf row 1 of 3: rows %d, later rows %s",
              path.name, op, rows, untouched ? "untouched" : "WRITTEN");
        const uint8_t keep_last[] = {0, 1, 1};
        const float x2[] = {1.0f, -kInf, -kInf};
        CHECK(f(1, 3, x2, keep_last, y) == 0, "%s %s: only a masked finite entry must fail", path.name, op);
    }
}

void test_entry_points() {
    const float x[] = {1.0f, 2.0f, 3.0f, 0.5f, -kInf, kInf};
    float y[6], want[6];
    CHECK(jrnn_softmax_f32(2, 3, x, nullptr, y) == JRNN_OK, "jrnn_softmax_f32 ok");
    jrnn::kernels().softmax_f32(2, 3, x, nullptr, want);
    CHECK(std::memcmp(y, want, sizeof y) == 0, "jrnn_softmax_f32 = the dispatched kernel");
    CHECK(jrnn_log_softmax_f32(2, 3, x, nullptr, y) == JRNN_OK, "jrnn_log_softmax_f32 ok");
    jrnn::kernels().log_softmax_f32(2, 3, x, nullptr, want);
    CHECK(std::memcmp(y, want, sizeof y) == 0, "jrnn_log_softmax_f32 = the dispatched kernel");
    CHECK(y[5] == 0.0f && y[3] == -kInf, "jrnn_log_softmax_f32: +inf row gives 0 / -inf");

    const float bad[] = {1.0f, 2.0f, -kInf, -kInf};
    for (float& v : y) v = kSentinel;
    CHECK(jrnn_softmax_f32(2, 2, bad, nullptr, y) == JRNN_ERR_ARG && y[2] == kSentinel && y[3] == kSentinel,
          "jrnn_softmax_f32: all -inf row -> JRNN_ERR_ARG, untouched");
    CHECK(jrnn_log_softmax_f32(2, 2, bad, nullptr, y) == JRNN_ERR_ARG, "jrnn_log_softmax_f32: all -inf -> ERR_ARG");
    const uint8_t none[] = {0, 0, 0};
    CHECK(jrnn_softmax_f32(1, 3, x, none, y) == JRNN_ERR_ARG, "jrnn_softmax_f32: all masked -> JRNN_ERR_ARG");
    CHECK(jrnn_softmax_f32(0, 3, nullptr, nullptr, nullptr) == JRNN_OK, "jrnn_softmax_f32: m = 0 is a no-op");
    CHECK(jrnn_softmax_f32(1, 0, x, nullptr, y) == JRNN_ERR_ARG, "jrnn_softmax_f32: n = 0 has no valid entry");
    CHECK(jrnn_softmax_f32(-1, 3, x, nullptr, y) == JRNN_ERR_ARG, "jrnn_softmax_f32: m < 0");
    CHECK(jrnn_log_softmax_f32(1, 3, nullptr, nullptr, y) == JRNN_ERR_ARG, "jrnn_log_softmax_f32: x null");
    CHECK(jrnn_log_softmax_f32(1, 3, x, nullptr, nullptr) == JRNN_ERR_ARG, "jrnn_log_softmax_f32: y null");
}

}  // namespace

int main() {
    jrnn_test::check_dispatch();
    std::vector<Path> paths;
    for (const jrnn::Isa* isa : jrnn_test::supported_isas())
        paths.push_back({isa->name, isa->table->softmax_f32, isa->table->log_softmax_f32});
    for (const Path& p : paths) {
        test_random(p);
        test_special(p);
    }
    std::printf("max error / tolerance: softmax %.3g, log_softmax %.3g\n", g_worst[0], g_worst[1]);
    test_entry_points();
    return jrnn_test::finish();
}
