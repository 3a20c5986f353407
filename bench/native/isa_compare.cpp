// jrnn_isa_compare: the packed product (f32, bf16, s8 weights) and the LSTM, GRU, Elman (tanh) cell passes of
// every supported ISA, interleaved in one process (a shared machine's noise then hits them alike), best of many
// rounds. Prints Markdown on stdout.
//
//   jrnn_isa_compare [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "kernels.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Shape {
    const char* what;
    int M, N, K;
};

// M = 1 reads the weights once per call from L2 (the batch-1 step); M = 64 is the batched product.
const Shape kShapes[] = {
    {"GEMV, W 1 MiB (lstm-b1 W_hh)", 1, 1024, 256},     {"GEMV, W 512 KiB (half of it)", 1, 512, 256},
    {"GEMV, W 4 MiB (lstm-b64 W_hh)", 1, 2048, 512},    {"GEMM M=6 (a few rows)", 6, 1024, 256},
    {"GEMM M=64, N=1024, K=512", 64, 1024, 512},        {"GEMM M=64, N=2048, K=512 (lstm-b64)", 64, 2048, 512},
};

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && !std::strcmp(argv[1], "--quick");
    std::vector<const jrnn::Isa*> isas;
    for (int i = 1; i < jrnn::isa_count(); ++i)
        if (jrnn::isas()[i].supported()) isas.push_back(&jrnn::isas()[i]);
    std::printf("| kernel | shape |");  // GFLOP/s: 2 M N K / time, whatever the weight format
    for (auto* i : isas) std::printf(" %s GFLOP/s |", i->name);
    std::printf("\n|---|---|");
    for (size_t i = 0; i < isas.size(); ++i) std::printf("---|");
    std::printf("\n");
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-0.1f, 0.1f);
    for (jrnn::Format fmt : {jrnn::Format::kF32, jrnn::Format::kBF16, jrnn::Format::kS8})
    for (const Shape& s : kShapes) {
        std::vector<float> w(static_cast<size_t>(s.N) * s.K), x(static_cast<size_t>(s.M) * s.K),
            y(static_cast<size_t>(s.M) * s.N);
        for (auto& v : w) v = u(rng);
        for (auto& v : x) v = u(rng);
        jrnn::Packed p;
        if (!jrnn::pack_rows(w.data(), s.N, s.K, s.K, &p, fmt)) return 1;
        std::vector<double> best(isas.size(), 1e30);
        const int reps = s.M == 1 ? 200 : 5;
        for (int round = 0; round < (quick ? 10 : 40); ++round) {
            for (size_t i = 0; i < isas.size(); ++i) {
                const jrnn::KernelTable& k = *isas[i]->table;
                bool backward = false;
                const auto t0 = Clock::now();
                for (int r = 0; r < reps; ++r) {
                    // batch 1 alternates the read direction, as the recurrent driver's steps do
                    if (s.M == 1 && backward) jrnn::gemm_packed_backward_f32(k, p, x.data(), y.data(), false);
                    else jrnn::gemm_packed(k, p, s.M, x.data(), s.K, y.data(), s.N, false);
                    backward = !backward;
                }
                best[i] = std::min(best[i], std::chrono::duration<double>(Clock::now() - t0).count() / reps);
            }
        }
        std::printf("| gemm_packed %s | %s |", fmt == jrnn::Format::kF32 ? "f32" : fmt == jrnn::Format::kBF16 ? "bf16" : "s8", s.what);
        for (double b : best) std::printf(" %.1f |", 2.0 * s.M * s.N * s.K / b * 1e-9);
        std::printf("\n");
        jrnn::free_packed(&p);
    }
    // the fused cell passes (gates of B rows of H units each in, state out): ns per hidden unit. B=64 H=512 streams
    // its 2 x 512 KiB of LSTM gates from L2 and beyond; B=1 H=256 stays in L1. One pass a sample, so few samples
    // are cut by the scheduler on a shared machine, best of many.
    const int kCellShapes[][2] = {{64, 512}, {1, 256}};
    for (const char* cell : {"lstm", "gru", "rnn"})
    for (const auto& shape : kCellShapes) {
        const int B = shape[0], H = shape[1];
        const int gates = cell[0] == 'l' ? 4 : cell[0] == 'g' ? 3 : 1;
        std::vector<float> gx(static_cast<size_t>(B) * gates * H), gh(gx.size()), c(static_cast<size_t>(B) * H),
            h(c.size()), b_hn(H);
        for (auto& v : gx) v = 4 * u(rng);
        for (auto& v : gh) v = 4 * u(rng);
        for (auto& v : b_hn) v = u(rng);
        std::vector<double> best(isas.size(), 1e30);
        const int reps = B == 1 ? 50 : 1;
        for (int round = 0; round < (quick ? 100 : 2000); ++round)
            for (size_t i = 0; i < isas.size(); ++i) {
                const jrnn::KernelTable& k = *isas[i]->table;
                std::fill(c.begin(), c.end(), 0.5f);
                std::fill(h.begin(), h.end(), 0.25f);
                const auto t0 = Clock::now();
                for (int r = 0; r < reps; ++r) {
                    const int64_t ld = static_cast<int64_t>(gates) * H;
                    if (gates == 4) {
                        k.lstm_cell_f32(B, H, gx.data(), ld, gh.data(), ld, c.data(), h.data(), nullptr, false);
                    } else if (gates == 3) {
                        k.gru_cell_f32(B, H, gx.data(), ld, gh.data(), ld, b_hn.data(), h.data(), nullptr);
                    } else {
                        k.rnn_cell_f32(B, H, gx.data(), ld, gh.data(), ld, h.data(), nullptr, false);
                    }
                }
                best[i] = std::min(best[i], std::chrono::duration<double>(Clock::now() - t0).count() / reps);
            }
        std::printf("| %s_cell_f32 (ns per unit) | B=%d, H=%d |", cell, B, H);
        for (double b : best) std::printf(" %.2f |", b / (B * H) * 1e9);
        std::printf("\n");
    }
    return 0;
}
