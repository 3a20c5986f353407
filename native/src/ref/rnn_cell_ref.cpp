// Scalar Elman cell pass: h = act(W_ih x + b_ih + W_hh h + b_hh).
#include <cmath>

#include "ref/kernels_ref.h"

namespace jrnn::ref {

void rnn_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                       float* h, const uint8_t* active, bool relu) {
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        const float* gxb = gx + b * ldgx;
        const float* ghb = gh + b * ldgh;
        float* hb = h + static_cast<int64_t>(b) * H;
        for (int j = j0; j < j1; ++j) {
            const float a = gxb[j] + ghb[j];
            hb[j] = relu ? (a < 0.0f ? 0.0f : a) : std::tanh(a);  // relu keeps NaN
        }
    }
}

void rnn_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* h,
                  const uint8_t* active, bool relu) {
    rnn_cell_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, h, active, relu);
}

}  // namespace jrnn::ref
