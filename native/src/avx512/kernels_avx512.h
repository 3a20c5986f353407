// AVX-512 kernels (twins of ref/ and avx2/, same signatures, see kernels.h) and the vector math they share.
// F, BW, DQ and VL only (Skylake-SP, Ice Lake, Sapphire Rapids, Zen 4, Zen 5). Like avx2/, nothing is built with
// -mavx512f: every function, inline helpers included, carries JRNN_AVX512, so no AVX-512 code can leak into code
// that runs before the registry has checked the CPU. Tails use opmasks (16 lanes), never scalar remainders.
#ifndef JRNN_AVX512_KERNELS_AVX512_H
#define JRNN_AVX512_KERNELS_AVX512_H

#include <immintrin.h>

#include "kernels.h"

#define JRNN_AVX512_TARGET "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"
#define JRNN_AVX512 __attribute__((target(JRNN_AVX512_TARGET)))
#define JRNN_AVX512_INLINE inline __attribute__((target(JRNN_AVX512_TARGET), always_inline))

namespace jrnn {
struct RowQuant;  // core/quant.h
}

namespace jrnn::avx512 {

JRNN_AVX512 void sigmoid_f32(const float* x, float* y, int64_t n);
JRNN_AVX512 void tanh_f32(const float* x, float* y, int64_t n);
JRNN_AVX512 void exp_f32(const float* x, float* y, int64_t n);
JRNN_AVX512 void gemm_packed_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                 bool accumulate);
JRNN_AVX512 void gemm_packed_bf16_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                      bool accumulate);
JRNN_AVX512 void gemm_packed_s8_u8(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                   bool accumulate);
JRNN_AVX512 void gemm_packed_lowp_multi(const Packed* w, int count, int B, const float* x, int64_t ldx, float* y,
                                        int64_t y_step, int64_t ldy, bool accumulate);
// The variants the two above choose between by CPU and B (tests call each where the CPU has what it needs):
// bf16: AMX tiles, else vdpbf16ps (AVX512_BF16), else widening shifts;
// s8: AMX tiles from kAmxMinRowsS8 rows, else vpdpbusd (AVX512_VNNI), else avx2::gemm_packed_s8_u8.
__attribute__((target(JRNN_AVX512_TARGET ",avx512bf16"))) void gemm_packed_bf16_f32_dp(
    const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy, bool accumulate);
JRNN_AVX512 void gemm_packed_bf16_f32_shift(const Packed& w, int B, const float* x, int64_t ldx, float* y,
                                            int64_t ldy, bool accumulate);
__attribute__((target(JRNN_AVX512_TARGET ",avx512vnni"))) void gemm_packed_s8_u8_vnni(
    const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy, bool accumulate);
// AMX tiles (tdpbf16ps, tdpbusd), where cpu_has_amx_bf16() / cpu_has_amx_int8(): the bf16 product's route at every
// B, the s8 product's from kAmxMinRowsS8 rows. Measured on a Xeon with AMX (KVM guest), N=1024 K=256, GFLOP/s a
// core: bf16 tiles vs vdpbf16ps 113 vs 89 at M=1, 219 vs 99 at M=2; s8 tiles vs vpdpbusd 212 vs 242 at M=1 (one
// row's weights stream faster through vpdpbusd), 389 vs 315 at M=2. Each row's result never depends on the others.
// (Both functions carry the whole AMX target; each executes only its own unit's instructions.)
constexpr int kAmxMinRowsS8 = 2;
#define JRNN_AMX_TARGET JRNN_AVX512_TARGET ",amx-tile,amx-bf16,amx-int8"
#define JRNN_AMX __attribute__((target(JRNN_AMX_TARGET)))
JRNN_AMX void gemm_packed_bf16_f32_amx(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                       bool accumulate);
JRNN_AMX void gemm_packed_s8_u8_amx(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                    bool accumulate);
// The same against count matrices of one format and k, the rows of x prepared once (gemm_packed_lowp_multi).
JRNN_AMX void gemm_packed_amx_multi(const Packed* w, int count, int B, const float* x, int64_t ldx, float* y,
                                    int64_t y_step, int64_t ldy, bool accumulate);
// The s8 product's input prepared by a team column by column, and the product from it (kernels.h).
JRNN_AVX512 void row_range_cols_f32(int B, const float* x, int64_t ldx, int j0, int j1, float* lo, float* hi,
                                    uint8_t* finite);
JRNN_AVX512 void quantize_cols_u8(int B, const float* x, int64_t ldx, int j0, int j1, const RowQuant* q, uint8_t* out,
                                  int64_t ldo);
JRNN_AVX512 void gemm_packed_s8_prepared(const Packed* w, int count, int B, const uint8_t* xq, int64_t ldxq,
                                         const RowQuant* q, const uint8_t* finite, float* y, int64_t y_step,
                                         int64_t ldy, bool accumulate);
// The input rows of a reduced-precision product, prepared as the ref kernels do element by element:
// out[r][0:k_pad) = bf16 of x[r][0:K), zeros past K (32-bit word i holds elements 2i, low half, and 2i+1);
JRNN_AVX512 void round_rows_bf16(int B, const float* x, int64_t ldx, int K, int k_pad, uint16_t* out);
// out[r][0:k_pad) = the uint8 quantization of x[r][0:K) (SPEC 1.5), zp past K; q[r] its parameters, finite[r]
// whether the row held only finite values.
JRNN_AVX512 void quantize_rows_u8(int B, const float* x, int64_t ldx, int K, int k_pad, uint8_t* out, RowQuant* q,
                                  uint8_t* finite);
JRNN_AVX512 void lstm_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* c,
                               float* h, const uint8_t* active, bool sigmoid_candidate);
JRNN_AVX512 void gru_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                              const float* b_hn, float* h, const uint8_t* active);
JRNN_AVX512 void gru_gates_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                               const float* h, float* z, float* rh, const uint8_t* active);
JRNN_AVX512 void gru_update_f32(int B, int H, const float* gx_n, int64_t ldgx, const float* ghn, int64_t ldgh,
                                const float* z, float* h, const uint8_t* active);
JRNN_AVX512 void rnn_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* h,
                              const uint8_t* active, bool relu);
JRNN_AVX512 void attn_additive_f32(int M, int S, int A, const float* qproj, const float* keys, const float* v,
                                   float* scores);
JRNN_AVX512 void attn_dot_f32(int M, int S, int Dm, const float* q, const float* mem, float* scores);
JRNN_AVX512 void attn_context_f32(int M, int S, int Dm, const float* alpha, const float* mem, float* ctx);
JRNN_AVX512 int softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y);
JRNN_AVX512 int log_softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y);
JRNN_AVX512 void lstm_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                    int64_t ldgh, float* c, float* h, const uint8_t* active, bool sigmoid_candidate);
JRNN_AVX512 void gru_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                   int64_t ldgh, const float* b_hn, float* h, const uint8_t* active);
JRNN_AVX512 void gru_gates_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                    int64_t ldgh, const float* h, float* z, float* rh, const uint8_t* active);
JRNN_AVX512 void gru_update_cols_f32(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx,
                                     const float* ghn, int64_t ldgh, const float* z, float* h, const uint8_t* active);
JRNN_AVX512 void rnn_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                   int64_t ldgh, float* h, const uint8_t* active, bool relu);
// The general cell passes (cells_ex_avx512.cpp; kernels.h has the semantics).
JRNN_AVX512 void lstm_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                int64_t ldgh, float* c, float* h, const uint8_t* active, const CellOptions& o);
JRNN_AVX512 void gru_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                               int64_t ldgh, const float* b_hn, float* h, const uint8_t* active, const CellOptions& o);
JRNN_AVX512 void gru_gates_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                int64_t ldgh, const float* h, float* z, float* rh, const uint8_t* active,
                                const CellOptions& o);
JRNN_AVX512 void gru_update_ex_cols_f32(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx, const float* ghn,
                                 int64_t ldgh, const float* z, float* h, const uint8_t* active, const CellOptions& o);
JRNN_AVX512 void rnn_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                               int64_t ldgh, float* h, const uint8_t* active, const CellOptions& o);

// ---- lane masks for tails ----

// Lanes 0..rem-1 (rem in 0..16). Masked loads and stores never touch the other lanes' memory (fault suppression).
JRNN_AVX512_INLINE __mmask16 mask_first_avx512(int64_t rem) {
    return rem >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << rem) - 1u);
}

// Full (Masked = false) or masked 16-lane access, so a cell's block body is written once for both.
template <bool Masked>
JRNN_AVX512_INLINE __m512 load16_avx512(const float* p, __mmask16 m) {
    return Masked ? _mm512_maskz_loadu_ps(m, p) : _mm512_loadu_ps(p);
}
template <bool Masked>
JRNN_AVX512_INLINE void store16_avx512(float* p, __mmask16 m, __m512 v) {
    if (Masked) {
        _mm512_mask_storeu_ps(p, m, v);
    } else {
        _mm512_storeu_ps(p, v);
    }
}

// ---- vector math: exp, sigmoid, tanh on 16 floats ----
// The same algorithms, constants and operation order as avx2/kernels_avx2.h, so both paths return the same bits
// (its comments give the accuracy measured against float64); only 2^n is applied differently. test_activation
// holds both to the same bounds. min/max keep their SSE semantics (the second operand is returned when either is
// NaN), so NaN propagates the same way.

// The range reduction shared by exp and tanh: x = n ln2 + r, |r| <= ln2/2 (ln2 split in two so n*ln2_hi is exact
// and r keeps full precision), and Q of e^r = 1 + r + r^2 Q(r). x must not be +-inf (callers clamp).
struct ExpParts512 {
    __m512 n, r, q;
};
JRNN_AVX512_INLINE ExpParts512 exp_parts_avx512(__m512 x) {
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860682030941723212e-6f), r);
    __m512 q = _mm512_set1_ps(1.3926175888627768e-3f);
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(8.363173343241215e-3f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(4.1666556149721146e-2f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.6666577756404877e-1f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(0.5f));
    return {n, r, q};
}

// e^x: e^r * 2^n. vscalefps applies 2^n with one rounding, so results fall gradually through the subnormals and
// reach +inf where float exp overflows: the same bits as avx2's two exact power-of-two factors built by integer
// shifts, in one instruction instead of nine.
JRNN_AVX512_INLINE __m512 exp_avx512(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_min_ps(_mm512_set1_ps(89.0f), x));  // x second: NaN stays
    const ExpParts512 e = exp_parts_avx512(x);
    const __m512 p = _mm512_fmadd_ps(_mm512_mul_ps(e.r, e.r), e.q, _mm512_add_ps(e.r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, e.n);
}

// 1/(1+e^-x), the reference's formula: relative accuracy on both sides (e^-x is accurate relative, 1 + e^-x
// rounds once, the division is correctly rounded), exactly 1 from x ~ 17 up, exactly 0 below x ~ -88.7 where
// e^-x overflows to +inf (as float std::exp in the reference). Measured against float64 over a dense sweep of all
// float ranges: 9e-8 absolute, 3 ulp above the subnormal results. The division stays: vrcp14ps and a Newton step
// measured slower on a Zen 5 (cell passes there are bound by the FP pipes' operation count, vdivps runs beside).
JRNN_AVX512_INLINE __m512 sigmoid_avx512(__m512 x) {
    const __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, exp_avx512(_mm512_xor_ps(x, _mm512_set1_ps(-0.0f)))));
}

// tanh|x| = -m/d from one exp e = e^-2|x| = 2^n e^r and one division, no branch: m = e - 1 = 2^n (e^r - 1) +
// (2^n - 1) keeps relative accuracy near 0 (tanh(x) = x for tiny x, subnormals included), d = 1 + e is rounded
// once from the same parts. m rounds to exactly -1 (d to 1) from |x| ~ 9, which gives exactly 1. The sign bit is
// then taken from x (tanh is odd): -0 stays -0, NaN stays NaN. Half the operations of a polynomial below 0.625
// and (1-e)/(1+e) above, blended.
JRNN_AVX512_INLINE __m512 tanh_avx512(__m512 x) {
    const __m512 sign = _mm512_set1_ps(-0.0f);
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 t = _mm512_mul_ps(_mm512_andnot_ps(sign, x), _mm512_set1_ps(-2.0f));
    const ExpParts512 p = exp_parts_avx512(_mm512_max_ps(_mm512_set1_ps(-87.0f), t));  // t second: NaN stays
    const __m512 em1 = _mm512_fmadd_ps(_mm512_mul_ps(p.r, p.r), p.q, p.r);  // e^r - 1
    const __m512 s = _mm512_scalef_ps(one, p.n);                           // 2^n, n in [-126, 0]
    const __m512 m = _mm512_fmadd_ps(em1, s, _mm512_sub_ps(s, one));
    const __m512 d = _mm512_fmadd_ps(em1, s, _mm512_add_ps(s, one));
    const __m512 y = _mm512_div_ps(m, d);  // -tanh|x|, its sign bit dropped below
    // the sign bit of x, the other bits of y: (sign & x) | (~sign & y)
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(sign), _mm512_castps_si512(x),
                                                         _mm512_castps_si512(y), 0xCA));
}

}  // namespace jrnn::avx512

#endif
