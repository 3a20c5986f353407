// Scalar product against a packed weight matrix: y[B,N] (+)= x[B,K] . W[N,K]^T.
#include "ref/kernels_ref.h"

namespace jrnn::ref {

void gemm_packed_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy, bool accumulate) {
    for (int b = 0; b < B; ++b) {
        const float* xb = x + b * ldx;
        float* yb = y + b * ldy;
        for (int n = 0; n < w.n; ++n) {
            const float* panel = w.data + static_cast<int64_t>(n / kPanel) * kPanel * w.k;
            const int j = n % kPanel;
            float acc = 0.0f;
            for (int k = 0; k < w.k; ++k) acc += panel[static_cast<int64_t>(k) * kPanel + j] * xb[k];
            yb[n] = accumulate ? yb[n] + acc : acc;
        }
    }
}

}  // namespace jrnn::ref
