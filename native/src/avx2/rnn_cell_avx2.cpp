// Fused Elman cell pass: h = act(gx + gh), act = tanh or relu.
#include "avx2/kernels_avx2.h"

namespace jrnn::avx2 {

namespace {

template <bool Masked>
JRNN_AVX2_INLINE void rnn_block_avx2(const float* gx, const float* gh, float* h, __m256i m, bool relu) {
    const __m256 a = _mm256_add_ps(load8_avx2<Masked>(gx, m), load8_avx2<Masked>(gh, m));
    // max(0, a) with a second returns a for NaN and keeps -0, exactly the reference's a < 0 ? 0 : a
    store8_avx2<Masked>(h, m, relu ? _mm256_max_ps(_mm256_setzero_ps(), a) : tanh_avx2(a));
}

}  // namespace

// gx[B,H] (ldgx), gh[B,H] (ldgh), h[B,H] (row stride H); columns [j0, j1) of each row.
JRNN_AVX2 void rnn_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                 int64_t ldgh, float* h, const uint8_t* active, bool relu) {
    const __m256i none = _mm256_setzero_si256();
    const __m256i tail = mask_first_avx2((j1 - j0) % 8);
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        float* hb = h + static_cast<int64_t>(b) * H;
        int j = j0;
        for (; j + 8 <= j1; j += 8) rnn_block_avx2<false>(gxb + j, ghb + j, hb + j, none, relu);
        if (j < j1) rnn_block_avx2<true>(gxb + j, ghb + j, hb + j, tail, relu);
    }
}

JRNN_AVX2 void rnn_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* h,
                            const uint8_t* active, bool relu) {
    rnn_cell_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, h, active, relu);
}

}  // namespace jrnn::avx2
