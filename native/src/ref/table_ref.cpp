#include "ref/kernels_ref.h"

namespace jrnn::ref {

const KernelTable kTable = {
    "ref",         sigmoid_f32,  tanh_f32,      exp_f32,        gemm_packed_f32, lstm_cell_f32,
    gru_cell_f32,  gru_gates_f32, gru_update_f32, rnn_cell_f32,
};

}  // namespace jrnn::ref
