// Per-thread scratch arena: grown on demand, reused across calls, so steady-state calls allocate nothing.
// A loaded model is shared by threads; each calling thread carves its own buffers from its own arena. The pool's
// workers (core/pool.h) write disjoint columns of the buffers their caller carved, so they need no arena.
#ifndef JRNN_LAYERS_WORKSPACE_H
#define JRNN_LAYERS_WORKSPACE_H

#include <cstddef>

#include "kernels.h"

namespace jrnn {

class Workspace {
public:
    static constexpr size_t kAlign = 16;  // floats: every buffer starts on a 64-byte line

    static size_t rounded(size_t floats) { return (floats + kAlign - 1) / kAlign * kAlign; }

    // The calling thread's arena.
    static Workspace& local() {
        thread_local Workspace ws;
        return ws;
    }

    // Ensures capacity for `floats` (sum of rounded() sizes) and resets the arena. False when out of memory.
    bool reserve(size_t floats) {
        used_ = 0;
        if (floats <= cap_) return true;
        aligned_free(data_);
        data_ = static_cast<float*>(aligned_alloc64(floats * sizeof(float)));
        cap_ = data_ ? floats : 0;
        return data_ != nullptr;
    }

    // Next buffer of n floats; the caller reserved enough.
    float* take(size_t n) {
        float* p = data_ + used_;
        used_ += rounded(n);
        return p;
    }

    size_t mark() const { return used_; }
    void reset(size_t mark) { used_ = mark; }

    ~Workspace() { aligned_free(data_); }

private:
    float* data_ = nullptr;
    size_t cap_ = 0;
    size_t used_ = 0;
};

}  // namespace jrnn

#endif
