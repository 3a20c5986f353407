// y[B,N] (+)= x[B,K] . W[N,K]^T against the packed layout of kernels.h: the per-step recurrent product.
// Batch 1 streams the whole weight matrix once per step, so the loop is bound by L2 bandwidth: it must issue
// one 64-byte panel row (16 outputs at one k) per FMA pair and keep enough FMAs in flight to hide latency.
#include "avx2/kernels_avx2.h"

namespace jrnn::avx2 {

namespace {

// Panel p (16 output columns, k-major: panel[k*16 + j]) times R rows of x. U k-steps are unrolled into
// separate accumulators so R*2*U independent FMA chains cover the FMA latency (8+ chains on 2 FMA ports).
// y gets ncols (1..16) columns; columns past N are padding and are never written.
// The fixed-trip loops are unrolled explicitly: otherwise -O2 keeps acc[][][] in memory (-30% at B=1).
#define JRNN_UNROLL _Pragma("GCC unroll 8")
template <int R, int U>
JRNN_AVX2_INLINE void gemm_panel_rows_avx2(const float* panel, int K, const float* x, int64_t ldx, float* y,
                                          int64_t ldy, int ncols, bool accumulate) {
    __m256 acc[U][R][2];
    JRNN_UNROLL for (int u = 0; u < U; ++u)
        JRNN_UNROLL for (int r = 0; r < R; ++r) acc[u][r][0] = acc[u][r][1] = _mm256_setzero_ps();

    int k = 0;
    for (; k + U <= K; k += U) {
        JRNN_UNROLL for (int u = 0; u < U; ++u) {
            const float* wk = panel + static_cast<int64_t>(k + u) * kPanel;
            const __m256 w0 = _mm256_load_ps(wk);  // packed data is 64-byte aligned, a panel row is 64 bytes
            const __m256 w1 = _mm256_load_ps(wk + 8);
            JRNN_UNROLL for (int r = 0; r < R; ++r) {
                const __m256 xv = _mm256_broadcast_ss(x + r * ldx + k + u);
                acc[u][r][0] = _mm256_fmadd_ps(w0, xv, acc[u][r][0]);
                acc[u][r][1] = _mm256_fmadd_ps(w1, xv, acc[u][r][1]);
            }
        }
    }
    for (; k < K; ++k) {
        const float* wk = panel + static_cast<int64_t>(k) * kPanel;
        const __m256 w0 = _mm256_load_ps(wk);
        const __m256 w1 = _mm256_load_ps(wk + 8);
        JRNN_UNROLL for (int r = 0; r < R; ++r) {
            const __m256 xv = _mm256_broadcast_ss(x + r * ldx + k);
            acc[0][r][0] = _mm256_fmadd_ps(w0, xv, acc[0][r][0]);
            acc[0][r][1] = _mm256_fmadd_ps(w1, xv, acc[0][r][1]);
        }
    }
    JRNN_UNROLL for (int u = 1; u < U; ++u)
        JRNN_UNROLL for (int r = 0; r < R; ++r) {
            acc[0][r][0] = _mm256_add_ps(acc[0][r][0], acc[u][r][0]);
            acc[0][r][1] = _mm256_add_ps(acc[0][r][1], acc[u][r][1]);
        }

    if (ncols == kPanel) {
        JRNN_UNROLL for (int r = 0; r < R; ++r) {
            float* yr = y + r * ldy;
            if (accumulate) {
                acc[0][r][0] = _mm256_add_ps(acc[0][r][0], _mm256_loadu_ps(yr));
                acc[0][r][1] = _mm256_add_ps(acc[0][r][1], _mm256_loadu_ps(yr + 8));
            }
            _mm256_storeu_ps(yr, acc[0][r][0]);
            _mm256_storeu_ps(yr + 8, acc[0][r][1]);
        }
    } else {  // last panel: masked so nothing at or past column N is read or written
        const __m256i m0 = mask_first_avx2(ncols < 8 ? ncols : 8);
        const __m256i m1 = mask_first_avx2(ncols > 8 ? ncols - 8 : 0);
        JRNN_UNROLL for (int r = 0; r < R; ++r) {
            float* yr = y + r * ldy;
            if (accumulate) {
                acc[0][r][0] = _mm256_add_ps(acc[0][r][0], _mm256_maskload_ps(yr, m0));
                acc[0][r][1] = _mm256_add_ps(acc[0][r][1], _mm256_maskload_ps(yr + 8, m1));
            }
            _mm256_maskstore_ps(yr, m0, acc[0][r][0]);
            _mm256_maskstore_ps(yr + 8, m1, acc[0][r][1]);
        }
    }
}

#undef JRNN_UNROLL

}  // namespace

// Panels outermost: one panel (16*K floats, 16 KiB at K=256) stays in L1 while every block of up to 6 rows of
// x passes over it, so W is streamed from L2 once per call whatever B is. Six rows (12 accumulators, 2 loads and
// 6 broadcasts per 12 FMAs) ran at 110 GFLOP/s a core where four rows ran at 102 (N=1024, K=512, B=64; peak 117).
JRNN_AVX2 void gemm_packed_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                               bool accumulate) {
    const int K = w.k;
    const int panels = w.n_pad / kPanel;
    for (int p = 0; p < panels; ++p) {
        const float* panel = w.data + static_cast<int64_t>(p) * kPanel * K;
        const int ncols = w.n - p * kPanel < kPanel ? w.n - p * kPanel : kPanel;
        float* yp = y + p * kPanel;
        int b = 0;
        for (; b + 6 <= B; b += 6)
            gemm_panel_rows_avx2<6, 1>(panel, K, x + b * ldx, ldx, yp + b * ldy, ldy, ncols, accumulate);
        switch (B - b) {
            case 5: gemm_panel_rows_avx2<5, 1>(panel, K, x + b * ldx, ldx, yp + b * ldy, ldy, ncols, accumulate); break;
            case 4: gemm_panel_rows_avx2<4, 1>(panel, K, x + b * ldx, ldx, yp + b * ldy, ldy, ncols, accumulate); break;
            case 3: gemm_panel_rows_avx2<3, 2>(panel, K, x + b * ldx, ldx, yp + b * ldy, ldy, ncols, accumulate); break;
            case 2: gemm_panel_rows_avx2<2, 2>(panel, K, x + b * ldx, ldx, yp + b * ldy, ldy, ncols, accumulate); break;
            case 1: gemm_panel_rows_avx2<1, 4>(panel, K, x + b * ldx, ldx, yp + b * ldy, ldy, ncols, accumulate); break;
            default: break;
        }
    }
}

}  // namespace jrnn::avx2
