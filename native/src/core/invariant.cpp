// The batch-invariant kernel tables (invariant.h).
#include "invariant.h"

namespace jrnn {

namespace {

KernelTable with_invariant_gemm(const KernelTable& base) {
    KernelTable t = base;
    t.gemm_packed_f32 = &avx2::gemm_packed_inv_f32;
    return t;
}

}  // namespace

const KernelTable& invariant_kernels(const KernelTable& base) {
    // avx2::gemm_packed_f32 chooses its k-split by the size of a row block; everything else in a table (cell passes,
    // activations) works row by row already.
    if (base.gemm_packed_f32 == &avx2::gemm_packed_f32) {
        static const KernelTable avx2_inv = with_invariant_gemm(base);
        return avx2_inv;
    }
    return base;
}

}  // namespace jrnn
