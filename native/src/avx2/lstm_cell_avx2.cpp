// Fused LSTM cell pass (gates i, f, g, o as torch.nn.LSTM stacks them): one sweep over each active row.
#include "avx2/kernels_avx2.h"

namespace jrnn::avx2 {

namespace {

// Columns j..j+7 of one row: gx, gh point at column j of gate i; the other gates are H further each.
// All inputs of a block are loaded before its c, h are stored (in-place state update).
template <bool Masked>
JRNN_AVX2_INLINE void lstm_block_avx2(const float* gx, const float* gh, int H, float* c, float* h, __m256i m,
                                      bool sigmoid_candidate) {
    const __m256 i = sigmoid_avx2(_mm256_add_ps(load8_avx2<Masked>(gx, m), load8_avx2<Masked>(gh, m)));
    const __m256 f = sigmoid_avx2(_mm256_add_ps(load8_avx2<Masked>(gx + H, m), load8_avx2<Masked>(gh + H, m)));
    const __m256 gp = _mm256_add_ps(load8_avx2<Masked>(gx + 2 * H, m), load8_avx2<Masked>(gh + 2 * H, m));
    const __m256 g = sigmoid_candidate ? sigmoid_avx2(gp) : tanh_avx2(gp);
    const __m256 o = sigmoid_avx2(_mm256_add_ps(load8_avx2<Masked>(gx + 3 * H, m), load8_avx2<Masked>(gh + 3 * H, m)));
    const __m256 cn = _mm256_fmadd_ps(f, load8_avx2<Masked>(c, m), _mm256_mul_ps(i, g));
    store8_avx2<Masked>(c, m, cn);
    store8_avx2<Masked>(h, m, _mm256_mul_ps(o, tanh_avx2(cn)));
}

}  // namespace

// gx[B,4H] (ldgx), gh[B,4H] (ldgh), c[B,H] and h[B,H] (row stride H); columns [j0, j1) of each row.
JRNN_AVX2 void lstm_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                  int64_t ldgh, float* c, float* h, const uint8_t* active, bool sigmoid_candidate) {
    const __m256i none = _mm256_setzero_si256();
    const __m256i tail = mask_first_avx2((j1 - j0) % 8);
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        float* cb = c + static_cast<int64_t>(b) * H;
        float* hb = h + static_cast<int64_t>(b) * H;
        int j = j0;
        for (; j + 8 <= j1; j += 8)
            lstm_block_avx2<false>(gxb + j, ghb + j, H, cb + j, hb + j, none, sigmoid_candidate);
        if (j < j1) lstm_block_avx2<true>(gxb + j, ghb + j, H, cb + j, hb + j, tail, sigmoid_candidate);
    }
}

JRNN_AVX2 void lstm_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* c,
                             float* h, const uint8_t* active, bool sigmoid_candidate) {
    lstm_cell_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, c, h, active, sigmoid_candidate);
}

}  // namespace jrnn::avx2
