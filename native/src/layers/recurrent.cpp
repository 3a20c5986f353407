// Recurrent stacks (Elman RNN, LSTM, GRU): weights folded and packed once at load, then per layer and
// direction one input GEMM over all time steps and, per step, one recurrent product plus one fused cell pass.
#include <cblas.h>

#include <cstring>
#include <new>
#include <vector>

#include "jrnn/jrnn.h"
#include "kernels.h"
#include "layers/workspace.h"

namespace jrnn {

namespace {

// Above this batch the per-step recurrent product goes to OpenBLAS; at or below, to the packed kernel.
constexpr int kPackedMaxBatch = 8;

struct Direction {
    bool set = false;
    float* w_ih = nullptr;  // [G*H, in] row-major (OpenBLAS input GEMM)
    Packed w_ih_p;          // the same, packed (small-batch streaming steps)
    float* w_hh = nullptr;  // [G*H, Hout] row-major (OpenBLAS at large batch)
    Packed w_hh_p;          // packed; for GRU reset-before only the r,z rows [2H, Hout]
    Packed w_hn_p;          // GRU reset-before: the n rows [H, Hout]
    float* bias = nullptr;  // [G*H] what the input GEMM starts from (see fold_biases)
    float* b_hn = nullptr;  // [H] GRU reset-after: b_hn stays inside r * (W_hn h + b_hn)
    float* w_hr = nullptr;  // [P, H] LSTM projection, row-major
    Packed w_hr_p;

    void release() {
        aligned_free(w_ih);
        aligned_free(w_hh);
        aligned_free(bias);
        aligned_free(b_hn);
        aligned_free(w_hr);
        free_packed(&w_ih_p);
        free_packed(&w_hh_p);
        free_packed(&w_hn_p);
        free_packed(&w_hr_p);
    }
};

float* copy_aligned(const float* src, size_t n) {
    float* p = static_cast<float*>(aligned_alloc64(n * sizeof(float)));
    if (p) std::memcpy(p, src, n * sizeof(float));
    return p;
}

// y[M,N] = x[M,K] . W[N,K]^T (+ y when accumulate): the packed kernel at small M, else OpenBLAS.
void matmul_wt(const Packed& wp, const float* w, int M, int N, int K, const float* x, int64_t ldx, float* y,
               int64_t ldy, bool accumulate) {
    if (M <= kPackedMaxBatch) {
        kernels().gemm_packed_f32(wp, M, x, ldx, y, ldy, accumulate);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, x, static_cast<int>(ldx), w, K,
                    accumulate ? 1.0f : 0.0f, y, static_cast<int>(ldy));
    }
}

}  // namespace

}  // namespace jrnn

struct jrnn_rnn {
    int cell, flags, L, D, I, H, P, G, Hout;
    std::vector<jrnn::Direction> dirs;  // [L*D]

    bool lstm() const { return cell == JRNN_CELL_LSTM; }
    bool gru() const { return cell == JRNN_CELL_GRU; }
    bool reset_before() const { return gru() && (flags & JRNN_GRU_RESET_BEFORE); }
    int in_size(int layer) const { return layer == 0 ? I : D * Hout; }
    int gh() const { return G * H; }
};

namespace jrnn {

namespace {

// Fold biases once: the input GEMM starts from b_ih + b_hh for every gate, except the GRU (reset after)
// candidate, whose b_hn must stay inside r * (W_hn h + b_hn).
void fold_biases(const jrnn_rnn& r, const float* b_ih, const float* b_hh, float* bias, float* b_hn) {
    const int gh = r.gh();
    for (int j = 0; j < gh; ++j) {
        const float hh = b_hh ? b_hh[j] : 0.0f;
        const bool inside_reset = r.gru() && !r.reset_before() && j >= 2 * r.H;
        bias[j] = (b_ih ? b_ih[j] : 0.0f) + (inside_reset ? 0.0f : hh);
        if (inside_reset) b_hn[j - 2 * r.H] = hh;
    }
}

// Per-step scratch of one direction, carved from the thread's workspace.
struct StepBuffers {
    float* gh;     // [B, G*H] recurrent product
    float* h;      // [B, Hout] state
    float* c;      // [B, H] LSTM cell state
    float* hraw;   // [B, H] LSTM o*tanh(c) before the projection
    float* hproj;  // [B, P]
    float* z;      // [B, H] GRU reset-before update gate
    float* rh;     // [B, H] GRU reset-before r*h
};

StepBuffers carve_step(const jrnn_rnn& r, int B, Workspace& ws) {
    StepBuffers s{};
    s.gh = ws.take(static_cast<size_t>(B) * r.gh());
    s.h = ws.take(static_cast<size_t>(B) * r.Hout);
    s.c = ws.take(static_cast<size_t>(B) * r.H);
    s.hraw = ws.take(static_cast<size_t>(B) * r.H);
    s.hproj = ws.take(static_cast<size_t>(B) * (r.P > 0 ? r.P : 1));
    s.z = ws.take(static_cast<size_t>(B) * r.H);
    s.rh = ws.take(static_cast<size_t>(B) * r.H);
    return s;
}

size_t step_floats(const jrnn_rnn& r, int B) {
    return Workspace::rounded(static_cast<size_t>(B) * r.gh()) + Workspace::rounded(static_cast<size_t>(B) * r.Hout) +
           5 * Workspace::rounded(static_cast<size_t>(B) * r.H) +
           Workspace::rounded(static_cast<size_t>(B) * (r.P > 0 ? r.P : 1));
}

// One time step of one direction: gx[B, G*H] (row stride ldgx) holds W_ih x_t + bias; s.h / s.c hold the
// state and are advanced for the active rows (active == nullptr: all rows).
void cell_step(const jrnn_rnn& r, const Direction& d, int B, const float* gx, int64_t ldgx, StepBuffers& s,
               const uint8_t* active) {
    const KernelTable& k = kernels();
    const int H = r.H, Hout = r.Hout, gh = r.gh();
    switch (r.cell) {
        case JRNN_CELL_RNN_TANH:
        case JRNN_CELL_RNN_RELU:
            matmul_wt(d.w_hh_p, d.w_hh, B, gh, Hout, s.h, Hout, s.gh, gh, false);
            k.rnn_cell_f32(B, H, gx, ldgx, s.gh, gh, s.h, active, r.cell == JRNN_CELL_RNN_RELU);
            break;
        case JRNN_CELL_LSTM: {
            matmul_wt(d.w_hh_p, d.w_hh, B, gh, Hout, s.h, Hout, s.gh, gh, false);
            const bool sig = (r.flags & JRNN_LSTM_SIGMOID_CANDIDATE) != 0;
            if (r.P == 0) {
                k.lstm_cell_f32(B, H, gx, ldgx, s.gh, gh, s.c, s.h, active, sig);
            } else {
                // h = W_hr (o * tanh(c)): the projection runs on all rows, the state takes the active ones.
                k.lstm_cell_f32(B, H, gx, ldgx, s.gh, gh, s.c, s.hraw, active, sig);
                matmul_wt(d.w_hr_p, d.w_hr, B, r.P, H, s.hraw, H, s.hproj, r.P, false);
                for (int b = 0; b < B; ++b) {
                    if (active && !active[b]) continue;
                    std::memcpy(s.h + static_cast<int64_t>(b) * r.P, s.hproj + static_cast<int64_t>(b) * r.P,
                                sizeof(float) * r.P);
                }
            }
            break;
        }
        case JRNN_CELL_GRU:
            if (!r.reset_before()) {
                matmul_wt(d.w_hh_p, d.w_hh, B, gh, Hout, s.h, Hout, s.gh, gh, false);
                k.gru_cell_f32(B, H, gx, ldgx, s.gh, gh, d.b_hn, s.h, active);
            } else {
                // r,z rows first; the candidate's product needs r*h.
                matmul_wt(d.w_hh_p, d.w_hh, B, 2 * H, H, s.h, H, s.gh, gh, false);
                k.gru_gates_f32(B, H, gx, ldgx, s.gh, gh, s.h, s.z, s.rh, active);
                matmul_wt(d.w_hn_p, d.w_hh + static_cast<int64_t>(2) * H * H, B, H, H, s.rh, H, s.gh + 2 * H, gh,
                          false);
                k.gru_update_f32(B, H, gx + 2 * H, ldgx, s.gh + 2 * H, gh, s.z, s.h, active);
            }
            break;
    }
}

// gx[rows, G*H] = in[rows, in_size] . W_ih^T + bias
void input_projection(const jrnn_rnn& r, const Direction& d, int rows, int in_size, const float* in, float* gx) {
    const int gh = r.gh();
    for (int i = 0; i < rows; ++i) std::memcpy(gx + static_cast<int64_t>(i) * gh, d.bias, sizeof(float) * gh);
    if (rows <= kPackedMaxBatch) {
        kernels().gemm_packed_f32(d.w_ih_p, rows, in, in_size, gx, gh, true);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, gh, in_size, 1.0f, in, in_size, d.w_ih, in_size,
                    1.0f, gx, gh);
    }
}

// One layer, one direction over the whole sequence. in[T,B,in_size]; out[T,B,D*Hout] gets this direction's
// half at column offset dir*Hout; h0/c0 the initial state (nullptr = zeros); hn/cn the final one (nullable).
void run_direction(const jrnn_rnn& r, int layer, int dir, int T, int B, const float* in, const int32_t* lengths,
                   const float* h0, const float* c0, float* out, float* hn, float* cn, Workspace& ws) {
    const Direction& d = r.dirs[static_cast<size_t>(layer) * r.D + dir];
    const int in_size = r.in_size(layer), gh = r.gh(), Hout = r.Hout, H = r.H;
    const int64_t ldo = static_cast<int64_t>(r.D) * Hout;

    float* gx = ws.take(static_cast<size_t>(T) * B * gh);
    StepBuffers s = carve_step(r, B, ws);
    uint8_t* active = reinterpret_cast<uint8_t*>(ws.take((static_cast<size_t>(B) + 3) / 4));

    input_projection(r, d, T * B, in_size, in, gx);
    if (h0) std::memcpy(s.h, h0, sizeof(float) * B * Hout); else std::memset(s.h, 0, sizeof(float) * B * Hout);
    if (r.lstm()) {
        if (c0) std::memcpy(s.c, c0, sizeof(float) * B * H); else std::memset(s.c, 0, sizeof(float) * B * H);
    }

    for (int step = 0; step < T; ++step) {
        const int t = dir == 0 ? step : T - 1 - step;
        // Packed-sequence semantics by masking: a row is active while t < len; the reverse direction thereby
        // starts each sequence at len-1 from its initial state.
        const uint8_t* mask = nullptr;
        int live = B;
        if (lengths) {
            live = 0;
            for (int b = 0; b < B; ++b) {
                active[b] = t < lengths[b];
                live += active[b];
            }
            if (live < B) mask = active;
        }
        float* out_t = out + static_cast<int64_t>(t) * B * ldo + static_cast<int64_t>(dir) * Hout;
        if (live > 0) cell_step(r, d, B, gx + static_cast<int64_t>(t) * B * gh, gh, s, mask);
        for (int b = 0; b < B; ++b) {
            float* o = out_t + b * ldo;
            if (mask && !mask[b]) std::memset(o, 0, sizeof(float) * Hout);
            else if (live > 0) std::memcpy(o, s.h + static_cast<int64_t>(b) * Hout, sizeof(float) * Hout);
            else std::memset(o, 0, sizeof(float) * Hout);
        }
    }
    if (hn) std::memcpy(hn, s.h, sizeof(float) * B * Hout);
    if (cn && r.lstm()) std::memcpy(cn, s.c, sizeof(float) * B * H);
}

}  // namespace

}  // namespace jrnn

using jrnn::Workspace;

extern "C" {

jrnn_rnn* jrnn_rnn_create(int cell, int flags, int num_layers, int num_directions, int input_size, int hidden_size,
                          int proj_size) {
    if (cell < JRNN_CELL_RNN_TANH || cell > JRNN_CELL_GRU) return nullptr;
    if (num_layers < 1 || (num_directions != 1 && num_directions != 2)) return nullptr;
    if (input_size < 1 || hidden_size < 1 || proj_size < 0) return nullptr;
    if (proj_size > 0 && (cell != JRNN_CELL_LSTM || proj_size >= hidden_size)) return nullptr;
    jrnn_rnn* r = new (std::nothrow) jrnn_rnn();
    if (!r) return nullptr;
    r->cell = cell;
    r->flags = flags;
    r->L = num_layers;
    r->D = num_directions;
    r->I = input_size;
    r->H = hidden_size;
    r->P = proj_size;
    r->G = cell == JRNN_CELL_LSTM ? 4 : cell == JRNN_CELL_GRU ? 3 : 1;
    r->Hout = proj_size > 0 ? proj_size : hidden_size;
    try {
        r->dirs.resize(static_cast<size_t>(num_layers) * num_directions);
    } catch (const std::bad_alloc&) {
        delete r;
        return nullptr;
    }
    return r;
}

int jrnn_rnn_set_weights(jrnn_rnn* r, int layer, int direction, const float* w_ih, const float* w_hh,
                         const float* b_ih, const float* b_hh, const float* w_hr) {
    using namespace jrnn;
    if (!r || layer < 0 || layer >= r->L || direction < 0 || direction >= r->D || !w_ih || !w_hh) return JRNN_ERR_ARG;
    if ((r->P > 0) != (w_hr != nullptr)) return JRNN_ERR_ARG;
    Direction& d = r->dirs[static_cast<size_t>(layer) * r->D + direction];
    d.release();
    d = Direction();
    const int gh = r->gh(), in = r->in_size(layer), Hout = r->Hout, H = r->H;
    bool ok = (d.w_ih = copy_aligned(w_ih, static_cast<size_t>(gh) * in)) &&
              (d.w_hh = copy_aligned(w_hh, static_cast<size_t>(gh) * Hout)) &&
              pack_rows(w_ih, gh, in, in, &d.w_ih_p) &&
              (d.bias = static_cast<float*>(aligned_alloc64(sizeof(float) * gh))) &&
              (d.b_hn = static_cast<float*>(aligned_alloc64(sizeof(float) * H)));
    if (ok) {
        std::memset(d.b_hn, 0, sizeof(float) * H);
        fold_biases(*r, b_ih, b_hh, d.bias, d.b_hn);
        if (r->reset_before()) {
            ok = pack_rows(w_hh, 2 * H, Hout, Hout, &d.w_hh_p) &&
                 pack_rows(w_hh + static_cast<int64_t>(2) * H * Hout, H, Hout, Hout, &d.w_hn_p);
        } else {
            ok = pack_rows(w_hh, gh, Hout, Hout, &d.w_hh_p);
        }
    }
    if (ok && r->P > 0) {
        ok = (d.w_hr = copy_aligned(w_hr, static_cast<size_t>(r->P) * H)) && pack_rows(w_hr, r->P, H, H, &d.w_hr_p);
    }
    if (!ok) {
        d.release();
        d = Direction();
        return JRNN_ERR_NOMEM;
    }
    d.set = true;
    return JRNN_OK;
}

void jrnn_rnn_destroy(jrnn_rnn* r) {
    if (!r) return;
    for (auto& d : r->dirs) d.release();
    delete r;
}

static bool all_set(const jrnn_rnn* r) {
    for (const auto& d : r->dirs)
        if (!d.set) return false;
    return true;
}

int jrnn_rnn_forward(const jrnn_rnn* r, int T, int B, const float* x, const int32_t* lengths, const float* h0,
                     const float* c0, float* y, float* hn, float* cn) {
    using namespace jrnn;
    if (!r || T < 1 || B < 1 || !x || !y) return JRNN_ERR_ARG;
    if (!all_set(r)) return JRNN_ERR_STATE;
    if (lengths) {
        for (int b = 0; b < B; ++b)
            if (lengths[b] < 0 || lengths[b] > T) return JRNN_ERR_ARG;
    }
    const int D = r->D, Hout = r->Hout, H = r->H;
    const size_t seq = static_cast<size_t>(T) * B * D * Hout;  // one layer's output
    const size_t per_dir = Workspace::rounded(static_cast<size_t>(T) * B * r->gh()) + step_floats(*r, B) +
                           Workspace::rounded((static_cast<size_t>(B) + 3) / 4);
    const size_t need = (r->L > 1 ? 2 * Workspace::rounded(seq) : 0) + per_dir;
    Workspace& ws = Workspace::local();
    if (!ws.reserve(need)) return JRNN_ERR_NOMEM;
    // Intermediate layers ping-pong between two buffers; the last layer writes y.
    float* bufs[2] = {nullptr, nullptr};
    if (r->L > 1) {
        bufs[0] = ws.take(seq);
        bufs[1] = ws.take(seq);
    }
    const size_t mark = ws.mark();
    const float* in = x;
    for (int l = 0; l < r->L; ++l) {
        float* out = l == r->L - 1 ? y : bufs[l % 2];
        for (int dir = 0; dir < D; ++dir) {
            const int idx = l * D + dir;
            ws.reset(mark);
            run_direction(*r, l, dir, T, B, in, lengths, h0 ? h0 + static_cast<int64_t>(idx) * B * Hout : nullptr,
                          c0 ? c0 + static_cast<int64_t>(idx) * B * H : nullptr, out,
                          hn ? hn + static_cast<int64_t>(idx) * B * Hout : nullptr,
                          cn ? cn + static_cast<int64_t>(idx) * B * H : nullptr, ws);
        }
        in = out;
    }
    return JRNN_OK;
}

int jrnn_rnn_step(const jrnn_rnn* r, int B, const float* x, float* h, float* c, float* y) {
    using namespace jrnn;
    if (!r || B < 1 || !x || !h || !y || r->D != 1) return JRNN_ERR_ARG;
    if (r->lstm() && !c) return JRNN_ERR_ARG;
    if (!all_set(r)) return JRNN_ERR_STATE;
    const int Hout = r->Hout, H = r->H;
    const size_t need = Workspace::rounded(static_cast<size_t>(B) * r->gh()) + step_floats(*r, B) +
                        2 * Workspace::rounded(static_cast<size_t>(B) * Hout);
    Workspace& ws = Workspace::local();
    if (!ws.reserve(need)) return JRNN_ERR_NOMEM;
    float* gx = ws.take(static_cast<size_t>(B) * r->gh());
    StepBuffers s = carve_step(*r, B, ws);
    const float* in = x;
    for (int l = 0; l < r->L; ++l) {
        const Direction& d = r->dirs[l];
        float* hl = h + static_cast<int64_t>(l) * B * Hout;
        float* cl = r->lstm() ? c + static_cast<int64_t>(l) * B * H : nullptr;
        input_projection(*r, d, B, r->in_size(l), in, gx);
        // The caller's state is the step state: point the buffers at it (no copies).
        s.h = hl;
        if (cl) s.c = cl;
        cell_step(*r, d, B, gx, r->gh(), s, nullptr);
        in = hl;
    }
    std::memcpy(y, in, sizeof(float) * B * Hout);
    return JRNN_OK;
}

}  // extern "C"
