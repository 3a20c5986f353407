// The batch-invariant kernel tables (invariant.h).
#include "invariant.h"

#include <mutex>
#include <vector>

#include "ref/kernels_ref.h"

namespace jrnn {

namespace {

// One table per registered ISA: the ISA's own when its product is invariant already, else the same table with an
// invariant product (AVX2's own, or for an ISA that has none the scalar one: slow, but never wrong). Everything else
// in a table (cell passes, activations) works row by row already.
std::vector<KernelTable> build() {
    std::vector<KernelTable> out;
    for (int i = 0; i < isa_count(); ++i) {
        KernelTable t = *isas()[i].table;
        if (!t.gemm_batch_invariant) {
            t.gemm_packed_f32 = t.gemm_packed_f32 == &avx2::gemm_packed_f32 ? &avx2::gemm_packed_inv_f32
                                                                           : ref::kTable.gemm_packed_f32;
            t.gemm_batch_invariant = true;
        }
        out.push_back(t);
    }
    return out;
}

}  // namespace

const KernelTable& invariant_kernels(const KernelTable& base) {
    static const std::vector<KernelTable> tables = build();  // thread-safe initialisation
    for (int i = 0; i < isa_count(); ++i)
        if (isas()[i].table == &base) return tables[i];
    return base;  // not a registered table (a test's own): taken as it is
}

}  // namespace jrnn
