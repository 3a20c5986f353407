// Row-wise softmax and log-softmax, AVX2 twin of ref/softmax_ref.cpp (same results up to exp's rounding; the
// NaN, +inf and empty-row cases are decided exactly as there). Three sweeps per row: max (and NaN), exp and
// sum, scale (or subtract).
#include <cmath>
#include <cstring>
#include <limits>

#include "avx2/kernels_avx2.h"
#include "ref/kernels_ref.h"

namespace jrnn::avx2 {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Lanes of x[j..j+len) (len 1..8) that exist and are valid, as an all-ones float mask.
JRNN_AVX2_INLINE __m256 lanes_avx2(const uint8_t* valid, int64_t j, int64_t len) {
    if (!valid) return _mm256_castsi256_ps(mask_first_avx2(len));
    int64_t word = 0;  // little-endian: byte l is lane l; lanes past len stay 0
    if (len == 8) std::memcpy(&word, valid + j, 8);
    else std::memcpy(&word, valid + j, static_cast<size_t>(len));  // never reads past valid[N-1]
    const __m256i w = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(word));
    return _mm256_castsi256_ps(_mm256_andnot_si256(_mm256_cmpeq_epi32(w, _mm256_setzero_si256()),
                                                   _mm256_set1_epi32(-1)));
}

JRNN_AVX2_INLINE float hmax_avx2(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

JRNN_AVX2_INLINE double hsum_pd_avx2(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
}

JRNN_AVX2_INLINE __m256 load_avx2(const float* p, int64_t len) {
    return len == 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask_first_avx2(len));
}

JRNN_AVX2_INLINE void store_avx2(float* p, int64_t len, __m256 v) {
    if (len == 8) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, mask_first_avx2(len), v);
}

struct RowStats {
    float max;
    bool nan;
};

// One block of the max sweep: mx takes the valid non-NaN lanes, nan flags the valid NaN ones.
JRNN_AVX2_INLINE void max_block_avx2(const float* x, const uint8_t* valid, int64_t j, int64_t len, __m256& mx,
                                     __m256& nan) {
    const __m256 a = load_avx2(x + j, len);
    const __m256 is_nan = _mm256_cmp_ps(a, a, _CMP_UNORD_Q);
    if (!valid && len == 8) {  // the common unmasked case: no lane mask
        nan = _mm256_or_ps(nan, is_nan);
        mx = _mm256_max_ps(a, mx);  // max_ps(a, m) returns m when a is NaN: NaN never enters the max
        return;
    }
    const __m256 m = lanes_avx2(valid, j, len);
    nan = _mm256_or_ps(nan, _mm256_and_ps(m, is_nan));
    mx = _mm256_max_ps(_mm256_blendv_ps(_mm256_set1_ps(-kInf), a, m), mx);
}

// Max over the valid non-NaN entries (-inf when there are none) and whether a valid entry is NaN.
JRNN_AVX2_INLINE RowStats row_stats_avx2(int N, const float* x, const uint8_t* valid) {
    __m256 mx0 = _mm256_set1_ps(-kInf), mx1 = mx0, nan0 = _mm256_setzero_ps(), nan1 = nan0;
    int64_t j = 0;
    for (; j + 16 <= N; j += 16) {
        max_block_avx2(x, valid, j, 8, mx0, nan0);
        max_block_avx2(x, valid, j + 8, 8, mx1, nan1);
    }
    for (; j < N; j += 8) max_block_avx2(x, valid, j, N - j < 8 ? N - j : 8, mx0, nan0);
    return {hmax_avx2(_mm256_max_ps(mx0, mx1)), _mm256_movemask_ps(_mm256_or_ps(nan0, nan1)) != 0};
}

// e^(x[j..j+len) - max) with masked and missing lanes 0 (they may hold NaN or inf); stored to y[j..] when Store.
template <bool Store>
JRNN_AVX2_INLINE __m256 exp_block_avx2(const float* x, const uint8_t* valid, int64_t j, int64_t len, __m256 mx,
                                       float* y) {
    __m256 e = exp_avx2(_mm256_sub_ps(load_avx2(x + j, len), mx));
    if (valid || len < 8) e = _mm256_and_ps(e, lanes_avx2(valid, j, len));
    if (Store) store_avx2(y + j, len, e);
    return e;
}

JRNN_AVX2_INLINE __m256d add_pd_avx2(__m256d acc, __m256 v) {
    acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

// sum_j e^(x_j - max) over the valid entries; with Store, y[j] = that term (0 where masked). Each lane sums
// runs of 8 terms (two chains of 4) in float, the runs go into a double: the sum's relative error stays below
// 8u whatever N, at a fraction of the cost of converting every term.
template <bool Store>
JRNN_AVX2_INLINE double exp_sum_avx2(int N, const float* x, const uint8_t* valid, float max, float* y) {
    const __m256 mx = _mm256_set1_ps(max);
    __m256d sum = _mm256_setzero_pd();
    int64_t j = 0;
    for (; j + 64 <= N; j += 64) {
        __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
        for (int64_t u = j; u < j + 64; u += 16) {
            a = _mm256_add_ps(a, exp_block_avx2<Store>(x, valid, u, 8, mx, y));
            b = _mm256_add_ps(b, exp_block_avx2<Store>(x, valid, u + 8, 8, mx, y));
        }
        sum = add_pd_avx2(sum, _mm256_add_ps(a, b));
    }
    for (; j < N; j += 8) sum = add_pd_avx2(sum, exp_block_avx2<Store>(x, valid, j, N - j < 8 ? N - j : 8, mx, y));
    return hsum_pd_avx2(sum);
}

// Final sweeps, one block each: softmax y *= inv; log-softmax y = (x - max) - lse, -inf where masked.
JRNN_AVX2_INLINE void scale_block_avx2(float* y, int64_t j, int64_t len, __m256 inv) {
    store_avx2(y + j, len, _mm256_mul_ps(load_avx2(y + j, len), inv));
}

JRNN_AVX2_INLINE void log_block_avx2(const float* x, const uint8_t* valid, int64_t j, int64_t len, __m256 mx,
                                     __m256 lse, float* y) {
    __m256 v = _mm256_sub_ps(_mm256_sub_ps(load_avx2(x + j, len), mx), lse);
    if (valid) v = _mm256_blendv_ps(_mm256_set1_ps(-kInf), v, lanes_avx2(valid, j, len));
    store_avx2(y + j, len, v);
}

}  // namespace

JRNN_AVX2 int softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y) {
    for (int i = 0; i < M; ++i) {
        const float* xi = x + static_cast<int64_t>(i) * N;
        float* yi = y + static_cast<int64_t>(i) * N;
        const RowStats st = row_stats_avx2(N, xi, valid);
        if (!st.nan && st.max == -kInf) return i;
        if (ref::softmax_special_row(N, xi, valid, st.max, st.nan, false, yi)) continue;
        const double sum = exp_sum_avx2<true>(N, xi, valid, st.max, yi);  // in place: x is not needed again
        const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / sum));
        int64_t j = 0;
        for (; j + 8 <= N; j += 8) scale_block_avx2(yi, j, 8, inv);
        if (j < N) scale_block_avx2(yi, j, N - j, inv);
    }
    return M;
}

JRNN_AVX2 int log_softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y) {
    for (int i = 0; i < M; ++i) {
        const float* xi = x + static_cast<int64_t>(i) * N;
        float* yi = y + static_cast<int64_t>(i) * N;
        const RowStats st = row_stats_avx2(N, xi, valid);
        if (!st.nan && st.max == -kInf) return i;
        if (ref::softmax_special_row(N, xi, valid, st.max, st.nan, true, yi)) continue;
        const __m256 mx = _mm256_set1_ps(st.max);
        const __m256 lse = _mm256_set1_ps(static_cast<float>(std::log(exp_sum_avx2<false>(N, xi, valid, st.max, yi))));
        int64_t j = 0;
        for (; j + 8 <= N; j += 8) log_block_avx2(xi, valid, j, 8, mx, lse, yi);
        if (j < N) log_block_avx2(xi, valid, j, N - j, mx, lse, yi);
    }
    return M;
}

}  // namespace jrnn::avx2
