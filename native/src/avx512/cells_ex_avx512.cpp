// The general cell passes (ONNX-style options) on 16 lanes: cells_ex_simd.inc over AVX-512 primitives.
#include <algorithm>
#include <cmath>

#include "avx512/kernels_avx512.h"

namespace jrnn::avx512 {

namespace {

#define JRNN_EX_INLINE JRNN_AVX512_INLINE
using V = __m512;
using Mk = __mmask16;
constexpr int kW = 16;

JRNN_EX_INLINE Mk full_mask() { return static_cast<Mk>(0xFFFF); }
JRNN_EX_INLINE Mk tail_mask(int rem) { return mask_first_avx512(rem); }
JRNN_EX_INLINE V ld(const float* p, Mk m) { return _mm512_maskz_loadu_ps(m, p); }
JRNN_EX_INLINE void st(float* p, Mk m, V v) { _mm512_mask_storeu_ps(p, m, v); }
JRNN_EX_INLINE V loadu(const float* p) { return _mm512_loadu_ps(p); }
JRNN_EX_INLINE void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
JRNN_EX_INLINE V set1(float a) { return _mm512_set1_ps(a); }
JRNN_EX_INLINE V add(V a, V b) { return _mm512_add_ps(a, b); }
JRNN_EX_INLINE V sub(V a, V b) { return _mm512_sub_ps(a, b); }
JRNN_EX_INLINE V mul(V a, V b) { return _mm512_mul_ps(a, b); }
JRNN_EX_INLINE V vdiv(V a, V b) { return _mm512_div_ps(a, b); }
JRNN_EX_INLINE V vmin(V a, V b) { return _mm512_min_ps(a, b); }
JRNN_EX_INLINE V vmax(V a, V b) { return _mm512_max_ps(a, b); }
JRNN_EX_INLINE V vabs(V a) { return _mm512_abs_ps(a); }
// x >= 0 ? a : b;  x > t ? a : b
JRNN_EX_INLINE V sel_ge0(V x, V a, V b) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), b, a);
}
JRNN_EX_INLINE V sel_gt(V x, V t, V a, V b) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, t, _CMP_GT_OQ), b, a); }
JRNN_EX_INLINE V exp_v(V x) { return exp_avx512(x); }
JRNN_EX_INLINE V sigmoid_v(V x) { return sigmoid_avx512(x); }
JRNN_EX_INLINE V tanh_v(V x) { return tanh_avx512(x); }

}  // namespace

#define JRNN_EX_FN JRNN_AVX512
#include "cells_ex_simd.inc"
#undef JRNN_EX_FN
#undef JRNN_EX_INLINE

}  // namespace jrnn::avx512
