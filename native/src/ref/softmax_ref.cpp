// Row-wise softmax and log-softmax (scalar, the spec). Per row, over the valid entries (valid == nullptr: all):
//   a NaN                     -> every valid output NaN (IEEE: it would poison the max and the sum)
//   max = +inf                -> the +inf entries share the probability equally, the others get 0 (the limit)
//   max = -inf (or no entry)  -> an error: the row is left untouched, and so are the rows after it
//   otherwise                 -> p_j = e^(x_j - max) / sum, log p_j = (x_j - max) - log(sum); the sum runs in
//                                double, so its rounding never matters next to that of exp
// Masked entries are never read for the result: probability 0, log-probability -inf.
#include <cmath>
#include <limits>

#include "ref/kernels_ref.h"

namespace jrnn::ref {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

struct RowStats {
    float max = -kInf;  // over the valid non-NaN entries
    bool nan = false;   // a valid entry is NaN
};

RowStats row_stats(int N, const float* x, const uint8_t* valid) {
    RowStats st;
    for (int j = 0; j < N; ++j) {
        if (valid && !valid[j]) continue;
        if (std::isnan(x[j])) st.nan = true;
        else if (x[j] > st.max) st.max = x[j];
    }
    return st;
}

}  // namespace

// The rows that need no exp, shared by every ISA (scalar: they are rare): a valid NaN, or a +inf maximum.
// Returns false when the row is an ordinary one.
bool softmax_special_row(int N, const float* x, const uint8_t* valid, float max, bool nan, bool log, float* y) {
    const float masked = log ? -kInf : 0.0f;
    if (nan) {
        for (int j = 0; j < N; ++j) y[j] = valid && !valid[j] ? masked : std::numeric_limits<float>::quiet_NaN();
        return true;
    }
    if (max != kInf) return false;
    int count = 0;
    for (int j = 0; j < N; ++j) count += (!valid || valid[j]) && x[j] == kInf;
    // 0.0 - log: log(1) gives +0, not -0
    const float share = log ? static_cast<float>(0.0 - std::log(static_cast<double>(count)))
                            : static_cast<float>(1.0 / count);
    for (int j = 0; j < N; ++j) y[j] = (!valid || valid[j]) && x[j] == kInf ? share : masked;
    return true;
}


int softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y) {
    for (int i = 0; i < M; ++i) {
        const float* xi = x + static_cast<int64_t>(i) * N;
        float* yi = y + static_cast<int64_t>(i) * N;
        const RowStats st = row_stats(N, xi, valid);
        if (!st.nan && st.max == -kInf) return i;
        if (softmax_special_row(N, xi, valid, st.max, st.nan, false, yi)) continue;
        double sum = 0;
        for (int j = 0; j < N; ++j) {
            const float e = valid && !valid[j] ? 0.0f : std::exp(xi[j] - st.max);
            yi[j] = e;  // in place: x[j] is not needed again
            sum += e;
        }
        for (int j = 0; j < N; ++j) yi[j] = static_cast<float>(yi[j] / sum);
    }
    return M;
}

int log_softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y) {
    for (int i = 0; i < M; ++i) {
        const float* xi = x + static_cast<int64_t>(i) * N;
        float* yi = y + static_cast<int64_t>(i) * N;
        const RowStats st = row_stats(N, xi, valid);
        if (!st.nan && st.max == -kInf) return i;
        if (softmax_special_row(N, xi, valid, st.max, st.nan, true, yi)) continue;
        double sum = 0;
        for (int j = 0; j < N; ++j)
            if (!valid || valid[j]) sum += std::exp(xi[j] - st.max);
        const float lse = static_cast<float>(std::log(sum));
        for (int j = 0; j < N; ++j) yi[j] = valid && !valid[j] ? -kInf : (xi[j] - st.max) - lse;
    }
    return M;
}

}  // namespace jrnn::ref
