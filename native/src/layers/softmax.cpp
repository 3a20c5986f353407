// Softmax / log-softmax over rows, and top-k, of jrnn.h: the output distributions of a decoder step.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "jrnn/jrnn.h"
#include "kernels.h"

namespace jrnn {

namespace {

// x[a] ranks before x[b]: larger first, NaN after every number, ties (NaN with NaN too) by the lower index.
// A strict total order on indices, so the heap below and a stable sort agree exactly.
struct RanksBefore {
    const float* x;
    bool operator()(int32_t a, int32_t b) const {
        const float xa = x[a], xb = x[b];
        if (xa > xb) return true;
        if (xa < xb) return false;
        const bool na = std::isnan(xa), nb = std::isnan(xb);
        if (na != nb) return nb;
        return a < b;
    }
};

// How many of x[0:B) exceed w (a NaN never does). Branch-free with a fixed count, so it vectorises.
template <int B>
int count_above(const float* x, float w) {
    int above = 0;
#pragma GCC unroll 1  // else GCC unrolls it completely first, and the unrolled form no longer vectorises
    for (int j = 0; j < B; ++j) above += x[j] > w;
    return above;
}

int softmax_rows(bool log, int m, int n, const float* x, const uint8_t* valid, float* y) {
    if (m < 0 || n < 0) return JRNN_ERR_ARG;
    if (m == 0) return JRNN_OK;
    if (n == 0 || !x || !y) return JRNN_ERR_ARG;  // n == 0: no valid entry in any row
    const KernelTable& kt = kernels();
    const int done = log ? kt.log_softmax_f32(m, n, x, valid, y) : kt.softmax_f32(m, n, x, valid, y);
    return done == m ? JRNN_OK : JRNN_ERR_ARG;
}

}  // namespace

}  // namespace jrnn

extern "C" {

int jrnn_softmax_f32(int m, int n, const float* x, const uint8_t* valid, float* y) {
    return jrnn::softmax_rows(false, m, n, x, valid, y);
}

int jrnn_log_softmax_f32(int m, int n, const float* x, const uint8_t* valid, float* y) {
    return jrnn::softmax_rows(true, m, n, x, valid, y);
}

// A heap of the k best seen so far, kept in idx itself (its root is the worst of them), then sorted best
// first: O(N log k) at worst. Blocks of 16 that hold nothing above the current worst (almost all of a
// vocabulary) are skipped after one branch-free test, which the compiler vectorises with baseline SSE.
int jrnn_topk_f32(int n, const float* x, int k, int32_t* idx, float* val) {
    if (n < 0 || k < 0 || k > n) return JRNN_ERR_ARG;
    if (k == 0) return JRNN_OK;
    if (!x || !idx) return JRNN_ERR_ARG;
    const jrnn::RanksBefore before{x};
    for (int i = 0; i < k; ++i) idx[i] = i;
    std::make_heap(idx, idx + k, before);  // "largest" under before = ranks last = the root
    float worst = x[idx[0]];
    // i is above every kept index, so it enters only when strictly better: larger, or a number over a NaN
    const auto consider = [&](int i) {
        const float xi = x[i];
        if (!(xi > worst) && !(std::isnan(worst) && !std::isnan(xi))) return;
        std::pop_heap(idx, idx + k, before);
        idx[k - 1] = i;
        std::push_heap(idx, idx + k, before);
        worst = x[idx[0]];
    };
    constexpr int kBlock = 16;
    int i = k;
    for (; i + kBlock <= n; i += kBlock) {
        // a NaN x never passes x > worst, and never enters over a number
        if (!std::isnan(worst) && jrnn::count_above<kBlock>(x + i, worst) == 0) continue;
        for (int j = i; j < i + kBlock; ++j) consider(j);
    }
    for (; i < n; ++i) consider(i);
    std::sort_heap(idx, idx + k, before);
    if (val) {
        for (int r = 0; r < k; ++r) val[r] = x[idx[r]];
    }
    return JRNN_OK;
}

}  // extern "C"
