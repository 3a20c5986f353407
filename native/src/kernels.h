// Internal kernel interface. Every kernel exists once per ISA with the same signature: jrnn::ref (scalar, the
// spec), jrnn::avx2 (AVX2/FMA), jrnn::avx512 (AVX-512 F/BW/DQ/VL). The ISA registry (core/isa.cpp) lists them;
// one table is picked once at load; tests loop over the registry and call every supported table.
#ifndef JRNN_KERNELS_H
#define JRNN_KERNELS_H

#include <cstddef>
#include <cstdint>

namespace jrnn {

// The storage format of a packed weight matrix (SPEC §1.5); values are the ABI's JRNN_PRECISION_*.
enum class Format : int32_t {
    kF32 = 0,   // float32
    kBF16 = 1,  // bfloat16, rounded to nearest even once at load; inputs rounded the same way per product
    kS8 = 2,    // int8 per output row, q = rne(W / s_n), s_n = max|W[n,:]| / 127; inputs quantized to uint8 per row
};

// Rows of a weight matrix W[N,K] packed for the per-step product: panels of kPanel consecutive rows. The panel
// layout depends on the format, never on the ISA, so switching ISA never repacks:
//   f32:  panel[k][16]            (for k: W[p*16 + 0..15][k]), 64 bytes a k
//   bf16: panel[k/2][16][2]       (a 32-bit word holds rows' k and k+1), 64 bytes a pair of k; k padded to even
//   s8:   panel[k/4][16][4]       (a 32-bit word holds rows' k..k+3), 64 bytes a quad of k; k padded to 4
// N is zero-padded to n_pad, K to k_pad with zeros (they add nothing). Every panel starts 64-byte aligned.
constexpr int kPanel = 16;

struct RowQuant;  // core/quant.h: one row's uint8 quantization

struct Packed {
    Format format = Format::kF32;
    int n = 0;                   // rows (outputs)
    int k = 0;                   // columns (inputs)
    int n_pad = 0;               // n rounded up to kPanel
    int k_pad = 0;               // k rounded up to the format's group (1, 2, 4)
    float* data = nullptr;       // f32: n_pad * k floats; owned
    uint16_t* bf16 = nullptr;    // bf16: n_pad * k_pad values; owned
    int8_t* s8 = nullptr;        // s8: n_pad * k_pad values; owned
    float* scale = nullptr;      // s8: [n_pad] s_n (1 for padding and all-zero rows); owned
    int32_t* row_sum = nullptr;  // s8: [n_pad] sum_k q[n,k]; owned

    // Bytes of weight storage (what a product streams), scales and row sums included.
    int64_t bytes() const;
    // Rows [row0, row0 + rows) as a matrix of their own (row0 a multiple of kPanel): a view, owns nothing.
    Packed slice_rows(int row0, int rows) const;
};

// Pack W[N,K] (row stride ldw) into out in the given format (allocates). Returns false when out of memory.
bool pack_rows(const float* w, int n, int k, int64_t ldw, Packed* out, Format format = Format::kF32);
void free_packed(Packed* p);

// float -> bfloat16 bits, round to nearest even (NaN stays a quiet NaN), and back.
inline uint16_t bf16_round(float f) {
    uint32_t u;
    __builtin_memcpy(&u, &f, 4);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);  // NaN, kept quiet
    u += 0x7FFFu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}
inline float bf16_to_f32(uint16_t b) {
    const uint32_t u = static_cast<uint32_t>(b) << 16;
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}

void* aligned_alloc64(size_t bytes);  // nullptr on failure; release with aligned_free
void aligned_free(void* p);

// ---- ONNX-style cell options (jrnn.h, jrnn_rnn_set_options): what the general cell passes take ----
// Activation functions, values as JRNN_FN_*.
enum Act : int32_t {
    kActSigmoid = 0,
    kActTanh = 1,
    kActRelu = 2,
    kActHardSigmoid = 3,     // min(max(alpha*x + beta, 0), 1)
    kActElu = 4,             // x >= 0 ? x : alpha*(e^x - 1)
    kActSoftsign = 5,        // x / (1 + |x|)
    kActSoftplus = 6,        // log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|)
    kActAffine = 7,          // alpha*x + beta
    kActLeakyRelu = 8,       // x >= 0 ? x : alpha*x
    kActThresholdedRelu = 9, // x > alpha ? x : 0
    kActScaledTanh = 10,     // alpha*tanh(beta*x)
    kActCount = 11,
};
struct ActFn {
    int32_t kind = kActSigmoid;
    float alpha = 0.0f, beta = 0.0f;
};
// One direction's options: clip (0 = none) bounds every gate activation's input after biases and peepholes;
// f, g, h as ONNX names them (LSTM f gates i,f,o, g the candidate, h of the cell state; GRU f gates r,z, g the
// candidate; RNN f); input_forget: LSTM f = 1 - i; peep: LSTM [3*H] peepholes i, f, o or nullptr.
struct CellOptions {
    float clip = 0.0f;
    bool input_forget = false;
    ActFn f, g, h;
    const float* peep = nullptr;
};

// The kernel set of one ISA.
struct KernelTable {
    const char* name;
    // y[i] = f(x[i]) for i < n; in place allowed
    void (*sigmoid_f32)(const float* x, float* y, int64_t n);
    void (*tanh_f32)(const float* x, float* y, int64_t n);
    void (*exp_f32)(const float* x, float* y, int64_t n);

    // y[b, 0:N] = (accumulate ? y[b, 0:N] : 0) + sum_k x[b, k] * W[n, k]   for b < B
    // x[B, K] row stride ldx; y[B, N] row stride ldy. Small B (the per-step recurrent product). w.format == kF32.
    void (*gemm_packed_f32)(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                            bool accumulate);
    // The same product against bf16 weights: each row of x rounded to bf16 (bf16_round), products summed in
    // float32. w.format == kBF16.
    void (*gemm_packed_bf16_f32)(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                 bool accumulate);
    // Against s8 weights: each row of x quantized to uint8 (SPEC §1.5: lo = min(0, min x), hi = max(0, max x),
    // s_x = (hi - lo)/255 or 1, zp = clamp(rne(-lo/s_x)), xq = clamp(rne(x/s_x) + zp)), then
    // y[n] (+)= (s_x * s_n) * float(sum_k xq[k] q[n,k] - zp * row_sum[n]), the sums exact in int32. A row of x
    // holding NaN or +-inf gives NaN in all its outputs. w.format == kS8, w.k < 2^16.
    void (*gemm_packed_s8_u8)(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                              bool accumulate);
    // The bf16 or s8 product against count matrices of one format and one k (a recurrent step's gate blocks):
    // y + g * y_step (+)= x . w[g]^T for g < count, the bits of count single products, with the rows of x rounded
    // or quantized once for all of them. nullptr: an ISA without one; gemm_packed_multi then calls the single
    // product count times.
    void (*gemm_packed_lowp_multi)(const Packed* w, int count, int B, const float* x, int64_t ldx, float* y,
                                   int64_t y_step, int64_t ldy, bool accumulate);

    // ---- the s8 product's input prepared by a team (layers/recurrent.cpp): each thread quantizes its own columns
    // of the rows once for every thread's products, with gemm_packed_s8_u8's quantization (SPEC §1.5).
    // lo[b] = min(0, min of the finite x[b, j0:j1)), hi[b] = max(0, max of them), finite[b] = all of them finite.
    void (*row_range_cols_f32)(int B, const float* x, int64_t ldx, int j0, int j1, float* lo, float* hi,
                               uint8_t* finite);
    // out[b, j] = quant_u8(x[b, j], q[b]) for j0 <= j < j1 (out's row stride ldo bytes).
    void (*quantize_cols_u8)(int B, const float* x, int64_t ldx, int j0, int j1, const RowQuant* q, uint8_t* out,
                             int64_t ldo);
    // gemm_packed_lowp_multi's s8 product from rows quantized already: xq[B, w.k_pad] (row stride ldxq bytes, a
    // multiple of 4; bytes past w.k meet zero weights), q[b] and finite[b] as gemm_packed_s8_u8 finds them. The
    // bits of gemm_packed_s8_u8 on the rows xq came from.
    void (*gemm_packed_s8_prepared)(const Packed* w, int count, int B, const uint8_t* xq, int64_t ldxq,
                                    const RowQuant* q, const uint8_t* finite, float* y, int64_t y_step, int64_t ldy,
                                    bool accumulate);

    // The fused per-step cell passes. gx[B, G*H] (row stride ldgx) holds W_ih x + biases for this step,
    // gh[B, G*H] (row stride ldgh) holds W_hh h_{t-1}. active[B] (nullptr = all rows): rows with 0 are
    // left untouched. States are updated in place.

    // LSTM, gates i,f,g,o: c = f*c + i*g; h = o*tanh(c). g = tanh (or sigmoid when sigmoid_candidate).
    // gx holds b_ih + b_hh already. h[B,H] receives o*tanh(c) (before any projection).
    void (*lstm_cell_f32)(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                          float* c, float* h, const uint8_t* active, bool sigmoid_candidate);

    // GRU, reset after the matmul (PyTorch): gates r,z,n; gx holds b_ih + b_hh for r,z and b_in for n;
    // gh holds W_hh h without bias; b_hn[H] is added inside the reset product:
    // n = tanh(gx_n + r*(gh_n + b_hn)); h = (1-z)*n + z*h.
    void (*gru_cell_f32)(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                         const float* b_hn, float* h, const uint8_t* active);

    // GRU, reset before the matmul, phase 1: r = sig(gx_r + gh_r), z = sig(gx_z + gh_z) with gh[B, 2H]
    // (r,z rows only); writes z[B,H] (row stride H) and rh[B,H] = r*h (row stride H) for active rows.
    void (*gru_gates_f32)(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                          const float* h, float* z, float* rh, const uint8_t* active);
    // Phase 2: n = tanh(gx_n + ghn) where gx_n points at the n block (b_in + b_hn folded in) and ghn[B,H]
    // (row stride ldgh) = W_hn (r*h); h = (1-z)*n + z*h.
    void (*gru_update_f32)(int B, int H, const float* gx_n, int64_t ldgx, const float* ghn, int64_t ldgh,
                           const float* z, float* h, const uint8_t* active);

    // Elman: h = act(gx + gh), act = tanh or relu.
    void (*rnn_cell_f32)(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                         float* h, const uint8_t* active, bool relu);

    // ---- seq2seq: attention and softmax (jrnn.h has the semantics) ----
    // scores[i,j] = sum_a v[a] * tanh(qproj[i,a] + keys[j,a]);  qproj[M,A], keys[S,A], v[A], scores[M,S]
    void (*attn_additive_f32)(int M, int S, int A, const float* qproj, const float* keys, const float* v,
                              float* scores);
    // scores[i,j] = q[i,:] . mem[j,:];  q[M,Dm], mem[S,Dm], scores[M,S]
    void (*attn_dot_f32)(int M, int S, int Dm, const float* q, const float* mem, float* scores);
    // ctx[i,:] = sum_j alpha[i,j] * mem[j,:];  alpha[M,S], mem[S,Dm], ctx[M,Dm]
    void (*attn_context_f32)(int M, int S, int Dm, const float* alpha, const float* mem, float* ctx);
    // Row-wise over x[M,N] into y[M,N] (y == x allowed), valid[N] or nullptr. Returns the rows written: M, or
    // the index of the first row without a valid entry above -inf (it and the rows after it are untouched).
    int (*softmax_f32)(int M, int N, const float* x, const uint8_t* valid, float* y);
    int (*log_softmax_f32)(int M, int N, const float* x, const uint8_t* valid, float* y);

    // ---- the cell passes above on columns [j0, j1) of each row only (0 <= j0 <= j1 <= H): a thread of the
    // recurrent driver owns a block of hidden units. Same arguments otherwise (gates still H apart); the full
    // versions are these with [0, H).
    void (*lstm_cell_cols_f32)(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                               int64_t ldgh, float* c, float* h, const uint8_t* active, bool sigmoid_candidate);
    void (*gru_cell_cols_f32)(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                              int64_t ldgh, const float* b_hn, float* h, const uint8_t* active);
    void (*gru_gates_cols_f32)(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                               int64_t ldgh, const float* h, float* z, float* rh, const uint8_t* active);
    void (*gru_update_cols_f32)(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx, const float* ghn,
                                int64_t ldgh, const float* z, float* h, const uint8_t* active);
    void (*rnn_cell_cols_f32)(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                              int64_t ldgh, float* h, const uint8_t* active, bool relu);

    // ---- the general cell passes (ONNX-style options, see CellOptions), columns [j0, j1), else as above:
    // LSTM: i = f(clip(gx_i + gh_i + p_i*c)), f = 1 - i (input_forget) or f(clip(gx_f + gh_f + p_f*c)),
    // g = g(clip(gx_g + gh_g)), c' = f*c + i*g, o = f(clip(gx_o + gh_o + p_o*c')), h = o*h(c') (c' unclipped).
    void (*lstm_cell_ex_cols_f32)(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                  int64_t ldgh, float* c, float* h, const uint8_t* active, const CellOptions& o);
    // GRU reset after: r, z = f(clip(gx + gh)), n = g(clip(gx_n + r*(gh_n + b_hn))), h = (1-z)*n + z*h.
    void (*gru_cell_ex_cols_f32)(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                 int64_t ldgh, const float* b_hn, float* h, const uint8_t* active,
                                 const CellOptions& o);
    // GRU reset before: phase 1 r, z = f(clip(gx + gh)), rh = r*h; phase 2 n = g(clip(gx_n + ghn)), blend.
    void (*gru_gates_ex_cols_f32)(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                  int64_t ldgh, const float* h, float* z, float* rh, const uint8_t* active,
                                  const CellOptions& o);
    void (*gru_update_ex_cols_f32)(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx, const float* ghn,
                                   int64_t ldgh, const float* z, float* h, const uint8_t* active,
                                   const CellOptions& o);
    // Elman: h = f(clip(gx + gh)).
    void (*rnn_cell_ex_cols_f32)(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                 int64_t ldgh, float* h, const uint8_t* active, const CellOptions& o);

    // True when gemm_packed_f32's result for a row of x never depends on B, on the row's position or on which
    // panels a call covers (each output one sum in one fixed order): what batch-invariant serving needs.
    bool gemm_batch_invariant;
};

namespace ref {
extern const KernelTable kTable;
}
namespace avx2 {
extern const KernelTable kTable;
}
namespace avx512 {
extern const KernelTable kTable;
}

// One instruction-set path: its ABI id (JRNN_ISA_*), name, whether this CPU and OS can run it, its kernels.
struct Isa {
    int id;
    const char* name;
    bool (*supported)();
    const KernelTable* table;
};

// Every ISA jrnn has, in order of preference (the last supported one is the default); isas()[i].id == i.
const Isa* isas();
int isa_count();
const Isa* find_isa(const char* name);  // nullptr when no ISA has that name

// The table in use (set once at load, switchable for tests).
const KernelTable& kernels();

// The product of the table's kernel for w's format (every product with a weight matrix goes through here).
void gemm_packed(const KernelTable& k, const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                 bool accumulate);

// gemm_packed against count matrices of one format and k: y + g * y_step (+)= x . w[g]^T (gemm_packed_lowp_multi
// where the table has one).
void gemm_packed_multi(const KernelTable& k, const Packed* w, int count, int B, const float* x, int64_t ldx, float* y,
                       int64_t y_step, int64_t ldy, bool accumulate);

// y[1, w.n] (+)= x[1, w.k] . w^T with k's product for w's format on groups of panels, last group first: the same result
// as one call, with the weights read in the opposite order (layers/recurrent.cpp says why batch-1 steps alternate).
void gemm_packed_backward_f32(const KernelTable& k, const Packed& w, const float* x, float* y, bool accumulate);
// CPUID and OS (XGETBV) support
bool cpu_has_avx2_fma();
bool cpu_has_avx512();  // F, BW, DQ, VL with opmask, ZMM_Hi256 and Hi16_ZMM state enabled (plus avx2_fma)
bool cpu_has_avx512_vnni();  // vpdpbusd on zmm
bool cpu_has_avx512_bf16();  // vdpbf16ps
bool cpu_has_avx_vnni();     // vpdpbusd on ymm (VEX)
bool cpu_is_intel();         // CPUID vendor GenuineIntel (a kernel's block shape may differ by vendor)
bool cpu_has_amx_bf16();     // tdpbf16ps: AMX-TILE + AMX-BF16, tile state enabled and granted by the OS
bool cpu_has_amx_int8();     // tdpbusd: AMX-TILE + AMX-INT8, likewise

}  // namespace jrnn

#endif
