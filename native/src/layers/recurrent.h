// What the recurrent stack (recurrent.cpp) and its cells (cell_rnn.cpp, cell_lstm.cpp, cell_gru.cpp) share: the
// packed weights of a layer and direction, the per-thread scratch, the products, and one step's cell pass per cell.
// Internal to the layers; nothing here is ABI.
#ifndef JRNN_LAYERS_RECURRENT_H
#define JRNN_LAYERS_RECURRENT_H

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/pool.h"
#include "core/quant.h"
#include "jrnn/jrnn.h"
#include "kernels.h"

namespace jrnn {

namespace rec {

// The products of recurrent.cpp, with the kernel table of the call this thread works on (see table() there).

// W[G*Hg, K] packed gate by gate, each gate's Hg rows padded to Hpad = round_up(Hg, kPanel): the rows of units
// [j0, j1) of any gate, j0 a multiple of kPanel, are a run of whole panels and can be used as a matrix of their own.
struct GatePacked {
    Packed p;  // n = n_pad = G * Hpad
    int Hpad = 0;

    Packed rows(int g, int j0, int j1) const { return p.slice_rows(g * Hpad + j0, j1 - j0); }
};

struct Direction {
    bool set = false;
    GatePacked w_ih;        // [G*H, in]
    GatePacked w_hh;        // [G*H, Hout]
    GatePacked w_hr;        // [P, H] LSTM projection (one "gate")
    float* bias = nullptr;  // [G*H] what the input product starts from (see fold_biases)
    float* b_hn = nullptr;  // [H] GRU reset-after: b_hn stays inside r * (W_hn h + b_hn)
    float* peep = nullptr;  // [3*H] LSTM peepholes i, f, o (jrnn_rnn_set_peepholes) or nullptr
    CellOptions opts;       // this direction's ONNX-style options (used when jrnn_rnn::general)

    void release() {
        aligned_free(peep);
        free_packed(&w_ih.p);
        free_packed(&w_hh.p);
        free_packed(&w_hr.p);
        aligned_free(bias);
        aligned_free(b_hn);
    }
};

// Rows of x per kernel call: the block of x (~128 KiB) stays in L2 while the weight panels stream past it.
inline int row_block(int K) { return std::min(64, std::max(16, 32768 / std::max(K, 1) / 4 * 4)); }

// y[M, w.n] (+)= x[M, K] . w^T (y row stride ldy).
void product(const Packed& w, int M, const float* x, int64_t ldx, float* y, int64_t ldy, bool accumulate);

// y[1, w.n] (+)= x[1, K] . w^T with the panels of w taken last to first. At batch 1 a step streams its weights
// from L2 and they barely fit (lstm H=256: 1 MiB of W_hh, 1 MiB of L2 a core); read in the same order every step,
// the cache's LRU evicts each line just before it is needed again. Alternating the direction from step to step
// reads the most recently used lines first: lstm-b1 on one thread 1.80 -> 1.60 ms. Panels are computed whole in
// either direction, so results do not change.
void product_backward(const Packed& w, const float* x, float* y, bool accumulate);

struct Range {
    int j0 = 0, j1 = 0;
    int size() const { return j1 - j0; }
};

// dst[b, cols] = src[b, cols] for b < B (row stride ld).
inline void copy_cols(const float* src, float* dst, int B, int64_t ld, Range cols) {
    if (cols.size() <= 0) return;
    for (int b = 0; b < B; ++b) std::memcpy(dst + b * ld + cols.j0, src + b * ld + cols.j0, sizeof(float) * cols.size());
}

}  // namespace rec

}  // namespace jrnn

struct jrnn_rnn {
    int cell, flags, L, D, I, H, P, G, Hout;
    jrnn::Format format = jrnn::Format::kF32;  // of every weight matrix (jrnn_rnn_set_precision)
    // jrnn_rnn_set_options: reverse runs every layer's single direction last step first; general: some option
    // (clip, input_forget, peepholes, non-default activations) needs the general cell passes (*_ex_cols_f32).
    bool reverse = false, general = false;
    float clip = 0.0f;
    bool input_forget = false;
    std::vector<jrnn::ActFn> acts;  // empty or per direction (LSTM 3, GRU 2, RNN 1 each)
    std::vector<jrnn::rec::Direction> dirs;  // [L*D]

    bool lstm() const { return cell == JRNN_CELL_LSTM; }
    bool gru() const { return cell == JRNN_CELL_GRU; }
    bool reset_before() const { return gru() && (flags & JRNN_GRU_RESET_BEFORE); }
    int in_size(int layer) const { return layer == 0 ? I : D * Hout; }
    int gh() const { return G * H; }
    // ONNX's activation functions per direction: LSTM f, g, h; GRU f, g; RNN f
    int fns_per_direction() const { return lstm() ? 3 : gru() ? 2 : 1; }
    // What a step's products cost, in multiply-adds of fp32 weights at batch 1 (the unit of jrnn::min_parallel_work()),
    // for B rows: the weights read (the recurrent ones, with inputs also W_ih as a step called alone reads it), at
    // their bytes (bf16 1/2, int8 1/4), or, from B = 3, the arithmetic, which then bounds the product: fp32 FMAs
    // run ~3/8 of a weight's multiply-adds per 4 bytes a core reads from L2 (packed GEMM ~200 GFLOP/s against a
    // batch-1 GEMV of ~150 GB/s on the Xeon and the Zen 5 measured), and the bf16 and int8 dot products scale alike.
    int64_t step_work(int B, bool with_inputs) const {
        const int64_t weights = static_cast<int64_t>(gh()) * (Hout + (with_inputs ? I : 0)) +
                                static_cast<int64_t>(P) * H;
        const int64_t quarters = format == jrnn::Format::kF32 ? 4 : format == jrnn::Format::kBF16 ? 2 : 1;
        return weights * quarters * std::max<int64_t>(8, 3 * static_cast<int64_t>(B)) / 32;
    }
};

namespace jrnn {

namespace rec {

// Scratch of one direction (one per direction running at the same time), carved from the caller's workspace;
// threads write disjoint columns of it.
struct DirBuffers {
    float* gx;     // [rows, G*H] the input product of every step
    float* gh;     // [B, G*H] the recurrent product
    float* h[2];   // [B, Hout] state, double-buffered: step s reads h[s%2] (all columns), writes h[(s+1)%2]
    float* c;      // [B, H] LSTM cell state
    float* hraw;   // [B, H] LSTM o*tanh(c) before the projection
    float* hproj;  // [B, P]
    float* z;      // [B, H] GRU reset-before update gate
    float* rh;     // [B, H] GRU reset-before r*h
    // INT8 on a team from batch 16 (run_direction in recurrent.cpp): h_{t-1} quantized once for every thread.
    uint8_t* hq;            // [B, ldhq] its uint8 rows, each thread writing its columns o
    float* range;           // [3, team, B] each thread's lo, hi and (as bytes) finite of its columns of h_t
    int64_t ldhq;           // W_hh's k_pad
    const RowQuant* hq_q;   // this thread's copy of hq's row parameters; nullptr: the products quantize h themselves
    const uint8_t* hq_fin;  // and whether each row of h was finite
};

// A thread's share of a step: its hidden units u (all gates), its output columns o (= u without a projection)
// and the barrier of its team (nullptr when it works alone).
struct Share {
    Range u, o;
    Barrier* bar;
};

// Runs once inside a cell's step, after the first recurrent products and before anything reads gx (see step_share
// in recurrent.cpp).
struct BeforeCell {
    void (*fn)(void*) = nullptr;
    void* ctx = nullptr;
    void operator()() const {
        if (fn) fn(ctx);
    }
};

// gh[:, gate g, units u] = hin[B, Hout] . W_hh[gate g, units u]^T (backward at batch 1: panels last to first).
void recurrent_product(const jrnn_rnn& r, const Direction& d, int B, int g, const float* hin, DirBuffers& s, Range u,
                       bool backward);
// The same for gates [0, count) at once: one product for all of them (a reduced-precision product then rounds or
// quantizes hin once); backward at batch 1 gate by gate, last first.
void recurrent_products(const jrnn_rnn& r, const Direction& d, int B, int count, const float* hin, DirBuffers& s,
                        Range u, bool backward);

// One time step of one direction, this thread's share, for each cell (the arguments of step_share; k is the call's
// kernel table).
void step_rnn(const KernelTable& k, const jrnn_rnn& r, const Direction& d, int B, const float* gx, int64_t ldgx,
              const float* cur, float* nxt, DirBuffers& s, const uint8_t* mask, const Share& sh, bool backward,
              const BeforeCell& before_cell);
void step_lstm(const KernelTable& k, const jrnn_rnn& r, const Direction& d, int B, const float* gx, int64_t ldgx,
               const float* cur, float* nxt, DirBuffers& s, const uint8_t* mask, const Share& sh, bool backward,
               const BeforeCell& before_cell);
void step_gru(const KernelTable& k, const jrnn_rnn& r, const Direction& d, int B, const float* gx, int64_t ldgx,
              const float* cur, float* nxt, DirBuffers& s, const uint8_t* mask, const Share& sh, bool backward,
              const BeforeCell& before_cell);

}  // namespace rec

}  // namespace jrnn

#endif
