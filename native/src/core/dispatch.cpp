// One kernel table chosen at load: AVX2/FMA when the CPU and OS support it, unless JRNN_ISA=ref.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "core/pool.h"
#include "jrnn/jrnn.h"
#include "kernels.h"

namespace jrnn {

namespace {

int detect_isa() {
    const char* env = std::getenv("JRNN_ISA");
    if (env && std::strcmp(env, "ref") == 0) return JRNN_ISA_REF;
    return cpu_has_avx2_fma() ? JRNN_ISA_AVX2 : JRNN_ISA_REF;
}

std::atomic<int> g_isa{detect_isa()};

}  // namespace

const KernelTable& kernels() {
    return g_isa.load(std::memory_order_relaxed) == JRNN_ISA_AVX2 ? avx2::kTable : ref::kTable;
}

}  // namespace jrnn

extern "C" {

const char* jrnn_version(void) { return JRNN_VERSION; }

int jrnn_isa(void) { return jrnn::g_isa.load(); }

int jrnn_isa_supported(int isa) {
    if (isa == JRNN_ISA_REF) return 1;
    if (isa == JRNN_ISA_AVX2) return jrnn::cpu_has_avx2_fma() ? 1 : 0;
    return 0;
}

int jrnn_set_isa(int isa) {
    if (!jrnn_isa_supported(isa)) return JRNN_ERR_ARG;
    jrnn::g_isa.store(isa);
    return JRNN_OK;
}

// At most jrnn::kMaxThreads. JRNN_ERR_NOMEM when fewer threads than that could be started (jrnn_threads() says
// how many run).
int jrnn_set_threads(int n) {
    const int got = jrnn::set_threads(n);
    return n >= 1 && got < std::min(n, jrnn::kMaxThreads) ? JRNN_ERR_NOMEM : JRNN_OK;
}

int jrnn_threads(void) { return jrnn::threads(); }

void jrnn_sigmoid_f32(const float* x, float* y, int64_t n) { jrnn::kernels().sigmoid_f32(x, y, n); }
void jrnn_tanh_f32(const float* x, float* y, int64_t n) { jrnn::kernels().tanh_f32(x, y, n); }
void jrnn_exp_f32(const float* x, float* y, int64_t n) { jrnn::kernels().exp_f32(x, y, n); }

}  // extern "C"
