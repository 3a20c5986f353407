// The pieces a whole model (io.jrnn.SequenceModel) needs around the recurrent stack: the ReLU of a head, the
// mean readout over valid steps, the swap of the two leading axes (time-major <-> batch-first), and the
// batch-first entry of the recurrent forward. Memory-bound loops; none of them is on a recurrent step's path.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

#include "jrnn/jrnn.h"

namespace {

// y[b, a, :] = x[a, b, :] for x[A, B, F]; x and y must not overlap.
void swap01(int A, int B, int F, const float* x, float* y) {
    const size_t row = sizeof(float) * static_cast<size_t>(F);
    for (int a = 0; a < A; ++a)
        for (int b = 0; b < B; ++b)
            std::memcpy(y + (static_cast<int64_t>(b) * A + a) * F, x + (static_cast<int64_t>(a) * B + b) * F, row);
}

// Per calling thread, reused across calls (a steady-state call allocates nothing): the time-major copies of x
// and y. Separate from layers/workspace.h's arena, which jrnn_rnn_forward resets on entry.
struct Layout {
    std::vector<float> x, y;
};

Layout& local_layout() {
    thread_local Layout l;
    return l;
}

}  // namespace

extern "C" {

void jrnn_relu_f32(const float* x, float* y, int64_t n) {
    // NaN stays NaN (as torch.relu): the comparison is false for NaN, so x is kept.
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

int jrnn_mean_steps_f32(int T, int B, int F, const float* y, const int32_t* lengths, float* out) {
    if (T < 1 || B < 1 || F < 1 || !y || !out) return JRNN_ERR_ARG;
    for (int b = 0; b < B; ++b) {
        const int len = lengths ? lengths[b] : T;
        if (len < 1 || len > T) return JRNN_ERR_ARG;
    }
    for (int b = 0; b < B; ++b) {
        const int len = lengths ? lengths[b] : T;
        float* o = out + static_cast<int64_t>(b) * F;
        std::fill(o, o + F, 0.0f);
        for (int t = 0; t < len; ++t) {
            const float* row = y + (static_cast<int64_t>(t) * B + b) * F;
            for (int f = 0; f < F; ++f) o[f] += row[f];
        }
        // a division, not a multiplication by 1/len: the same rounding as torch's sum(...) / len
        const float n = static_cast<float>(len);
        for (int f = 0; f < F; ++f) o[f] /= n;
    }
    return JRNN_OK;
}

int jrnn_swap01_f32(int A, int B, int F, const float* x, float* y) {
    if (A < 0 || B < 0 || F < 0) return JRNN_ERR_ARG;
    const bool empty = A == 0 || B == 0 || F == 0;
    if (!empty && (!x || !y)) return JRNN_ERR_ARG;
    if (x == y && A > 1 && B > 1) return JRNN_ERR_ARG;
    swap01(A, B, F, x, y);
    return JRNN_OK;
}

int jrnn_rnn_forward_batch_first(const jrnn_rnn* rnn, int T, int B, int I, int F, const float* x,
                                 const int32_t* lengths, const float* h0, const float* c0, float* y, float* hn,
                                 float* cn) {
    if (!rnn || T < 1 || B < 1 || I < 1 || F < 1 || !x || !y) return JRNN_ERR_ARG;
    Layout& l = local_layout();
    const size_t nx = static_cast<size_t>(T) * B * I, ny = static_cast<size_t>(T) * B * F;
    try {
        if (l.x.size() < nx) l.x.resize(nx);
        if (l.y.size() < ny) l.y.resize(ny);
    } catch (const std::bad_alloc&) {
        return JRNN_ERR_NOMEM;
    }
    swap01(B, T, I, x, l.x.data());  // x[B,T,I] -> [T,B,I]
    const int rc = jrnn_rnn_forward(rnn, T, B, l.x.data(), lengths, h0, c0, l.y.data(), hn, cn);
    if (rc != JRNN_OK) return rc;
    swap01(T, B, F, l.y.data(), y);  // [T,B,F] -> y[B,T,F]
    return JRNN_OK;
}

}  // extern "C"
