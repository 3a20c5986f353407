// The AVX-512 kernel table; the ISA registry (core/isa.cpp) selects it only where cpu_has_avx512().
#include "avx512/kernels_avx512.h"

namespace jrnn::avx512 {

const KernelTable kTable = {
    .name = "avx512",
    .sigmoid_f32 = sigmoid_f32,
    .tanh_f32 = tanh_f32,
    .exp_f32 = exp_f32,
    .gemm_packed_f32 = gemm_packed_f32,
    .gemm_packed_bf16_f32 = gemm_packed_bf16_f32,
    .gemm_packed_s8_u8 = gemm_packed_s8_u8,
    .gemm_packed_lowp_multi = gemm_packed_lowp_multi,
    .row_range_cols_f32 = row_range_cols_f32,
    .quantize_cols_u8 = quantize_cols_u8,
    .gemm_packed_s8_prepared = gemm_packed_s8_prepared,
    .lstm_cell_f32 = lstm_cell_f32,
    .gru_cell_f32 = gru_cell_f32,
    .gru_gates_f32 = gru_gates_f32,
    .gru_update_f32 = gru_update_f32,
    .rnn_cell_f32 = rnn_cell_f32,
    .attn_additive_f32 = attn_additive_f32,
    .attn_dot_f32 = attn_dot_f32,
    .attn_context_f32 = attn_context_f32,
    .softmax_f32 = softmax_f32,
    .log_softmax_f32 = log_softmax_f32,
    .lstm_cell_cols_f32 = lstm_cell_cols_f32,
    .gru_cell_cols_f32 = gru_cell_cols_f32,
    .gru_gates_cols_f32 = gru_gates_cols_f32,
    .gru_update_cols_f32 = gru_update_cols_f32,
    .rnn_cell_cols_f32 = rnn_cell_cols_f32,
    .lstm_cell_ex_cols_f32 = lstm_cell_ex_cols_f32,
    .gru_cell_ex_cols_f32 = gru_cell_ex_cols_f32,
    .gru_gates_ex_cols_f32 = gru_gates_ex_cols_f32,
    .gru_update_ex_cols_f32 = gru_update_ex_cols_f32,
    .rnn_cell_ex_cols_f32 = rnn_cell_ex_cols_f32,
    .gemm_batch_invariant = true,
};

}  // namespace jrnn::avx512
