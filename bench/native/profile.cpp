// jrnn_profile: what this machine can do, and where a forward of the PERF.md cases spends its time.
//
// Built only with -DJRNN_BUILD_PROFILE=ON, against a copy of the library compiled with JRNN_PROFILE (phase timers
// in the recurrent driver, see native/src/core/profile.h); `mvn -Pbench verify` builds and runs it and puts its
// output into bench/RESULTS.md. Prints Markdown on stdout:
//   1. machine limits measured here and now: FMA peak, jrnn's packed GEMM and batch-1 GEMV (the kernels the
//      recurrent layers run), a cross-core round trip;
//   2. per case and thread count: the median forward, its time per phase (input products, recurrent products,
//      cell passes, output copies, barrier waits), GFLOP/s per product phase, and the floor the limits of (1)
//      give: input products at GEMM speed plus, at batch 1, T reads of the recurrent weights at GEMV speed.
// The timers cost ~50 ns a phase (two clock reads), a few percent at batch 1: the JMH numbers are the ones to
// compare with other engines; these say where the time goes.
//
// With --precision=bf16 or int8 the weights of the cases and of the limit measurements (GEMM, GEMV) are in that
// format (SPEC 1.5): GFLOP/s and floors then count the same FLOPs at that format's measured rates, and GEMV GB/s
// the bytes the format streams.
//
//   jrnn_profile [--quick] [--cases=lstm-b1,lstm-b64,...] [--precision=fp32|bf16|int8]
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/pool.h"
#include "core/profile.h"
#include "jrnn/jrnn.h"
#include "kernels.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

// Runs fn on n threads at once (each gets its index) and returns when all are done.
void on_threads(int n, const std::function<void(int)>& fn) {
    std::vector<std::thread> ts;
    for (int i = 1; i < n; ++i) ts.emplace_back(fn, i);
    fn(0);
    for (auto& t : ts) t.join();
}

// The weight format of every product below (--precision).
jrnn::Format g_format = jrnn::Format::kF32;
int g_precision = JRNN_PRECISION_FP32;

// ---- machine limits ----

__attribute__((target("avx2,fma"), noinline)) double fma_gflops_avx2(int64_t iters) {
    __m256 a[10];
    for (int i = 0; i < 10; ++i) a[i] = _mm256_set1_ps(1.0f + 0.001f * static_cast<float>(i));
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 10
        for (int j = 0; j < 10; ++j) a[j] = _mm256_fmadd_ps(a[j], m, c);
    }
    const double s = seconds_since(t0);
    float sink = 0.0f;
    for (auto& v : a) sink += _mm256_cvtss_f32(v);
    if (sink == 42.0f) std::printf(" ");
    return static_cast<double>(iters) * 10 * 16 / s * 1e-9;
}

// 512-bit FMAs: 12 independent chains (two ports at up to 6 cycles of latency).
__attribute__((target("avx512f"), noinline)) double fma_gflops_avx512(int64_t iters) {
    __m512 a[12];
    for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(1.0f + 0.001f * static_cast<float>(i));
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
        for (int j = 0; j < 12; ++j) a[j] = _mm512_fmadd_ps(a[j], m, c);
    }
    const double s = seconds_since(t0);
    float sink = 0.0f;
    for (auto& v : a) sink += _mm512_cvtss_f32(v);
    if (sink == 42.0f) std::printf(" ");
    return static_cast<double>(iters) * 12 * 32 / s * 1e-9;
}

// The FMA peak at the vector width of the ISA in use (AVX2's for ref: the scalar path has no peak to speak of).
bool wide() { return jrnn_isa() == JRNN_ISA_AVX512; }
double fma_gflops(int64_t iters) { return wide() ? fma_gflops_avx512(iters * 10 / 12) : fma_gflops_avx2(iters); }

// Limits are the best of several rounds: on a shared machine noise only ever slows a loop down.

// Total FMA GFLOP/s of n threads, best of 5.
double fma_peak(int n) {
    std::vector<double> runs;
    for (int r = 0; r < 5; ++r) {
        std::vector<double> g(n);
        on_threads(n, [&](int i) { g[i] = fma_gflops(20000000); });
        double total = 0;
        for (double x : g) total += x;
        runs.push_back(total);
    }
    return *std::max_element(runs.begin(), runs.end());
}

struct Weights {
    jrnn::Packed w;
    std::vector<float> x, y;
    Weights(int N, int K, int M, uint32_t seed) : x(static_cast<size_t>(M) * K), y(static_cast<size_t>(M) * N) {
        std::mt19937 rng(seed);
        std::uniform_real_distribution<float> u(-0.1f, 0.1f);
        std::vector<float> raw(static_cast<size_t>(N) * K);
        for (auto& v : raw) v = u(rng);
        for (auto& v : x) v = u(rng);
        if (!jrnn::pack_rows(raw.data(), N, K, K, &w, g_format)) std::abort();
    }
    ~Weights() { jrnn::free_packed(&w); }
};

// Bytes of weights a packed N x K matrix streams in the format of this run.
double packed_bytes(int N, int K) {
    jrnn::Packed p;
    std::vector<float> raw(static_cast<size_t>(N) * K, 0.5f);
    if (!jrnn::pack_rows(raw.data(), N, K, K, &p, g_format)) std::abort();
    const double b = static_cast<double>(p.bytes());
    jrnn::free_packed(&p);
    return b;
}

// y[M, N] = x[M, K] . W^T with jrnn's packed kernel on each of n threads (own data), seconds per call: the best
// average of 10 calls on each thread, the slowest thread. At M = 1 the calls read W alternately first to last
// and last to first panel, as the recurrent driver's steps do (the LRU then keeps what the next call reads first).
double packed_seconds(int n, int N, int K, int M, double budget) {
    std::vector<double> per(n);
    on_threads(n, [&](int i) {
        Weights d(N, K, M, 7 + i);
        const jrnn::KernelTable& k = jrnn::kernels();
        bool backward = false;
        auto call = [&] {
            if (M == 1 && backward) {
                jrnn::gemm_packed_backward_f32(k, d.w, d.x.data(), d.y.data(), false);
            } else {
                jrnn::gemm_packed(k, d.w, M, d.x.data(), K, d.y.data(), N, false);
            }
            backward = !backward;
        };
        for (int r = 0; r < 20; ++r) call();
        std::vector<double> times;
        const auto start = Clock::now();
        while (seconds_since(start) < budget || times.size() < 5) {
            const auto t0 = Clock::now();
            for (int r = 0; r < 10; ++r) call();
            times.push_back(seconds_since(t0) / 10);
        }
        per[i] = *std::min_element(times.begin(), times.end());
    });
    return *std::max_element(per.begin(), per.end());
}

// Round trip of a cache line between two threads (one write each way), ns: median of 5 rounds (this one says
// where the host placed the two threads, so it is not a best case).
double round_trip_ns() {
    alignas(64) static std::atomic<int> word{0};
    const int N = 100000;
    std::vector<double> runs;
    for (int r = 0; r < 5; ++r) {
        word.store(0);
        std::thread other([&] {
            for (int i = 0; i < N; ++i) {
                while (word.load(std::memory_order_acquire) != 2 * i + 1) {
                }
                word.store(2 * i + 2, std::memory_order_release);
            }
        });
        const auto t0 = Clock::now();
        for (int i = 0; i < N; ++i) {
            word.store(2 * i + 1, std::memory_order_release);
            while (word.load(std::memory_order_acquire) != 2 * i + 2) {
            }
        }
        runs.push_back(seconds_since(t0) / N * 1e9);
        other.join();
    }
    return median(runs);
}

struct Limits {
    double fma[3] = {};     // GFLOP/s, [threads]
    double gemm[3] = {};    // packed GEMM GFLOP/s in total, N=1024, K=512, M=64 on each thread
    double gemv_l2[3] = {};  // packed GEMV batch 1 GB/s in total, 512 KiB on each thread (fits a 1 MiB L2)
    double gemv_1m[3] = {};  // the same with 1 MiB on each thread
    double rtt = 0;
};

Limits measure_limits(bool quick) {
    Limits l;
    const double budget = quick ? 0.2 : 0.6;
    for (int n : {1, 2}) {
        l.fma[n] = fma_peak(n);
        l.gemm[n] = n * 2.0 * 1024 * 512 * 64 / packed_seconds(n, 1024, 512, 64, budget) * 1e-9;
        l.gemv_l2[n] = n * packed_bytes(512, 256) / packed_seconds(n, 512, 256, 1, budget) * 1e-9;
        l.gemv_1m[n] = n * packed_bytes(1024, 256) / packed_seconds(n, 1024, 256, 1, budget) * 1e-9;
    }
    l.rtt = round_trip_ns();
    return l;
}

// ---- cases ----

struct Case {
    const char* name;
    int cell, G, B, T, I, H;
    double flops() const { return 2.0 * G * H * (I + H) * B * T; }
    double input_flops() const { return 2.0 * G * H * I * B * T; }
    double recurrent_flops() const { return 2.0 * G * H * H * B * T; }
};

const Case kCases[] = {
    {"rnn-b1", JRNN_CELL_RNN_TANH, 1, 1, 100, 256, 256},  {"lstm-b1", JRNN_CELL_LSTM, 4, 1, 100, 256, 256},
    {"gru-b1", JRNN_CELL_GRU, 3, 1, 100, 256, 256},       {"rnn-b64", JRNN_CELL_RNN_TANH, 1, 64, 50, 512, 512},
    {"lstm-b64", JRNN_CELL_LSTM, 4, 64, 50, 512, 512},    {"gru-b64", JRNN_CELL_GRU, 3, 64, 50, 512, 512},
};

struct Profile {
    double ms = 0;                            // median forward
    double mean_ms = 0;                       // mean forward (what the phase times add up to)
    double phase_ms[jrnn::profile::kPhases];  // per forward, mean over the team's threads
};

// stream: T single jrnn_rnn_step calls (batch 1 only) instead of one forward.
Profile profile_case(const Case& c, int threads, bool quick, bool stream = false) {
    std::mt19937 rng(1234);
    const float a = 1.0f / std::sqrt(static_cast<float>(c.H));
    std::uniform_real_distribution<float> u(-a, a);
    std::vector<float> wih(static_cast<size_t>(c.G) * c.H * c.I), whh(static_cast<size_t>(c.G) * c.H * c.H),
        bih(static_cast<size_t>(c.G) * c.H), bhh(bih.size()), x(static_cast<size_t>(c.T) * c.B * c.I),
        y(static_cast<size_t>(c.T) * c.B * c.H);
    for (auto* v : {&wih, &whh, &bih, &bhh, &x})
        for (auto& e : *v) e = u(rng);
    jrnn_set_threads(threads);
    jrnn_rnn* r = jrnn_rnn_create(c.cell, 0, 1, 1, c.I, c.H, 0);
    if (!r || jrnn_rnn_set_precision(r, g_precision) != JRNN_OK ||
        jrnn_rnn_set_weights(r, 0, 0, wih.data(), whh.data(), bih.data(), bhh.data(), nullptr) != JRNN_OK)
        std::abort();
    std::vector<float> h(static_cast<size_t>(c.B) * c.H), cs(h.size());
    auto forward = [&] {
        if (stream) {
            std::fill(h.begin(), h.end(), 0.0f);
            std::fill(cs.begin(), cs.end(), 0.0f);
            for (int t = 0; t < c.T; ++t)
                if (jrnn_rnn_step(r, c.B, x.data() + static_cast<size_t>(t) * c.B * c.I, h.data(), cs.data(),
                                  y.data() + static_cast<size_t>(t) * c.B * c.H) != JRNN_OK)
                    std::abort();
        } else if (jrnn_rnn_forward(r, c.T, c.B, x.data(), nullptr, nullptr, nullptr, y.data(), nullptr, nullptr) !=
                   JRNN_OK) {
            std::abort();
        }
    };
    const double budget = (quick ? 0.5 : 2.0) * (c.B > 1 ? 2 : 1);
    for (auto t0 = Clock::now(); seconds_since(t0) < budget / 4;) forward();
    jrnn::profile::reset();
    std::vector<double> times;
    for (auto t0 = Clock::now(); seconds_since(t0) < budget || times.size() < 5;) {
        const auto s = Clock::now();
        forward();
        times.push_back(seconds_since(s));
    }
    jrnn_rnn_destroy(r);
    Profile p;
    p.ms = median(times) * 1e3;
    double sum_t = 0;
    for (double t : times) sum_t += t;
    p.mean_ms = sum_t / static_cast<double>(times.size()) * 1e3;
    const auto totals = jrnn::profile::read();
    int active = 0;
    double sum[jrnn::profile::kPhases] = {};
    for (const auto& t : totals) {
        int64_t any = 0;
        for (int64_t v : t.ns) any += v;
        if (any == 0) continue;
        ++active;
        for (int i = 0; i < jrnn::profile::kPhases; ++i) sum[i] += static_cast<double>(t.ns[i]);
    }
    for (int i = 0; i < jrnn::profile::kPhases; ++i)
        p.phase_ms[i] = active ? sum[i] / active / static_cast<double>(times.size()) * 1e-6 : 0.0;
    return p;
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--quick")) quick = true;
        else if (!std::strncmp(argv[i], "--cases=", 8)) only = argv[i] + 8;
        else if (!std::strcmp(argv[i], "--precision=fp32")) g_format = jrnn::Format::kF32, g_precision = JRNN_PRECISION_FP32;
        else if (!std::strcmp(argv[i], "--precision=bf16")) g_format = jrnn::Format::kBF16, g_precision = JRNN_PRECISION_BF16;
        else if (!std::strcmp(argv[i], "--precision=int8")) g_format = jrnn::Format::kS8, g_precision = JRNN_PRECISION_INT8;
        else {
            std::fprintf(stderr, "usage: jrnn_profile [--quick] [--cases=lstm-b1,lstm-b64,...] [--precision=fp32|bf16|int8]\n");
            return 2;
        }
    }
    if (jrnn_isa() == JRNN_ISA_REF) {
        std::printf("jrnn_profile measures the SIMD kernels; this process runs the reference path.\n");
        return 0;
    }

    const Limits l = measure_limits(quick);
    const char* fmt = g_format == jrnn::Format::kF32 ? "fp32" : g_format == jrnn::Format::kBF16 ? "bf16" : "int8";
    std::printf("### Machine limits, measured by `jrnn_profile` in this run (ISA path %s%s%s, %s weights)\n\n",
                jrnn_isa_name(jrnn_isa()), *jrnn_cpu_features() ? ": " : "", jrnn_cpu_features(), fmt);
    std::printf("| | 1 thread | 2 threads |\n|---|---|---|\n");
    std::printf("| FMA peak (%s), GFLOP/s | %.1f | %.1f |\n",
                wide() ? "12 independent 16-wide FMA chains a thread" : "10 independent 8-wide FMA chains a thread",
                l.fma[1], l.fma[2]);
    std::printf("| jrnn packed GEMM, M=64 N=1024 K=512 a thread, GFLOP/s | %.1f | %.1f |\n", l.gemm[1], l.gemm[2]);
    std::printf("| jrnn packed GEMV, batch 1, 512 KiB of weights a thread (fits L2), GB/s in total | %.1f | %.1f |\n",
                l.gemv_l2[1], l.gemv_l2[2]);
    std::printf("| jrnn packed GEMV, batch 1, 1 MiB of weights a thread, GB/s in total | %.1f | %.1f |\n", l.gemv_1m[1],
                l.gemv_1m[2]);
    std::printf("\nCache-line round trip between two threads: %.0f ns (about 55 ns when both run on cores that "
                "share an L3; several times that when the host has placed them farther apart).\n\n",
                l.rtt);

    std::printf("### Where the time goes\n\n");
    std::printf("Median forward of the instrumented build (phase timers on) and its time per phase, per forward, "
                "averaged over the team's threads. Floor: input products at the packed GEMM rate of the same thread "
                "count, plus the recurrent products at the GEMM rate (batch 64) or, at batch 1, T reads of W_hh at "
                "the GEMV rate measured just before for that many bytes on each of the threads.\n\n");
    std::printf("| case | threads | forward ms | floor ms | input products ms (GFLOP/s) | recurrent products ms "
                "(GFLOP/s) | cell passes ms | output copies ms | barrier waits ms | untimed ms |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
    std::vector<std::string> words;  // the LSTM rows in sentences
    auto wanted = [&](const std::string& name) {
        return only.empty() || ("," + only + ",").find("," + name + ",") != std::string::npos;
    };
    for (const Case& c : kCases) {
        for (int n : {1, 2}) {
          for (bool stream : {false, true}) {
            const std::string name = std::string(c.name) + (stream ? " (100 steps)" : "");
            if (stream ? c.B != 1 || c.cell != JRNN_CELL_LSTM || !wanted(std::string(c.name) + "-stream")
                       : !wanted(c.name))
                continue;
            const Profile p = profile_case(c, n, quick, stream);
            const double in_ms = p.phase_ms[jrnn::profile::kInput], rec_ms = p.phase_ms[jrnn::profile::kRecurrent];
            // Bytes of weights each thread reads per step at batch 1: W_hh, and W_ih too for single steps; the
            // rate at which each of n threads reads that many bytes of its own (measured now, n at once).
            const int rows = c.G * c.H / n, cols = c.H + (stream ? c.I : 0);
            const double step_bytes = packed_bytes(rows, cols);
            const double gemv_rate = c.B == 1 ? step_bytes / packed_seconds(n, rows, cols, 1, quick ? 0.2 : 0.5) * 1e-9
                                              : 0.0;
            const double floor_in = c.input_flops() / (l.gemm[n] * 1e9) * 1e3;
            const double floor = c.B > 1 ? c.flops() / (l.gemm[n] * 1e9) * 1e3
                                 : c.T * step_bytes / (gemv_rate * 1e9) * 1e3 + (stream ? 0.0 : floor_in);
            double timed = 0;
            for (double v : p.phase_ms) timed += v;
            // per thread, each product phase covers 1/n of the FLOPs
            std::printf("| %s | %d | %.3f | %.3f | %.3f (%.0f) | %.3f (%.0f) | %.3f | %.3f | %.3f | %.3f |\n",
                        name.c_str(), n, p.ms, floor, in_ms, c.input_flops() / n / (in_ms * 1e-3) * 1e-9, rec_ms,
                        c.recurrent_flops() / n / (rec_ms * 1e-3) * 1e-9, p.phase_ms[jrnn::profile::kCell],
                        p.phase_ms[jrnn::profile::kOutput], p.phase_ms[jrnn::profile::kBarrier], p.mean_ms - timed);
            std::fflush(stdout);
            if (!stream && c.cell == JRNN_CELL_LSTM) {
                char line[1024];
                const double gemv_gbs = c.T * step_bytes / (rec_ms * 1e-3) * 1e-9;
                std::snprintf(
                    line, sizeof(line),
                    "- **%s, %d thread%s**: %.3f ms, %.0f%% of the floor's speed (%.3f ms). Input products %.3f ms at "
                    "%.0f GFLOP/s a thread (packed GEMM limit %.0f); recurrent products %.3f ms at %.0f GFLOP/s a "
                    "thread%s; cell passes %.3f ms, output copies %.3f ms, barrier waits %.3f ms, untimed %.3f ms.",
                    c.name, n, n > 1 ? "s" : "", p.ms, 100.0 * floor / p.ms, floor, in_ms,
                    c.input_flops() / n / (in_ms * 1e-3) * 1e-9, l.gemm[1], rec_ms,
                    c.recurrent_flops() / n / (rec_ms * 1e-3) * 1e-9,
                    c.B == 1 ? (" = " + std::to_string(static_cast<int>(gemv_gbs)) + " GB/s of W_hh (" +
                                std::to_string(static_cast<int>(step_bytes / 1024)) + " KiB a step; GEMV limit " +
                                std::to_string(static_cast<int>(gemv_rate)) + " GB/s)")
                                   .c_str()
                             : "",
                    p.phase_ms[jrnn::profile::kCell], p.phase_ms[jrnn::profile::kOutput],
                    p.phase_ms[jrnn::profile::kBarrier], p.mean_ms - timed);
                words.push_back(line);
            }
          }
        }
    }
    if (!words.empty()) {
        std::printf("\nIn words:\n\n");
        for (const auto& w : words) std::printf("%s\n", w.c_str());
    }
    std::printf("\nGFLOP/s in brackets are per thread. Untimed: the mean forward minus the phases (team dispatch "
                "and join, initial state, the timers themselves). lstm-b1 (100 steps): 100 `jrnn_rnn_step` calls, "
                "whose floor reads W_ih and W_hh at GEMV speed every step.\n");
    return 0;
}
