// sigmoid, tanh, exp (every supported ISA) against float64.
// Tolerances: sigmoid, tanh 1e-6 absolute on [-30, 30]; tanh also 1e-6 relative for |x| < 1 (tanh(x) ~ x near
// 0); exp 1e-6 relative wherever the result is a normal float (an absolute bound is meaningless for exp: float
// spacing at e^30 is ~1e6), one subnormal ulp (2^-149) absolute below FLT_MIN. Beyond that range results
// saturate exactly: sigmoid 1 (x >= 30) and 0 (x <= -104), tanh +-1, exp +inf (x >= 89) and 0 (x <= -104).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "check.h"
#include "kernels.h"
#include "ref/kernels_ref.h"

namespace {

using ActFn = void (*)(const float*, float*, int64_t);

enum class OpKind { kSigmoid, kTanh, kExp };

struct Op {
    const char* name;
    OpKind kind;
};

const Op kOps[] = {{"sigmoid", OpKind::kSigmoid}, {"tanh", OpKind::kTanh}, {"exp", OpKind::kExp}};

// One ISA's three kernels, taken from the namespaces directly so a table wiring mistake cannot hide one.
struct ActPath {
    ActFn sigmoid_f32, tanh_f32, exp_f32;
};

ActFn fn_of(const ActPath& t, OpKind k) {
    return k == OpKind::kSigmoid ? t.sigmoid_f32 : k == OpKind::kTanh ? t.tanh_f32 : t.exp_f32;
}

double exact(OpKind k, double x) {
    switch (k) {
        case OpKind::kSigmoid: return 1.0 / (1.0 + std::exp(-x));
        case OpKind::kTanh: return std::tanh(x);
        case OpKind::kExp: return std::exp(x);
    }
    return 0.0;
}

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kSentinel = -12345.5f;

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::vector<float> apply(ActFn f, const std::vector<float>& x) {
    std::vector<float> y(x.size());
    f(x.data(), y.data(), static_cast<int64_t>(x.size()));
    return y;
}

// Max error of f over xs by the op's measure (abs for sigmoid/tanh, rel for exp on normal results).
struct Err {
    double max = 0;
    float at = 0;
};

Err error_over(OpKind k, ActFn f, const std::vector<float>& xs, bool relative) {
    const std::vector<float> ys = apply(f, xs);
    Err e;
    for (size_t i = 0; i < xs.size(); ++i) {
        const double want = exact(k, xs[i]);
        double err = std::fabs(ys[i] - want);
        if (relative) err /= std::fabs(want);
        if (!(err <= e.max)) {  // also catches NaN
            e.max = std::isnan(err) ? INFINITY : err;
            e.at = xs[i];
        }
    }
    return e;
}

void test_accuracy(const char* path, const ActPath& t, std::mt19937& rng) {
    std::vector<float> grid;
    for (int i = -300000; i <= 300000; ++i) grid.push_back(static_cast<float>(i * 1e-4));
    std::uniform_real_distribution<float> u30(-30.0f, 30.0f);
    for (int i = 0; i < 1000000; ++i) grid.push_back(u30(rng));

    for (const Op& op : kOps) {
        const ActFn f = fn_of(t, op.kind);
        const bool rel = op.kind == OpKind::kExp;
        const Err e = error_over(op.kind, f, grid, rel);
        std::printf("%s %-7s on [-30,30]: max %s error %.3g (at x=%.7g)\n", path, op.name, rel ? "rel" : "abs", e.max,
                    e.at);
        CHECK(e.max <= 1e-6, "%s %s: max %s error %.3g at x=%.9g exceeds 1e-6", path, op.name, rel ? "rel" : "abs",
              e.max, e.at);
    }

    // tanh near 0 keeps relative accuracy, down through the subnormals; tanh(+-0) = +-0
    std::vector<float> tiny;
    for (double lg = -45.0; lg <= 0.0; lg += 0.003) {
        tiny.push_back(static_cast<float>(std::pow(10.0, lg)));
        tiny.push_back(-static_cast<float>(std::pow(10.0, lg)));
    }
    tiny.erase(std::remove(tiny.begin(), tiny.end(), 0.0f), tiny.end());
    const Err et = error_over(OpKind::kTanh, t.tanh_f32, tiny, true);
    std::printf("%s tanh    on 1e-45<|x|<1: max rel error %.3g (at x=%.7g)\n", path, et.max, et.at);
    CHECK(et.max <= 1e-6, "%s tanh: max rel error %.3g at x=%.9g near 0", path, et.max, et.at);
    const std::vector<float> z = apply(t.tanh_f32, {0.0f, -0.0f});
    CHECK(same_bits(z[0], 0.0f) && same_bits(z[1], -0.0f), "%s tanh(+-0) = %g, %g", path, z[0], z[1]);

    // exp over its whole finite range: relative on normal results, one subnormal ulp below FLT_MIN
    std::vector<float> xs;
    for (double x = -104.0; x <= 88.72; x += 1e-3) xs.push_back(static_cast<float>(x));
    const std::vector<float> ys = apply(t.exp_f32, xs);
    double max_rel = 0, max_sub = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
        const double want = std::exp(static_cast<double>(xs[i]));
        const double err = std::fabs(ys[i] - want);
        if (want >= std::numeric_limits<float>::min()) {
            max_rel = std::isnan(err) ? INFINITY : std::fmax(max_rel, err / want);
        } else {
            max_sub = std::isnan(err) ? INFINITY : std::fmax(max_sub, err);
        }
    }
    std::printf("%s exp     on [-104,88.72]: max rel error %.3g (normal results), max abs %.3g (subnormal)\n", path,
                max_rel, max_sub);
    CHECK(max_rel <= 1e-6, "%s exp: max rel error %.3g on normal results", path, max_rel);
    CHECK(max_sub <= std::ldexp(1.0, -149), "%s exp: max abs error %.3g on subnormal results", path, max_sub);
}

void test_saturation(const char* path, const ActPath& t) {
    const float mags[] = {30.0f, 30.5f, 40.0f, 50.0f, 88.0f, 89.0f, 100.0f, 104.0f, 150.0f, 1e3f, 1e4f, 1e10f, 1e20f,
                          1e30f, std::numeric_limits<float>::max(), kInf};
    for (float m : mags) {
        const std::vector<float> s = apply(t.sigmoid_f32, {m, -m});
        CHECK(s[0] == 1.0f, "%s sigmoid(%g) = %.9g, want exactly 1", path, m, s[0]);
        if (m >= 104.0f) {
            CHECK(s[1] == 0.0f, "%s sigmoid(%g) = %.9g, want exactly 0", path, -m, s[1]);
        } else {
            CHECK(s[1] >= 0.0f && std::fabs(s[1] - exact(OpKind::kSigmoid, -m)) <= 1e-6, "%s sigmoid(%g) = %.9g", path,
                  -m, s[1]);
        }
        const std::vector<float> th = apply(t.tanh_f32, {m, -m});
        CHECK(th[0] == 1.0f && th[1] == -1.0f, "%s tanh(+-%g) = %.9g, %.9g, want exactly +-1", path, m, th[0], th[1]);
        const std::vector<float> e = apply(t.exp_f32, {m, -m});
        if (m >= 89.0f) {
            CHECK(e[0] == kInf, "%s exp(%g) = %.9g, want +inf", path, m, e[0]);
        } else {
            const double want = std::exp(static_cast<double>(m));
            CHECK(std::fabs(e[0] - want) <= 1e-6 * want, "%s exp(%g) = %.9g", path, m, e[0]);
        }
        if (m >= 104.0f) {
            CHECK(e[1] == 0.0f, "%s exp(%g) = %.9g, want exactly 0", path, -m, e[1]);
        } else {
            CHECK(e[1] > 0.0f, "%s exp(%g) = %.9g, want > 0", path, -m, e[1]);
        }
    }
}

void test_nan(const char* path, const ActPath& t) {
    const float qnan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> x(19);
    for (size_t i = 0; i < x.size(); ++i) x[i] = 0.37f * static_cast<float>(i) - 3.0f;
    const size_t nan_at[] = {0, 5, 8, 18};  // first lane, mid vector, second vector, masked tail
    for (size_t i : nan_at) x[i] = (i % 2) ? -qnan : qnan;
    for (const Op& op : kOps) {
        const ActFn f = fn_of(t, op.kind);
        const std::vector<float> y = apply(f, x);
        int bad = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            const bool want_nan = std::isnan(x[i]);
            const float alone = apply(f, {x[i]})[0];
            if (want_nan != static_cast<bool>(std::isnan(y[i])) || (!want_nan && !same_bits(y[i], alone))) ++bad;
        }
        CHECK(bad == 0, "%s %s: NaN in -> NaN out at the NaN lanes only (%d wrong lanes)", path, op.name, bad);
    }
}

// Tails and offsets: every lane's result equals the one-element call bit for bit (no dependence on the
// position in the array), nothing past n is written, in place matches out of place.
void test_lengths(const char* path, const ActPath& t, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-40.0f, 40.0f);
    const int64_t lengths[] = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 1000};
    for (const Op& op : kOps) {
        const ActFn f = fn_of(t, op.kind);
        for (int64_t n : lengths) {
            for (int64_t off : {0, 1, 3}) {
                std::vector<float> x(off + n + 16), y(off + n + 16, kSentinel);
                for (float& v : x) v = u(rng);
                f(x.data() + off, y.data() + off, n);
                int bad = 0, spill = 0;
                for (int64_t i = 0; i < n; ++i) {
                    float alone;
                    f(&x[off + i], &alone, 1);
                    if (!same_bits(alone, y[off + i])) ++bad;
                }
                for (int64_t i = 0; i < off; ++i) spill += y[i] != kSentinel;
                for (int64_t i = off + n; i < off + n + 16; ++i) spill += y[i] != kSentinel;
                CHECK(bad == 0 && spill == 0, "%s %s n=%lld off=%lld: %d lanes differ from 1-element calls, %d "
                      "writes outside [0,n)", path, op.name, static_cast<long long>(n), static_cast<long long>(off),
                      bad, spill);

                std::vector<float> in_place(x);
                f(in_place.data() + off, in_place.data() + off, n);
                int diff = 0;
                for (int64_t i = 0; i < n; ++i) diff += !same_bits(in_place[off + i], y[off + i]);
                CHECK(diff == 0, "%s %s n=%lld: in place differs in %d lanes", path, op.name,
                      static_cast<long long>(n), diff);
            }
        }
    }
}

// Distance in float steps between y and the float64 value v rounded to float (both finite, same sign region).
int64_t ulps(float y, double v) {
    const auto key = [](float f) {  // a monotonic integer order of the floats
        int32_t i;
        std::memcpy(&i, &f, sizeof i);
        return i < 0 ? -static_cast<int64_t>(i & 0x7FFFFFFF) : static_cast<int64_t>(i);
    };
    return std::llabs(key(y) - key(static_cast<float>(v)));
}

// sigmoid and tanh within a few ulp of float64 wherever the result is a normal float: every 257th float bit
// pattern of either sign (all magnitudes, subnormal inputs included) and every float of |x| in [0.15, 0.7] (where
// tanh's range reduction changes 2^n and the former polynomial branch ended). Distances are to the rounded
// float64 value; the SIMD paths measure 3 (sigmoid) and 2 (tanh), the reference (libm) 2 and 2; the 1e-6
// absolute bound above allows 16 near 1.
void test_ulps(const char* path, const ActPath& t) {
    std::vector<float> xs;
    for (uint32_t u = 0; u < 0x7F800000u; u += 257) {
        float f;
        std::memcpy(&f, &u, sizeof f);
        xs.push_back(f);
        xs.push_back(-f);
    }
    uint32_t lo, hi;
    const float a = 0.15f, b = 0.7f;
    std::memcpy(&lo, &a, sizeof lo);
    std::memcpy(&hi, &b, sizeof hi);
    for (uint32_t u = lo; u <= hi; ++u) {
        float f;
        std::memcpy(&f, &u, sizeof f);
        xs.push_back(f);
        xs.push_back(-f);
    }
    for (OpKind k : {OpKind::kSigmoid, OpKind::kTanh}) {
        const std::vector<float> ys = apply(fn_of(t, k), xs);
        int64_t worst = 0;
        float at = 0;
        for (size_t i = 0; i < xs.size(); ++i) {
            const double want = exact(k, xs[i]);
            if (std::fabs(want) < std::numeric_limits<float>::min()) continue;
            const int64_t d = std::isnan(ys[i]) ? INT64_MAX : ulps(ys[i], want);
            if (d > worst) {
                worst = d;
                at = xs[i];
            }
        }
        const char* name = k == OpKind::kSigmoid ? "sigmoid" : "tanh";
        std::printf("%s %-7s dense sweep: max %lld ulp (at x=%.9g)\n", path, name, static_cast<long long>(worst), at);
        CHECK(worst <= 4, "%s %s: %lld ulp from float64 at x=%.9g", path, name, static_cast<long long>(worst), at);
    }
}

void run_path(const char* path, const ActPath& t) {
    std::mt19937 rng(20261127);
    test_accuracy(path, t, rng);
    test_ulps(path, t);
    test_saturation(path, t);
    test_nan(path, t);
    test_lengths(path, t, rng);
}

}  // namespace

int main() {
    for (const jrnn::Isa* isa : jrnn_test::supported_isas())
        run_path(isa->name, {isa->table->sigmoid_f32, isa->table->tanh_f32, isa->table->exp_f32});
    return jrnn_test::finish();
}
