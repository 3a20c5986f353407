// The Elman RNN cell (tanh or ReLU): one step of one direction, this thread's share (see recurrent.cpp).
#include <cstdint>
#include <cstring>

#include "core/profile.h"
#include "layers/recurrent.h"

namespace jrnn {

namespace rec {

void step_rnn(const KernelTable& k, const jrnn_rnn& r, const Direction& d, int B, const float* gx, int64_t ldgx,
              const float* cur, float* nxt, DirBuffers& s, const uint8_t* mask, const Share& sh, bool backward,
              const BeforeCell& before_cell) {
    const int H = r.H, Hout = r.Hout, gh = r.gh();
    const Range u = sh.u;
    recurrent_product(r, d, B, 0, cur, s, u, backward);
    before_cell();
    {
        JRNN_PROFILE_SCOPE(kCell);
        if (mask) copy_cols(cur, nxt, B, Hout, u);
        if (r.general) k.rnn_cell_ex_cols_f32(B, H, u.j0, u.j1, gx, ldgx, s.gh, gh, nxt, mask, d.opts);
        else k.rnn_cell_cols_f32(B, H, u.j0, u.j1, gx, ldgx, s.gh, gh, nxt, mask, r.cell == JRNN_CELL_RNN_RELU);
    }
}

}  // namespace rec

}  // namespace jrnn
