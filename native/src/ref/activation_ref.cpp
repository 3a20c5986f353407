// Scalar sigmoid, tanh, exp (libm): the accuracy reference for the vectorised versions.
#include <cmath>

#include "ref/kernels_ref.h"

namespace jrnn::ref {

void sigmoid_f32(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = sigmoid1(x[i]);
}

void tanh_f32(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

void exp_f32(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}

}  // namespace jrnn::ref
