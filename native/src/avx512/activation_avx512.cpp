// Vectorised sigmoid, tanh, exp over arrays; the vector math lives in kernels_avx512.h (the cells share it).
#include "avx512/kernels_avx512.h"

namespace jrnn::avx512 {

namespace {

// y[0:n] = f(x[0:n]); in place allowed. The tail goes through the same f on masked lanes, so a value's result
// never depends on its position in the array.
template <__m512 (*F)(__m512)>
JRNN_AVX512_INLINE void map_avx512(const float* x, float* y, int64_t n) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {  // two independent chains per iteration
        const __m512 a = F(_mm512_loadu_ps(x + i));
        const __m512 b = F(_mm512_loadu_ps(x + i + 16));
        _mm512_storeu_ps(y + i, a);
        _mm512_storeu_ps(y + i + 16, b);
    }
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, F(_mm512_loadu_ps(x + i)));
    if (i < n) {
        const __mmask16 m = mask_first_avx512(n - i);
        _mm512_mask_storeu_ps(y + i, m, F(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

}  // namespace

JRNN_AVX512 void sigmoid_f32(const float* x, float* y, int64_t n) { map_avx512<sigmoid_avx512>(x, y, n); }

JRNN_AVX512 void tanh_f32(const float* x, float* y, int64_t n) { map_avx512<tanh_avx512>(x, y, n); }

JRNN_AVX512 void exp_f32(const float* x, float* y, int64_t n) { map_avx512<exp_avx512>(x, y, n); }

}  // namespace jrnn::avx512
