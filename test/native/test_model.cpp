// The whole-model pieces of jrnn.h (layers/model.cpp): ReLU, the mean readout, the leading-axes swap and the
// batch-first recurrent forward. Exact comparisons: each is a copy, a max or a sum in a fixed order, and the
// batch-first forward must be bit-identical to the time-major forward on swapped data.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "check.h"
#include "jrnn/jrnn.h"

namespace {

std::vector<float> uniform(size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (float& f : v) f = u(rng);
    return v;
}

std::vector<float> swapped(const std::vector<float>& x, int A, int B, int F) {
    std::vector<float> y(x.size());
    for (int a = 0; a < A; ++a)
        for (int b = 0; b < B; ++b)
            for (int f = 0; f < F; ++f) y[(static_cast<size_t>(b) * A + a) * F + f] = x[(static_cast<size_t>(a) * B + b) * F + f];
    return y;
}

void test_relu() {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    float x[5] = {-1.5f, 0.0f, 2.0f, nan, -0.0f}, y[5];
    jrnn_relu_f32(x, y, 5);
    CHECK(y[0] == 0.0f && y[1] == 0.0f && y[2] == 2.0f && std::isnan(y[3]) && y[4] == 0.0f, "relu values");
    jrnn_relu_f32(x, x, 5);
    CHECK(x[0] == 0.0f && x[2] == 2.0f, "relu in place");
}

void test_mean() {
    std::mt19937 rng(3);
    const int T = 5, B = 3, F = 4;
    std::vector<float> y = uniform(static_cast<size_t>(T) * B * F, rng), out(B * F);
    const int32_t len[B] = {5, 1, 3};
    CHECK(jrnn_mean_steps_f32(T, B, F, y.data(), len, out.data()) == JRNN_OK, "mean ok");
    bool ok = true;
    for (int b = 0; b < B; ++b)
        for (int f = 0; f < F; ++f) {
            float s = 0.0f;
            for (int t = 0; t < len[b]; ++t) s += y[(static_cast<size_t>(t) * B + b) * F + f];
            ok &= out[b * F + f] == s / static_cast<float>(len[b]);
        }
    CHECK(ok, "mean over the valid steps, summed in step order then divided");
    const int32_t zero[B] = {5, 0, 3}, big[B] = {5, 6, 3};
    CHECK(jrnn_mean_steps_f32(T, B, F, y.data(), zero, out.data()) == JRNN_ERR_ARG, "mean: length 0 rejected");
    CHECK(jrnn_mean_steps_f32(T, B, F, y.data(), big, out.data()) == JRNN_ERR_ARG, "mean: length > T rejected");
    CHECK(jrnn_mean_steps_f32(T, B, F, y.data(), nullptr, out.data()) == JRNN_OK, "mean: no lengths = all T");
}

void test_swap() {
    std::mt19937 rng(4);
    const int A = 3, B = 4, F = 5;
    std::vector<float> x = uniform(static_cast<size_t>(A) * B * F, rng), y(x.size());
    CHECK(jrnn_swap01_f32(A, B, F, x.data(), y.data()) == JRNN_OK && y == swapped(x, A, B, F), "swap01 values");
    CHECK(jrnn_swap01_f32(A, B, F, x.data(), x.data()) == JRNN_ERR_ARG, "swap01: in place rejected");
    CHECK(jrnn_swap01_f32(-1, B, F, x.data(), y.data()) == JRNN_ERR_ARG, "swap01: negative size rejected");
}

void test_batch_first(int cell, int L, int D) {
    std::mt19937 rng(5 + cell);
    const int I = 3, H = 4, T = 6, B = 3;
    const int G = cell == JRNN_CELL_LSTM ? 4 : cell == JRNN_CELL_GRU ? 3 : 1;
    jrnn_rnn* r = jrnn_rnn_create(cell, 0, L, D, I, H, 0);
    CHECK(r != nullptr, "create");
    if (!r) return;
    for (int l = 0; l < L; ++l)
        for (int d = 0; d < D; ++d) {
            const int in = l == 0 ? I : D * H;
            std::vector<float> wih = uniform(static_cast<size_t>(G) * H * in, rng), whh = uniform(static_cast<size_t>(G) * H * H, rng);
            std::vector<float> bih = uniform(G * H, rng), bhh = uniform(G * H, rng);
            jrnn_rnn_set_weights(r, l, d, wih.data(), whh.data(), bih.data(), bhh.data(), nullptr);
        }
    const int F = D * H;
    std::vector<float> x = uniform(static_cast<size_t>(T) * B * I, rng);
    std::vector<float> y(static_cast<size_t>(T) * B * F), hn(static_cast<size_t>(L) * D * B * H), cn(hn.size());
    std::vector<float> yb(y.size()), hnb(hn.size()), cnb(cn.size());
    const int32_t len[B] = {6, 2, 4};
    const bool lstm = cell == JRNN_CELL_LSTM;
    CHECK(jrnn_rnn_forward(r, T, B, x.data(), len, nullptr, nullptr, y.data(), hn.data(), lstm ? cn.data() : nullptr) ==
              JRNN_OK, "time-major forward");
    std::vector<float> xb = swapped(x, T, B, I);
    CHECK(jrnn_rnn_forward_batch_first(r, T, B, I, F, xb.data(), len, nullptr, nullptr, yb.data(), hnb.data(),
                                       lstm ? cnb.data() : nullptr) == JRNN_OK, "batch-first forward");
    CHECK(yb == swapped(y, T, B, F) && hnb == hn && (!lstm || cnb == cn),
          "cell %d, L %d, D %d: batch-first = time-major with swapped axes, bit for bit", cell, L, D);
    CHECK(jrnn_rnn_forward_batch_first(r, T, B, I, F, nullptr, len, nullptr, nullptr, yb.data(), nullptr, nullptr) ==
              JRNN_ERR_ARG, "batch-first: null x rejected");
    jrnn_rnn_destroy(r);
}

}  // namespace

int main() {
    test_relu();
    test_mean();
    test_swap();
    for (int cell : {JRNN_CELL_RNN_TANH, JRNN_CELL_LSTM, JRNN_CELL_GRU}) {
        test_batch_first(cell, 1, 1);
        test_batch_first(cell, 2, 2);
    }
    return jrnn_test::finish();
}
