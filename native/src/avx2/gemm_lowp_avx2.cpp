// Products against bf16 and s8 weights (SPEC §1.5), AVX2 twins of ref/gemm_ref.cpp's reduced-precision kernels.
//   bf16: each weight pair widened to f32 by a shift and summed in k order with FMAs: every product of two bf16
//         values is exact in f32, so this gives the ref kernel's bits (and is batch-invariant).
//   s8:   u8 x s8 quads summed exactly into int32: vpdpbusd (AVX-VNNI) where the CPU has it, else both widened to
//         int16 and multiplied by vpmaddwd, whose pair sums (at most 2 * 255 * 127) cannot saturate the way
//         vpmaddubsw's int16 sums would. Exact sums: the ref kernel's bits on either route.
#include <cstring>
#include <limits>
#include <vector>

#include "avx2/kernels_avx2.h"
#include "core/quant.h"

#define JRNN_AVX2_VNNI __attribute__((target("avx2,fma,avxvnni")))

namespace jrnn::avx2 {

namespace {

#define JRNN_UNROLL _Pragma("GCC unroll 8")

thread_local std::vector<float> t_f32;
thread_local std::vector<uint8_t> t_u8;
thread_local std::vector<RowQuant> t_quant;
thread_local std::vector<uint8_t> t_finite;

template <typename T>
T* scratch(std::vector<T>& v, size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
}

JRNN_AVX2_INLINE int word_at(const uint8_t* base, int64_t i) {
    int v;
    std::memcpy(&v, base + 4 * i, 4);
    return v;
}

// Rows [0, R) of x (already bf16-rounded, as f32, row stride ldx >= k_pad, zeros past K) against panels [0, P).
template <int R, int P>
JRNN_AVX2_INLINE void bf16_block(const uint16_t* panels, int k_pad, const float* x, int64_t ldx, float* y, int64_t ldy,
                                 int ncols_last, bool accumulate) {
    const int64_t stride = static_cast<int64_t>(kPanel) * k_pad;
    const __m256i hi_half = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u));
    __m256 acc[R][P][2];
    JRNN_UNROLL for (int r = 0; r < R; ++r) JRNN_UNROLL for (int p = 0; p < P; ++p) acc[r][p][0] = acc[r][p][1] = _mm256_setzero_ps();
    for (int k = 0; k < k_pad; k += 2) {
        JRNN_UNROLL for (int p = 0; p < P; ++p) {
            const uint16_t* wk = panels + p * stride + static_cast<int64_t>(k) * kPanel;
            const __m256i v0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wk));       // rows 0-7
            const __m256i v1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wk + 16));  // rows 8-15
            const __m256 e0 = _mm256_castsi256_ps(_mm256_slli_epi32(v0, 16)), o0 = _mm256_castsi256_ps(_mm256_and_si256(v0, hi_half));
            const __m256 e1 = _mm256_castsi256_ps(_mm256_slli_epi32(v1, 16)), o1 = _mm256_castsi256_ps(_mm256_and_si256(v1, hi_half));
            JRNN_UNROLL for (int r = 0; r < R; ++r) {
                const __m256 x0 = _mm256_broadcast_ss(x + r * ldx + k), x1 = _mm256_broadcast_ss(x + r * ldx + k + 1);
                acc[r][p][0] = _mm256_fmadd_ps(o0, x1, _mm256_fmadd_ps(e0, x0, acc[r][p][0]));
                acc[r][p][1] = _mm256_fmadd_ps(o1, x1, _mm256_fmadd_ps(e1, x0, acc[r][p][1]));
            }
        }
    }
    JRNN_UNROLL for (int r = 0; r < R; ++r)
        JRNN_UNROLL for (int p = 0; p < P; ++p) {
            const int cols = p == P - 1 ? ncols_last : kPanel;
            float* yp = y + r * ldy + p * kPanel;
            const __m256i m0 = mask_first_avx2(cols < 8 ? cols : 8), m1 = mask_first_avx2(cols > 8 ? cols - 8 : 0);
            __m256 a = acc[r][p][0], b = acc[r][p][1];
            if (accumulate) {
                a = _mm256_add_ps(a, _mm256_maskload_ps(yp, m0));
                b = _mm256_add_ps(b, _mm256_maskload_ps(yp + 8, m1));
            }
            _mm256_maskstore_ps(yp, m0, a);
            _mm256_maskstore_ps(yp + 8, m1, b);
        }
}

// 16 int32 row sums of one panel (two ymm, rows 0-7 and 8-15) dequantized into y (ncols columns).
JRNN_AVX2_INLINE void dequant_store(__m256i s0, __m256i s1, const RowQuant& q, bool finite, const float* scale,
                                    const int32_t* row_sum, float* y, int ncols, bool accumulate) {
    const __m256i zp = _mm256_set1_epi32(q.zp);
    const __m256 sx = _mm256_set1_ps(q.sx);
    const __m256i m0 = mask_first_avx2(ncols < 8 ? ncols : 8), m1 = mask_first_avx2(ncols > 8 ? ncols - 8 : 0);
    __m256i s[2] = {s0, s1};
    const __m256i m[2] = {m0, m1};
    for (int h = 0; h < 2; ++h) {
        const __m256i rs = _mm256_maskload_epi32(row_sum + 8 * h, m[h]);
        const __m256 sc = _mm256_maskload_ps(scale + 8 * h, m[h]);
        const __m256i isum = _mm256_sub_epi32(s[h], _mm256_mullo_epi32(zp, rs));
        __m256 v = finite ? _mm256_mul_ps(_mm256_mul_ps(sx, sc), _mm256_cvtepi32_ps(isum))
                          : _mm256_set1_ps(std::numeric_limits<float>::quiet_NaN());
        if (accumulate) v = _mm256_add_ps(v, _mm256_maskload_ps(y + 8 * h, m[h]));
        _mm256_maskstore_ps(y + 8 * h, m[h], v);
    }
}

// One row against one panel with vpmaddwd: 8 pair-sum accumulators per 4 rows, combined at the end.
JRNN_AVX2_INLINE void s8_madd_panel(const int8_t* panel, int k_pad, const uint8_t* xq, __m256i& r0_7, __m256i& r8_15) {
    __m256i a[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int k = 0; k < k_pad; k += 4) {
        int64_t quad;  // x[k..k+3] as four int16
        const uint32_t w = static_cast<uint32_t>(word_at(xq, k / 4));
        quad = static_cast<int64_t>(w & 0xFF) | (static_cast<int64_t>((w >> 8) & 0xFF) << 16) |
               (static_cast<int64_t>((w >> 16) & 0xFF) << 32) | (static_cast<int64_t>(w >> 24) << 48);
        const __m256i xv = _mm256_set1_epi64x(quad);
        const int8_t* wk = panel + static_cast<int64_t>(k) * kPanel;  // 64 bytes: rows 0-15 x 4 k
        JRNN_UNROLL for (int c = 0; c < 4; ++c) {  // rows 4c..4c+3
            const __m256i w16 = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(wk + 16 * c)));
            a[c] = _mm256_add_epi32(a[c], _mm256_madd_epi16(w16, xv));
        }
    }
    // a[c] lanes: row 4c+j's two pair sums at lanes 2j, 2j+1 (j < 4); hadd, then undo hadd's lane order
    const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
    r0_7 = _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(a[0], a[1]), order);
    r8_15 = _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(a[2], a[3]), order);
}

#undef JRNN_UNROLL

}  // namespace

// x rows -> uint8 (the ref's scalar quantization: std::nearbyint and the shared RowQuant).
static void quantize_rows(int B, const float* x, int64_t ldx, int K, int k_pad, uint8_t* out, RowQuant* q,
                          uint8_t* finite) {
    for (int b = 0; b < B; ++b) {
        const float* xb = x + b * ldx;
        bool fin = true;
        float lo = 0.0f, hi = 0.0f;
        for (int k = 0; k < K; ++k) {
            if (!std::isfinite(xb[k])) fin = false;
            else {
                lo = std::min(lo, xb[k]);
                hi = std::max(hi, xb[k]);
            }
        }
        finite[b] = fin;
        q[b] = row_quant(lo, hi);
        uint8_t* ob = out + static_cast<int64_t>(b) * k_pad;
        for (int k = 0; k < K; ++k) ob[k] = fin ? quant_u8(xb[k], q[b]) : 0;
        for (int k = K; k < k_pad; ++k) ob[k] = 0;
    }
}

JRNN_AVX2 void gemm_packed_bf16_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                    bool accumulate) {
    const int kp = w.k_pad;
    float* xr = scratch(t_f32, static_cast<size_t>(B) * kp);  // rows rounded to bf16, as f32
    for (int b = 0; b < B; ++b) {
        for (int k = 0; k < w.k; ++k) xr[static_cast<int64_t>(b) * kp + k] = bf16_to_f32(bf16_round(x[b * ldx + k]));
        for (int k = w.k; k < kp; ++k) xr[static_cast<int64_t>(b) * kp + k] = 0.0f;
    }
    const int panels = w.n_pad / kPanel;
    const int P = B == 1 ? 4 : B == 2 ? 2 : 1;  // 8 accumulator pairs: enough chains at any row count
    const int R = B == 1 ? 1 : B == 2 ? 2 : 3;
    for (int p0 = 0; p0 < panels; p0 += P) {
        const int np = panels - p0 < P ? panels - p0 : P;
        const int ncols_last = w.n - (p0 + np - 1) * kPanel < kPanel ? w.n - (p0 + np - 1) * kPanel : kPanel;
        const uint16_t* group = w.bf16 + static_cast<int64_t>(p0) * kPanel * kp;
        for (int b = 0; b < B; b += R) {
            const int rows = B - b < R ? B - b : R;
            const float* xb = xr + static_cast<int64_t>(b) * kp;
            float* yb = y + b * ldy + p0 * kPanel;
            switch (rows * 8 + np) {
                case 8 + 1: bf16_block<1, 1>(group, kp, xb, kp, yb, ldy, ncols_last, accumulate); break;
                case 8 + 2: bf16_block<1, 2>(group, kp, xb, kp, yb, ldy, ncols_last, accumulate); break;
                case 8 + 3: bf16_block<1, 3>(group, kp, xb, kp, yb, ldy, ncols_last, accumulate); break;
                case 8 + 4: bf16_block<1, 4>(group, kp, xb, kp, yb, ldy, ncols_last, accumulate); break;
                case 16 + 1: bf16_block<2, 1>(group, kp, xb, kp, yb, ldy, ncols_last, accumulate); break;
                case 16 + 2: bf16_block<2, 2>(group, kp, xb, kp, yb, ldy, ncols_last, accumulate); break;
                case 24 + 1: bf16_block<3, 1>(group, kp, xb, kp, yb, ldy, ncols_last, accumulate); break;
                default: break;
            }
        }
    }
}

namespace {

JRNN_AVX2_VNNI void s8_vnni_panel(const int8_t* panel, int k_pad, const uint8_t* xq, __m256i& r0_7, __m256i& r8_15) {
    __m256i a = _mm256_setzero_si256(), b = _mm256_setzero_si256();
    for (int k = 0; k < k_pad; k += 4) {
        const __m256i xv = _mm256_set1_epi32(word_at(xq, k / 4));
        const int8_t* wk = panel + static_cast<int64_t>(k) * kPanel;
        a = _mm256_dpbusd_avx_epi32(a, xv, _mm256_load_si256(reinterpret_cast<const __m256i*>(wk)));
        b = _mm256_dpbusd_avx_epi32(b, xv, _mm256_load_si256(reinterpret_cast<const __m256i*>(wk + 32)));
    }
    r0_7 = a;
    r8_15 = b;
}

JRNN_AVX2 void s8_madd_panel_fn(const int8_t* panel, int k_pad, const uint8_t* xq, __m256i& r0_7, __m256i& r8_15) {
    s8_madd_panel(panel, k_pad, xq, r0_7, r8_15);
}

// The product against count matrices from quantized rows xq (row stride ldxq bytes).
template <bool Vnni>
JRNN_AVX2 void s8_prepared(const Packed* ws, int count, int B, const uint8_t* xq, int64_t ldxq, const RowQuant* q,
                           const uint8_t* fin, float* y, int64_t y_step, int64_t ldy, bool accumulate) {
    for (int g = 0; g < count; ++g) {
        const Packed& w = ws[g];
        const int kp = w.k_pad;
        float* yg = y + g * y_step;
        const int panels = w.n_pad / kPanel;
        for (int p = 0; p < panels; ++p) {
            const int ncols = w.n - p * kPanel < kPanel ? w.n - p * kPanel : kPanel;
            const int8_t* panel = w.s8 + static_cast<int64_t>(p) * kPanel * kp;
            for (int b = 0; b < B; ++b) {
                __m256i s0, s1;
                if constexpr (Vnni) s8_vnni_panel(panel, kp, xq + b * ldxq, s0, s1);
                else s8_madd_panel_fn(panel, kp, xq + b * ldxq, s0, s1);
                dequant_store(s0, s1, q[b], fin[b], w.scale + p * kPanel, w.row_sum + p * kPanel,
                              yg + b * ldy + p * kPanel, ncols, accumulate);
            }
        }
    }
}

template <bool Vnni>
JRNN_AVX2 void s8_product(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy, bool accumulate) {
    const int kp = w.k_pad;
    uint8_t* xq = scratch(t_u8, static_cast<size_t>(B) * kp);
    RowQuant* q = scratch(t_quant, static_cast<size_t>(B));
    uint8_t* fin = scratch(t_finite, static_cast<size_t>(B));
    quantize_rows(B, x, ldx, w.k, kp, xq, q, fin);
    s8_prepared<Vnni>(&w, 1, B, xq, kp, q, fin, y, 0, ldy, accumulate);
}

JRNN_AVX2_VNNI void s8_prepared_vnni(const Packed* w, int count, int B, const uint8_t* xq, int64_t ldxq,
                                     const RowQuant* q, const uint8_t* fin, float* y, int64_t y_step, int64_t ldy,
                                     bool accumulate) {
    s8_prepared<true>(w, count, B, xq, ldxq, q, fin, y, y_step, ldy, accumulate);
}

}  // namespace

JRNN_AVX2 void gemm_packed_s8_u8(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                 bool accumulate) {
    static const bool vnni = cpu_has_avx_vnni();
    if (vnni) gemm_packed_s8_u8_vnni(w, B, x, ldx, y, ldy, accumulate);
    else gemm_packed_s8_u8_madd(w, B, x, ldx, y, ldy, accumulate);
}

JRNN_AVX2 void gemm_packed_s8_prepared(const Packed* w, int count, int B, const uint8_t* xq, int64_t ldxq,
                                      const RowQuant* q, const uint8_t* finite, float* y, int64_t y_step, int64_t ldy,
                                      bool accumulate) {
    static const bool vnni = cpu_has_avx_vnni();
    if (vnni) s8_prepared_vnni(w, count, B, xq, ldxq, q, finite, y, y_step, ldy, accumulate);
    else s8_prepared<false>(w, count, B, xq, ldxq, q, finite, y, y_step, ldy, accumulate);
}

JRNN_AVX2_VNNI void gemm_packed_s8_u8_vnni(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                           bool accumulate) {
    s8_product<true>(w, B, x, ldx, y, ldy, accumulate);
}

JRNN_AVX2 void gemm_packed_s8_u8_madd(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                      bool accumulate) {
    s8_product<false>(w, B, x, ldx, y, ldy, accumulate);
}

}  // namespace jrnn::avx2
