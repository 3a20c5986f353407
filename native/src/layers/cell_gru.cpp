// The GRU cell, reset after (PyTorch) or before (Cho 2014, ONNX's default): one step of one direction, this
// thread's share (see recurrent.cpp).
#include <cstdint>
#include <cstring>

#include "core/profile.h"
#include "layers/recurrent.h"

namespace jrnn {

namespace rec {

void step_gru(const KernelTable& k, const jrnn_rnn& r, const Direction& d, int B, const float* gx, int64_t ldgx,
              const float* cur, float* nxt, DirBuffers& s, const uint8_t* mask, const Share& sh, bool backward,
              const BeforeCell& before_cell) {
    const int H = r.H, Hout = r.Hout, gh = r.gh();
    const Range u = sh.u;
    if (!r.reset_before()) {
        recurrent_products(r, d, B, 3, cur, s, u, backward);
        before_cell();
        JRNN_PROFILE_SCOPE(kCell);
        copy_cols(cur, nxt, B, Hout, u);  // the cell updates h in place
        if (r.general) k.gru_cell_ex_cols_f32(B, H, u.j0, u.j1, gx, ldgx, s.gh, gh, d.b_hn, nxt, mask, d.opts);
        else k.gru_cell_cols_f32(B, H, u.j0, u.j1, gx, ldgx, s.gh, gh, d.b_hn, nxt, mask);
    } else {
        // r,z rows first; the candidate's product reads r*h of every unit.
        recurrent_products(r, d, B, 2, cur, s, u, backward);
        before_cell();
        {
            JRNN_PROFILE_SCOPE(kCell);
            if (r.general) k.gru_gates_ex_cols_f32(B, H, u.j0, u.j1, gx, ldgx, s.gh, gh, cur, s.z, s.rh, mask, d.opts);
            else k.gru_gates_cols_f32(B, H, u.j0, u.j1, gx, ldgx, s.gh, gh, cur, s.z, s.rh, mask);
        }
        if (sh.bar) {
            JRNN_PROFILE_SCOPE(kBarrier);
            sh.bar->wait();
        }
        recurrent_product(r, d, B, 2, s.rh, s, u, backward);  // rh[B, H], and H == Hout for a GRU
        JRNN_PROFILE_SCOPE(kCell);
        copy_cols(cur, nxt, B, Hout, u);
        if (r.general)
            k.gru_update_ex_cols_f32(B, H, u.j0, u.j1, gx + 2 * H, ldgx, s.gh + 2 * H, gh, s.z, nxt, mask, d.opts);
        else k.gru_update_cols_f32(B, H, u.j0, u.j1, gx + 2 * H, ldgx, s.gh + 2 * H, gh, s.z, nxt, mask);
    }
}

}  // namespace rec

}  // namespace jrnn
