// What the seq2seq building blocks (embedding.cpp, linear.cpp, attention.cpp) share.
#ifndef JRNN_LAYERS_BLOCKS_H
#define JRNN_LAYERS_BLOCKS_H

#include <cstdint>

struct jrnn_linear;

namespace jrnn {

// Up to this many rows a product goes to the packed / dispatched kernel; above, to OpenBLAS (as recurrent.cpp).
constexpr int kSmallRows = 8;

// jrnn_linear_forward with the options of the _ex calls (jrnn.h): JRNN_RUN_BATCH_INVARIANT sends every M to the
// batch-invariant packed product of invariant.h (never OpenBLAS), so each row's result depends on that row only.
int linear_forward_ex(const jrnn_linear* lin, int m, const float* x, int64_t ldx, float* y, int64_t ldy, int options);

}  // namespace jrnn

#endif
