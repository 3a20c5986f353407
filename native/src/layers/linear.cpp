// The linear layer of jrnn.h: W packed once at load in the layer's precision; small products go to the
// dispatched kernels (kernels.h), larger FP32 ones to OpenBLAS.
#include <cblas.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <new>

#include "jrnn/jrnn.h"
#include "invariant.h"
#include "kernels.h"
#include "layers/blocks.h"

struct jrnn_linear {
    int n = 0, k = 0;
    float* w = nullptr;  // [N,K] row-major (OpenBLAS, FP32 only)
    jrnn::Packed wp;     // the same, packed in the layer's format (every product at BF16/INT8, small M at FP32)
    float* b = nullptr;  // [N] or nullptr
};

extern "C" {

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
    return jrnn::linear_forward_ex(lin, m, x, ldx, y, ldy, 0);
}

}  // extern "C"

namespace jrnn {

int linear_forward_ex(const jrnn_linear* lin, int m, const float* x, int64_t ldx, float* y, int64_t ldy, int options) {
    if (!lin || m < 0 || ldx < lin->k || ldy < lin->n || (options & ~JRNN_RUN_BATCH_INVARIANT)) return JRNN_ERR_ARG;
    if (m == 0) return JRNN_OK;
    if (!x || !y) return JRNN_ERR_ARG;
    const bool invariant = (options & JRNN_RUN_BATCH_INVARIANT) != 0;
    const bool blas = !invariant && m > kSmallRows && lin->wp.format == Format::kF32;
    if (blas && (ldx > INT_MAX || ldy > INT_MAX)) return JRNN_ERR_ARG;  // cblas takes int strides
    const bool bias = lin->b != nullptr;
    if (bias) {
        for (int i = 0; i < m; ++i) std::memcpy(y + i * ldy, lin->b, sizeof(float) * lin->n);
    }
    if (!blas) {
        gemm_packed(invariant ? invariant_kernels(kernels()) : kernels(), lin->wp, m, x, ldx, y, ldy, bias);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, lin->n, lin->k, 1.0f, x, static_cast<int>(ldx), lin->w,
                    lin->k, bias ? 1.0f : 0.0f, y, static_cast<int>(ldy));
    }
    return JRNN_OK;
}

}  // namespace jrnn
