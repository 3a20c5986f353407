// The per-row input quantization of the INT8 format (SPEC §1.5), the scalar part every ISA shares: from a row's
// minimum and maximum to its scale and zero point. The kernels quantize the elements themselves (the ref kernel
// in plain C++, the SIMD ones with the same operations), so every ISA produces the same uint8 row.
#ifndef JRNN_CORE_QUANT_H
#define JRNN_CORE_QUANT_H

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace jrnn {

struct RowQuant {
    float sx = 1.0f;   // s_x = (hi - lo) / 255, 1 when hi == lo
    float inv = 1.0f;  // 1 / s_x in float32
    int32_t zp = 0;    // clamp(rne(-lo * inv), 0, 255)
};

// lo, hi: the row's minimum and maximum (finite).
inline RowQuant row_quant(float lo, float hi) {
    lo = std::min(0.0f, lo);
    hi = std::max(0.0f, hi);
    RowQuant q;
    q.sx = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    q.inv = 1.0f / q.sx;
    q.zp = static_cast<int32_t>(std::clamp(std::nearbyint(-lo * q.inv), 0.0f, 255.0f));
    return q;
}

// One element: clamp(rne(x * inv) + zp, 0, 255).
inline uint8_t quant_u8(float x, const RowQuant& q) {
    return static_cast<uint8_t>(std::clamp(std::nearbyint(x * q.inv) + static_cast<float>(q.zp), 0.0f, 255.0f));
}

// y = (s_x * s_n) * float(isum): the dequantization, in this association on every ISA.
inline float dequant(float sx, float sn, int32_t isum) { return (sx * sn) * static_cast<float>(isum); }

}  // namespace jrnn

#endif
