// What the seq2seq building blocks (embedding.cpp, linear.cpp, attention.cpp) share.
#ifndef JRNN_LAYERS_BLOCKS_H
#define JRNN_LAYERS_BLOCKS_H

namespace jrnn {

// Up to this many rows a product goes to the packed / dispatched kernel; above, to OpenBLAS (as recurrent.cpp).
constexpr int kSmallRows = 8;

}  // namespace jrnn

#endif
