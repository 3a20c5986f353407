// Vectorised sigmoid, tanh, exp over arrays; the vector math lives in kernels_avx2.h (the cells share it).
#include "avx2/kernels_avx2.h"

namespace jrnn::avx2 {

namespace {

// y[0:n] = f(x[0:n]); in place allowed (each block is loaded before it is stored). The tail goes through the
// same f on masked lanes, so a value's result never depends on its position in the array.
template <__m256 (*F)(__m256)>
JRNN_AVX2_INLINE void map_avx2(const float* x, float* y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {  // two independent chains per iteration
        const __m256 a = F(_mm256_loadu_ps(x + i));
        const __m256 b = F(_mm256_loadu_ps(x + i + 8));
        _mm256_storeu_ps(y + i, a);
        _mm256_storeu_ps(y + i + 8, b);
    }
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i)));
    if (i < n) {
        const __m256i m = mask_first_avx2(n - i);
        _mm256_maskstore_ps(y + i, m, F(_mm256_maskload_ps(x + i, m)));
    }
}

}  // namespace

JRNN_AVX2 void sigmoid_f32(const float* x, float* y, int64_t n) { map_avx2<sigmoid_avx2>(x, y, n); }

JRNN_AVX2 void tanh_f32(const float* x, float* y, int64_t n) { map_avx2<tanh_avx2>(x, y, n); }

JRNN_AVX2 void exp_f32(const float* x, float* y, int64_t n) { map_avx2<exp_avx2>(x, y, n); }

}  // namespace jrnn::avx2
