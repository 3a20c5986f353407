// y[B,N] (+)= x[B,K] . W[N,K]^T against the packed layout of kernels.h: one panel row (16 outputs at one k) is
// exactly one zmm register.
//
// Batch invariance by construction: every output y[b,n] is one FMA chain over k = 0..K-1 in order, started at 0,
// with y's old value added once at the end when accumulating. No k-unrolling into partial sums, whatever the
// block shape: a row's result is bit-identical for every B, every row position and every split of the columns
// (threads), so a batcher can put any rows together. Latency is hidden across panels instead of across k: a block
// of R rows times P panels keeps R*P independent chains (8 or more for two FMA ports at 4 cycles).
#include <array>
#include <utility>

#include "avx512/kernels_avx512.h"

namespace jrnn::avx512 {

namespace {

#define JRNN_UNROLL _Pragma("GCC unroll 16")

// Rows [0, R) of x against panels [0, P) starting at `panels` (panel stride 16*K floats). ncols_last (1..16):
// columns of the last panel that exist; nothing at or past column N is read from y or written.
template <int R, int P>
JRNN_AVX512_INLINE void block_avx512(const float* panels, int K, const float* x, int64_t ldx, float* y, int64_t ldy,
                                     int ncols_last, bool accumulate) {
    const int64_t stride = static_cast<int64_t>(kPanel) * K;
    __m512 acc[R][P];
    JRNN_UNROLL for (int r = 0; r < R; ++r)
        JRNN_UNROLL for (int p = 0; p < P; ++p) acc[r][p] = _mm512_setzero_ps();
    for (int k = 0; k < K; ++k) {
        __m512 w[P];
        JRNN_UNROLL for (int p = 0; p < P; ++p) w[p] = _mm512_load_ps(panels + p * stride + static_cast<int64_t>(k) * kPanel);
        JRNN_UNROLL for (int r = 0; r < R; ++r) {
            const __m512 xv = _mm512_set1_ps(x[r * ldx + k]);
            JRNN_UNROLL for (int p = 0; p < P; ++p) acc[r][p] = _mm512_fmadd_ps(w[p], xv, acc[r][p]);
        }
    }
    const __mmask16 last = mask_first_avx512(ncols_last);
    JRNN_UNROLL for (int r = 0; r < R; ++r) {
        float* yr = y + r * ldy;
        JRNN_UNROLL for (int p = 0; p < P; ++p) {
            const __mmask16 m = p == P - 1 ? last : static_cast<__mmask16>(0xFFFF);
            __m512 v = acc[r][p];
            if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, yr + p * kPanel));
            _mm512_mask_storeu_ps(yr + p * kPanel, m, v);
        }
    }
}

#undef JRNN_UNROLL

using BlockFn = void (*)(const float*, int, const float*, int64_t, float*, int64_t, int, bool);

// Panels per block for R rows: enough chains to cover the FMA latency, and R*P accumulators + P weights + one
// broadcast within the 32 zmm registers. Two shapes for the full blocks, chosen by CPU (measured interleaved in one
// process, GFLOP/s a core, M=64 N=1024 K=512 / M=32 N=2048 K=512):
//   Intel (a Xeon with AMX under KVM, two 512-bit FMA ports): 8 rows x 3 panels 183 / 162 vs 6 x 4 174 / 143 (fewer loads
//     a FMA: 8 broadcasts + 3 panel rows per 24 FMAs instead of 6 + 4);
//   AMD (Zen 4, Zen 5): 6 x 4, the shape this kernel was tuned with there (not re-measured against 8 x 3).
// Either way each output is one chain over k in order, so the choice never changes a bit of the result.
constexpr int kMaxRows = 8;
constexpr int kMaxPanels = 8;
constexpr int panels_for(int R, bool tall) {
    return R == 1 ? 8 : R == 2 ? 6 : R <= 4 ? 4 : tall ? 3 : 4;
}

template <int R, int P>
JRNN_AVX512 void block_fn(const float* panels, int K, const float* x, int64_t ldx, float* y, int64_t ldy, int nl,
                          bool acc) {
    block_avx512<R, P>(panels, K, x, ldx, y, ldy, nl, acc);
}

template <int R, int... Ps>
constexpr auto row_table(std::integer_sequence<int, Ps...>) {
    return std::array<BlockFn, sizeof...(Ps)>{block_fn<R, Ps + 1>...};
}

template <int... Rs>
constexpr auto block_table(std::integer_sequence<int, Rs...>) {
    return std::array<std::array<BlockFn, kMaxPanels>, sizeof...(Rs)>{
        row_table<Rs + 1>(std::make_integer_sequence<int, kMaxPanels>{})...};
}

// kBlocks[R-1][P-1]
constexpr auto kBlocks = block_table(std::make_integer_sequence<int, kMaxRows>{});

}  // namespace

// Panel groups outermost: a group of P panels (P*16*K floats) stays in L1/L2 while every block of rows of x
// passes over it, so W is streamed once per call whatever B is.
JRNN_AVX512 void gemm_packed_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                 bool accumulate) {
    static const bool tall = cpu_is_intel();  // 8 x 3 full blocks, else 6 x 4
    const int max_rows = tall ? 8 : 6;
    const int K = w.k;
    const int panels = w.n_pad / kPanel;
    const int R = B < max_rows ? B : max_rows;
    const int P = panels_for(R, tall);  // rows <= R in every block below, so P <= panels_for(rows)
    for (int p0 = 0; p0 < panels; p0 += P) {
        const int np = panels - p0 < P ? panels - p0 : P;
        const float* group = w.data + static_cast<int64_t>(p0) * kPanel * K;
        const int last_col = (p0 + np - 1) * kPanel;  // first column of the group's last panel
        const int ncols_last = w.n - last_col < kPanel ? w.n - last_col : kPanel;
        float* yp = y + p0 * kPanel;
        for (int b = 0; b < B; b += R) {
            const int rows = B - b < R ? B - b : R;
            kBlocks[rows - 1][np - 1](group, K, x + b * ldx, ldx, yp + b * ldy, ldy, ncols_last, accumulate);
        }
    }
}

}  // namespace jrnn::avx512
