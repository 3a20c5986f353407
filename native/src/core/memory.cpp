// Aligned allocation, weight packing (ISA-independent layout, see kernels.h) and walking the packed layout.
#include <algorithm>
#include <cmath>
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

namespace {

int group_of(Format f) { return f == Format::kF32 ? 1 : f == Format::kBF16 ? 2 : 4; }

// Bytes one panel holds per k (64: sixteen rows of one f32, of a bf16 pair's half, of an s8 quad's quarter).
int64_t panel_bytes(Format f, int k_pad) {
    return static_cast<int64_t>(kPanel) * k_pad * (f == Format::kF32 ? 4 : f == Format::kBF16 ? 2 : 1);
}

// W[row][kk], 0 outside [n, k).
inline float at(const float* w, int n, int k, int64_t ldw, int row, int kk) {
    return row < n && kk < k ? w[row * ldw + kk] : 0.0f;
}

}  // namespace

bool pack_rows(const float* w, int n, int k, int64_t ldw, Packed* out, Format format) {
    Packed p;
    p.format = format;
    p.n = n;
    p.k = k;
    p.n_pad = (n + kPanel - 1) / kPanel * kPanel;
    const int g = group_of(format);
    p.k_pad = (k + g - 1) / g * g;
    const int panels = p.n_pad / kPanel;
    const size_t count = static_cast<size_t>(p.n_pad) * static_cast<size_t>(p.k_pad);
    switch (format) {
        case Format::kF32:
            p.data = static_cast<float*>(aligned_alloc64(count * sizeof(float)));
            if (!p.data) return false;
            for (int pi = 0; pi < panels; ++pi) {
                float* panel = p.data + static_cast<size_t>(pi) * kPanel * p.k_pad;
                for (int kk = 0; kk < k; ++kk)
                    for (int j = 0; j < kPanel; ++j) panel[static_cast<size_t>(kk) * kPanel + j] = at(w, n, k, ldw, pi * kPanel + j, kk);
            }
            break;
        case Format::kBF16:
            p.bf16 = static_cast<uint16_t*>(aligned_alloc64(count * sizeof(uint16_t)));
            if (!p.bf16) return false;
            for (int pi = 0; pi < panels; ++pi) {
                uint16_t* panel = p.bf16 + static_cast<size_t>(pi) * kPanel * p.k_pad;
                for (int kp = 0; kp < p.k_pad; kp += 2)
                    for (int j = 0; j < kPanel; ++j)
                        for (int e = 0; e < 2; ++e)
                            panel[(static_cast<size_t>(kp) * kPanel) + j * 2 + e] =
                                bf16_round(at(w, n, k, ldw, pi * kPanel + j, kp + e));
            }
            break;
        case Format::kS8: {
            p.s8 = static_cast<int8_t*>(aligned_alloc64(count));
            p.scale = static_cast<float*>(aligned_alloc64(sizeof(float) * p.n_pad));
            p.row_sum = static_cast<int32_t*>(aligned_alloc64(sizeof(int32_t) * p.n_pad));
            if (!p.s8 || !p.scale || !p.row_sum) {
                free_packed(&p);
                return false;
            }
            // s_n = max_k |W[n,k]| / 127 (1 for an all-zero row), q = rne(W / s_n) in [-127, 127]
            for (int row = 0; row < p.n_pad; ++row) {
                float amax = 0.0f;
                for (int kk = 0; kk < k; ++kk) amax = std::max(amax, std::fabs(at(w, n, k, ldw, row, kk)));
                p.scale[row] = amax > 0.0f ? amax / 127.0f : 1.0f;
            }
            for (int pi = 0; pi < panels; ++pi) {
                int8_t* panel = p.s8 + static_cast<size_t>(pi) * kPanel * p.k_pad;
                for (int j = 0; j < kPanel; ++j) {
                    const int row = pi * kPanel + j;
                    int32_t sum = 0;
                    for (int kq = 0; kq < p.k_pad; kq += 4)
                        for (int e = 0; e < 4; ++e) {
                            const float q = std::nearbyint(at(w, n, k, ldw, row, kq + e) / p.scale[row]);
                            const int8_t v = static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
                            panel[static_cast<size_t>(kq) * kPanel + j * 4 + e] = v;
                            sum += v;
                        }
                    p.row_sum[row] = sum;
                }
            }
            break;
        }
    }
    *out = p;
    return true;
}

void free_packed(Packed* p) {
    aligned_free(p->data);
    aligned_free(p->bf16);
    aligned_free(p->s8);
    aligned_free(p->scale);
    aligned_free(p->row_sum);
    p->data = nullptr;
    p->bf16 = nullptr;
    p->s8 = nullptr;
    p->scale = nullptr;
    p->row_sum = nullptr;
}

int64_t Packed::bytes() const {
    const int64_t weights = panel_bytes(format, k_pad) * (n_pad / kPanel);
    return weights + (format == Format::kS8 ? static_cast<int64_t>(n_pad) * (sizeof(float) + sizeof(int32_t)) : 0);
}

Packed Packed::slice_rows(int row0, int rows) const {
    Packed v = *this;
    v.n = rows;
    v.n_pad = (rows + kPanel - 1) / kPanel * kPanel;
    const int64_t at = static_cast<int64_t>(row0) * k_pad;  // elements before the slice's first panel
    if (data) v.data = data + at;
    if (bf16) v.bf16 = bf16 + at;
    if (s8) v.s8 = s8 + at;
    if (scale) v.scale = scale + row0;
    if (row_sum) v.row_sum = row_sum + row0;
    return v;
}

void gemm_packed(const KernelTable& k, const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                 bool accumulate) {
    switch (w.format) {
        case Format::kF32: k.gemm_packed_f32(w, B, x, ldx, y, ldy, accumulate); break;
        case Format::kBF16: k.gemm_packed_bf16_f32(w, B, x, ldx, y, ldy, accumulate); break;
        case Format::kS8: k.gemm_packed_s8_u8(w, B, x, ldx, y, ldy, accumulate); break;
    }
}

void gemm_packed_multi(const KernelTable& k, const Packed* w, int count, int B, const float* x, int64_t ldx, float* y,
                       int64_t y_step, int64_t ldy, bool accumulate) {
    if (count <= 0) return;
    if (w[0].format != Format::kF32 && k.gemm_packed_lowp_multi) {
        k.gemm_packed_lowp_multi(w, count, B, x, ldx, y, y_step, ldy, accumulate);
        return;
    }
    for (int g = 0; g < count; ++g) gemm_packed(k, w[g], B, x, ldx, y + g * y_step, ldy, accumulate);
}

// Groups of kBackwardGroup panels, last group first (panels inside a group forward): a kernel that hides latency
// across panels (avx512) gets enough of them per call, and the read order still runs backward at that grain.
void gemm_packed_backward_f32(const KernelTable& k, const Packed& w, const float* x, float* y, bool accumulate) {
    constexpr int kBackwardGroup = 8;
    const int panels = w.n_pad / kPanel;
    for (int end = panels; end > 0; end -= kBackwardGroup) {
        const int p = end > kBackwardGroup ? end - kBackwardGroup : 0;
        const Packed group = w.slice_rows(p * kPanel, std::min(w.n, end * kPanel) - p * kPanel);
        gemm_packed(k, group, 1, x, w.k, y + p * kPanel, w.n, accumulate);
    }
}

}  // namespace jrnn
