// Batch-invariant products: kernel tables whose recurrent product sums every output element in one order that
// depends on neither B nor the row's position (gemm_inv_avx2.cpp states the order). The recurrent driver takes one
// when a call asks for JRNN_RUN_BATCH_INVARIANT (jrnn.h), as the batcher does.
#ifndef JRNN_INVARIANT_H
#define JRNN_INVARIANT_H

#include "avx2/kernels_avx2.h"
#include "kernels.h"

namespace jrnn {

namespace avx2 {
// Same contract as gemm_packed_f32, plus batch invariance; equal to gemm_packed_f32 at B = 1 to the last bit.
JRNN_AVX2 void gemm_packed_inv_f32(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                   bool accumulate);
}  // namespace avx2

// The table of base's ISA with a batch-invariant gemm_packed_f32 (gemm_batch_invariant true): base itself when its
// product is invariant already (ref: one chain per output in k order; avx512: one k-split for every row block),
// avx2's with gemm_packed_inv_f32, any other ISA's with the scalar product.
const KernelTable& invariant_kernels(const KernelTable& base);

}  // namespace jrnn

#endif
