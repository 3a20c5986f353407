// The AVX2/FMA kernel table; the ISA registry (core/isa.cpp) selects it only where cpu_has_avx2_fma().
#include "avx2/kernels_avx2.h"
#include "ref/kernels_ref.h"

namespace jrnn::avx2 {

const KernelTable kTable = {
    .name = "avx2",
    .sigmoid_f32 = sigmoid_f32,
    .tanh_f32 = tanh_f32,
    .exp_f32 = exp_f32,
    .gemm_packed_f32 = gemm_packed_f32,
    .gemm_packed_bf16_f32 = gemm_packed_bf16_f32,
    .gemm_packed_s8_u8 = gemm_packed_s8_u8,
    .gemm_packed_lowp_multi = nullptr,  // the single products one by one
    // AVX2's own quantization is the scalar one (gemm_lowp_avx2.cpp), so the column passes are too
    .row_range_cols_f32 = ref::row_range_cols_f32,
    .quantize_cols_u8 = ref::quantize_cols_u8,
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
    .gemm_batch_invariant = false,  // k is unrolled into 1-4 partial sums by the row-block size
};

}  // namespace jrnn::avx2
