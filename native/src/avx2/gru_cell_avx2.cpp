// Fused GRU cell passes (gates r, z, n as torch.nn.GRU stacks them): reset after the matmul in one pass,
// reset before the matmul in two (gates, then update after the caller's W_hn (r*h) product).
#include "avx2/kernels_avx2.h"

namespace jrnn::avx2 {

namespace {

// h = (1-z)*n + z*h, the same association as the reference.
JRNN_AVX2_INLINE __m256 gru_blend_avx2(__m256 z, __m256 n, __m256 h) {
    return _mm256_fmadd_ps(z, h, _mm256_mul_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), z), n));
}

// Columns j..j+7: gx, gh point at column j of gate r (z, n follow H apart); b_hn, h at column j.
template <bool Masked>
JRNN_AVX2_INLINE void gru_cell_block_avx2(const float* gx, const float* gh, int H, const float* b_hn, float* h,
                                          __m256i m) {
    const __m256 r = sigmoid_avx2(_mm256_add_ps(load8_avx2<Masked>(gx, m), load8_avx2<Masked>(gh, m)));
    const __m256 z = sigmoid_avx2(_mm256_add_ps(load8_avx2<Masked>(gx + H, m), load8_avx2<Masked>(gh + H, m)));
    const __m256 ghn = _mm256_add_ps(load8_avx2<Masked>(gh + 2 * H, m), load8_avx2<Masked>(b_hn, m));
    const __m256 n = tanh_avx2(_mm256_fmadd_ps(r, ghn, load8_avx2<Masked>(gx + 2 * H, m)));
    store8_avx2<Masked>(h, m, gru_blend_avx2(z, n, load8_avx2<Masked>(h, m)));
}

template <bool Masked>
JRNN_AVX2_INLINE void gru_gates_block_avx2(const float* gx, const float* gh, int H, const float* h, float* z,
                                           float* rh, __m256i m) {
    const __m256 r = sigmoid_avx2(_mm256_add_ps(load8_avx2<Masked>(gx, m), load8_avx2<Masked>(gh, m)));
    const __m256 zv = sigmoid_avx2(_mm256_add_ps(load8_avx2<Masked>(gx + H, m), load8_avx2<Masked>(gh + H, m)));
    const __m256 hv = load8_avx2<Masked>(h, m);
    store8_avx2<Masked>(z, m, zv);
    store8_avx2<Masked>(rh, m, _mm256_mul_ps(r, hv));
}

template <bool Masked>
JRNN_AVX2_INLINE void gru_update_block_avx2(const float* gx_n, const float* ghn, const float* z, float* h,
                                            __m256i m) {
    const __m256 n = tanh_avx2(_mm256_add_ps(load8_avx2<Masked>(gx_n, m), load8_avx2<Masked>(ghn, m)));
    store8_avx2<Masked>(h, m, gru_blend_avx2(load8_avx2<Masked>(z, m), n, load8_avx2<Masked>(h, m)));
}

}  // namespace

// gx[B,3H] (ldgx), gh[B,3H] (ldgh), b_hn[H], h[B,H] (row stride H); columns [j0, j1) of each row (all three).
JRNN_AVX2 void gru_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                 int64_t ldgh, const float* b_hn, float* h, const uint8_t* active) {
    const __m256i none = _mm256_setzero_si256();
    const __m256i tail = mask_first_avx2((j1 - j0) % 8);
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        float* hb = h + static_cast<int64_t>(b) * H;
        int j = j0;
        for (; j + 8 <= j1; j += 8) gru_cell_block_avx2<false>(gxb + j, ghb + j, H, b_hn + j, hb + j, none);
        if (j < j1) gru_cell_block_avx2<true>(gxb + j, ghb + j, H, b_hn + j, hb + j, tail);
    }
}

// gx[B,3H] (ldgx; r, z blocks read), gh[B,2H] (ldgh), h, z, rh [B,H] (row stride H); columns [j0, j1).
JRNN_AVX2 void gru_gates_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                  int64_t ldgh, const float* h, float* z, float* rh, const uint8_t* active) {
    const __m256i none = _mm256_setzero_si256();
    const __m256i tail = mask_first_avx2((j1 - j0) % 8);
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        const int64_t o = static_cast<int64_t>(b) * H;
        int j = j0;
        for (; j + 8 <= j1; j += 8)
            gru_gates_block_avx2<false>(gxb + j, ghb + j, H, h + o + j, z + o + j, rh + o + j, none);
        if (j < j1) gru_gates_block_avx2<true>(gxb + j, ghb + j, H, h + o + j, z + o + j, rh + o + j, tail);
    }
}

// gx_n[B,H] (ldgx), ghn[B,H] (ldgh), z and h [B,H] (row stride H); columns [j0, j1).
JRNN_AVX2 void gru_update_cols_f32(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx, const float* ghn,
                                   int64_t ldgh, const float* z, float* h, const uint8_t* active) {
    const __m256i none = _mm256_setzero_si256();
    const __m256i tail = mask_first_avx2((j1 - j0) % 8);
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx_n + b * ldgx;
        const float* ghb = ghn + b * ldgh;
        const int64_t o = static_cast<int64_t>(b) * H;
        int j = j0;
        for (; j + 8 <= j1; j += 8) gru_update_block_avx2<false>(gxb + j, ghb + j, z + o + j, h + o + j, none);
        if (j < j1) gru_update_block_avx2<true>(gxb + j, ghb + j, z + o + j, h + o + j, tail);
    }
}

JRNN_AVX2 void gru_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                            const float* b_hn, float* h, const uint8_t* active) {
    gru_cell_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, b_hn, h, active);
}

JRNN_AVX2 void gru_gates_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                             const float* h, float* z, float* rh, const uint8_t* active) {
    gru_gates_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, h, z, rh, active);
}

JRNN_AVX2 void gru_update_f32(int B, int H, const float* gx_n, int64_t ldgx, const float* ghn, int64_t ldgh,
                              const float* z, float* h, const uint8_t* active) {
    gru_update_cols_f32(B, H, 0, H, gx_n, ldgx, ghn, ldgh, z, h, active);
}

}  // namespace jrnn::avx2
