// Aligned allocation, weight packing (ISA-independent layout, see kernels.h) and walking the packed layout.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels.h"

namespace jrnn {

void* aligned_alloc64(size_t bytes) {
    void* p = nullptr;
    if (posix_memalign(&p, 64, bytes == 0 ? 64 : bytes) != 0) return nullptr;
    return p;
}

void aligned_free(void* p) { std::free(p); }

bool pack_rows(const float* w, int n, int k, int64_t ldw, Packed* out) {
    const int n_pad = (n + kPanel - 1) / kPanel * kPanel;
    const size_t count = static_cast<size_t>(n_pad) * static_cast<size_t>(k);
    float* data = static_cast<float*>(aligned_alloc64(count * sizeof(float)));
    if (!data) return false;
    for (int p = 0; p < n_pad / kPanel; ++p) {
        float* panel = data + static_cast<size_t>(p) * kPanel * k;
        for (int kk = 0; kk < k; ++kk) {
            for (int j = 0; j < kPanel; ++j) {
                const int row = p * kPanel + j;
                panel[static_cast<size_t>(kk) * kPanel + j] = row < n ? w[row * ldw + kk] : 0.0f;
            }
        }
    }
    out->n = n;
    out->k = k;
    out->n_pad = n_pad;
    out->data = data;
    return true;
}

void free_packed(Packed* p) {
    aligned_free(p->data);
    p->data = nullptr;
}

// Groups of kBackwardGroup panels, last group first (panels inside a group forward): a kernel that hides latency
// across panels (avx512) gets enough of them per call, and the read order still runs backward at that grain.
void gemm_packed_backward_f32(const KernelTable& k, const Packed& w, const float* x, float* y, bool accumulate) {
    constexpr int kBackwardGroup = 8;
    const int panels = w.n_pad / kPanel;
    for (int end = panels; end > 0; end -= kBackwardGroup) {
        const int p = end > kBackwardGroup ? end - kBackwardGroup : 0;
        Packed group;
        group.n = std::min(w.n, end * kPanel) - p * kPanel;
        group.n_pad = (end - p) * kPanel;
        group.k = w.k;
        group.data = w.data + static_cast<int64_t>(p) * kPanel * w.k;
        k.gemm_packed_f32(group, 1, x, w.k, y + p * kPanel, w.n, accumulate);
    }
}

}  // namespace jrnn
