// TEMPORARY during bring-up: the AVX2 table points at the reference kernels until avx2/*.cpp land.
#include "ref/kernels_ref.h"

namespace jrnn::avx2 {

const KernelTable kTable = {
    "avx2",        ref::sigmoid_f32,  ref::tanh_f32,      ref::exp_f32,        ref::gemm_packed_f32, ref::lstm_cell_f32,
    ref::gru_cell_f32,  ref::gru_gates_f32, ref::gru_update_f32, ref::rnn_cell_f32,
};

}  // namespace jrnn::avx2
