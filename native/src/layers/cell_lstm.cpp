// The LSTM cell, with the optional projection (proj_size): one step of one direction, this thread's share (see
// recurrent.cpp).
#include <cstdint>
#include <cstring>

#include "core/profile.h"
#include "layers/recurrent.h"

namespace jrnn {

namespace rec {

void step_lstm(const KernelTable& k, const jrnn_rnn& r, const Direction& d, int B, const float* gx, int64_t ldgx,
               const float* cur, float* nxt, DirBuffers& s, const uint8_t* mask, const Share& sh, bool backward,
               const BeforeCell& before_cell) {
    const int H = r.H, Hout = r.Hout, gh = r.gh();
    const Range u = sh.u, o = sh.o;
    recurrent_products(r, d, B, 4, cur, s, u, backward);
    before_cell();
    const bool sig = (r.flags & JRNN_LSTM_SIGMOID_CANDIDATE) != 0;
    // The fused PyTorch pass, or the general one when ONNX-style options ask for more (same arguments).
    auto cell = [&](float* hout) {
        if (r.general) k.lstm_cell_ex_cols_f32(B, H, u.j0, u.j1, gx, ldgx, s.gh, gh, s.c, hout, mask, d.opts);
        else k.lstm_cell_cols_f32(B, H, u.j0, u.j1, gx, ldgx, s.gh, gh, s.c, hout, mask, sig);
    };
    if (r.P == 0) {
        JRNN_PROFILE_SCOPE(kCell);
        if (mask) copy_cols(cur, nxt, B, Hout, u);
        cell(nxt);
    } else {
        // h = W_hr (o * tanh(c)): the projection runs on all rows and reads every unit, the state takes
        // the active rows.
        {
            JRNN_PROFILE_SCOPE(kCell);
            cell(s.hraw);
        }
        if (sh.bar) {
            JRNN_PROFILE_SCOPE(kBarrier);
            sh.bar->wait();
        }
        {
            JRNN_PROFILE_SCOPE(kRecurrent);
            product(d.w_hr.rows(0, o.j0, o.j1), B, s.hraw, H, s.hproj + o.j0, r.P, false);
        }
        JRNN_PROFILE_SCOPE(kCell);
        if (o.size() > 0) {
            for (int b = 0; b < B; ++b) {
                const float* src = mask && !mask[b] ? cur : s.hproj;
                std::memcpy(nxt + static_cast<int64_t>(b) * Hout + o.j0, src + static_cast<int64_t>(b) * Hout + o.j0,
                            sizeof(float) * o.size());
            }
        }
    }
}

}  // namespace rec

}  // namespace jrnn
