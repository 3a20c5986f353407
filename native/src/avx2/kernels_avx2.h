// AVX2/FMA kernels (twins of ref/, same signatures, see kernels.h) and the vector math they share.
// Nothing here is built with -mavx2: every function, inline helpers included, carries JRNN_AVX2 so no AVX2
// code can leak into code that runs before dispatch has checked the CPU.
#ifndef JRNN_AVX2_KERNELS_AVX2_H
#define JRNN_AVX2_KERNELS_AVX2_H

#include <immintrin.h>

#include "kernels.h"

#define JRNN_AVX2 __attribute__((target("avx2,fma")))
#define JRNN_AVX2_INLINE inline __attribute__((target("avx2,fma"), always_inline))

namespace jrnn::avx2 {

JRNN_AVX2 void sigmoid_f32(const float* x, float* y, int64_t n);
JRNN_AVX2 void tanh_f32(const float* x, float* y, int64_t n);
JRNN_AVX2 void exp_f32(const float* x, float* y, int64_t n);
JRNN_AVX2 void gemm_packed_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                               bool accumulate);
JRNN_AVX2 void gemm_packed_bf16_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                    bool accumulate);
JRNN_AVX2 void gemm_packed_s8_u8(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                 bool accumulate);
// The two routes gemm_packed_s8_u8 chooses between by CPU (tests call each where the CPU has what it needs).
__attribute__((target("avx2,fma,avxvnni"))) void gemm_packed_s8_u8_vnni(const Packed& w, int B, const float* x,
                                                                       int64_t ldx, float* y, int64_t ldy,
                                                                       bool accumulate);
JRNN_AVX2 void gemm_packed_s8_u8_madd(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                      bool accumulate);
JRNN_AVX2 void gemm_packed_s8_prepared(const Packed* w, int count, int B, const uint8_t* xq, int64_t ldxq,
                                      const RowQuant* q, const uint8_t* finite, float* y, int64_t y_step, int64_t ldy,
                                      bool accumulate);
JRNN_AVX2 void lstm_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* c,
                             float* h, const uint8_t* active, bool sigmoid_candidate);
JRNN_AVX2 void gru_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                            const float* b_hn, float* h, const uint8_t* active);
JRNN_AVX2 void gru_gates_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                             const float* h, float* z, float* rh, const uint8_t* active);
JRNN_AVX2 void gru_update_f32(int B, int H, const float* gx_n, int64_t ldgx, const float* ghn, int64_t ldgh,
                              const float* z, float* h, const uint8_t* active);
JRNN_AVX2 void rnn_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* h,
                            const uint8_t* active, bool relu);
JRNN_AVX2 void attn_additive_f32(int M, int S, int A, const float* qproj, const float* keys, const float* v,
                                 float* scores);
JRNN_AVX2 void attn_dot_f32(int M, int S, int Dm, const float* q, const float* mem, float* scores);
JRNN_AVX2 void attn_context_f32(int M, int S, int Dm, const float* alpha, const float* mem, float* ctx);
JRNN_AVX2 int softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y);
JRNN_AVX2 int log_softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y);
JRNN_AVX2 void lstm_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                  int64_t ldgh, float* c, float* h, const uint8_t* active, bool sigmoid_candidate);
JRNN_AVX2 void gru_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                 int64_t ldgh, const float* b_hn, float* h, const uint8_t* active);
JRNN_AVX2 void gru_gates_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                  int64_t ldgh, const float* h, float* z, float* rh, const uint8_t* active);
JRNN_AVX2 void gru_update_cols_f32(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx, const float* ghn,
                                   int64_t ldgh, const float* z, float* h, const uint8_t* active);
JRNN_AVX2 void rnn_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                 int64_t ldgh, float* h, const uint8_t* active, bool relu);
// The general cell passes (cells_ex_avx2.cpp; kernels.h has the semantics).
JRNN_AVX2 void lstm_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                int64_t ldgh, float* c, float* h, const uint8_t* active, const CellOptions& o);
JRNN_AVX2 void gru_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                               int64_t ldgh, const float* b_hn, float* h, const uint8_t* active, const CellOptions& o);
JRNN_AVX2 void gru_gates_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                int64_t ldgh, const float* h, float* z, float* rh, const uint8_t* active,
                                const CellOptions& o);
JRNN_AVX2 void gru_update_ex_cols_f32(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx, const float* ghn,
                                 int64_t ldgh, const float* z, float* h, const uint8_t* active, const CellOptions& o);
JRNN_AVX2 void rnn_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                               int64_t ldgh, float* h, const uint8_t* active, const CellOptions& o);

// ---- lane masks for tails ----

// Lanes 0..rem-1 set (rem in 0..8): maskload/maskstore never touch the other lanes' memory.
JRNN_AVX2_INLINE __m256i mask_first_avx2(int64_t rem) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rem)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Full (Masked = false) or masked 8-lane access, so a cell's block body is written once for both.
template <bool Masked>
JRNN_AVX2_INLINE __m256 load8_avx2(const float* p, __m256i m) {
    return Masked ? _mm256_maskload_ps(p, m) : _mm256_loadu_ps(p);
}
template <bool Masked>
JRNN_AVX2_INLINE void store8_avx2(float* p, __m256i m, __m256 v) {
    if (Masked) {
        _mm256_maskstore_ps(p, m, v);
    } else {
        _mm256_storeu_ps(p, v);
    }
}

// ---- vector math: exp, sigmoid, tanh on 8 floats ----
// Measured against float64 (test_activation): exp 1.2e-7 relative, sigmoid 9e-8 absolute, tanh 1.1e-7
// absolute and 1.8e-7 relative near 0. Only NaN gives NaN, and it propagates (operand order of min/max below:
// _mm256_min_ps(a, b) returns b when either is NaN). All lanes are independent: a value's result never depends
// on its neighbours.

// e^x by range reduction x = n ln2 + r, |r| <= ln2/2, e^r = 1 + r + r^2 Q(r) (Q fitted near-minimax for
// this file, relative error ~1e-8 before rounding). The reduction is shared with tanh; x must not be +-inf.
struct ExpParts256 {
    __m256 n, r, q;
};
JRNN_AVX2_INLINE ExpParts256 exp_parts_avx2(__m256 x) {
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // ln2 split in two so n*ln2_hi is exact (n has <= 8 bits) and r keeps full precision
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860682030941723212e-6f), r);
    __m256 q = _mm256_set1_ps(1.3926175888627768e-3f);
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(8.363173343241215e-3f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(4.1666556149721146e-2f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.6666577756404877e-1f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(0.5f));
    return {n, r, q};
}

// 2^n is applied as two factors so results fall gradually through the subnormals and reach +inf exactly where
// float exp overflows.
JRNN_AVX2_INLINE __m256 exp_avx2(__m256 x) {
    const __m256 hi = _mm256_set1_ps(89.0f);     // e^89 > FLT_MAX: +inf from the scaling
    const __m256 lo = _mm256_set1_ps(-104.0f);   // e^-104 < half the smallest subnormal: 0
    const ExpParts256 e = exp_parts_avx2(_mm256_max_ps(lo, _mm256_min_ps(hi, x)));  // x second: NaN stays NaN
    const __m256 p = _mm256_fmadd_ps(_mm256_mul_ps(e.r, e.r), e.q, _mm256_add_ps(e.r, _mm256_set1_ps(1.0f)));
    // n in [-150, 129] -> n1 = floor(n/2), n2 = n - n1, both valid normal exponents
    const __m256i ni = _mm256_cvtps_epi32(e.n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1);
    const __m256i n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

// 1/(1+e^-x), the reference's formula: relative accuracy on both sides (e^-x is accurate relative, 1 + e^-x
// rounds once, the division is correctly rounded), exactly 1 from x ~ 17 up, exactly 0 below x ~ -88.7 where
// e^-x overflows to +inf (as float std::exp in the reference). NaN stays NaN. (Through e^-|x| with a blend of
// 1/(1+e) and e/(1+e), as before, gave subnormal results down to x = -104 in 4 more operations.)
JRNN_AVX2_INLINE __m256 sigmoid_avx2(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp_avx2(_mm256_xor_ps(x, _mm256_set1_ps(-0.0f)))));
}

// tanh|x| = -m/d from one exp e = e^-2|x| = 2^n e^r and one division, no branch: m = e - 1 = 2^n (e^r - 1) +
// (2^n - 1) keeps relative accuracy near 0 (tanh(x) = x for tiny x, subnormals included), d = 1 + e is rounded
// once from the same parts. Clamping -2|x| at -87 keeps 2^n a normal float (one factor); m rounds to exactly -1
// (d to 1) from |x| ~ 9, which gives exactly 1. The sign is copied back at the end (tanh is odd), so -0 stays -0
// and NaN stays NaN. Measured against float64 over a dense sweep of all float ranges: 1.1e-7 absolute, 1.8e-7
// relative below |x| = 1, 2 ulp (a polynomial below 0.625 and (1-e)/(1+e) above, blended: 9e-8, 1.5e-7, 2 ulp,
// in twice the operations).
JRNN_AVX2_INLINE __m256 tanh_avx2(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 t = _mm256_mul_ps(_mm256_andnot_ps(sign, x), _mm256_set1_ps(-2.0f));
    const ExpParts256 p = exp_parts_avx2(_mm256_max_ps(_mm256_set1_ps(-87.0f), t));  // t second: NaN stays NaN
    const __m256 em1 = _mm256_fmadd_ps(_mm256_mul_ps(p.r, p.r), p.q, p.r);  // e^r - 1
    const __m256 s = _mm256_castsi256_ps(   // 2^n, n in [-126, 0]
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(p.n), _mm256_set1_epi32(127)), 23));
    const __m256 m = _mm256_fmadd_ps(em1, s, _mm256_sub_ps(s, one));
    const __m256 d = _mm256_fmadd_ps(em1, s, _mm256_add_ps(s, one));
    const __m256 y = _mm256_div_ps(m, d);  // -tanh|x|
    return _mm256_or_ps(_mm256_andnot_ps(sign, y), _mm256_and_ps(x, sign));
}

}  // namespace jrnn::avx2

#endif
