// Row-wise softmax and log-softmax, AVX-512 twin of ref/softmax_ref.cpp (same results up to exp's rounding and
// the sum's grouping; the NaN, +inf and empty-row cases are decided exactly as there, by the shared scalar
// ref::softmax_special_row). Three sweeps per row: max (and NaN), exp and sum, scale (or subtract).
#include <cmath>
#include <cstring>
#include <limits>

#include "avx512/kernels_avx512.h"
#include "ref/kernels_ref.h"

namespace jrnn::avx512 {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Lanes of x[j..j+len) (len 1..16) that exist and are valid.
JRNN_AVX512_INLINE __mmask16 lanes_avx512(const uint8_t* valid, int64_t j, int64_t len) {
    const __mmask16 exist = mask_first_avx512(len);
    if (!valid) return exist;
    const __m128i bytes = _mm_maskz_loadu_epi8(exist, valid + j);  // never reads past valid[N-1]
    return _mm_test_epi8_mask(bytes, bytes);
}

struct RowStats {
    float max;
    bool nan;
};

// Max over the valid non-NaN entries (-inf when there are none) and whether a valid entry is NaN.
JRNN_AVX512_INLINE RowStats row_stats_avx512(int N, const float* x, const uint8_t* valid) {
    __m512 mx = _mm512_set1_ps(-kInf);
    __mmask16 nan = 0;
    for (int64_t j = 0; j < N; j += 16) {
        const int64_t len = N - j < 16 ? N - j : 16;
        const __mmask16 m = lanes_avx512(valid, j, len);
        const __m512 a = _mm512_maskz_loadu_ps(m, x + j);
        nan |= _mm512_mask_cmp_ps_mask(m, a, a, _CMP_UNORD_Q);
        mx = _mm512_mask_max_ps(mx, m, a, mx);  // max_ps(a, mx) returns mx when a is NaN: NaN never enters
    }
    return {_mm512_reduce_max_ps(mx), nan != 0};
}

// sum_j e^(x_j - max) over the valid entries; with Store, y[j] = that term (0 where masked). Each lane sums runs
// of up to 4 blocks in float, the runs go into a double: the sum's relative error stays small whatever N.
template <bool Store>
JRNN_AVX512_INLINE double exp_sum_avx512(int N, const float* x, const uint8_t* valid, float max, float* y) {
    const __m512 mx = _mm512_set1_ps(max);
    __m512d sum = _mm512_setzero_pd();
    int64_t j = 0;
    while (j < N) {
        __m512 run = _mm512_setzero_ps();
        for (int u = 0; u < 4 && j < N; ++u, j += 16) {
            const int64_t len = N - j < 16 ? N - j : 16;
            const __mmask16 m = lanes_avx512(valid, j, len);
            const __m512 e = _mm512_maskz_mov_ps(m, exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j), mx)));
            if (Store) _mm512_mask_storeu_ps(y + j, mask_first_avx512(len), e);
            run = _mm512_add_ps(run, e);
        }
        sum = _mm512_add_pd(sum, _mm512_cvtps_pd(_mm512_castps512_ps256(run)));
        sum = _mm512_add_pd(sum, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(run), 1))));
    }
    return _mm512_reduce_add_pd(sum);
}

}  // namespace

JRNN_AVX512 int softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y) {
    for (int i = 0; i < M; ++i) {
        const float* xi = x + static_cast<int64_t>(i) * N;
        float* yi = y + static_cast<int64_t>(i) * N;
        const RowStats st = row_stats_avx512(N, xi, valid);
        if (!st.nan && st.max == -kInf) return i;
        if (ref::softmax_special_row(N, xi, valid, st.max, st.nan, false, yi)) continue;
        const double sum = exp_sum_avx512<true>(N, xi, valid, st.max, yi);  // in place: x is not needed again
        const __m512 inv = _mm512_set1_ps(static_cast<float>(1.0 / sum));
        for (int64_t j = 0; j < N; j += 16) {
            const __mmask16 m = mask_first_avx512(N - j);
            _mm512_mask_storeu_ps(yi + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, yi + j), inv));
        }
    }
    return M;
}

JRNN_AVX512 int log_softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y) {
    for (int i = 0; i < M; ++i) {
        const float* xi = x + static_cast<int64_t>(i) * N;
        float* yi = y + static_cast<int64_t>(i) * N;
        const RowStats st = row_stats_avx512(N, xi, valid);
        if (!st.nan && st.max == -kInf) return i;
        if (ref::softmax_special_row(N, xi, valid, st.max, st.nan, true, yi)) continue;
        const __m512 mx = _mm512_set1_ps(st.max);
        const __m512 lse = _mm512_set1_ps(static_cast<float>(std::log(exp_sum_avx512<false>(N, xi, valid, st.max, yi))));
        const __m512 neg_inf = _mm512_set1_ps(-kInf);
        for (int64_t j = 0; j < N; j += 16) {
            const int64_t len = N - j < 16 ? N - j : 16;
            const __mmask16 exist = mask_first_avx512(len);
            const __mmask16 m = lanes_avx512(valid, j, len);
            const __m512 v = _mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(exist, xi + j), mx), lse);
            _mm512_mask_storeu_ps(yi + j, exist, _mm512_mask_blend_ps(m, neg_inf, v));
        }
    }
    return M;
}

}  // namespace jrnn::avx512
