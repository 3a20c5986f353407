// The AVX2/FMA kernel table; core/dispatch.cpp selects it only after cpu_has_avx2_fma().
#include "avx2/kernels_avx2.h"

namespace jrnn::avx2 {

const KernelTable kTable = {
    "avx2",       sigmoid_f32,   tanh_f32,       exp_f32,      gemm_packed_f32, lstm_cell_f32,
    gru_cell_f32, gru_gates_f32, gru_update_f32, rnn_cell_f32,
};

}  // namespace jrnn::avx2
