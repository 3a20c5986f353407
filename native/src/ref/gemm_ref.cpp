// Scalar product against a packed weight matrix: y[B,N] (+)= x[B,K] . W[N,K]^T.
#include <limits>

#include "core/quant.h"
#include "ref/kernels_ref.h"

namespace jrnn::ref {

void gemm_packed_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy, bool accumulate) {
    for (int b = 0; b < B; ++b) {
        const float* xb = x + b * ldx;
        float* yb = y + b * ldy;
        for (int n = 0; n < w.n; ++n) {
            const float* panel = w.data + static_cast<int64_t>(n / kPanel) * kPanel * w.k;
            const int j = n % kPanel;
            float acc = 0.0f;
            for (int k = 0; k < w.k; ++k) acc += panel[static_cast<int64_t>(k) * kPanel + j] * xb[k];
            yb[n] = accumulate ? yb[n] + acc : acc;
        }
    }
}

}  // namespace jrnn::ref

// ---- reduced precision (SPEC §1.5): the spec of the bf16 and s8 kernels ----

namespace jrnn::ref {

// bf16 weights, x rounded to bf16: each product of two bf16 values is exact in float32, summed in k order.
void gemm_packed_bf16_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                          bool accumulate) {
    for (int b = 0; b < B; ++b) {
        const float* xb = x + b * ldx;
        float* yb = y + b * ldy;
        for (int n = 0; n < w.n; ++n) {
            const uint16_t* panel = w.bf16 + static_cast<int64_t>(n / kPanel) * kPanel * w.k_pad;
            const int j = n % kPanel;
            float acc = 0.0f;
            for (int k = 0; k < w.k; ++k) {
                const float wk = bf16_to_f32(panel[static_cast<int64_t>(k & ~1) * kPanel + j * 2 + (k & 1)]);
                acc += wk * bf16_to_f32(bf16_round(xb[k]));
            }
            yb[n] = accumulate ? yb[n] + acc : acc;
        }
    }
}

// s8 weights, x quantized to uint8 per row; integer sums exact, then dequantized.
void gemm_packed_s8_u8(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy, bool accumulate) {
    for (int b = 0; b < B; ++b) {
        const float* xb = x + b * ldx;
        float* yb = y + b * ldy;
        bool finite = true;
        float lo = 0.0f, hi = 0.0f;
        for (int k = 0; k < w.k; ++k) {
            if (!std::isfinite(xb[k])) finite = false;
            else {
                lo = std::min(lo, xb[k]);
                hi = std::max(hi, xb[k]);
            }
        }
        const RowQuant q = row_quant(lo, hi);
        for (int n = 0; n < w.n; ++n) {
            const int8_t* panel = w.s8 + static_cast<int64_t>(n / kPanel) * kPanel * w.k_pad;
            const int j = n % kPanel;
            int32_t acc = 0;
            for (int k = 0; k < w.k; ++k)
                acc += static_cast<int32_t>(quant_u8(xb[k], q)) * panel[static_cast<int64_t>(k & ~3) * kPanel + j * 4 + (k & 3)];
            const float v = finite ? dequant(q.sx, w.scale[n], acc - q.zp * w.row_sum[n])
                                   : std::numeric_limits<float>::quiet_NaN();
            yb[n] = accumulate ? yb[n] + v : v;
        }
    }
}

// The s8 product's quantization split by columns (a team's threads each take theirs), then its sums.
void row_range_cols_f32(int B, const float* x, int64_t ldx, int j0, int j1, float* lo, float* hi, uint8_t* finite) {
    for (int b = 0; b < B; ++b) {
        const float* xb = x + b * ldx;
        bool fin = true;
        float l = 0.0f, h = 0.0f;
        for (int j = j0; j < j1; ++j) {
            if (!std::isfinite(xb[j])) fin = false;
            else {
                l = std::min(l, xb[j]);
                h = std::max(h, xb[j]);
            }
        }
        lo[b] = l;
        hi[b] = h;
        finite[b] = fin;
    }
}

void quantize_cols_u8(int B, const float* x, int64_t ldx, int j0, int j1, const RowQuant* q, uint8_t* out,
                      int64_t ldo) {
    for (int b = 0; b < B; ++b)
        for (int j = j0; j < j1; ++j) out[b * ldo + j] = quant_u8(x[b * ldx + j], q[b]);
}

void gemm_packed_s8_prepared(const Packed* ws, int count, int B, const uint8_t* xq, int64_t ldxq, const RowQuant* q,
                             const uint8_t* finite, float* y, int64_t y_step, int64_t ldy, bool accumulate) {
    for (int g = 0; g < count; ++g) {
        const Packed& w = ws[g];
        for (int b = 0; b < B; ++b) {
            const uint8_t* xb = xq + b * ldxq;
            float* yb = y + g * y_step + b * ldy;
            for (int n = 0; n < w.n; ++n) {
                const int8_t* panel = w.s8 + static_cast<int64_t>(n / kPanel) * kPanel * w.k_pad;
                const int j = n % kPanel;
                int32_t acc = 0;
                for (int k = 0; k < w.k; ++k)
                    acc += static_cast<int32_t>(xb[k]) * panel[static_cast<int64_t>(k & ~3) * kPanel + j * 4 + (k & 3)];
                const float v = finite[b] ? dequant(q[b].sx, w.scale[n], acc - q[b].zp * w.row_sum[n])
                                          : std::numeric_limits<float>::quiet_NaN();
                yb[n] = accumulate ? yb[n] + v : v;
            }
        }
    }
}

}  // namespace jrnn::ref
