// The runtime's C entry points: version, threads, and the element-wise kernels of the table in use.
#include <algorithm>

#include "core/pool.h"
#include "jrnn/jrnn.h"
#include "kernels.h"

extern "C" {

const char* jrnn_version(void) { return JRNN_VERSION; }

// At most jrnn::kMaxThreads. JRNN_ERR_NOMEM when fewer threads than that could be started (jrnn_threads() says
// how many run).
int jrnn_set_threads(int n) {
    const int got = jrnn::set_threads(n);
    return n >= 1 && got < std::min(n, jrnn::kMaxThreads) ? JRNN_ERR_NOMEM : JRNN_OK;
}

int jrnn_threads(void) { return jrnn::threads(); }

int jrnn_set_thread_inline(int on) { return jrnn::set_thread_inline(on != 0) ? 1 : 0; }

void jrnn_sigmoid_f32(const float* x, float* y, int64_t n) { jrnn::kernels().sigmoid_f32(x, y, n); }
void jrnn_tanh_f32(const float* x, float* y, int64_t n) { jrnn::kernels().tanh_f32(x, y, n); }
void jrnn_exp_f32(const float* x, float* y, int64_t n) { jrnn::kernels().exp_f32(x, y, n); }

}  // extern "C"
