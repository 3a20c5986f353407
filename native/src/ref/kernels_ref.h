// Scalar reference kernels: the spec every SIMD path is tested against. Signatures: see kernels.h.
#ifndef JRNN_REF_KERNELS_REF_H
#define JRNN_REF_KERNELS_REF_H

#include <cmath>

#include "kernels.h"

namespace jrnn::ref {

void sigmoid_f32(const float* x, float* y, int64_t n);
void tanh_f32(const float* x, float* y, int64_t n);
void exp_f32(const float* x, float* y, int64_t n);
void gemm_packed_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy, bool accumulate);
void gemm_packed_bf16_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                          bool accumulate);
void gemm_packed_s8_u8(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy, bool accumulate);
void row_range_cols_f32(int B, const float* x, int64_t ldx, int j0, int j1, float* lo, float* hi, uint8_t* finite);
void quantize_cols_u8(int B, const float* x, int64_t ldx, int j0, int j1, const RowQuant* q, uint8_t* out,
                      int64_t ldo);
void gemm_packed_s8_prepared(const Packed* w, int count, int B, const uint8_t* xq, int64_t ldxq, const RowQuant* q,
                             const uint8_t* finite, float* y, int64_t y_step, int64_t ldy, bool accumulate);
void lstm_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* c, float* h,
                   const uint8_t* active, bool sigmoid_candidate);
void gru_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* b_hn,
                  float* h, const uint8_t* active);
void gru_gates_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* h,
                   float* z, float* rh, const uint8_t* active);
void gru_update_f32(int B, int H, const float* gx_n, int64_t ldgx, const float* ghn, int64_t ldgh, const float* z,
                    float* h, const uint8_t* active);
void rnn_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* h,
                  const uint8_t* active, bool relu);
void attn_additive_f32(int M, int S, int A, const float* qproj, const float* keys, const float* v, float* scores);
void attn_dot_f32(int M, int S, int Dm, const float* q, const float* mem, float* scores);
void attn_context_f32(int M, int S, int Dm, const float* alpha, const float* mem, float* ctx);
int softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y);
int log_softmax_f32(int M, int N, const float* x, const uint8_t* valid, float* y);
void lstm_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                        float* c, float* h, const uint8_t* active, bool sigmoid_candidate);
void gru_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                       const float* b_hn, float* h, const uint8_t* active);
void gru_gates_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                        const float* h, float* z, float* rh, const uint8_t* active);
void gru_update_cols_f32(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx, const float* ghn,
                         int64_t ldgh, const float* z, float* h, const uint8_t* active);
void rnn_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                       float* h, const uint8_t* active, bool relu);

// Softmax rows that need no exp (a valid NaN, or a +inf maximum), written here for every ISA; false when the
// row is an ordinary one. max/nan: over the valid entries.
bool softmax_special_row(int N, const float* x, const uint8_t* valid, float max, bool nan, bool log, float* y);

// scalar helpers shared by the reference cells
// The general cell passes (cells_ex_ref.cpp) and their activation of one value.
float act1(const ActFn& a, float x);
void lstm_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                           int64_t ldgh, float* c, float* h, const uint8_t* active, const CellOptions& o);
void gru_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                          int64_t ldgh, const float* b_hn, float* h, const uint8_t* active, const CellOptions& o);
void gru_gates_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                           int64_t ldgh, const float* h, float* z, float* rh, const uint8_t* active,
                           const CellOptions& o);
void gru_update_ex_cols_f32(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx, const float* ghn,
                            int64_t ldgh, const float* z, float* h, const uint8_t* active, const CellOptions& o);
void rnn_cell_ex_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                          int64_t ldgh, float* h, const uint8_t* active, const CellOptions& o);

inline float sigmoid1(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace jrnn::ref

#endif
