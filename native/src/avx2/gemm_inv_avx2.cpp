// y[B,N] (+)= x[B,K] . W[N,K]^T against the packed layout of kernels.h, batch-invariant: every output element is
// summed in one fixed order whatever B is and wherever its row sits in x, so a row's result never depends on what
// else shares its batch. The order is that of gemm_packed_f32 at one row (U = 4 split accumulators):
//     s_u = fma-chain over k = u, u+4, u+8, ... < K4 (K4 = K rounded down to 4), in increasing k, for u = 0..3;
//     s_0 continues over the tail k = K4..K-1;   y = ((s_0 + s_1) + s_2) + s_3  (+ y when accumulating).
// So a batch-1 call of either kernel and any row of this one agree to the last bit.
//
// gemm_packed_f32 gets its FMA chains from rows at larger B (6 rows x 2 halves, one k-chain each) and so sums in
// another order there. Here the four chains u of a row are computed in passes over the panel — all four at once for
// one row (8 accumulators), two at a time for 2-3 rows, one at a time for 4-6 rows (8-12 accumulators) — and their
// partial sums are combined in the order above. The weights a block reads and the FMAs it issues are those of
// gemm_packed_f32; only the partials (4 x R x 16 floats a panel) are extra stores.
#include "avx2/kernels_avx2.h"
#include "invariant.h"

namespace jrnn::avx2 {

namespace {

#define JRNN_UNROLL _Pragma("GCC unroll 8")

// Panel (16 output columns, k-major) times R rows of x, the chains u of this row block V at a time.
template <int R, int V>
JRNN_AVX2_INLINE void gemm_panel_rows_inv_avx2(const float* panel, int K, const float* x, int64_t ldx, float* y,
                                              int64_t ldy, int ncols, bool accumulate) {
    constexpr int U = 4;
    const int K4 = K - K % U;
    alignas(32) float part[U][R][kPanel];  // s_u of each row and column
    for (int u0 = 0; u0 < U; u0 += V) {
        __m256 acc[V][R][2];
        JRNN_UNROLL for (int v = 0; v < V; ++v)
            JRNN_UNROLL for (int r = 0; r < R; ++r) acc[v][r][0] = acc[v][r][1] = _mm256_setzero_ps();
        for (int k = u0; k < K4; k += U) {
            JRNN_UNROLL for (int v = 0; v < V; ++v) {
                const float* wk = panel + static_cast<int64_t>(k + v) * kPanel;
                const __m256 w0 = _mm256_load_ps(wk);
                const __m256 w1 = _mm256_load_ps(wk + 8);
                JRNN_UNROLL for (int r = 0; r < R; ++r) {
                    const __m256 xv = _mm256_broadcast_ss(x + r * ldx + k + v);
                    acc[v][r][0] = _mm256_fmadd_ps(w0, xv, acc[v][r][0]);
                    acc[v][r][1] = _mm256_fmadd_ps(w1, xv, acc[v][r][1]);
                }
            }
        }
        if (u0 == 0) {  // the tail continues chain 0
            for (int k = K4; k < K; ++k) {
                const float* wk = panel + static_cast<int64_t>(k) * kPanel;
                const __m256 w0 = _mm256_load_ps(wk);
                const __m256 w1 = _mm256_load_ps(wk + 8);
                JRNN_UNROLL for (int r = 0; r < R; ++r) {
                    const __m256 xv = _mm256_broadcast_ss(x + r * ldx + k);
                    acc[0][r][0] = _mm256_fmadd_ps(w0, xv, acc[0][r][0]);
                    acc[0][r][1] = _mm256_fmadd_ps(w1, xv, acc[0][r][1]);
                }
            }
        }
        JRNN_UNROLL for (int v = 0; v < V; ++v)
            JRNN_UNROLL for (int r = 0; r < R; ++r) {
                _mm256_store_ps(part[u0 + v][r], acc[v][r][0]);
                _mm256_store_ps(part[u0 + v][r] + 8, acc[v][r][1]);
            }
    }

    const __m256i m0 = mask_first_avx2(ncols < 8 ? ncols : 8);
    const __m256i m1 = mask_first_avx2(ncols > 8 ? ncols - 8 : 0);
    JRNN_UNROLL for (int r = 0; r < R; ++r) {
        __m256 s0 = _mm256_load_ps(part[0][r]), s1 = _mm256_load_ps(part[0][r] + 8);
        JRNN_UNROLL for (int u = 1; u < U; ++u) {
            s0 = _mm256_add_ps(s0, _mm256_load_ps(part[u][r]));
            s1 = _mm256_add_ps(s1, _mm256_load_ps(part[u][r] + 8));
        }
        float* yr = y + r * ldy;
        if (ncols == kPanel) {
            if (accumulate) {
                s0 = _mm256_add_ps(s0, _mm256_loadu_ps(yr));
                s1 = _mm256_add_ps(s1, _mm256_loadu_ps(yr + 8));
            }
            _mm256_storeu_ps(yr, s0);
            _mm256_storeu_ps(yr + 8, s1);
        } else {  // last panel: nothing at or past column N is read or written
            if (accumulate) {
                s0 = _mm256_add_ps(s0, _mm256_maskload_ps(yr, m0));
                s1 = _mm256_add_ps(s1, _mm256_maskload_ps(yr + 8, m1));
            }
            _mm256_maskstore_ps(yr, m0, s0);
            _mm256_maskstore_ps(yr + 8, m1, s1);
        }
    }
}

#undef JRNN_UNROLL

}  // namespace

// Panels outermost, blocks of up to 6 rows inside, as gemm_packed_f32 (its comment says why).
JRNN_AVX2 void gemm_packed_inv_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                   bool accumulate) {
    const int K = w.k;
    const int panels = w.n_pad / kPanel;
    for (int p = 0; p < panels; ++p) {
        const float* panel = w.data + static_cast<int64_t>(p) * kPanel * K;
        const int ncols = w.n - p * kPanel < kPanel ? w.n - p * kPanel : kPanel;
        float* yp = y + p * kPanel;
        int b = 0;
        for (; b + 6 <= B; b += 6)
            gemm_panel_rows_inv_avx2<6, 1>(panel, K, x + b * ldx, ldx, yp + b * ldy, ldy, ncols, accumulate);
        const float* xb = x + b * ldx;
        float* yb = yp + b * ldy;
        switch (B - b) {
            case 5: gemm_panel_rows_inv_avx2<5, 1>(panel, K, xb, ldx, yb, ldy, ncols, accumulate); break;
            case 4: gemm_panel_rows_inv_avx2<4, 1>(panel, K, xb, ldx, yb, ldy, ncols, accumulate); break;
            case 3: gemm_panel_rows_inv_avx2<3, 2>(panel, K, xb, ldx, yb, ldy, ncols, accumulate); break;
            case 2: gemm_panel_rows_inv_avx2<2, 2>(panel, K, xb, ldx, yb, ldy, ncols, accumulate); break;
            case 1: gemm_panel_rows_inv_avx2<1, 4>(panel, K, xb, ldx, yb, ldy, ncols, accumulate); break;
            default: break;
        }
    }
}

}  // namespace jrnn::avx2
