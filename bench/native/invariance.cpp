// jrnn_invariance: what batch invariance costs. The batch-invariant recurrent product (JRNN_RUN_BATCH_INVARIANT)
// against the plain one, which picks its summation order by batch size, on the current ISA:
//   1. the product alone, W[4H, H] at H = 256 (lstm-b1's recurrent product) and H = 512 (lstm-b64's), B = 1..64;
//   2. whole calls: lstm-b1-shaped steps (I = H = 256) at B = 1, 8, 64, and the lstm-b64 forward (T 50, B 64,
//      I = H = 512), one thread.
// Plain and invariant run interleaved, round after round; medians of the rounds and their ratio are printed
// (Markdown). Built with -DJRNN_BUILD_PROFILE=ON (as jrnn_profile).
//
//   jrnn_invariance [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "core/pool.h"
#include "invariant.h"
#include "jrnn/jrnn.h"
#include "kernels.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Seconds per call of f, timed over batches of calls lasting ~min_s.
double time_call(const std::function<void()>& f, double min_s) {
    int reps = 1;
    for (;;) {
        const auto t0 = Clock::now();
        for (int i = 0; i < reps; ++i) f();
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (s >= min_s) return s / reps;
        reps = s <= 0 ? reps * 16 : std::max(reps + 1, static_cast<int>(reps * min_s / s * 1.2));
    }
}

// Median seconds per call of a and b, interleaved over rounds.
std::pair<double, double> compare(const std::function<void()>& a, const std::function<void()>& b, int rounds,
                                  double min_s) {
    std::vector<double> ta, tb;
    for (int r = 0; r < rounds; ++r) {
        ta.push_back(time_call(a, min_s));
        tb.push_back(time_call(b, min_s));
    }
    return {median(ta), median(tb)};
}

std::vector<float> random_floats(std::mt19937& rng, size_t n, float scale = 1.0f) {
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(n);
    for (auto& f : v) f = u(rng);
    return v;
}

jrnn_rnn* lstm(int I, int H, std::mt19937& rng) {
    jrnn_rnn* r = jrnn_rnn_create(JRNN_CELL_LSTM, 0, 1, 1, I, H, 0);
    const float s = 1.0f / static_cast<float>(H);
    auto wih = random_floats(rng, static_cast<size_t>(4) * H * I, s), whh = random_floats(rng, static_cast<size_t>(4) * H * H, s);
    auto b = random_floats(rng, static_cast<size_t>(4) * H, s);
    jrnn_rnn_set_weights(r, 0, 0, wih.data(), whh.data(), b.data(), b.data(), nullptr);
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const int rounds = quick ? 5 : 11;
    const double min_s = quick ? 0.02 : 0.05;
    jrnn::set_threads(1);
    std::mt19937 rng(7);
    const jrnn::KernelTable& plain = jrnn::kernels();
    const jrnn::KernelTable& inv = jrnn::invariant_kernels(plain);
    std::printf("ISA: %s; one thread; medians of %d interleaved rounds\n\n", plain.name, rounds);

    std::printf("| product W[4H,H] | B | plain GFLOP/s | invariant GFLOP/s | invariant / plain time |\n");
    std::printf("|---|---:|---:|---:|---:|\n");
    for (int H : {256, 512}) {
        const int N = 4 * H, K = H;
        auto w = random_floats(rng, static_cast<size_t>(N) * K);
        jrnn::Packed p;
        jrnn::pack_rows(w.data(), N, K, K, &p);
        for (int B : {1, 2, 3, 4, 8, 16, 64}) {
            auto x = random_floats(rng, static_cast<size_t>(B) * K);
            std::vector<float> y(static_cast<size_t>(B) * N);
            auto [tp, ti] = compare([&] { plain.gemm_packed_f32(p, B, x.data(), K, y.data(), N, false); },
                                    [&] { inv.gemm_packed_f32(p, B, x.data(), K, y.data(), N, false); }, rounds, min_s);
            const double flop = 2.0 * B * N * K;
            std::printf("| H %d | %d | %.1f | %.1f | %.3f |\n", H, B, flop / tp * 1e-9, flop / ti * 1e-9, ti / tp);
        }
        jrnn::free_packed(&p);
    }

    std::printf("\n| call (LSTM) | plain us | invariant us | invariant / plain |\n|---|---:|---:|---:|\n");
    {
        const int H = 256, I = 256;
        jrnn_rnn* r = lstm(I, H, rng);
        for (int B : {1, 8, 64}) {
            auto x = random_floats(rng, static_cast<size_t>(B) * I);
            std::vector<float> h(static_cast<size_t>(B) * H), c(h.size()), y(h.size());
            auto [tp, ti] = compare([&] { jrnn_rnn_step_ex(r, B, x.data(), h.data(), c.data(), y.data(), 0); },
                                    [&] { jrnn_rnn_step_ex(r, B, x.data(), h.data(), c.data(), y.data(),
                                                           JRNN_RUN_BATCH_INVARIANT); }, rounds, min_s);
            std::printf("| step I=H=256, B %d | %.2f | %.2f | %.3f |\n", B, tp * 1e6, ti * 1e6, ti / tp);
        }
        jrnn_rnn_destroy(r);
    }
    {
        const int H = 512, I = 512, T = 50, B = 64;
        jrnn_rnn* r = lstm(I, H, rng);
        auto x = random_floats(rng, static_cast<size_t>(T) * B * I);
        std::vector<float> y(static_cast<size_t>(T) * B * H);
        auto [tp, ti] = compare([&] { jrnn_rnn_forward_ex(r, T, B, x.data(), nullptr, nullptr, nullptr, y.data(), nullptr, nullptr, 0); },
                                [&] { jrnn_rnn_forward_ex(r, T, B, x.data(), nullptr, nullptr, nullptr, y.data(), nullptr,
                                                          nullptr, JRNN_RUN_BATCH_INVARIANT); }, quick ? 3 : 5, min_s);
        std::printf("| forward lstm-b64 (T 50, B 64, I=H=512) | %.0f | %.0f | %.3f |\n", tp * 1e6, ti * 1e6, ti / tp);
        jrnn_rnn_destroy(r);
    }
    return 0;
}
