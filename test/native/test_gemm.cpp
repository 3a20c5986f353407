// pack_rows + gemm_packed_f32 (every supported ISA) against a float64 product.
// Tolerance per output: |y - exact| <= (K + 2) * 2^-24 * S, S = sum_k |x_k w_nk| (+ |y0| when accumulating):
// the worst-case rounding bound of a float sum in any order, so a different summation order (split
// accumulators) passes and any indexing mistake (errors of order S) fails. The observed maximum of
// |y - exact| / (2^-24 S) is printed.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "check.h"
#include "kernels.h"
#include "ref/kernels_ref.h"

namespace {

using GemmFn = void (*)(const jrnn::Packed&, int, const float*, int64_t, float*, int64_t, bool);

struct Shape {
    int N, K, B;
    int ldw_pad, ldx_pad, ldy_pad;  // row strides beyond the logical width
    bool accumulate;
};

constexpr float kSentinel = -7777.25f;
constexpr double kU = 1.0 / (1 << 24);  // unit roundoff of float

// Runs one shape; returns the max of |y - exact| / (u S) (or +inf on a layout failure, already reported).
double run_shape(const char* path, GemmFn gemm, const Shape& s, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const int64_t ldw = s.K + s.ldw_pad, ldx = s.K + s.ldx_pad, ldy = s.N + s.ldy_pad;

    // padding of W and x is NaN: a kernel that reads it poisons its outputs
    std::vector<float> w(static_cast<size_t>(s.N) * ldw), x(static_cast<size_t>(s.B) * ldx);
    for (int64_t i = 0; i < static_cast<int64_t>(w.size()); ++i) w[i] = i % ldw < s.K ? u(rng) : nan;
    for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) x[i] = i % ldx < s.K ? u(rng) : nan;
    std::vector<float> y(static_cast<size_t>(s.B) * ldy + 40, kSentinel);  // 40: writes past the last row show
    for (int b = 0; b < s.B; ++b)
        for (int n = 0; n < s.N; ++n) y[b * ldy + n] = u(rng);
    const std::vector<float> y0(y);

    jrnn::Packed p;
    if (!CHECK(jrnn::pack_rows(w.data(), s.N, s.K, ldw, &p), "pack_rows(%d x %d) failed", s.N, s.K)) return INFINITY;
    const bool layout_ok = p.n == s.N && p.k == s.K && p.n_pad % jrnn::kPanel == 0 && p.n_pad >= s.N &&
                           p.n_pad < s.N + jrnn::kPanel && reinterpret_cast<uintptr_t>(p.data) % 64 == 0;
    CHECK(layout_ok, "pack_rows(%d x %d): n=%d k=%d n_pad=%d", s.N, s.K, p.n, p.k, p.n_pad);

    gemm(p, s.B, x.data(), ldx, y.data(), ldy, s.accumulate);
    jrnn::free_packed(&p);

    double worst = 0;
    int bad = 0, spill = 0;
    for (int b = 0; b < s.B; ++b) {
        for (int n = 0; n < s.N; ++n) {
            double exact = s.accumulate ? y0[b * ldy + n] : 0.0;
            double mag = std::fabs(exact);
            for (int k = 0; k < s.K; ++k) {
                const double prod = static_cast<double>(x[b * ldx + k]) * w[n * ldw + k];
                exact += prod;
                mag += std::fabs(prod);
            }
            const double ratio = std::fabs(y[b * ldy + n] - exact) / (kU * mag);
            if (!(ratio <= s.K + 2)) ++bad;  // NaN counts as bad
            worst = std::isnan(ratio) ? INFINITY : std::fmax(worst, ratio);
        }
        for (int64_t n = s.N; n < ldy; ++n) spill += std::memcmp(&y[b * ldy + n], &kSentinel, sizeof(float)) != 0;
    }
    for (size_t i = static_cast<size_t>(s.B) * ldy; i < y.size(); ++i) spill += y[i] != kSentinel;
    CHECK(bad == 0 && spill == 0,
          "%s gemm N=%d K=%d B=%d ldw=%lld ldx=%lld ldy=%lld acc=%d: %d outputs beyond tolerance (worst %.3g u*S), "
          "%d writes outside y[B, 0:N]",
          path, s.N, s.K, s.B, static_cast<long long>(ldw), static_cast<long long>(ldx), static_cast<long long>(ldy),
          s.accumulate, bad, worst, spill);
    return worst;
}

void run_path(const char* path, GemmFn gemm) {
    std::mt19937 rng(1127);
    double worst = 0;
    int cases = 0;
    for (int N : {1, 3, 8, 15, 16, 17, 33, 64, 100, 200})
        for (int K : {1, 3, 4, 5, 17, 33, 64})
            for (int B : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 23})  // every row-block remainder of 8, 6 and 4
                for (bool acc : {false, true})
                    for (int pad : {0, 1}) {
                        const Shape s{N, K, B, pad * 3, pad * 5, pad * 7, acc};
                        worst = std::fmax(worst, run_shape(path, gemm, s, rng));
                        ++cases;
                    }
    // the model shapes (H=256 LSTM and GRU recurrent matrices) and a long K
    const Shape big[] = {{1024, 256, 1, 0, 0, 0, false}, {1024, 256, 1, 0, 0, 0, true},  {1024, 256, 2, 0, 0, 0, true},
                         {1024, 256, 4, 0, 3, 0, false}, {1024, 256, 8, 0, 0, 5, true},  {768, 256, 1, 0, 0, 0, false},
                         {768, 256, 3, 7, 1, 9, true},   {768, 256, 5, 0, 0, 0, false},  {50, 1000, 2, 1, 1, 1, true},
                         {1, 4099, 1, 0, 0, 0, false}, {1024, 512, 64, 0, 0, 0, false}, {512, 512, 64, 5, 3, 1, true},
                         {33, 17, 17, 0, 0, 0, true}};
    for (const Shape& s : big) {
        worst = std::fmax(worst, run_shape(path, gemm, s, rng));
        ++cases;
    }
    std::printf("%s gemm_packed_f32: %d shapes, max |y - exact| = %.3g u*S (tolerance (K+2) u*S)\n", path, cases,
                worst);
}

// gemm_packed_backward_f32 (panels last to first) gives the bits of one forward call, with and without
// accumulation, on odd sizes.
void check_backward(const char* path, const jrnn::KernelTable& table) {
    std::mt19937 rng(2711);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    int cases = 0;
    for (int N : {1, 3, 16, 17, 33, 100})
        for (int K : {1, 3, 17, 33, 256})
            for (bool acc : {false, true}) {
                std::vector<float> w(static_cast<size_t>(N) * K), x(K), y0(N);
                for (auto& v : w) v = u(rng);
                for (auto& v : x) v = u(rng);
                for (auto& v : y0) v = u(rng);
                jrnn::Packed p;
                if (!CHECK(jrnn::pack_rows(w.data(), N, K, K, &p), "pack_rows failed")) return;
                std::vector<float> fwd(y0), bwd(y0);
                table.gemm_packed_f32(p, 1, x.data(), K, fwd.data(), N, acc);
                jrnn::gemm_packed_backward_f32(table, p, x.data(), bwd.data(), acc);
                CHECK(std::memcmp(fwd.data(), bwd.data(), sizeof(float) * N) == 0,
                      "%s backward N=%d K=%d acc=%d: not the bits of the forward call", path, N, K, acc);
                jrnn::free_packed(&p);
                ++cases;
            }
    std::printf("%s gemm_packed_backward_f32: %d shapes bit-identical to the forward call\n", path, cases);
}

// Where the table claims batch invariance: every row of a B-row call, and every run of panels of it, has the bits
// of a one-row call over all columns, on odd sizes and row strides.
void check_batch_invariance(const char* path, const jrnn::KernelTable& table) {
    if (!table.gemm_batch_invariant) {
        std::printf("%s gemm_packed_f32: not batch-invariant (by its table), not checked\n", path);
        return;
    }
    std::mt19937 rng(909);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    int cases = 0;
    for (int N : {1, 17, 100, 300})
        for (int K : {1, 3, 33, 257})
            for (int B : {2, 3, 5, 6, 7, 13, 64}) {
                const int64_t ldx = K + 3, ldy = N + 5;
                std::vector<float> w(static_cast<size_t>(N) * K), x(static_cast<size_t>(B) * ldx);
                for (auto& v : w) v = u(rng);
                for (auto& v : x) v = u(rng);
                jrnn::Packed p;
                if (!CHECK(jrnn::pack_rows(w.data(), N, K, K, &p), "pack_rows failed")) return;
                std::vector<float> all(static_cast<size_t>(B) * ldy, 0.0f), one(N), part(N);
                table.gemm_packed_f32(p, B, x.data(), ldx, all.data(), ldy, false);
                int bad = 0;
                for (int b = 0; b < B; ++b) {
                    table.gemm_packed_f32(p, 1, x.data() + b * ldx, ldx, one.data(), N, false);
                    bad += std::memcmp(one.data(), all.data() + b * ldy, sizeof(float) * N) != 0;
                }
                // panels [1, end) of the matrix alone, as a thread's share (row 0 against the full call)
                const int panels = p.n_pad / jrnn::kPanel;
                if (panels > 1) {
                    jrnn::Packed tail = p;
                    tail.n = N - jrnn::kPanel;
                    tail.n_pad = p.n_pad - jrnn::kPanel;
                    tail.data = p.data + static_cast<int64_t>(jrnn::kPanel) * K;
                    table.gemm_packed_f32(tail, 1, x.data(), ldx, part.data(), N, false);
                    bad += std::memcmp(part.data(), all.data() + jrnn::kPanel, sizeof(float) * tail.n) != 0;
                }
                CHECK(bad == 0, "%s batch invariance N=%d K=%d B=%d: %d rows or column runs differ from one-row calls",
                      path, N, K, B, bad);
                jrnn::free_packed(&p);
                ++cases;
            }
    std::printf("%s gemm_packed_f32: batch-invariant on %d shapes (every row and a column run bit-identical)\n", path,
                cases);
}

}  // namespace

int main() {
    for (const jrnn::Isa* isa : jrnn_test::supported_isas()) {
        run_path(isa->name, isa->table->gemm_packed_f32);
        check_backward(isa->name, *isa->table);
        check_batch_invariance(isa->name, *isa->table);
    }
    return jrnn_test::finish();
}
