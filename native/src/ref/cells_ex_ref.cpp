// Scalar general cell passes (ONNX-style options, see CellOptions in kernels.h): the spec of the *_ex_cols_f32
// kernels. Operation order as ONNX Runtime's CPU kernels: biases (already in gx) and peepholes are added, the sum
// clipped, then activated; the LSTM cell state is never clipped.
#include <algorithm>
#include <cmath>

#include "ref/kernels_ref.h"

namespace jrnn::ref {

float act1(const ActFn& a, float x) {
    switch (a.kind) {
        case kActSigmoid: return sigmoid1(x);
        case kActTanh: return std::tanh(x);
        case kActRelu: return x < 0.0f ? 0.0f : x;
        case kActHardSigmoid: return std::min(std::max(a.alpha * x + a.beta, 0.0f), 1.0f);
        case kActElu: return x >= 0.0f ? x : a.alpha * (std::exp(x) - 1.0f);
        case kActSoftsign: return x / (1.0f + std::fabs(x));
        case kActSoftplus: return std::max(x, 0.0f) + std::log1p(std::exp(-std::fabs(x)));
        case kActAffine: return a.alpha * x + a.beta;
        case kActLeakyRelu: return x >= 0.0f ? x : a.alpha * x;
        case kActThresholdedRelu: return x > a.alpha ? x : 0.0f;
        case kActScaledTanh: return a.alpha * std::tanh(a.beta * x);
        default: return x;
    }
}

namespace {

// clip 0 = none; else min(clip, x) then max(-clip, .) as ONNX Runtime.
inline float clip1(float clip, float x) { return clip > 0.0f ? std::max(-clip, std::min(clip, x)) : x; }

}  // namespace

void lstm_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                           int64_t ldgh, float* c, float* h, const uint8_t* active, const CellOptions& o) {
    const float* p = o.peep;
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        float* cb = c + static_cast<int64_t>(b) * H;
        float* hb = h + static_cast<int64_t>(b) * H;
        for (int j = j0; j < j1; ++j) {
            const float cp = cb[j];
            float pi = gxb[j] + ghb[j];
            if (p) pi += p[j] * cp;
            const float i = act1(o.f, clip1(o.clip, pi));
            float f;
            if (o.input_forget) {
                f = 1.0f - i;
            } else {
                float pf = gxb[H + j] + ghb[H + j];
                if (p) pf += p[H + j] * cp;
                f = act1(o.f, clip1(o.clip, pf));
            }
            const float g = act1(o.g, clip1(o.clip, gxb[2 * H + j] + ghb[2 * H + j]));
            const float cn = f * cp + i * g;
            float po = gxb[3 * H + j] + ghb[3 * H + j];
            if (p) po += p[2 * H + j] * cn;
            const float og = act1(o.f, clip1(o.clip, po));
            cb[j] = cn;
            hb[j] = og * act1(o.h, cn);
        }
    }
}

void gru_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                          int64_t ldgh, const float* b_hn, float* h, const uint8_t* active, const CellOptions& o) {
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        float* hb = h + static_cast<int64_t>(b) * H;
        for (int j = j0; j < j1; ++j) {
            const float r = act1(o.f, clip1(o.clip, gxb[j] + ghb[j]));
            const float z = act1(o.f, clip1(o.clip, gxb[H + j] + ghb[H + j]));
            const float n = act1(o.g, clip1(o.clip, gxb[2 * H + j] + r * (ghb[2 * H + j] + b_hn[j])));
            hb[j] = (1.0f - z) * n + z * hb[j];
        }
    }
}

void gru_gates_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                           int64_t ldgh, const float* h, float* z, float* rh, const uint8_t* active,
                           const CellOptions& o) {
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        const int64_t off = static_cast<int64_t>(b) * H;
        for (int j = j0; j < j1; ++j) {
            const float r = act1(o.f, clip1(o.clip, gxb[j] + ghb[j]));
            z[off + j] = act1(o.f, clip1(o.clip, gxb[H + j] + ghb[H + j]));
            rh[off + j] = r * h[off + j];
        }
    }
}

void gru_update_ex_cols_f32(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx, const float* ghn,
                            int64_t ldgh, const float* z, float* h, const uint8_t* active, const CellOptions& o) {
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx_n + b * ldgx;
        const float* ghb = ghn + b * ldgh;
        const int64_t off = static_cast<int64_t>(b) * H;
        for (int j = j0; j < j1; ++j) {
            const float n = act1(o.g, clip1(o.clip, gxb[j] + ghb[j]));
            h[off + j] = (1.0f - z[off + j]) * n + z[off + j] * h[off + j];
        }
    }
}

void rnn_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                          int64_t ldgh, float* h, const uint8_t* active, const CellOptions& o) {
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        float* hb = h + static_cast<int64_t>(b) * H;
        for (int j = j0; j < j1; ++j) hb[j] = act1(o.f, clip1(o.clip, gxb[j] + ghb[j]));
    }
}

}  // namespace jrnn::ref
