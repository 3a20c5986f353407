// Products against bf16 and s8 weights (SPEC §1.5), AVX-512 twins of ref/gemm_ref.cpp's reduced-precision kernels.
// The input rows are rounded (bf16) or quantized (u8) into a per-thread buffer first, exactly as the ref kernel
// does element by element, then the weights stream past them in the f32 kernel's blocking (R rows x P panels,
// one accumulator chain per output). Both are batch-invariant: a row's result never depends on the other rows (and
// where the CPU has AMX, gemm_amx.cpp's routes are too: bf16 takes them at every B, s8's exact sums are the same
// bits on every route).
//   bf16: vdpbf16ps (AVX512_BF16: 2 products a lane an instruction) where the CPU has it, else each pair widened
//         to f32 by a shift and summed in k order with FMAs (bit-identical to the ref kernel);
//   s8:   vpdpbusd (AVX512_VNNI: u8 x s8, 4 products into an int32 lane, exact) where the CPU has it, else the
//         AVX2 kernel (AVX-VNNI or the exact vpmaddwd route). The int32 sums are exact on every path, so every
//         ISA gives the ref kernel's bits.
#include <cstring>
#include <limits>
#include <vector>

#include "avx2/kernels_avx2.h"
#include "avx512/kernels_avx512.h"
#include "core/quant.h"

#define JRNN_AVX512_BF16 __attribute__((target(JRNN_AVX512_TARGET ",avx512bf16")))
#define JRNN_AVX512_BF16_INLINE inline __attribute__((target(JRNN_AVX512_TARGET ",avx512bf16"), always_inline))
#define JRNN_AVX512_VNNI __attribute__((target(JRNN_AVX512_TARGET ",avx512vnni")))
#define JRNN_AVX512_VNNI_INLINE inline __attribute__((target(JRNN_AVX512_TARGET ",avx512vnni"), always_inline))

namespace jrnn::avx512 {

// ---- input rows (the AMX routes, gemm_amx.cpp, prepare theirs with these too) ----

namespace {

// 16 floats -> their bf16 bits (ref's bf16_round: round to nearest even, NaN kept quiet) in the low half of each lane.
JRNN_AVX512_INLINE __m512i bf16_round16(__m512 v) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), lsb)), 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)),
                                                  _mm512_set1_epi32(0x7F800000));
    return _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
}

}  // namespace

// out[r][0:k_pad) = bf16 of x[r][0:K), zeros past K; as 32-bit words, word i holds elements 2i (low) and 2i+1.
JRNN_AVX512 void round_rows_bf16(int B, const float* x, int64_t ldx, int K, int k_pad, uint16_t* out) {
    const int full = K / 16 * 16;
    for (int b = 0; b < B; ++b) {
        const float* xb = x + b * ldx;
        uint16_t* ob = out + static_cast<int64_t>(b) * k_pad;
        int k = 0;
        for (; k < full; k += 16)
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(ob + k),
                                _mm512_cvtepi32_epi16(bf16_round16(_mm512_loadu_ps(xb + k))));
        for (; k < k_pad; k += 16) {
            const __mmask16 m = mask_first_avx512(K - k < 0 ? 0 : K - k);
            const __m256i h = _mm512_cvtepi32_epi16(bf16_round16(_mm512_maskz_loadu_ps(m, xb + k)));
            _mm256_mask_storeu_epi16(ob + k, mask_first_avx512(k_pad - k), h);
        }
    }
}

namespace {

// rne(x * inv) (MXCSR's round to nearest even, as std::nearbyint) + zp, clamped to [0, 255]: 16 lanes as bytes.
JRNN_AVX512_INLINE __m128i quant16(__m512 v, __m512 inv, __m512i zp) {
    __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v, inv)), zp);
    q = _mm512_min_epi32(_mm512_max_epi32(q, _mm512_setzero_si512()), _mm512_set1_epi32(255));
    return _mm512_cvtepi32_epi8(q);
}

}  // namespace

// out[r][0:k_pad) = uint8 quantization of x[r][0:K) (SPEC §1.5), zp past K (those weights are 0); q[r] its
// parameters, finite[r] whether the row held only finite values. The minimum and maximum in four independent
// chains (min and max are exact, so the order does not matter), then whole vectors without masks up to the tail.
JRNN_AVX512 void quantize_rows_u8(int B, const float* x, int64_t ldx, int K, int k_pad, uint8_t* out, RowQuant* q,
                                  uint8_t* finite) {
    const int full = K / 16 * 16, full4 = K / 64 * 64;
    for (int b = 0; b < B; ++b) {
        const float* xb = x + b * ldx;
        __m512 lo[4], hi[4];
        for (int i = 0; i < 4; ++i) lo[i] = hi[i] = _mm512_setzero_ps();
        __mmask16 bad = 0;
        int k = 0;
        for (; k < full4; k += 64) {
            for (int i = 0; i < 4; ++i) {
                const __m512 v = _mm512_loadu_ps(xb + k + 16 * i);
                const __mmask16 nf = _mm512_fpclass_ps_mask(v, 0x99);  // QNaN, +inf, -inf, SNaN
                bad |= nf;
                lo[i] = _mm512_mask_min_ps(lo[i], static_cast<__mmask16>(~nf), v, lo[i]);
                hi[i] = _mm512_mask_max_ps(hi[i], static_cast<__mmask16>(~nf), v, hi[i]);
            }
        }
        for (; k < K; k += 16) {
            const __mmask16 m = mask_first_avx512(K - k);
            const __m512 v = _mm512_maskz_loadu_ps(m, xb + k);
            const __mmask16 nf = _mm512_mask_fpclass_ps_mask(m, v, 0x99);
            bad |= nf;
            lo[0] = _mm512_mask_min_ps(lo[0], m & ~nf, v, lo[0]);
            hi[0] = _mm512_mask_max_ps(hi[0], m & ~nf, v, hi[0]);
        }
        finite[b] = bad == 0;
        const __m512 lo_all = _mm512_min_ps(_mm512_min_ps(lo[0], lo[1]), _mm512_min_ps(lo[2], lo[3]));
        const __m512 hi_all = _mm512_max_ps(_mm512_max_ps(hi[0], hi[1]), _mm512_max_ps(hi[2], hi[3]));
        q[b] = row_quant(_mm512_reduce_min_ps(lo_all), _mm512_reduce_max_ps(hi_all));
        const __m512 inv = _mm512_set1_ps(q[b].inv);
        const __m512i zp = _mm512_set1_epi32(q[b].zp);
        uint8_t* ob = out + static_cast<int64_t>(b) * k_pad;
        k = 0;
        for (; k < full; k += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(ob + k), quant16(_mm512_loadu_ps(xb + k), inv, zp));
        for (; k < k_pad; k += 16) {
            const __mmask16 m = mask_first_avx512(K - k < 0 ? 0 : K - k);
            _mm_mask_storeu_epi8(ob + k, mask_first_avx512(k_pad - k), quant16(_mm512_maskz_loadu_ps(m, xb + k), inv, zp));
        }
    }
}

namespace {

#define JRNN_UNROLL _Pragma("GCC unroll 16")

constexpr int kMaxRows = 6;
constexpr int kPanels = 4;  // 6 x 4 accumulators + 4 weights + 1 broadcast of the 32 zmm registers

// A 32-bit word of a prepared row (two bf16 or four u8), read without aliasing the buffer's element type.
JRNN_AVX512_INLINE int word_at(const uint32_t* base, int64_t i) {
    int v;
    std::memcpy(&v, reinterpret_cast<const unsigned char*>(base) + 4 * i, 4);
    return v;
}

// Per-thread buffers for the prepared input rows (grown, never shrunk: no allocation in the steady state).
template <typename T>
T* scratch(std::vector<T>& v, size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
}

// ---- block kernels: rows [0, R) against panels [0, P) ----

// Stores acc (+ y when accumulating) into y's panels, the last one masked to ncols_last columns.
template <int R, int P>
JRNN_AVX512_INLINE void store_block(__m512 (&acc)[R][P], float* y, int64_t ldy, int ncols_last, bool accumulate) {
    const __mmask16 last = mask_first_avx512(ncols_last);
    JRNN_UNROLL for (int r = 0; r < R; ++r)
        JRNN_UNROLL for (int p = 0; p < P; ++p) {
            const __mmask16 m = p == P - 1 ? last : static_cast<__mmask16>(0xFFFF);
            float* yp = y + r * ldy + p * kPanel;
            __m512 v = acc[r][p];
            if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, yp));
            _mm512_mask_storeu_ps(yp, m, v);
        }
}

// bf16 with vdpbf16ps: xw[r] are the row's bf16 pairs as 32-bit words.
template <int R, int P>
JRNN_AVX512_BF16_INLINE void bf16_dp_block(const uint16_t* panels, int k_pad, const uint32_t* xw, int64_t ldxw,
                                           float* y, int64_t ldy, int ncols_last, bool accumulate) {
    const int64_t stride = static_cast<int64_t>(kPanel) * k_pad;  // uint16 per panel
    __m512 acc[R][P];
    JRNN_UNROLL for (int r = 0; r < R; ++r) JRNN_UNROLL for (int p = 0; p < P; ++p) acc[r][p] = _mm512_setzero_ps();
    for (int kp = 0; kp < k_pad / 2; ++kp) {
        __m512i w[P];
        JRNN_UNROLL for (int p = 0; p < P; ++p)
            w[p] = _mm512_load_si512(panels + p * stride + static_cast<int64_t>(kp) * 2 * kPanel);
        JRNN_UNROLL for (int r = 0; r < R; ++r) {
            const __m512i xv = _mm512_set1_epi32(word_at(xw, r * ldxw + kp));
            JRNN_UNROLL for (int p = 0; p < P; ++p)
                acc[r][p] = _mm512_dpbf16_ps(acc[r][p], (__m512bh)w[p], (__m512bh)xv);
        }
    }
    store_block<R, P>(acc, y, ldy, ncols_last, accumulate);
}

// bf16 without AVX512_BF16: each weight pair widened to two f32 vectors by a shift, k in order (the ref's sums).
template <int R, int P>
JRNN_AVX512_INLINE void bf16_shift_block(const uint16_t* panels, int k_pad, const uint32_t* xw, int64_t ldxw,
                                         float* y, int64_t ldy, int ncols_last, bool accumulate) {
    const int64_t stride = static_cast<int64_t>(kPanel) * k_pad;
    const __m512i hi_half = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
    __m512 acc[R][P];
    JRNN_UNROLL for (int r = 0; r < R; ++r) JRNN_UNROLL for (int p = 0; p < P; ++p) acc[r][p] = _mm512_setzero_ps();
    for (int kp = 0; kp < k_pad / 2; ++kp) {
        __m512 w0[P], w1[P];
        JRNN_UNROLL for (int p = 0; p < P; ++p) {
            const __m512i v = _mm512_load_si512(panels + p * stride + static_cast<int64_t>(kp) * 2 * kPanel);
            w0[p] = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));  // k = 2kp
            w1[p] = _mm512_castsi512_ps(_mm512_and_si512(v, hi_half));  // k = 2kp + 1
        }
        JRNN_UNROLL for (int r = 0; r < R; ++r) {
            const uint32_t word = static_cast<uint32_t>(word_at(xw, r * ldxw + kp));
            const __m512 x0 = _mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int>(word << 16)));
            const __m512 x1 = _mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int>(word & 0xFFFF0000u)));
            JRNN_UNROLL for (int p = 0; p < P; ++p) {
                acc[r][p] = _mm512_fmadd_ps(w0[p], x0, acc[r][p]);
                acc[r][p] = _mm512_fmadd_ps(w1[p], x1, acc[r][p]);
            }
        }
    }
    store_block<R, P>(acc, y, ldy, ncols_last, accumulate);
}

// s8 with vpdpbusd: xq[r] the row's uint8 quads as 32-bit words; dequantized with the row's and the panel rows' scales.
template <int R, int P>
JRNN_AVX512_VNNI_INLINE void s8_vnni_block(const int8_t* panels, int k_pad, const float* scale, const int32_t* row_sum,
                                           const uint32_t* xq, int64_t ldxq, const RowQuant* q, const uint8_t* finite,
                                           float* y, int64_t ldy, int ncols_last, bool accumulate) {
    const int64_t stride = static_cast<int64_t>(kPanel) * k_pad;  // bytes per panel
    __m512i acc[R][P];
    JRNN_UNROLL for (int r = 0; r < R; ++r) JRNN_UNROLL for (int p = 0; p < P; ++p) acc[r][p] = _mm512_setzero_si512();
    for (int kq = 0; kq < k_pad / 4; ++kq) {
        __m512i w[P];
        JRNN_UNROLL for (int p = 0; p < P; ++p)
            w[p] = _mm512_load_si512(panels + p * stride + static_cast<int64_t>(kq) * 4 * kPanel);
        JRNN_UNROLL for (int r = 0; r < R; ++r) {
            const __m512i xv = _mm512_set1_epi32(word_at(xq, r * ldxq + kq));
            JRNN_UNROLL for (int p = 0; p < P; ++p) acc[r][p] = _mm512_dpbusd_epi32(acc[r][p], xv, w[p]);
        }
    }
    __m512 out[R][P];
    const __m512 nan = _mm512_set1_ps(std::numeric_limits<float>::quiet_NaN());
    JRNN_UNROLL for (int r = 0; r < R; ++r) {
        const __m512 sx = _mm512_set1_ps(q[r].sx);
        const __m512i zp = _mm512_set1_epi32(q[r].zp);
        JRNN_UNROLL for (int p = 0; p < P; ++p) {
            const __m512i isum = _mm512_sub_epi32(acc[r][p], _mm512_mullo_epi32(zp, _mm512_loadu_si512(row_sum + p * kPanel)));
            const __m512 v = _mm512_mul_ps(_mm512_mul_ps(sx, _mm512_loadu_ps(scale + p * kPanel)), _mm512_cvtepi32_ps(isum));
            out[r][p] = finite[r] ? v : nan;
        }
    }
    store_block<R, P>(out, y, ldy, ncols_last, accumulate);
}

// ---- drivers: panel groups outermost, row blocks of up to kMaxRows ----

template <int R, int P>
JRNN_AVX512_BF16 void bf16_dp_fn(const uint16_t* pn, int kp, const uint32_t* xw, int64_t ld, float* y, int64_t ldy,
                                 int nl, bool acc) {
    bf16_dp_block<R, P>(pn, kp, xw, ld, y, ldy, nl, acc);
}
template <int R, int P>
JRNN_AVX512 void bf16_shift_fn(const uint16_t* pn, int kp, const uint32_t* xw, int64_t ld, float* y, int64_t ldy,
                               int nl, bool acc) {
    bf16_shift_block<R, P>(pn, kp, xw, ld, y, ldy, nl, acc);
}
template <int R, int P>
JRNN_AVX512_VNNI void s8_vnni_fn(const int8_t* pn, int kp, const float* sc, const int32_t* rs, const uint32_t* xq,
                                 int64_t ld, const RowQuant* q, const uint8_t* fin, float* y, int64_t ldy, int nl,
                                 bool acc) {
    s8_vnni_block<R, P>(pn, kp, sc, rs, xq, ld, q, fin, y, ldy, nl, acc);
}

// Calls F<rows, panels> for rows in 1..kMaxRows, panels in 1..kPanels.
template <template <int, int> class F, int R = 1, int P = 1, typename... A>
JRNN_AVX512_INLINE void dispatch_block(int rows, int panels, A... a) {
    if constexpr (R > kMaxRows) {
        return;
    } else if constexpr (P > kPanels) {
        dispatch_block<F, R + 1, 1>(rows, panels, a...);
    } else {
        if (rows == R && panels == P) F<R, P>::call(a...);
        else dispatch_block<F, R, P + 1>(rows, panels, a...);
    }
}

template <int R, int P>
struct Bf16Dp {
    static void call(const uint16_t* pn, int kp, const uint32_t* xw, int64_t ld, float* y, int64_t ldy, int nl, bool acc) {
        bf16_dp_fn<R, P>(pn, kp, xw, ld, y, ldy, nl, acc);
    }
};
template <int R, int P>
struct Bf16Shift {
    static void call(const uint16_t* pn, int kp, const uint32_t* xw, int64_t ld, float* y, int64_t ldy, int nl, bool acc) {
        bf16_shift_fn<R, P>(pn, kp, xw, ld, y, ldy, nl, acc);
    }
};
template <int R, int P>
struct S8Vnni {
    static void call(const int8_t* pn, int kp, const float* sc, const int32_t* rs, const uint32_t* xq, int64_t ld,
                     const RowQuant* q, const uint8_t* fin, float* y, int64_t ldy, int nl, bool acc) {
        s8_vnni_fn<R, P>(pn, kp, sc, rs, xq, ld, q, fin, y, ldy, nl, acc);
    }
};

#undef JRNN_UNROLL

thread_local std::vector<uint16_t> t_bf16;
thread_local std::vector<uint8_t> t_u8;
thread_local std::vector<RowQuant> t_quant;
thread_local std::vector<uint8_t> t_finite;

// The blocks of a product against count matrices: for matrix g, each group of up to kPanels panels (p0, np panels,
// the last with ncols_last columns) and each block of up to kMaxRows rows from row b: block(w, p0, np, ncols_last,
// b, rows, y_g).
template <typename Block>
JRNN_AVX512_INLINE void for_each_block(const Packed* ws, int count, int B, float* y, int64_t y_step, Block&& block) {
    for (int g = 0; g < count; ++g) {
        const Packed& w = ws[g];
        const int panels = w.n_pad / kPanel;
        for (int p0 = 0; p0 < panels; p0 += kPanels) {
            const int np = panels - p0 < kPanels ? panels - p0 : kPanels;
            const int ncols_last = w.n - (p0 + np - 1) * kPanel < kPanel ? w.n - (p0 + np - 1) * kPanel : kPanel;
            for (int b = 0; b < B; b += kMaxRows)
                block(w, p0, np, ncols_last, b, B - b < kMaxRows ? B - b : kMaxRows, y + g * y_step);
        }
    }
}

// The rows of x as bf16 once, then the product against each of the count matrices.
template <template <int, int> class F>
JRNN_AVX512 void bf16_product(const Packed* ws, int count, int B, const float* x, int64_t ldx, float* y, int64_t y_step,
                              int64_t ldy, bool accumulate) {
    const int kp = ws[0].k_pad;
    uint16_t* xb = scratch(t_bf16, static_cast<size_t>(B) * kp);
    round_rows_bf16(B, x, ldx, ws[0].k, kp, xb);
    const uint32_t* xw = reinterpret_cast<const uint32_t*>(xb);
    // (a lambda takes no target from its function: it gets the ISA's own)
    for_each_block(ws, count, B, y, y_step, [&](const Packed& w, int p0, int np, int nl, int b, int rows, float* yg)
                                                JRNN_AVX512 {
        dispatch_block<F>(rows, np, w.bf16 + static_cast<int64_t>(p0) * kPanel * kp, kp,
                          xw + static_cast<int64_t>(b) * kp / 2, static_cast<int64_t>(kp / 2),
                          yg + b * ldy + p0 * kPanel, ldy, nl, accumulate);
    });
}

JRNN_AVX512_BF16 void bf16_dp_multi(const Packed* w, int count, int B, const float* x, int64_t ldx, float* y,
                                    int64_t y_step, int64_t ldy, bool accumulate) {
    bf16_product<Bf16Dp>(w, count, B, x, ldx, y, y_step, ldy, accumulate);
}

// vpdpbusd against each of the count matrices from quantized rows xq (row stride ldxq bytes, a multiple of 4).
JRNN_AVX512_VNNI void s8_vnni_prepared(const Packed* ws, int count, int B, const uint8_t* xq, int64_t ldxq,
                                       const RowQuant* q, const uint8_t* fin, float* y, int64_t y_step, int64_t ldy,
                                       bool accumulate) {
    const int kp = ws[0].k_pad;
    const uint32_t* xw = reinterpret_cast<const uint32_t*>(xq);
    const int64_t ldw = ldxq / 4;
    for_each_block(ws, count, B, y, y_step, [&](const Packed& w, int p0, int np, int nl, int b, int rows, float* yg)
                                                JRNN_AVX512 {
        dispatch_block<S8Vnni>(rows, np, w.s8 + static_cast<int64_t>(p0) * kPanel * kp, kp, w.scale + p0 * kPanel,
                               w.row_sum + p0 * kPanel, xw + b * ldw, ldw, q + b, fin + b, yg + b * ldy + p0 * kPanel,
                               ldy, nl, accumulate);
    });
}

// The rows of x quantized once, then vpdpbusd against each of the count matrices.
JRNN_AVX512_VNNI void s8_vnni_product(const Packed* ws, int count, int B, const float* x, int64_t ldx, float* y,
                                      int64_t y_step, int64_t ldy, bool accumulate) {
    const int kp = ws[0].k_pad;
    uint8_t* xq = scratch(t_u8, static_cast<size_t>(B) * kp);
    RowQuant* q = scratch(t_quant, static_cast<size_t>(B));
    uint8_t* fin = scratch(t_finite, static_cast<size_t>(B));
    quantize_rows_u8(B, x, ldx, ws[0].k, kp, xq, q, fin);
    s8_vnni_prepared(ws, count, B, xq, kp, q, fin, y, y_step, ldy, accumulate);
}

}  // namespace

// The table's products: gemm_packed_lowp_multi (below) with one matrix, so the route is chosen in one place.
JRNN_AVX512 void gemm_packed_bf16_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                      bool accumulate) {
    gemm_packed_lowp_multi(&w, 1, B, x, ldx, y, 0, ldy, accumulate);
}

JRNN_AVX512_BF16 void gemm_packed_bf16_f32_dp(const Packed& w, int B, const float* x, int64_t ldx, float* y,
                                              int64_t ldy, bool accumulate) {
    bf16_dp_multi(&w, 1, B, x, ldx, y, 0, ldy, accumulate);
}

JRNN_AVX512 void gemm_packed_bf16_f32_shift(const Packed& w, int B, const float* x, int64_t ldx, float* y,
                                            int64_t ldy, bool accumulate) {
    bf16_product<Bf16Shift>(&w, 1, B, x, ldx, y, 0, ldy, accumulate);
}

JRNN_AVX512 void gemm_packed_s8_u8(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                   bool accumulate) {
    gemm_packed_lowp_multi(&w, 1, B, x, ldx, y, 0, ldy, accumulate);
}

JRNN_AVX512_VNNI void gemm_packed_s8_u8_vnni(const Packed& w, int B, const float* x, int64_t ldx, float* y,
                                             int64_t ldy, bool accumulate) {
    s8_vnni_product(&w, 1, B, x, ldx, y, 0, ldy, accumulate);
}

// The ISA's choice of route, made once by CPU, with the rows of x prepared once for all count matrices:
//   bf16: AMX tiles (gemm_amx.cpp) where the CPU and OS allow, else vdpbf16ps where the CPU has AVX512_BF16, else
//         the shifts;
//   s8:   AMX tiles from kAmxMinRowsS8 rows, else vpdpbusd where the CPU has AVX512_VNNI, else the AVX2 kernel.
JRNN_AVX512 void gemm_packed_lowp_multi(const Packed* w, int count, int B, const float* x, int64_t ldx, float* y,
                                        int64_t y_step, int64_t ldy, bool accumulate) {
    if (count <= 0 || B <= 0) return;
    static const bool amx_bf16 = cpu_has_amx_bf16(), amx_s8 = cpu_has_amx_int8();
    static const bool dp = cpu_has_avx512_bf16(), vnni = cpu_has_avx512_vnni();
    if (w[0].format == Format::kBF16) {
        if (amx_bf16) gemm_packed_amx_multi(w, count, B, x, ldx, y, y_step, ldy, accumulate);
        else if (dp) bf16_dp_multi(w, count, B, x, ldx, y, y_step, ldy, accumulate);
        else bf16_product<Bf16Shift>(w, count, B, x, ldx, y, y_step, ldy, accumulate);
    } else if (amx_s8 && B >= kAmxMinRowsS8) {
        gemm_packed_amx_multi(w, count, B, x, ldx, y, y_step, ldy, accumulate);
    } else if (vnni) {
        s8_vnni_product(w, count, B, x, ldx, y, y_step, ldy, accumulate);
    } else {
        for (int g = 0; g < count; ++g) avx2::gemm_packed_s8_u8(w[g], B, x, ldx, y + g * y_step, ldy, accumulate);
    }
}

// ---- the s8 input prepared by a team, column by column (see kernels.h) ----

JRNN_AVX512 void row_range_cols_f32(int B, const float* x, int64_t ldx, int j0, int j1, float* lo, float* hi,
                                    uint8_t* finite) {
    for (int b = 0; b < B; ++b) {
        const float* xb = x + b * ldx;
        __m512 l = _mm512_setzero_ps(), h = _mm512_setzero_ps();
        __mmask16 bad = 0;
        for (int j = j0; j < j1; j += 16) {
            const __mmask16 m = mask_first_avx512(j1 - j < 16 ? j1 - j : 16);
            const __m512 v = _mm512_maskz_loadu_ps(m, xb + j);
            const __mmask16 nf = _mm512_mask_fpclass_ps_mask(m, v, 0x99);  // QNaN, +inf, -inf, SNaN
            bad |= nf;
            l = _mm512_mask_min_ps(l, m & ~nf, v, l);
            h = _mm512_mask_max_ps(h, m & ~nf, v, h);
        }
        lo[b] = _mm512_reduce_min_ps(l);
        hi[b] = _mm512_reduce_max_ps(h);
        finite[b] = bad == 0;
    }
}

JRNN_AVX512 void quantize_cols_u8(int B, const float* x, int64_t ldx, int j0, int j1, const RowQuant* q, uint8_t* out,
                                  int64_t ldo) {
    for (int b = 0; b < B; ++b) {
        const float* xb = x + b * ldx;
        uint8_t* ob = out + b * ldo;
        const __m512 inv = _mm512_set1_ps(q[b].inv);
        const __m512i zp = _mm512_set1_epi32(q[b].zp);
        int j = j0;
        for (; j + 16 <= j1; j += 16)
            _mm_storeu_si128(reinterpret_cast<__m128i*>(ob + j), quant16(_mm512_loadu_ps(xb + j), inv, zp));
        if (j < j1) {
            const __mmask16 m = mask_first_avx512(j1 - j);
            _mm_mask_storeu_epi8(ob + j, m, quant16(_mm512_maskz_loadu_ps(m, xb + j), inv, zp));
        }
    }
}

// vpdpbusd where the CPU has AVX512_VNNI (also where it has AMX: the int32 sums are exact on every route, so the
// bits are the same), else the AVX2 kernel.
JRNN_AVX512 void gemm_packed_s8_prepared(const Packed* w, int count, int B, const uint8_t* xq, int64_t ldxq,
                                         const RowQuant* q, const uint8_t* finite, float* y, int64_t y_step,
                                         int64_t ldy, bool accumulate) {
    if (count <= 0 || B <= 0) return;
    static const bool vnni = cpu_has_avx512_vnni();
    if (vnni) s8_vnni_prepared(w, count, B, xq, ldxq, q, finite, y, y_step, ldy, accumulate);
    else avx2::gemm_packed_s8_prepared(w, count, B, xq, ldxq, q, finite, y, y_step, ldy, accumulate);
}

}  // namespace jrnn::avx512
