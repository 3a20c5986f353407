// The general cell passes (ONNX-style options) on 8 lanes: cells_ex_simd.inc over AVX2/FMA primitives.
#include <algorithm>
#include <cmath>

#include "avx2/kernels_avx2.h"

namespace jrnn::avx2 {

namespace {

#define JRNN_EX_INLINE JRNN_AVX2_INLINE
using V = __m256;
using Mk = __m256i;
constexpr int kW = 8;

JRNN_EX_INLINE Mk full_mask() { return _mm256_set1_epi32(-1); }
JRNN_EX_INLINE Mk tail_mask(int rem) { return mask_first_avx2(rem); }
JRNN_EX_INLINE V ld(const float* p, Mk m) { return _mm256_maskload_ps(p, m); }
JRNN_EX_INLINE void st(float* p, Mk m, V v) { _mm256_maskstore_ps(p, m, v); }
JRNN_EX_INLINE V loadu(const float* p) { return _mm256_loadu_ps(p); }
JRNN_EX_INLINE void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
JRNN_EX_INLINE V set1(float a) { return _mm256_set1_ps(a); }
JRNN_EX_INLINE V add(V a, V b) { return _mm256_add_ps(a, b); }
JRNN_EX_INLINE V sub(V a, V b) { return _mm256_sub_ps(a, b); }
JRNN_EX_INLINE V mul(V a, V b) { return _mm256_mul_ps(a, b); }
JRNN_EX_INLINE V vdiv(V a, V b) { return _mm256_div_ps(a, b); }
JRNN_EX_INLINE V vmin(V a, V b) { return _mm256_min_ps(a, b); }
JRNN_EX_INLINE V vmax(V a, V b) { return _mm256_max_ps(a, b); }
JRNN_EX_INLINE V vabs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
// x >= 0 ? a : b;  x > t ? a : b
JRNN_EX_INLINE V sel_ge0(V x, V a, V b) {
    return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}
JRNN_EX_INLINE V sel_gt(V x, V t, V a, V b) { return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, t, _CMP_GT_OQ)); }
JRNN_EX_INLINE V exp_v(V x) { return exp_avx2(x); }
JRNN_EX_INLINE V sigmoid_v(V x) { return sigmoid_avx2(x); }
JRNN_EX_INLINE V tanh_v(V x) { return tanh_avx2(x); }

}  // namespace

#define JRNN_EX_FN JRNN_AVX2
#include "cells_ex_simd.inc"
#undef JRNN_EX_FN
#undef JRNN_EX_INLINE

}  // namespace jrnn::avx2
