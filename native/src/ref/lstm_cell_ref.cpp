// Scalar LSTM cell pass (gate order i, f, g, o as torch.nn.LSTM stacks them).
#include <cmath>

#include "ref/kernels_ref.h"

namespace jrnn::ref {

void lstm_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                        float* c, float* h, const uint8_t* active, bool sigmoid_candidate) {
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        float* cb = c + static_cast<int64_t>(b) * H;
        float* hb = h + static_cast<int64_t>(b) * H;
        for (int j = j0; j < j1; ++j) {
            const float i = sigmoid1(gxb[j] + ghb[j]);
            const float f = sigmoid1(gxb[H + j] + ghb[H + j]);
            const float gp = gxb[2 * H + j] + ghb[2 * H + j];
            const float g = sigmoid_candidate ? sigmoid1(gp) : std::tanh(gp);
            const float o = sigmoid1(gxb[3 * H + j] + ghb[3 * H + j]);
            const float cn = f * cb[j] + i * g;
            cb[j] = cn;
            hb[j] = o * std::tanh(cn);
        }
    }
}

void lstm_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* c, float* h,
                   const uint8_t* active, bool sigmoid_candidate) {
    lstm_cell_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, c, h, active, sigmoid_candidate);
}

}  // namespace jrnn::ref
