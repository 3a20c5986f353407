// jrnn_batch_step: what one batched stream step costs through the C ABI, the native part of a StreamBatcher batch.
// An lstm-b1-shaped layer (LSTM, I = H = 256, random weights) stepped with jrnn_rnn_step_ex(JRNN_RUN_BATCH_INVARIANT)
// at B = 1 and B = 64, FP32 and INT8 weights, on 1 and 2 threads; the cases run interleaved, round after round, and
// the medians are printed (Markdown) as us per call, us per row, GOP/s (2 per multiply-add) and the share of a peak
// of `--flops` FP32 FLOP and `--ops` INT8 operations per cycle and core at the clock measured by a dependent-add
// chain (one add a cycle), so the share is of the clock the cores ran at, not the nominal one.
//
//   jrnn_batch_step [--rounds=15] [--flops=64] [--ops=256]
//
// The peak defaults are those of a core with two 512-bit FMA pipes (Zen 5, Ice Lake and later servers: 2 x 16 FP32
// FMA a cycle) and two 512-bit VPDPBUSD a cycle (2 x 64 u8*s8 multiply-adds); pass others for other cores.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <time.h>

#include "jrnn/jrnn.h"

namespace {

using Clock = std::chrono::steady_clock;

// Seconds of CPU this thread has run: what a call cost where other jobs take the cores part of the time (wall time
// then counts their share too).
double thread_cpu_s() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Cycles per second of this core while it runs this thread: a chain of dependent adds (one a cycle on every x86 core
// since the P6) timed in thread CPU time.
double measured_hz() {
    std::vector<double> hz;
    for (int r = 0; r < 5; ++r) {
        uint64_t x = 1;
        const uint64_t n = 200000000;
        const double t0 = thread_cpu_s();
        for (uint64_t i = 0; i < n; i += 8) {
            asm volatile(
                "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
                "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0"
                : "+r"(x)
                : "r"(i));
        }
        hz.push_back(static_cast<double>(n) / (thread_cpu_s() - t0));
    }
    return median(hz);
}

struct Case {
    int precision, B, threads;
    jrnn_rnn* rnn;
    std::vector<float> x, h, c, y;
    std::vector<double> us, cpu_us;  // wall and this thread's CPU time a call
};

double arg(int argc, char** argv, const char* name, double dflt) {
    const std::string key = std::string("--") + name + "=";
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], key.c_str(), key.size()) == 0) return std::atof(argv[i] + key.size());
    return dflt;
}

}  // namespace

int main(int argc, char** argv) {
    const int rounds = static_cast<int>(arg(argc, argv, "rounds", 15));
    const double flops = arg(argc, argv, "flops", 64), ops = arg(argc, argv, "ops", 256);
    const int I = 256, H = 256, G = 4;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-0.1f, 0.1f);
    std::vector<float> w_ih(static_cast<size_t>(G) * H * I), w_hh(static_cast<size_t>(G) * H * H), b(G * H);
    for (auto& v : w_ih) v = u(rng);
    for (auto& v : w_hh) v = u(rng);
    for (auto& v : b) v = u(rng);
    jrnn_rnn* layers[2];
    const int precisions[2] = {JRNN_PRECISION_FP32, JRNN_PRECISION_INT8};
    for (int p = 0; p < 2; ++p) {
        layers[p] = jrnn_rnn_create(JRNN_CELL_LSTM, 0, 1, 1, I, H, 0);
        if (!layers[p] || jrnn_rnn_set_precision(layers[p], precisions[p]) != JRNN_OK ||
            jrnn_rnn_set_weights(layers[p], 0, 0, w_ih.data(), w_hh.data(), b.data(), b.data(), nullptr) != JRNN_OK) {
            std::fprintf(stderr, "cannot build the layer\n");
            return 1;
        }
    }
    std::vector<Case> cases;
    for (int p = 0; p < 2; ++p)
        for (int B : {1, 64})
            for (int t : {1, 2}) {
                Case k{precisions[p], B, t, layers[p], {}, {}, {}, {}, {}, {}};
                k.x.resize(static_cast<size_t>(B) * I);
                for (auto& v : k.x) v = u(rng) * 10;
                k.h.assign(static_cast<size_t>(B) * H, 0.f);
                k.c.assign(static_cast<size_t>(B) * H, 0.f);
                k.y.resize(static_cast<size_t>(B) * H);
                cases.push_back(std::move(k));
            }
    const int max_threads = jrnn_threads();
    for (int r = 0; r < rounds; ++r) {
        for (Case& k : cases) {
            if (k.threads > max_threads) continue;
            jrnn_set_threads(k.threads);
            // calls in a row lasting ~20 ms, as a busy batcher issues them
            const int reps = std::max(4, 20000 / (k.B == 1 ? 20 : 400));
            for (int i = 0; i < 3; ++i) jrnn_rnn_step_ex(k.rnn, k.B, k.x.data(), k.h.data(), k.c.data(), k.y.data(), JRNN_RUN_BATCH_INVARIANT);
            const auto t0 = Clock::now();
            const double c0 = thread_cpu_s();
            for (int i = 0; i < reps; ++i) {
                if (jrnn_rnn_step_ex(k.rnn, k.B, k.x.data(), k.h.data(), k.c.data(), k.y.data(),
                                     JRNN_RUN_BATCH_INVARIANT) != JRNN_OK) {
                    std::fprintf(stderr, "step failed\n");
                    return 1;
                }
            }
            k.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / reps);
            k.cpu_us.push_back((thread_cpu_s() - c0) * 1e6 / reps);
        }
    }
    jrnn_set_threads(max_threads);
    const double hz = measured_hz();
    const double macs_row = static_cast<double>(G) * H * (I + H);
    std::printf("ISA %s (%s); clock measured %.2f GHz; peak a core: %.0f FP32 FLOP, %.0f INT8 ops a cycle; %d rounds\n\n",
                jrnn_isa_name(jrnn_isa()), jrnn_cpu_features(), hz / 1e9, flops, ops, rounds);
    // On one thread the caller's CPU time is the call's cost however loaded the machine; on two it also counts the
    // caller's waits at the team's barriers, and the wall time counts other jobs' share of the cores.
    std::printf("| weights | B | threads | wall us a call | caller CPU us a call | CPU us a row | GOP/s (CPU) | "
                "share of peak |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Case& k : cases) {
        if (k.us.empty()) continue;
        const double us = median(k.us), cpu = median(k.cpu_us), gops = 2 * macs_row * k.B / cpu / 1e3;
        const double peak = (k.precision == JRNN_PRECISION_INT8 ? ops : flops) * hz * k.threads / 1e9;
        std::printf("| %s | %d | %d | %.1f | %.1f | %.2f | %.1f | %.1f%% |\n",
                    k.precision == JRNN_PRECISION_INT8 ? "INT8" : "FP32", k.B, k.threads, us, cpu, cpu / k.B, gops,
                    100 * gops / peak);
    }
    for (auto* l : layers) jrnn_rnn_destroy(l);
    return 0;
}
