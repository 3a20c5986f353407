// The seq2seq building blocks of jrnn.h: embedding gather, packed linear layers, attention scores and
// context, softmax / log-softmax and top-k. Each entry point checks what it can, then hands the arithmetic to
// the dispatched kernels (kernels.h) or, for larger products, to OpenBLAS.
#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>

#include "jrnn/jrnn.h"
#include "kernels.h"
#include "layers/workspace.h"

struct jrnn_linear {
    int n = 0, k = 0;
    float* w = nullptr;  // [N,K] row-major (OpenBLAS, FP32 only)
    jrnn::Packed wp;     // the same, packed in the layer's format (every product at BF16/INT8, small M at FP32)
    float* b = nullptr;  // [N] or nullptr
};

namespace jrnn {

namespace {

// Up to this many rows a product goes to the packed / dispatched kernel; above, to OpenBLAS (as recurrent.cpp).
constexpr int kSmallRows = 8;

bool overlaps(const float* a, size_t a_floats, const float* b, size_t b_floats) {
    const uintptr_t a0 = reinterpret_cast<uintptr_t>(a), b0 = reinterpret_cast<uintptr_t>(b);
    return a0 < b0 + b_floats * sizeof(float) && b0 < a0 + a_floats * sizeof(float);
}

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

int jrnn_gather_rows_f32(const float* table, int rows, int cols, const int32_t* ids, int n, float* out) {
    using namespace jrnn;
    if (rows < 0 || cols < 0 || n < 0) return JRNN_ERR_ARG;
    if (n == 0) return JRNN_OK;
    if (!ids || !out || (cols > 0 && !table)) return JRNN_ERR_ARG;
    for (int i = 0; i < n; ++i)
        if (ids[i] < 0 || ids[i] >= rows) return JRNN_ERR_ARG;  // before anything is written
    if (cols == 0) return JRNN_OK;
    const size_t row = static_cast<size_t>(cols);
    const size_t total = static_cast<size_t>(n) * row;
    float* dst = out;
    // Reordering beam states in place (out overlapping table): gather into scratch, then copy.
    const bool alias = overlaps(table, static_cast<size_t>(rows) * row, out, total);
    if (alias) {
        Workspace& ws = Workspace::local();
        if (!ws.reserve(Workspace::rounded(total))) return JRNN_ERR_NOMEM;
        dst = ws.take(total);
    }
    for (int i = 0; i < n; ++i)
        std::memcpy(dst + i * row, table + static_cast<size_t>(ids[i]) * row, row * sizeof(float));
    if (alias) std::memcpy(out, dst, total * sizeof(float));
    return JRNN_OK;
}

jrnn_linear* jrnn_linear_create(int n, int k, const float* w, const float* b) {
    return jrnn_linear_create_ex(n, k, w, b, JRNN_PRECISION_FP32);
}

jrnn_linear* jrnn_linear_create_ex(int n, int k, const float* w, const float* b, int precision) {
    using namespace jrnn;
    if (n < 1 || k < 1 || !w || precision < JRNN_PRECISION_FP32 || precision > JRNN_PRECISION_INT8) return nullptr;
    if (precision == JRNN_PRECISION_INT8 && k > JRNN_INT8_MAX_K) return nullptr;
    jrnn_linear* lin = new (std::nothrow) jrnn_linear();
    if (!lin) return nullptr;
    lin->n = n;
    lin->k = k;
    const Format format = static_cast<Format>(precision);
    bool ok = pack_rows(w, n, k, k, &lin->wp, format);
    if (ok && format == Format::kF32) {  // large M goes to OpenBLAS, which wants W as it is
        const size_t wn = static_cast<size_t>(n) * k;
        ok = (lin->w = static_cast<float*>(aligned_alloc64(wn * sizeof(float))));
        if (ok) std::memcpy(lin->w, w, wn * sizeof(float));
    }
    if (ok && b) {
        ok = (lin->b = static_cast<float*>(aligned_alloc64(static_cast<size_t>(n) * sizeof(float))));
        if (ok) std::memcpy(lin->b, b, static_cast<size_t>(n) * sizeof(float));
    }
    if (!ok) {
        jrnn_linear_destroy(lin);
        return nullptr;
    }
    return lin;
}

int64_t jrnn_linear_weight_bytes(const jrnn_linear* lin) {
    if (!lin) return 0;
    return lin->wp.bytes() + (lin->b ? static_cast<int64_t>(sizeof(float)) * lin->n : 0);
}

void jrnn_linear_destroy(jrnn_linear* lin) {
    if (!lin) return;
    jrnn::aligned_free(lin->w);
    jrnn::aligned_free(lin->b);
    jrnn::free_packed(&lin->wp);
    delete lin;
}

// y[M,N] = x[M,K] . W^T + b: the bias is copied into y first, then the product accumulates onto it.
int jrnn_linear_forward(const jrnn_linear* lin, int m, const float* x, int64_t ldx, float* y, int64_t ldy) {
    using namespace jrnn;
    if (!lin || m < 0 || ldx < lin->k || ldy < lin->n) return JRNN_ERR_ARG;
    if (m == 0) return JRNN_OK;
    if (!x || !y) return JRNN_ERR_ARG;
    const bool blas = m > kSmallRows && lin->wp.format == Format::kF32;
    if (blas && (ldx > INT_MAX || ldy > INT_MAX)) return JRNN_ERR_ARG;  // cblas takes int strides
    const bool bias = lin->b != nullptr;
    if (bias) {
        for (int i = 0; i < m; ++i) std::memcpy(y + i * ldy, lin->b, sizeof(float) * lin->n);
    }
    if (!blas) {
        gemm_packed(kernels(), lin->wp, m, x, ldx, y, ldy, bias);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, lin->n, lin->k, 1.0f, x, static_cast<int>(ldx), lin->w,
                    lin->k, bias ? 1.0f : 0.0f, y, static_cast<int>(ldy));
    }
    return JRNN_OK;
}

int jrnn_attn_additive_f32(int m, int s, int a, const float* qproj, const float* keys, const float* v,
                           float* scores) {
    if (m < 0 || s < 0 || a < 0) return JRNN_ERR_ARG;
    if (m == 0 || s == 0) return JRNN_OK;
    if (!scores || (a > 0 && (!qproj || !keys || !v))) return JRNN_ERR_ARG;
    jrnn::kernels().attn_additive_f32(m, s, a, qproj, keys, v, scores);
    return JRNN_OK;
}

int jrnn_attn_dot_f32(int m, int s, int dm, const float* q, const float* mem, float* scores) {
    if (m < 0 || s < 0 || dm < 0) return JRNN_ERR_ARG;
    if (m == 0 || s == 0) return JRNN_OK;
    if (!scores || (dm > 0 && (!q || !mem))) return JRNN_ERR_ARG;
    if (m > jrnn::kSmallRows && dm > 0) {  // scores[M,S] = q[M,Dm] . mem[S,Dm]^T
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, s, dm, 1.0f, q, dm, mem, dm, 0.0f, scores, s);
    } else {
        jrnn::kernels().attn_dot_f32(m, s, dm, q, mem, scores);
    }
    return JRNN_OK;
}

int jrnn_attn_context_f32(int m, int s, int dm, const float* alpha, const float* mem, float* ctx) {
    if (m < 0 || s < 0 || dm < 0) return JRNN_ERR_ARG;
    if (m == 0 || dm == 0) return JRNN_OK;
    if (!ctx || (s > 0 && (!alpha || !mem))) return JRNN_ERR_ARG;
    if (m > jrnn::kSmallRows && s > 0) {  // ctx[M,Dm] = alpha[M,S] . mem[S,Dm]
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, dm, s, 1.0f, alpha, s, mem, dm, 0.0f, ctx, dm);
    } else {
        jrnn::kernels().attn_context_f32(m, s, dm, alpha, mem, ctx);
    }
    return JRNN_OK;
}

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
