// The recurrent driver (jrnn_rnn_forward / jrnn_rnn_step) against a naive float64 reference of PyTorch's
// semantics, on random shapes (odd hidden sizes 1..257, batch 1..70, lengths with zeros, bidirectional, two
// layers, LSTM projection, every cell variant), with teams of 1, 2 and 3 threads and every split forced
// (min_parallel_work 0, so tiny shapes split too; and a threshold that splits only the input products).
// Tolerances: 1e-5 * max(1, |ref|) against the reference; bit-identical across team sizes (the driver never
// changes the order of a sum when it splits work). Streaming steps against forward: 1e-5 (the input products are
// grouped into other rows, which changes the kernel's unrolling). Concurrent forwards from 4 threads on one
// shared model: bit-identical to the single-threaded result.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "check.h"
#include "core/pool.h"
#include "jrnn/jrnn.h"

namespace {

constexpr double kTol = 1e-5;

struct Config {
    int cell, flags, L, D, I, H, P;
    int G() const { return cell == JRNN_CELL_LSTM ? 4 : cell == JRNN_CELL_GRU ? 3 : 1; }
    int Hout() const { return P > 0 ? P : H; }
    int in(int l) const { return l == 0 ? I : D * Hout(); }
};

struct LayerWeights {
    std::vector<float> w_ih, w_hh, b_ih, b_hh, w_hr;  // b_* empty = no bias
};

struct Case {
    Config cfg;
    int T, B;
    std::vector<LayerWeights> w;  // [L*D]
    std::vector<float> x, h0, c0; // h0/c0 empty = zeros
    std::vector<int32_t> lengths; // empty = all T
    unsigned seed;
};

const char* cell_name(const Config& c) {
    switch (c.cell) {
        case JRNN_CELL_RNN_TANH: return "rnn_tanh";
        case JRNN_CELL_RNN_RELU: return "rnn_relu";
        case JRNN_CELL_LSTM: return c.flags ? "lstm_sigmoid" : "lstm";
        default: return c.flags ? "gru_before" : "gru";
    }
}

void describe(const Case& k, char* buf, size_t n) {
    std::snprintf(buf, n, "seed %u %s L%d D%d I%d H%d P%d T%d B%d%s%s", k.seed, cell_name(k.cfg), k.cfg.L, k.cfg.D,
                  k.cfg.I, k.cfg.H, k.cfg.P, k.T, k.B, k.lengths.empty() ? "" : " len", k.h0.empty() ? "" : " h0");
}

Case random_case(unsigned seed, int hmax, bool allow_bidir) {
    std::mt19937 rng(seed);
    auto pick = [&](std::initializer_list<int> v) { return *(v.begin() + rng() % v.size()); };
    auto uni = [&](int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1)); };
    Case k;
    k.seed = seed;
    Config& c = k.cfg;
    const int variant = uni(0, 5);
    c.cell = variant == 0 ? JRNN_CELL_RNN_TANH : variant == 1 ? JRNN_CELL_RNN_RELU : variant <= 3 ? JRNN_CELL_LSTM : JRNN_CELL_GRU;
    c.flags = variant == 3 ? JRNN_LSTM_SIGMOID_CANDIDATE : variant == 5 ? JRNN_GRU_RESET_BEFORE : 0;
    c.L = uni(1, 2);
    c.D = allow_bidir ? uni(1, 2) : 1;
    c.H = std::min(hmax, pick({1, 3, 16, 17, 33, 40, 64, 257}));
    c.I = pick({1, 5, 17, 32, 70});
    c.P = c.cell == JRNN_CELL_LSTM && c.H > 1 && uni(0, 2) == 0 ? uni(1, c.H - 1) : 0;
    k.T = uni(1, 9);
    k.B = pick({1, 2, 3, 5, 8, 9, 17, 64, 70});
    // keep the float64 reference and the scalar path quick
    while (static_cast<int64_t>(k.T) * k.B * c.G() * c.H * (c.I + c.H + c.D * c.Hout()) * c.L * c.D > 12000000 && k.B > 1)
        k.B = (k.B + 1) / 2;
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.H));
    const bool bias = uni(0, 4) != 0;
    for (int l = 0; l < c.L; ++l) {
        for (int d = 0; d < c.D; ++d) {
            LayerWeights lw;
            lw.w_ih.resize(static_cast<size_t>(c.G()) * c.H * c.in(l));
            lw.w_hh.resize(static_cast<size_t>(c.G()) * c.H * c.Hout());
            for (float& v : lw.w_ih) v = u(rng) * scale;
            for (float& v : lw.w_hh) v = u(rng) * scale;
            if (bias) {
                lw.b_ih.resize(static_cast<size_t>(c.G()) * c.H);
                lw.b_hh.resize(static_cast<size_t>(c.G()) * c.H);
                for (float& v : lw.b_ih) v = u(rng) * scale;
                for (float& v : lw.b_hh) v = u(rng) * scale;
            }
            if (c.P) {
                lw.w_hr.resize(static_cast<size_t>(c.P) * c.H);
                for (float& v : lw.w_hr) v = u(rng) * scale;
            }
            k.w.push_back(std::move(lw));
        }
    }
    k.x.resize(static_cast<size_t>(k.T) * k.B * c.I);
    for (float& v : k.x) v = u(rng);
    if (uni(0, 1)) {
        k.h0.resize(static_cast<size_t>(c.L) * c.D * k.B * c.Hout());
        for (float& v : k.h0) v = u(rng) * 0.5f;
        if (c.cell == JRNN_CELL_LSTM) {
            k.c0.resize(static_cast<size_t>(c.L) * c.D * k.B * c.H);
            for (float& v : k.c0) v = u(rng);
        }
    }
    if (uni(0, 1)) {
        k.lengths.resize(k.B);
        for (int b = 0; b < k.B; ++b) k.lengths[b] = b == 0 ? k.T : uni(0, k.T);  // 0 and T both occur
    }
    return k;
}

// ---- float64 reference: PyTorch semantics, one row and direction at a time ----

double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

struct RefOut {
    std::vector<double> y, hn, cn;
};

RefOut reference(const Case& k) {
    const Config& c = k.cfg;
    const int T = k.T, B = k.B, H = c.H, Hout = c.Hout(), G = c.G(), D = c.D;
    RefOut o;
    std::vector<double> in(k.x.begin(), k.x.end());
    o.hn.assign(static_cast<size_t>(c.L) * D * B * Hout, 0);
    o.cn.assign(static_cast<size_t>(c.L) * D * B * H, 0);
    for (int l = 0; l < c.L; ++l) {
        const int isz = c.in(l);
        std::vector<double> out(static_cast<size_t>(T) * B * D * Hout, 0.0);
        for (int d = 0; d < D; ++d) {
            const LayerWeights& w = k.w[l * D + d];
            const int idx = l * D + d;
            for (int b = 0; b < B; ++b) {
                std::vector<double> h(Hout, 0.0), cs(H, 0.0), gx(G * H), ghv(G * H), hraw(H);
                if (!k.h0.empty())
                    for (int j = 0; j < Hout; ++j) h[j] = k.h0[(static_cast<size_t>(idx) * B + b) * Hout + j];
                if (!k.c0.empty())
                    for (int j = 0; j < H; ++j) cs[j] = k.c0[(static_cast<size_t>(idx) * B + b) * H + j];
                const int len = k.lengths.empty() ? T : k.lengths[b];
                for (int s = 0; s < len; ++s) {
                    const int t = d == 0 ? s : len - 1 - s;
                    const double* xt = &in[(static_cast<size_t>(t) * B + b) * isz];
                    for (int n = 0; n < G * H; ++n) {
                        double a = w.b_ih.empty() ? 0 : w.b_ih[n], e = w.b_hh.empty() ? 0 : w.b_hh[n];
                        for (int q = 0; q < isz; ++q) a += w.w_ih[static_cast<size_t>(n) * isz + q] * xt[q];
                        gx[n] = a;
                        ghv[n] = e;
                    }
                    auto whh_dot = [&](int n, const std::vector<double>& v) {
                        double a = 0;
                        for (int q = 0; q < Hout; ++q) a += w.w_hh[static_cast<size_t>(n) * Hout + q] * v[q];
                        return a;
                    };
                    if (c.cell == JRNN_CELL_RNN_TANH || c.cell == JRNN_CELL_RNN_RELU) {
                        std::vector<double> hn(H);
                        for (int j = 0; j < H; ++j) {
                            const double a = gx[j] + ghv[j] + whh_dot(j, h);
                            hn[j] = c.cell == JRNN_CELL_RNN_RELU ? (a < 0 ? 0 : a) : std::tanh(a);
                        }
                        h = hn;
                    } else if (c.cell == JRNN_CELL_LSTM) {
                        std::vector<double> pre(4 * H);
                        for (int n = 0; n < 4 * H; ++n) pre[n] = gx[n] + ghv[n] + whh_dot(n, h);
                        for (int j = 0; j < H; ++j) {
                            const double ig = sig(pre[j]), fg = sig(pre[H + j]);
                            const double gg = c.flags ? sig(pre[2 * H + j]) : std::tanh(pre[2 * H + j]);
                            const double og = sig(pre[3 * H + j]);
                            cs[j] = fg * cs[j] + ig * gg;
                            hraw[j] = og * std::tanh(cs[j]);
                        }
                        if (c.P) {
                            for (int p = 0; p < c.P; ++p) {
                                double a = 0;
                                for (int j = 0; j < H; ++j) a += w.w_hr[static_cast<size_t>(p) * H + j] * hraw[j];
                                h[p] = a;
                            }
                        } else {
                            h = hraw;
                        }
                    } else {
                        std::vector<double> hn(H), rh(H), r(H), z(H);
                        for (int j = 0; j < H; ++j) {
                            r[j] = sig(gx[j] + ghv[j] + whh_dot(j, h));
                            z[j] = sig(gx[H + j] + ghv[H + j] + whh_dot(H + j, h));
                            rh[j] = r[j] * h[j];
                        }
                        for (int j = 0; j < H; ++j) {
                            const double n = c.flags ? std::tanh(gx[2 * H + j] + ghv[2 * H + j] + whh_dot(2 * H + j, rh))
                                                     : std::tanh(gx[2 * H + j] + r[j] * (whh_dot(2 * H + j, h) + ghv[2 * H + j]));
                            hn[j] = (1 - z[j]) * n + z[j] * h[j];
                        }
                        h = hn;
                    }
                    for (int j = 0; j < Hout; ++j) out[(static_cast<size_t>(t) * B + b) * D * Hout + d * Hout + j] = h[j];
                }
                for (int j = 0; j < Hout; ++j) o.hn[(static_cast<size_t>(idx) * B + b) * Hout + j] = h[j];
                for (int j = 0; j < H; ++j) o.cn[(static_cast<size_t>(idx) * B + b) * H + j] = cs[j];
            }
        }
        in = out;
    }
    o.y = in;
    return o;
}

// ---- the library ----

jrnn_rnn* build(const Case& k, int precision = JRNN_PRECISION_FP32) {
    const Config& c = k.cfg;
    jrnn_rnn* r = jrnn_rnn_create(c.cell, c.flags, c.L, c.D, c.I, c.H, c.P);
    if (!r) return nullptr;
    if (jrnn_rnn_set_precision(r, precision) != JRNN_OK) {
        jrnn_rnn_destroy(r);
        return nullptr;
    }
    for (int l = 0; l < c.L; ++l)
        for (int d = 0; d < c.D; ++d) {
            const LayerWeights& w = k.w[l * c.D + d];
            if (jrnn_rnn_set_weights(r, l, d, w.w_ih.data(), w.w_hh.data(), w.b_ih.empty() ? nullptr : w.b_ih.data(),
                                     w.b_hh.empty() ? nullptr : w.b_hh.data(), c.P ? w.w_hr.data() : nullptr) != JRNN_OK) {
                jrnn_rnn_destroy(r);
                return nullptr;
            }
        }
    return r;
}

struct Out {
    std::vector<float> y, hn, cn;
    int rc = -1;
};

Out forward(const jrnn_rnn* r, const Case& k) {
    const Config& c = k.cfg;
    Out o;
    o.y.assign(static_cast<size_t>(k.T) * k.B * c.D * c.Hout(), NAN);
    o.hn.assign(static_cast<size_t>(c.L) * c.D * k.B * c.Hout(), NAN);
    o.cn.assign(static_cast<size_t>(c.L) * c.D * k.B * c.H, NAN);
    o.rc = jrnn_rnn_forward(r, k.T, k.B, k.x.data(), k.lengths.empty() ? nullptr : k.lengths.data(),
                            k.h0.empty() ? nullptr : k.h0.data(), k.c0.empty() ? nullptr : k.c0.data(), o.y.data(),
                            o.hn.data(), c.cell == JRNN_CELL_LSTM ? o.cn.data() : nullptr);
    return o;
}

// max over i of |got - ref| / max(1, |ref|); NaN counts as infinite
double worst(const std::vector<float>& got, const std::vector<double>& ref) {
    double w = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        const double e = std::fabs(got[i] - ref[i]) / std::max(1.0, std::fabs(ref[i]));
        w = std::isnan(e) ? INFINITY : std::max(w, e);
    }
    return w;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

double g_worst = 0;
int g_projection_only = 0;  // runs where only the input products were split

void check_case(const Case& k) {
    char name[160];
    describe(k, name, sizeof(name));
    const bool lstm = k.cfg.cell == JRNN_CELL_LSTM;
    jrnn_rnn* r = build(k);
    if (!CHECK(r != nullptr, "%s: create/set_weights failed", name)) return;
    const RefOut ref = reference(k);
    Out first;
    for (int n : {1, 2, 3}) {
        jrnn::set_threads(n);
        const Out o = forward(r, k);
        if (!CHECK(o.rc == JRNN_OK, "%s threads %d: forward returned %d", name, n, o.rc)) continue;
        const double e = std::max({worst(o.y, ref.y), worst(o.hn, ref.hn), lstm ? worst(o.cn, ref.cn) : 0.0});
        g_worst = std::max(g_worst, e);
        CHECK(e <= kTol, "%s threads %d: max error %.3g > %.1g", name, n, e, kTol);
        if (n == 1) {
            first = o;
        } else {
            CHECK(same_bits(o.y, first.y) && same_bits(o.hn, first.hn) && (!lstm || same_bits(o.cn, first.cn)),
                  "%s threads %d: not bit-identical to 1 thread", name, n);
        }
    }
    // A threshold between a step's work and the input products' work: the team splits the input products and
    // the first thread runs the steps alone (the driver's other mode).
    const Config& c = k.cfg;
    const int64_t step_macs = static_cast<int64_t>(k.B) * c.G() * c.H * c.Hout() + static_cast<int64_t>(k.B) * c.P * c.H;
    const int64_t proj_macs = static_cast<int64_t>(k.T) * k.B * c.G() * c.H * c.I;
    if (proj_macs >= 16 * (step_macs + 1)) {
        const int64_t saved = jrnn::min_parallel_work();
        jrnn::set_min_parallel_work(step_macs + 1);
        for (int n : {2, 3}) {
            jrnn::set_threads(n);
            const Out o = forward(r, k);
            CHECK(o.rc == JRNN_OK && same_bits(o.y, first.y) && same_bits(o.hn, first.hn) &&
                      (!lstm || same_bits(o.cn, first.cn)),
                  "%s threads %d, steps on one thread: not bit-identical to 1 thread (rc %d)", name, n, o.rc);
            ++g_projection_only;
        }
        jrnn::set_min_parallel_work(saved);
    }
    // streaming: T single steps from h0 equal forward without lengths
    if (k.cfg.D == 1) {
        Case full = k;
        full.lengths.clear();
        const RefOut fref = reference(full);
        const Config& c = k.cfg;
        for (int n : {1, 2}) {
            jrnn::set_threads(n);
            std::vector<float> h(static_cast<size_t>(c.L) * k.B * c.Hout(), 0.0f), cs(static_cast<size_t>(c.L) * k.B * c.H, 0.0f);
            if (!k.h0.empty()) h.assign(k.h0.begin(), k.h0.end());
            if (!k.c0.empty()) cs.assign(k.c0.begin(), k.c0.end());
            std::vector<float> y(static_cast<size_t>(k.T) * k.B * c.Hout());
            int rc = JRNN_OK;
            for (int t = 0; t < k.T && rc == JRNN_OK; ++t)
                rc = jrnn_rnn_step(r, k.B, k.x.data() + static_cast<size_t>(t) * k.B * c.I, h.data(),
                                   lstm ? cs.data() : nullptr, y.data() + static_cast<size_t>(t) * k.B * c.Hout());
            if (!CHECK(rc == JRNN_OK, "%s step threads %d: returned %d", name, n, rc)) continue;
            const double e = std::max({worst(y, fref.y), worst(h, fref.hn), lstm ? worst(cs, fref.cn) : 0.0});
            g_worst = std::max(g_worst, e);
            CHECK(e <= kTol, "%s step threads %d: max error %.3g > %.1g", name, n, e, kTol);
        }
    }
    jrnn_rnn_destroy(r);
}

// 4 threads share one model and call forward at once while the pool has 2 threads: whoever gets the pool and
// whoever runs inline all produce the single-threaded bits.
void check_concurrent() {
    const Case k = random_case(4242, 64, true);
    char name[160];
    describe(k, name, sizeof(name));
    jrnn_rnn* r = build(k);
    if (!CHECK(r != nullptr, "concurrent %s: create failed", name)) return;
    jrnn::set_threads(1);
    const Out want = forward(r, k);
    jrnn::set_threads(2);
    std::atomic<int> bad{0}, runs{0};
    std::vector<std::thread> callers;
    for (int i = 0; i < 4; ++i) {
        callers.emplace_back([&] {
            for (int rep = 0; rep < 25; ++rep) {
                const Out o = forward(r, k);
                runs.fetch_add(1);
                if (o.rc != JRNN_OK || !same_bits(o.y, want.y) || !same_bits(o.hn, want.hn)) bad.fetch_add(1);
            }
        });
    }
    for (auto& t : callers) t.join();
    CHECK(bad.load() == 0, "concurrent %s: %d of %d forwards differ from the single-threaded result", name, bad.load(),
          runs.load());
    jrnn_rnn_destroy(r);
}

// The default threshold (no forced split) and a wide layer that the threads really split.
void check_default_threshold() {
    const int64_t saved = jrnn::min_parallel_work();
    jrnn::set_min_parallel_work(32768);
    for (unsigned seed : {7001u, 7002u, 7003u}) {
        Case k = random_case(seed, 257, true);
        check_case(k);
    }
    jrnn::set_min_parallel_work(saved);
}

// Reduced-precision weights on teams of 1, 2 and 3 threads with every split forced, from batch 16 (where an INT8
// team quantizes h once a step, each thread its columns): the same bits whatever the team.
void check_reduced_precision_teams() {
    int ran = 0;
    for (unsigned seed = 9001; seed <= 9024; ++seed) {
        Case k = random_case(seed, 257, true);
        if (k.B < 16) continue;
        for (int precision : {JRNN_PRECISION_BF16, JRNN_PRECISION_INT8}) {
            char name[160];
            describe(k, name, sizeof(name));
            jrnn_rnn* r = build(k, precision);
            if (!CHECK(r != nullptr, "%s precision %d: create/set_weights failed", name, precision)) continue;
            Out first;
            for (int n : {1, 2, 3}) {
                jrnn::set_threads(n);
                const Out o = forward(r, k);
                if (!CHECK(o.rc == JRNN_OK, "%s precision %d threads %d: forward returned %d", name, precision, n, o.rc))
                    continue;
                if (n == 1) first = o;
                else
                    CHECK(same_bits(o.y, first.y) && same_bits(o.hn, first.hn) && same_bits(o.cn, first.cn),
                          "%s precision %d threads %d: not bit-identical to 1 thread", name, precision, n);
            }
            ++ran;
            jrnn_rnn_destroy(r);
        }
    }
    CHECK(ran >= 4, "only %d reduced-precision cases from batch 16", ran);
}

}  // namespace

int main() {
    jrnn_test::check_dispatch();
    jrnn::set_min_parallel_work(0);  // split everything, however small
    int cases = 0;
    for (unsigned seed = 1; seed <= 70; ++seed) {
        check_case(random_case(seed, 257, true));
        ++cases;
    }
    check_default_threshold();
    check_concurrent();
    check_reduced_precision_teams();
    jrnn::set_threads(0);
    std::printf("%d random cases x threads {1,2,3}: max error %.3g (tolerance %.1g) [%s]; %d runs split only the "
                "input products\n", cases, g_worst, kTol, jrnn_isa_name(jrnn_isa()),
                g_projection_only);
    CHECK(g_projection_only > 0, "no case exercised the split of the input products alone");
    return jrnn_test::finish();
}
