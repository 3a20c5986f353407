// Recurrent stacks (Elman RNN, LSTM, GRU): weights folded and packed once at load, then per layer and
// direction the input products (below batch 16 all time steps up front; from batch 16 one step ahead, so that
// they stay in cache) and, per step, one recurrent product plus one fused cell pass.
//
// Threads (core/pool.h). Every thread of a team owns a block of hidden units (whole panels of kPanel units) and
// all gate rows of those units, like oneDNN's per-thread gate blocks. It computes its gate columns of the input
// product for every step, then per step its rows of W_hh h_{t-1}, the cell pass of its units and its columns of
// h_t, then one barrier. Its rows of W_hh (one run of whole panels per gate, see GatePacked) stay in its own
// core's L2 from step to step. h is double-buffered, so the barrier that ends a step is the only one (two when
// the cell needs a second product: the LSTM projection and the reset-before GRU candidate). A bidirectional
// layer runs its two directions concurrently on two halves of the team.
//
// The cell passes are one file per cell (cell_rnn.cpp, cell_lstm.cpp, cell_gru.cpp, as oneDNN splits them);
// what they share is layers/recurrent.h.
//
// Every product is the packed kernel (at batch 64 it beats OpenBLAS: 110 vs 85 GFLOP/s a core here, with no
// per-call packing), and no split changes the order of any sum: results are bit-identical for every team size.
#include <algorithm>
#include <cstring>
#include <new>
#include <type_traits>
#include <vector>

#include "core/pool.h"
#include "core/profile.h"
#include "invariant.h"
#include "jrnn/jrnn.h"
#include "kernels.h"
#include "layers/recurrent.h"
#include "layers/workspace.h"

static_assert(JRNN_FN_SIGMOID == jrnn::kActSigmoid && JRNN_FN_RELU == jrnn::kActRelu &&
                  JRNN_FN_SCALED_TANH == jrnn::kActScaledTanh && JRNN_FN_SCALED_TANH + 1 == jrnn::kActCount,
              "JRNN_FN_* and jrnn::Act must agree");

namespace jrnn {

namespace {

// The kernel table of the call this thread works on (every task sets it first): the dispatch table, or its
// batch-invariant variant when the call asked for JRNN_RUN_BATCH_INVARIANT.
thread_local const KernelTable* t_table = nullptr;

const KernelTable& table() { return t_table ? *t_table : kernels(); }

}  // namespace

namespace rec {

// y[M, w.n] (+)= x[M, K] . w^T (y row stride ldy).
void product(const Packed& w, int M, const float* x, int64_t ldx, float* y, int64_t ldy, bool accumulate) {
    if (w.n <= 0 || M <= 0) return;
    const KernelTable& k = table();
    const int rb = row_block(w.k);
    for (int r = 0; r < M; r += rb)
        gemm_packed(k, w, std::min(rb, M - r), x + r * ldx, ldx, y + r * ldy, ldy, accumulate);
}

// The same for gates [g0, g0 + count) of w on the units of u: gate g's outputs at y + (g - g0) * y_step. One call per
// block of rows for all the gates, so a reduced-precision product rounds or quantizes each row of x once.
void product_gates(const GatePacked& w, int g0, int count, int j0, int j1, int M, const float* x, int64_t ldx,
                   float* y, int64_t y_step, int64_t ldy, bool accumulate) {
    if (j1 <= j0 || M <= 0) return;
    Packed slices[4];
    for (int g = 0; g < count; ++g) slices[g] = w.rows(g0 + g, j0, j1);
    const KernelTable& k = table();
    const int rb = row_block(w.p.k);
    for (int r = 0; r < M; r += rb)
        gemm_packed_multi(k, slices, count, std::min(rb, M - r), x + r * ldx, ldx, y + r * ldy, y_step, ldy, accumulate);
}

// y[1, w.n] (+)= x[1, K] . w^T with the panels of w taken last to first. At batch 1 a step streams its weights
// from L2 and they barely fit (lstm H=256: 1 MiB of W_hh, 1 MiB of L2 a core); read in the same order every step,
// the cache's LRU evicts each line just before it is needed again. Alternating the direction from step to step
// reads the most recently used lines first: lstm-b1 on one thread 1.80 -> 1.60 ms. Panels are computed whole in
// either direction, so results do not change.
void product_backward(const Packed& w, const float* x, float* y, bool accumulate) {
    gemm_packed_backward_f32(table(), w, x, y, accumulate);
}

void recurrent_product(const jrnn_rnn& r, const Direction& d, int B, int g, const float* hin, DirBuffers& s, Range u,
                       bool backward) {
    const int H = r.H, Hout = r.Hout, gh = r.gh();
    JRNN_PROFILE_SCOPE(kRecurrent);
    if (backward && B == 1) product_backward(d.w_hh.rows(g, u.j0, u.j1), hin, s.gh + g * H + u.j0, false);
    else product(d.w_hh.rows(g, u.j0, u.j1), B, hin, Hout, s.gh + g * H + u.j0, gh, false);
}

void recurrent_products(const jrnn_rnn& r, const Direction& d, int B, int count, const float* hin, DirBuffers& s,
                        Range u, bool backward) {
    if (backward && B == 1) {
        for (int g = count - 1; g >= 0; --g) recurrent_product(r, d, B, g, hin, s, u, backward);
        return;
    }
    JRNN_PROFILE_SCOPE(kRecurrent);
    if (s.hq_q && u.size() > 0) {  // h quantized by the team already (run_direction)
        Packed slices[4];
        for (int g = 0; g < count; ++g) slices[g] = d.w_hh.rows(g, u.j0, u.j1);
        const int rb = row_block(r.Hout);
        for (int b = 0; b < B; b += rb)
            table().gemm_packed_s8_prepared(slices, count, std::min(rb, B - b), s.hq + b * s.ldhq, s.ldhq,
                                            s.hq_q + b, s.hq_fin + b, s.gh + static_cast<int64_t>(b) * r.gh() + u.j0,
                                            r.H, r.gh(), false);
        return;
    }
    product_gates(d.w_hh, 0, count, u.j0, u.j1, B, hin, r.Hout, s.gh + u.j0, r.H, r.gh(), false);
}

}  // namespace rec

using namespace rec;

namespace {

int round_up(int n, int m) { return (n + m - 1) / m * m; }

const KernelTable* table_for(int options) {
    return (options & JRNN_RUN_BATCH_INVARIANT) ? &invariant_kernels(kernels()) : &kernels();
}

// W[G*Hg, k] in the given format, each gate's rows padded with zero rows to Hpad.
bool pack_gates(const float* w, int G, int Hg, int k, Format format, GatePacked* out) {
    const int Hpad = round_up(Hg, kPanel);
    std::vector<float> padded;
    try {
        padded.assign(static_cast<size_t>(G) * Hpad * k, 0.0f);
    } catch (const std::bad_alloc&) {
        return false;
    }
    for (int g = 0; g < G; ++g)
        std::memcpy(padded.data() + static_cast<size_t>(g) * Hpad * k, w + static_cast<int64_t>(g) * Hg * k,
                    sizeof(float) * Hg * k);
    if (!pack_rows(padded.data(), G * Hpad, k, k, &out->p, format)) return false;
    out->Hpad = Hpad;
    return true;
}

// Part i of `parts` of [0, n) in whole panels (so every part but the last starts and ends on a panel).
Range split(int n, int parts, int i) {
    const int64_t blocks = (n + kPanel - 1) / kPanel;
    const int b0 = static_cast<int>(blocks * i / parts), b1 = static_cast<int>(blocks * (i + 1) / parts);
    return {std::min(n, b0 * kPanel), std::min(n, b1 * kPanel)};
}

// Fold biases once: the input product starts from b_ih + b_hh for every gate, except the GRU (reset after)
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

// One direction's CellOptions from the stack's options (peepholes come later, per direction); defaults_only: the
// cell's PyTorch activations whatever the options say.
CellOptions direction_options(const jrnn_rnn& r, int dir, bool defaults_only = false) {
    CellOptions o;
    o.clip = r.clip;
    o.input_forget = r.input_forget;
    const ActFn sig{kActSigmoid, 0.0f, 0.0f}, tanh{kActTanh, 0.0f, 0.0f};
    if (r.lstm()) {
        o.f = sig;
        o.g = (r.flags & JRNN_LSTM_SIGMOID_CANDIDATE) ? sig : tanh;
        o.h = tanh;
    } else if (r.gru()) {
        o.f = sig;
        o.g = tanh;
    } else {
        o.f = r.cell == JRNN_CELL_RNN_RELU ? ActFn{kActRelu, 0.0f, 0.0f} : tanh;
    }
    if (!defaults_only && !r.acts.empty()) {
        const int per = r.fns_per_direction();
        const ActFn* a = r.acts.data() + static_cast<size_t>(dir) * per;
        o.f = a[0];
        if (per > 1) o.g = a[1];
        if (per > 2) o.h = a[2];
    }
    return o;
}

// The row stride of h quantized for the team (DirBuffers::hq): W_hh's padded K, as its products read whole groups
// of k (every layer's W_hh has K = Hout).
int64_t hq_stride(const jrnn_rnn& r) { return r.dirs[0].w_hh.p.k_pad; }

// team: the threads that may share h's quantization (0: none), see run_direction.
size_t dir_floats(const jrnn_rnn& r, size_t rows, int B, int team = 0) {
    const size_t b = static_cast<size_t>(B);
    const size_t shared_q = team > 0 ? Workspace::rounded((b * hq_stride(r) + 3) / 4) +
                                           Workspace::rounded(3 * static_cast<size_t>(team) * b)
                                     : 0;
    return Workspace::rounded(rows * r.gh()) + Workspace::rounded(b * r.gh()) + 2 * Workspace::rounded(b * r.Hout) +
           4 * Workspace::rounded(b * r.H) + Workspace::rounded(b * (r.P > 0 ? r.P : 1)) + shared_q;
}

DirBuffers carve(const jrnn_rnn& r, size_t rows, int B, Workspace& ws, int team = 0) {
    const size_t b = static_cast<size_t>(B);
    DirBuffers s{};
    if (team > 0) {
        s.ldhq = hq_stride(r);
        s.hq = reinterpret_cast<uint8_t*>(ws.take((b * s.ldhq + 3) / 4));
        s.range = ws.take(3 * static_cast<size_t>(team) * b);
    }
    s.gx = ws.take(rows * r.gh());
    s.gh = ws.take(b * r.gh());
    s.h[0] = ws.take(b * r.Hout);
    s.h[1] = ws.take(b * r.Hout);
    s.c = ws.take(b * r.H);
    s.hraw = ws.take(b * r.H);
    s.hproj = ws.take(b * (r.P > 0 ? r.P : 1));
    s.z = ws.take(b * r.H);
    s.rh = ws.take(b * r.H);
    return s;
}

// gx[rows, G*H] = in[rows, in_size] . W_ih^T + bias on the gate columns of units u (all gates). backward (one
// row only): gates and panels last to first, see product_backward.
void input_projection(const jrnn_rnn& r, const Direction& d, int rows, const float* in, int in_size, float* gx,
                      Range u, bool backward = false) {
    if (u.size() <= 0) return;
    JRNN_PROFILE_SCOPE(kInput);
    const int gh = r.gh(), H = r.H;
    if (backward && rows == 1) {
        for (int g = r.G - 1; g >= 0; --g) {
            std::memcpy(gx + g * H + u.j0, d.bias + g * H + u.j0, sizeof(float) * u.size());
            product_backward(d.w_ih.rows(g, u.j0, u.j1), in, gx + g * H + u.j0, true);
        }
        return;
    }
    const int rb = row_block(in_size);
    for (int r0 = 0; r0 < rows; r0 += rb) {
        const int m = std::min(rb, rows - r0);
        for (int i = r0; i < r0 + m; ++i)
            for (int g = 0; g < r.G; ++g)
                std::memcpy(gx + static_cast<int64_t>(i) * gh + g * H + u.j0, d.bias + g * H + u.j0,
                            sizeof(float) * u.size());
        product_gates(d.w_ih, 0, r.G, u.j0, u.j1, m, in + static_cast<int64_t>(r0) * in_size, in_size,
                      gx + static_cast<int64_t>(r0) * gh + u.j0, H, gh, true);
    }
}

// Asks for this thread's columns of gx[B, G*H] (row stride ldgx, units u of every gate) to be brought into the
// cache: called for the next step while this one's products run, so the cell pass does not wait on memory when
// the input products of all steps (below batch 16, computed up front) no longer fit in the caches, as for long
// sequences (T=1000, B=8, H=512 LSTM: 62 MiB). Measured on the Elman cell pass alone with gx in DRAM: 36 -> 24 us
// a step; no change while gx stays in L3.
void prefetch_gates(const float* gx, int64_t ldgx, int B, int G, int H, Range u) {
    if (u.size() <= 0) return;
    for (int b = 0; b < B; ++b)
        for (int g = 0; g < G; ++g) {
            const float* row = gx + b * ldgx + static_cast<int64_t>(g) * H;
            for (int j = u.j0; j < u.j1; j += 16) __builtin_prefetch(row + j, 0, 2);  // 16 floats: a cache line
            __builtin_prefetch(row + u.j1 - 1, 0, 2);
        }
}

// One time step of one direction, this thread's share. gx[B, G*H] (row stride ldgx) = this step's input
// product; cur[B, Hout] = h_{t-1} (read in full); columns o of nxt[B, Hout] receive h_t for every row (inactive
// rows: h_{t-1}); the LSTM cell state s.c advances in place. mask: active rows (nullptr = all).
// backward: the recurrent products take their gates and panels last to first (see product_backward).
// before_cell() runs after the first recurrent products and before anything reads gx (a single step computes its
// input product there when it reads its weights backward: W_hh first, the most recently used).
template <typename F>
void step_share(const jrnn_rnn& r, const Direction& d, int B, const float* gx, int64_t ldgx, const float* cur,
                float* nxt, DirBuffers& s, const uint8_t* mask, const Share& sh, bool backward, F&& before_cell) {
    const BeforeCell hook{[](void* f) { (*static_cast<std::remove_reference_t<F>*>(f))(); }, &before_cell};
    switch (r.cell) {
        case JRNN_CELL_RNN_TANH:
        case JRNN_CELL_RNN_RELU: step_rnn(table(), r, d, B, gx, ldgx, cur, nxt, s, mask, sh, backward, hook); break;
        case JRNN_CELL_LSTM: step_lstm(table(), r, d, B, gx, ldgx, cur, nxt, s, mask, sh, backward, hook); break;
        case JRNN_CELL_GRU: step_gru(table(), r, d, B, gx, ldgx, cur, nxt, s, mask, sh, backward, hook); break;
    }
}

// ---- full sequence ----

struct ForwardCtx {
    const jrnn_rnn* r;
    const KernelTable* k;  // see table()
    int T, B;
    const float* x;
    const float *h0, *c0;
    float *y, *hn, *cn;
    float* seq[2];         // [T, B, D*Hout] intermediate layers' outputs (ping-pong), L > 1 only
    const uint8_t* masks;  // [T, B] active rows per time step (lengths only)
    const int32_t* live;   // [T] how many rows are active
    DirBuffers dirs[2];    // per concurrently running direction
    bool dir_teams;        // the directions of a layer run at the same time on halves of the team
    bool steps_parallel;   // the steps are split too (else the first thread of a (sub)team runs them alone)
    bool step_inputs;      // input products one step ahead into a two-step ring (else all steps up front)
    bool share_q;          // INT8: the team quantizes h once a step (see run_direction)
    Barrier all;           // the whole team
    Barrier half[2];       // each direction's sub-team
};

// One layer and direction on a team of m threads (this one is tid), barrier bar. in[T, B, in_size];
// out[T, B, D*Hout] receives this direction's columns. last: nothing of this team's follows in this call.
void run_direction(const ForwardCtx& f, int layer, int dir, const float* in, float* out, DirBuffers s, int tid,
                   int m, Barrier* bar, bool last) {
    const jrnn_rnn& r = *f.r;
    const Direction& d = r.dirs[static_cast<size_t>(layer) * r.D + dir];
    const int T = f.T, B = f.B, H = r.H, Hout = r.Hout, gh = r.gh();
    const int64_t ldo = static_cast<int64_t>(r.D) * Hout;
    const int idx = layer * r.D + dir;
    const Range u = split(H, m, tid), o = r.P > 0 ? split(r.P, m, tid) : u;

    const int in_size = r.in_size(layer);
    const int64_t ldx_step = static_cast<int64_t>(B) * in_size, ldgx_step = static_cast<int64_t>(B) * gh;
    // The reverse direction of a bidirectional layer, or the only direction of a reverse stack.
    const bool backwards = (dir == 1) != r.reverse;
    auto time_of = [&](int step) { return backwards ? T - 1 - step : step; };
    // gx of step `step`: its own rows of the whole-sequence buffer, or slot step % 2 of the ring.
    auto gx_of = [&](int step) {
        return f.step_inputs ? s.gx + (step & 1) * ldgx_step : s.gx + time_of(step) * ldgx_step;
    };
    const bool par = f.steps_parallel && m > 1;
    // Each thread computes (and later reads) only the gate columns of its units u, so no barrier is needed
    // between a step's input product and its use. When steps run on one thread, that thread computes them all.
    const Range pu = f.step_inputs && !par ? (tid == 0 ? Range{0, H} : Range{}) : u;
    // INT8 with the steps split, from batch 16: each thread quantizes only its own columns of h_t, right after its
    // cell pass wrote them, into one uint8 copy every thread's products read (the rows' ranges meet at the barrier
    // that already ends the step; one more barrier then publishes the bytes). Before, every thread quantized every
    // row of h for its own products: twice the work, and each read the other core's half of h as floats, 4x the
    // bytes of the uint8 copy, while that core's next cell pass had to take those lines back. Measured on the Zen 5
    // (lstm-b64 INT8, 2 threads, jrnn_profile, 4 alternating runs each, the host busy): the phases a thread works
    // in (all but barrier waits) 16.7 -> 14.4 ms a forward (medians), the recurrent products with the
    // quantization 7.0 -> 6.1. At batch 1 a step takes a few microseconds and the second barrier would cost more
    // than the quantization it shares.
    const bool share_q = f.share_q;
    thread_local std::vector<RowQuant> t_q;
    thread_local std::vector<uint8_t> t_fin;
    float* lo_all = share_q ? s.range : nullptr;
    float* hi_all = share_q ? s.range + static_cast<int64_t>(m) * B : nullptr;
    uint8_t* fin_all = share_q ? reinterpret_cast<uint8_t*>(s.range + 2 * static_cast<int64_t>(m) * B) : nullptr;
    if (share_q) {
        if (t_q.size() < static_cast<size_t>(B)) t_q.resize(B), t_fin.resize(B);
        s.hq_q = t_q.data();
        s.hq_fin = t_fin.data();
    }
    // The row ranges of this thread's columns of h (in the cell phase: the lines were just written here).
    auto range_h = [&](const float* h) {
        JRNN_PROFILE_SCOPE(kCell);
        table().row_range_cols_f32(B, h, Hout, o.j0, o.j1, lo_all + tid * B, hi_all + tid * B, fin_all + tid * B);
    };
    // After a barrier: every row's parameters from all threads' ranges, then this thread's columns of hq.
    auto quantize_h = [&](const float* h) {
        JRNN_PROFILE_SCOPE(kRecurrent);
        for (int b = 0; b < B; ++b) {
            float lo = lo_all[b], hi = hi_all[b];
            bool fin = fin_all[b];
            for (int i = 1; i < m; ++i) {
                lo = std::min(lo, lo_all[i * B + b]);
                hi = std::max(hi, hi_all[i * B + b]);
                fin = fin && fin_all[i * B + b];
            }
            t_q[b] = row_quant(lo, hi);
            t_fin[b] = fin;
        }
        table().quantize_cols_u8(B, h, Hout, o.j0, o.j1, t_q.data(), s.hq, s.ldhq);
        if (o.size() > 0 && o.j1 == Hout && s.ldhq > Hout)  // the padding meets zero weights
            for (int b = 0; b < B; ++b) std::memset(s.hq + b * s.ldhq + Hout, 0, s.ldhq - Hout);
    };
    if (f.step_inputs) input_projection(r, d, B, in + time_of(0) * ldx_step, in_size, gx_of(0), pu);
    else input_projection(r, d, T * B, in, in_size, s.gx, u);
    // Initial state, this thread's columns (zeros unless given).
    const float* h0 = f.h0 ? f.h0 + static_cast<int64_t>(idx) * B * Hout : nullptr;
    const float* c0 = f.c0 ? f.c0 + static_cast<int64_t>(idx) * B * H : nullptr;
    for (int b = 0; b < B && o.size() > 0; ++b) {
        float* dst = s.h[0] + static_cast<int64_t>(b) * Hout + o.j0;
        if (h0) std::memcpy(dst, h0 + static_cast<int64_t>(b) * Hout + o.j0, sizeof(float) * o.size());
        else std::memset(dst, 0, sizeof(float) * o.size());
    }
    for (int b = 0; b < B && r.lstm() && u.size() > 0; ++b) {
        float* dst = s.c + static_cast<int64_t>(b) * H + u.j0;
        if (c0) std::memcpy(dst, c0 + static_cast<int64_t>(b) * H + u.j0, sizeof(float) * u.size());
        else std::memset(dst, 0, sizeof(float) * u.size());
    }
    if (share_q) range_h(s.h[0]);
    if (m > 1) {
        JRNN_PROFILE_SCOPE(kBarrier);
        bar->wait();  // every column of gx and of the initial state is in place
    }
    if (share_q) {
        quantize_h(s.h[0]);
        JRNN_PROFILE_SCOPE(kBarrier);
        bar->wait();
    }

    if (par || tid == 0) {
        const Share sh = par ? Share{u, o, bar} : Share{Range{0, H}, Range{0, Hout}, nullptr};
        for (int step = 0; step < T; ++step) {
            const int t = time_of(step);
            // Packed-sequence semantics by masking: a row is active while t < len; the reverse direction (and a
            // reverse stack) thereby starts each sequence at len-1 from its initial state.
            const int live = f.live[t];
            const uint8_t* mask = live < B ? f.masks + static_cast<int64_t>(t) * B : nullptr;
            const float* cur = s.h[step & 1];
            float* nxt = s.h[(step + 1) & 1];
            if (step + 1 < T && !f.step_inputs) prefetch_gates(gx_of(step + 1), gh, B, r.G, H, sh.u);
            if (live > 0) {
                step_share(r, d, B, gx_of(step), gh, cur, nxt, s, mask, sh, step & 1, [] {});
            } else {
                copy_cols(cur, nxt, B, Hout, sh.o);
            }
            float* out_t = out + static_cast<int64_t>(t) * B * ldo + static_cast<int64_t>(dir) * Hout + sh.o.j0;
            {
                JRNN_PROFILE_SCOPE(kOutput);
                for (int b = 0; b < B && sh.o.size() > 0; ++b) {
                    if (mask && !mask[b]) std::memset(out_t + b * ldo, 0, sizeof(float) * sh.o.size());
                    else std::memcpy(out_t + b * ldo, nxt + static_cast<int64_t>(b) * Hout + sh.o.j0, sizeof(float) * sh.o.size());
                }
            }
            // h_t quantized for the next step: hq was last read by the products of this step, which every thread
            // finished before the barrier.
            if (share_q && step + 1 < T) {
                range_h(nxt);
                {
                    JRNN_PROFILE_SCOPE(kBarrier);
                    sh.bar->wait();
                }
                quantize_h(nxt);
            }
            // The next step's input product: its slot of the ring was last read by this thread's step - 1 (each
            // thread reads only its own columns).
            if (f.step_inputs && step + 1 < T)
                input_projection(r, d, B, in + time_of(step + 1) * ldx_step, in_size, gx_of(step + 1), sh.u);
            if (sh.bar) {
                JRNN_PROFILE_SCOPE(kBarrier);
                sh.bar->wait();
            }
        }
        const float* last = s.h[T & 1];
        if (f.hn) copy_cols(last, f.hn + static_cast<int64_t>(idx) * B * Hout, B, Hout, sh.o);
        // the cell state: copy_cols with a [B, H] row stride
        if (f.cn && r.lstm() && sh.u.size() > 0) {
            float* cn = f.cn + static_cast<int64_t>(idx) * B * H;
            for (int b = 0; b < B; ++b)
                std::memcpy(cn + static_cast<int64_t>(b) * H + sh.u.j0, s.c + static_cast<int64_t>(b) * H + sh.u.j0,
                            sizeof(float) * sh.u.size());
        }
    }
    if (m > 1 && !last) {
        JRNN_PROFILE_SCOPE(kBarrier);
        bar->wait();  // the buffers are free for the next direction or layer (the last: the join)
    }
}

void forward_task(void* p, int tid, int n) {
    ForwardCtx& f = *static_cast<ForwardCtx*>(p);
    t_table = f.k;
    const jrnn_rnn& r = *f.r;
    for (int l = 0; l < r.L; ++l) {
        const float* in = l == 0 ? f.x : f.seq[(l - 1) % 2];
        float* out = l == r.L - 1 ? f.y : f.seq[l % 2];
        const bool top = l == r.L - 1;
        if (f.dir_teams) {
            const int m = n / 2, dir = tid / m;
            run_direction(f, l, dir, in, out, f.dirs[dir], tid % m, m, &f.half[dir], top);
            if (!top) f.all.wait();  // the next layer reads both directions' columns
        } else {
            for (int dir = 0; dir < r.D; ++dir)
                run_direction(f, l, dir, in, out, f.dirs[0], tid, n, &f.all, top && dir == r.D - 1);
        }
    }
}

// ---- one step of a unidirectional stack ----

struct StepCtx {
    const jrnn_rnn* r;
    const KernelTable* k;  // see table()
    int B;
    const float* x;
    float *h, *c, *y;
    DirBuffers s;  // gx holds [B, G*H]
    float* nxt;    // [L, B, Hout] each layer's new state, copied into h after the layer's barrier
    bool backward; // weights read last to first in this call (batch 1, every other call)
    Barrier bar;
};

void step_task(void* p, int tid, int n) {
    StepCtx& f = *static_cast<StepCtx*>(p);
    t_table = f.k;
    const jrnn_rnn& r = *f.r;
    const int B = f.B, H = r.H, Hout = r.Hout;
    const Range u = split(H, n, tid), o = r.P > 0 ? split(r.P, n, tid) : u;
    const Share sh{u, o, n > 1 ? &f.bar : nullptr};
    for (int l = 0; l < r.L; ++l) {
        const Direction& d = r.dirs[l];
        const float* in = l == 0 ? f.x : f.nxt + static_cast<int64_t>(l - 1) * B * Hout;
        float* hl = f.h + static_cast<int64_t>(l) * B * Hout;
        float* nl = f.nxt + static_cast<int64_t>(l) * B * Hout;
        DirBuffers s = f.s;
        if (r.lstm()) s.c = f.c + static_cast<int64_t>(l) * B * H;  // the caller's cell state, in place
        // Our columns only: no barrier between the input product and its use. Forward calls read W_ih then W_hh,
        // backward calls W_hh then W_ih, each last to first: every call starts on what the previous one read last.
        auto input = [&] { input_projection(r, d, B, in, r.in_size(l), s.gx, u, f.backward); };
        if (!f.backward) input();
        step_share(r, d, B, s.gx, r.gh(), hl, nl, s, nullptr, sh, f.backward, [&] {
            if (f.backward) input();
        });
        if (l + 1 < r.L) {
            if (n > 1) f.bar.wait();  // all of nl written (the next layer's input); nobody reads hl any more
            copy_cols(nl, hl, B, Hout, o);
        }
        // the top layer's state is copied by the caller once the team has joined: no barrier for it
    }
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
    const int gh = r->gh(), H = r->H;
    const Format f = r->format;
    bool ok = pack_gates(w_ih, r->G, H, r->in_size(layer), f, &d.w_ih) && pack_gates(w_hh, r->G, H, r->Hout, f, &d.w_hh) &&
              (d.bias = static_cast<float*>(aligned_alloc64(sizeof(float) * gh))) &&
              (d.b_hn = static_cast<float*>(aligned_alloc64(sizeof(float) * H)));
    if (ok) {
        std::memset(d.b_hn, 0, sizeof(float) * H);
        fold_biases(*r, b_ih, b_hh, d.bias, d.b_hn);
    }
    if (ok && r->P > 0) ok = pack_gates(w_hr, 1, r->P, H, f, &d.w_hr);
    if (!ok) {
        d.release();
        d = Direction();
        return JRNN_ERR_NOMEM;
    }
    d.opts = direction_options(*r, direction);
    d.set = true;
    return JRNN_OK;
}

int jrnn_rnn_set_options(jrnn_rnn* r, int flags, float clip, int n_act, const int32_t* kinds, const float* alpha,
                         const float* beta) {
    using namespace jrnn;
    if (!r || (flags & ~(JRNN_RNN_REVERSE | JRNN_RNN_INPUT_FORGET)) || !(clip >= 0.0f) || clip > 3.4e38f)
        return JRNN_ERR_ARG;
    for (const auto& d : r->dirs)
        if (d.set) return JRNN_ERR_STATE;
    const bool reverse = flags & JRNN_RNN_REVERSE, input_forget = flags & JRNN_RNN_INPUT_FORGET;
    if ((reverse && r->D != 1) || (input_forget && !r->lstm())) return JRNN_ERR_ARG;
    const int per = r->fns_per_direction();
    if (n_act != 0 && (n_act != per * r->D || !kinds || !alpha || !beta)) return JRNN_ERR_ARG;
    std::vector<ActFn> acts;
    try {
        for (int i = 0; i < n_act; ++i) {
            if (kinds[i] < 0 || kinds[i] >= kActCount) return JRNN_ERR_ARG;
            acts.push_back(ActFn{kinds[i], alpha[i], beta[i]});
        }
    } catch (const std::bad_alloc&) {
        return JRNN_ERR_NOMEM;
    }
    r->reverse = reverse;
    r->input_forget = input_forget;
    r->clip = clip;
    r->acts = std::move(acts);
    r->general = clip > 0.0f || input_forget;
    auto same = [](const ActFn& a, const ActFn& b) {
        return a.kind == b.kind && a.alpha == b.alpha && a.beta == b.beta;
    };
    for (int dir = 0; dir < r->D && !r->general; ++dir) {
        const CellOptions def = direction_options(*r, dir, true), o = direction_options(*r, dir);
        r->general = !same(o.f, def.f) || !same(o.g, def.g) || !same(o.h, def.h);
    }
    return JRNN_OK;
}

int jrnn_rnn_set_peepholes(jrnn_rnn* r, int layer, int direction, const float* p) {
    using namespace jrnn;
    if (!r || !r->lstm() || r->P > 0 || layer < 0 || layer >= r->L || direction < 0 || direction >= r->D || !p)
        return JRNN_ERR_ARG;
    Direction& d = r->dirs[static_cast<size_t>(layer) * r->D + direction];
    if (!d.set) return JRNN_ERR_STATE;
    float* q = d.peep ? d.peep : static_cast<float*>(aligned_alloc64(sizeof(float) * 3 * r->H));
    if (!q) return JRNN_ERR_NOMEM;
    std::memcpy(q, p, sizeof(float) * 3 * r->H);
    d.peep = q;
    d.opts.peep = q;
    r->general = true;
    return JRNN_OK;
}

int jrnn_rnn_set_precision(jrnn_rnn* r, int precision) {
    if (!r || precision < JRNN_PRECISION_FP32 || precision > JRNN_PRECISION_INT8) return JRNN_ERR_ARG;
    if (precision == JRNN_PRECISION_INT8 && std::max(r->I, std::max(r->D * r->Hout, r->H)) > JRNN_INT8_MAX_K)
        return JRNN_ERR_ARG;  // int32 sums stay exact below 2^16 inputs
    for (const auto& d : r->dirs)
        if (d.set) return JRNN_ERR_STATE;
    r->format = static_cast<jrnn::Format>(precision);
    return JRNN_OK;
}

int jrnn_rnn_precision(const jrnn_rnn* r) { return r ? static_cast<int>(r->format) : -1; }

int64_t jrnn_rnn_weight_bytes(const jrnn_rnn* r) {
    if (!r) return 0;
    int64_t bytes = 0;
    for (const auto& d : r->dirs) {
        if (!d.set) continue;
        bytes += d.w_ih.p.bytes() + d.w_hh.p.bytes() + (r->P > 0 ? d.w_hr.p.bytes() : 0);
        bytes += static_cast<int64_t>(sizeof(float)) * (r->gh() + r->H);  // folded biases
        if (d.peep) bytes += static_cast<int64_t>(sizeof(float)) * 3 * r->H;  // LSTM peepholes
    }
    return bytes;
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
    return jrnn_rnn_forward_ex(r, T, B, x, lengths, h0, c0, y, hn, cn, 0);
}

int jrnn_rnn_forward_ex(const jrnn_rnn* r, int T, int B, const float* x, const int32_t* lengths, const float* h0,
                        const float* c0, float* y, float* hn, float* cn, int options) {
    using namespace jrnn;
    if (!r || T < 1 || B < 1 || !x || !y || (options & ~JRNN_RUN_BATCH_INVARIANT)) return JRNN_ERR_ARG;
    if (!all_set(r)) return JRNN_ERR_STATE;
    if (lengths) {
        for (int b = 0; b < B; ++b)
            if (lengths[b] < 0 || lengths[b] > T) return JRNN_ERR_ARG;
    }
    // A team when a step's products are worth a barrier on this host, or when the input products alone are large:
    // with the steps on one thread, a team only halves the input products and adds a wake, a barrier, a join and
    // the reads of the other thread's gate columns. Measured on the Zen 5 guest (cores ~500 ns apart), steps on one
    // thread of a team of two against one thread: rnn-b1 fp32 (6.5M) 1.2-1.35x the time, lstm-b1 bf16 (13M) 1.08x,
    // gru-b1 int8 (4.9M) 1.27x; so a team for them alone from 128x the step threshold (6.3M).
    const int64_t min_work = min_parallel_work();
    const bool split_steps = r->step_work(B, false) >= min_work;
    const int64_t proj_work = static_cast<int64_t>(T) * (r->step_work(B, true) - r->step_work(B, false));
    Team team(split_steps || proj_work >= 128 * min_work ? threads() : 1);
    const int n = team.size();
    const bool dir_teams = r->D == 2 && n % 2 == 0;
    const int m = dir_teams ? n / 2 : n;

    // From batch 16 a step's input product is a GEMM of its own (compute-bound), so it runs one step ahead into a
    // two-step ring that stays in cache for the cell pass, instead of all steps up front (26 MiB for lstm-b64).
    const bool step_inputs = B >= 16;
    const size_t rows = static_cast<size_t>(T) * B;
    const size_t gx_rows = step_inputs ? static_cast<size_t>(std::min(T, 2)) * B : rows;
    const size_t seq = rows * r->D * r->Hout;  // one layer's output
    const int ndirs = dir_teams ? 2 : 1;
    const bool share_q = m > 1 && split_steps && step_inputs && r->format == Format::kS8;
    const size_t need = (r->L > 1 ? 2 * Workspace::rounded(seq) : 0) + ndirs * dir_floats(*r, gx_rows, B, share_q ? m : 0) +
                        Workspace::rounded((rows + 3) / 4) + Workspace::rounded(static_cast<size_t>(T));
    Workspace& ws = Workspace::local();
    if (!ws.reserve(need)) return JRNN_ERR_NOMEM;

    ForwardCtx f{};
    f.r = r;
    f.k = table_for(options);
    f.T = T;
    f.B = B;
    f.x = x;
    f.h0 = h0;
    f.c0 = c0;
    f.y = y;
    f.hn = hn;
    f.cn = cn;
    if (r->L > 1) {
        f.seq[0] = ws.take(seq);
        f.seq[1] = ws.take(seq);
    }
    for (int i = 0; i < ndirs; ++i) f.dirs[i] = carve(*r, gx_rows, B, ws, share_q ? m : 0);
    uint8_t* masks = reinterpret_cast<uint8_t*>(ws.take((rows + 3) / 4));
    int32_t* live = reinterpret_cast<int32_t*>(ws.take(static_cast<size_t>(T)));
    for (int t = 0; t < T; ++t) {
        int count = B;
        if (lengths) {
            count = 0;
            for (int b = 0; b < B; ++b) {
                masks[static_cast<size_t>(t) * B + b] = t < lengths[b];
                count += t < lengths[b];
            }
        }
        live[t] = count;
    }
    f.masks = masks;
    f.live = live;
    f.dir_teams = dir_teams;
    f.steps_parallel = m > 1 && split_steps;
    f.step_inputs = step_inputs;
    f.share_q = share_q;
    f.all.init(n);
    f.half[0].init(m);
    f.half[1].init(m);
    team.run(forward_task, &f);
    return JRNN_OK;
}

int jrnn_rnn_step(const jrnn_rnn* r, int B, const float* x, float* h, float* c, float* y) {
    return jrnn_rnn_step_ex(r, B, x, h, c, y, 0);
}

int jrnn_rnn_step_ex(const jrnn_rnn* r, int B, const float* x, float* h, float* c, float* y, int options) {
    using namespace jrnn;
    if (!r || B < 1 || !x || !h || !y || r->D != 1 || r->reverse || (options & ~JRNN_RUN_BATCH_INVARIANT))
        return JRNN_ERR_ARG;
    if (r->lstm() && !c) return JRNN_ERR_ARG;
    if (!all_set(r)) return JRNN_ERR_STATE;
    // One step called on its own (a decoder, a stream) pays for waking the team and for its barriers on every call,
    // not once per sequence as a forward does: it takes a team from 2.5x the forward's threshold. Measured on the
    // Intel Xeon (2 vCPUs, quiet, 2.5x is 123k), two threads against one: the date demo's
    // decoder step (GRU 96, 60k) 51 us a sentence against 45-47 us; rnn H128 at B=5 (61k) 1.32x the time, gru
    // H96 I112 at B=5 (112k) 1.12x; lstm H128 at B=1 (131k) 0.84x, lstm H96 at B=5 (138k) 0.93x, gru H128 at B=5
    // (184k) 0.99x, gru H256 (393k) 0.60x, lstm H256 (524k) 0.51x.
    Team team(r->step_work(B, true) >= 5 * min_parallel_work() / 2 ? threads() : 1);
    const size_t nxt = static_cast<size_t>(r->L) * B * r->Hout;
    const size_t need = dir_floats(*r, static_cast<size_t>(B), B) + Workspace::rounded(nxt);
    Workspace& ws = Workspace::local();
    if (!ws.reserve(need)) return JRNN_ERR_NOMEM;
    StepCtx f{};
    f.r = r;
    f.k = table_for(options);
    f.B = B;
    f.x = x;
    f.h = h;
    f.c = c;
    f.y = y;
    f.s = carve(*r, static_cast<size_t>(B), B, ws);
    f.nxt = ws.take(nxt);
    // Which way this call reads the weights: alternating per calling thread (the caches that matter are those of
    // the cores this thread's calls run on); a shared model is never written by a call.
    thread_local bool backward_next = false;
    f.backward = B == 1 && backward_next;
    backward_next = !backward_next;
    f.bar.init(team.size());
    team.run(step_task, &f);
    const size_t top = static_cast<size_t>(B) * r->Hout;
    const float* last = f.nxt + (r->L - 1) * top;
    std::memcpy(h + (r->L - 1) * top, last, sizeof(float) * top);
    std::memcpy(y, last, sizeof(float) * top);
    return JRNN_OK;
}

}  // extern "C"
