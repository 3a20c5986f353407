// Scalar GRU cell passes (gate order r, z, n as torch.nn.GRU stacks them).
#include <cmath>

#include "ref/kernels_ref.h"

namespace jrnn::ref {

void gru_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                       const float* b_hn, float* h, const uint8_t* active) {
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        float* hb = h + static_cast<int64_t>(b) * H;
        for (int j = j0; j < j1; ++j) {
            const float r = sigmoid1(gxb[j] + ghb[j]);
            const float z = sigmoid1(gxb[H + j] + ghb[H + j]);
            const float n = std::tanh(gxb[2 * H + j] + r * (ghb[2 * H + j] + b_hn[j]));
            hb[j] = (1.0f - z) * n + z * hb[j];
        }
    }
}

void gru_gates_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                        const float* h, float* z, float* rh, const uint8_t* active) {
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        const int64_t o = static_cast<int64_t>(b) * H;
        for (int j = j0; j < j1; ++j) {
            const float r = sigmoid1(gxb[j] + ghb[j]);
            z[o + j] = sigmoid1(gxb[H + j] + ghb[H + j]);
            rh[o + j] = r * h[o + j];
        }
    }
}

void gru_update_cols_f32(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx, const float* ghn,
                         int64_t ldgh, const float* z, float* h, const uint8_t* active) {
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx_n + b * ldgx;
        const float* ghb = ghn + b * ldgh;
        const int64_t o = static_cast<int64_t>(b) * H;
        for (int j = j0; j < j1; ++j) {
            const float n = std::tanh(gxb[j] + ghb[j]);
            h[o + j] = (1.0f - z[o + j]) * n + z[o + j] * h[o + j];
        }
    }
}

void gru_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* b_hn,
                  float* h, const uint8_t* active) {
    gru_cell_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, b_hn, h, active);
}

void gru_gates_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* h,
                   float* z, float* rh, const uint8_t* active) {
    gru_gates_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, h, z, rh, active);
}

void gru_update_f32(int B, int H, const float* gx_n, int64_t ldgx, const float* ghn, int64_t ldgh, const float* z,
                    float* h, const uint8_t* active) {
    gru_update_cols_f32(B, H, 0, H, gx_n, ldgx, ghn, ldgh, z, h, active);
}

}  // namespace jrnn::ref
