// What the cell-pass tests (test_cells.cpp: the fused passes; test_cells_ex.cpp: the general ONNX-style passes)
// share: the inputs of one case, the states a run writes, and the comparison of a run against the ref run.
// Every writable buffer is [B*H + kSpare]; the spare tail holds kSentinel, which no run may overwrite.
#ifndef JRNN_TEST_CELL_FIXTURE_H
#define JRNN_TEST_CELL_FIXTURE_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace cell_fixture {

constexpr float kSentinel = 31337.0f;
constexpr int kSpare = 16;  // floats after every state buffer that must keep the sentinel

// Inputs of one case (read only); peep is used by the LSTM peephole cases only.
struct Inputs {
    int B, H;
    int64_t ldgx, ldgh, ldghn;
    std::vector<float> gx, gh, ghn, b_hn, peep;
    std::vector<uint8_t> active;  // empty = nullptr
};
struct States {
    std::vector<float> c, h, z, rh;
};

// v = B rows of ld floats: the first width of each row uniform in [-s, s], the row padding NaN (reading it would
// poison a result).
inline void fill_rows(std::vector<float>& v, int B, int64_t ld, int width, float s, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    v.resize(static_cast<size_t>(B) * ld);
    for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) v[i] = i % ld < width ? s * u(rng) : nan;
}

// The mask of masked cases: B=1 makes the whole call a no-op, B=2 and 5 mix active and inactive rows.
inline std::vector<uint8_t> mask_of(int B) {
    const uint8_t pattern[] = {1, 0, 1, 1, 0};
    std::vector<uint8_t> active(pattern, pattern + B);
    if (B == 1) active[0] = 0;
    return active;
}

inline States make_states(int B, int H, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    States st;
    for (std::vector<float>* v : {&st.c, &st.h, &st.z, &st.rh})
        v->assign(static_cast<size_t>(B) * H + kSpare, kSentinel);
    for (int64_t i = 0; i < static_cast<int64_t>(B) * H; ++i) {
        st.c[i] = 2.0f * u(rng);
        st.h[i] = u(rng);
    }
    return st;
}

inline bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

inline bool same_states(const States& a, const States& b) {
    auto eq = [](const std::vector<float>& x, const std::vector<float>& y) {
        return std::memcmp(x.data(), y.data(), sizeof(float) * x.size()) == 0;
    };
    return eq(a.c, b.c) && eq(a.h, b.h) && eq(a.z, b.z) && eq(a.rh, b.rh);
}

// One run against the reference run and against its initial value.
struct Diff {
    double max_err = 0;  // |got - want|, divided by max(1, |want|) when relative
    int inactive_changed = 0;
    int spilled = 0;
};

inline void compare(const std::vector<float>& got, const std::vector<float>& want, const std::vector<float>& before,
                    const Inputs& in, bool relative, Diff& d) {
    for (int b = 0; b < in.B; ++b) {
        const bool active = in.active.empty() || in.active[b];
        for (int j = 0; j < in.H; ++j) {
            const size_t i = static_cast<size_t>(b) * in.H + j;
            if (active) {
                double err = std::fabs(static_cast<double>(got[i]) - want[i]);
                if (relative) err /= std::fmax(1.0, std::fabs(static_cast<double>(want[i])));
                d.max_err = std::isnan(err) ? INFINITY : std::fmax(d.max_err, err);
            } else {
                d.inactive_changed += !same_bits(got[i], before[i]);
            }
        }
    }
    for (size_t i = static_cast<size_t>(in.B) * in.H; i < got.size(); ++i) d.spilled += !same_bits(got[i], kSentinel);
}

inline void compare_states(const States& got, const States& want, const States& before, const Inputs& in,
                           bool relative, Diff& d) {
    compare(got.c, want.c, before.c, in, relative, d);
    compare(got.h, want.h, before.h, in, relative, d);
    compare(got.z, want.z, before.z, in, relative, d);
    compare(got.rh, want.rh, before.rh, in, relative, d);
}

}  // namespace cell_fixture

#endif
