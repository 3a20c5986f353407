// Reduced-precision products (SPEC §1.5): pack_rows in bf16 and s8, and gemm_packed_bf16_f32 / gemm_packed_s8_u8
// of every supported ISA and every route a table picks between by CPU.
//   - the ref kernels against an independent implementation of §1.5 written here (bf16: the float64 sum of the
//     rounded values, within (K + 2) u S; s8: the quantization and the int64 sums, bit for bit);
//   - every SIMD route against the ref: s8 bit for bit (exact integer sums), bf16 bit for bit for the routes that
//     sum in k order with FMAs, within 1e-5 * S for vdpbf16ps (its own order and flush of denormals);
//   - batch invariance (each row alone gives the bits of the batched call), odd sizes and strides, nothing written
//     outside y, NaN/inf rows (s8: NaN in every output of that row only).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "avx2/kernels_avx2.h"
#include "avx512/kernels_avx512.h"
#include "check.h"
#include "core/quant.h"
#include "kernels.h"
#include "ref/kernels_ref.h"

namespace {

using GemmFn = void (*)(const jrnn::Packed&, int, const float*, int64_t, float*, int64_t, bool);
using jrnn::Format;

constexpr double kU = 1.0 / (1 << 24);
constexpr float kSentinel = -7777.25f;

struct Route {
    std::string name;
    GemmFn fn;
    bool exact;  // must equal the ref bit for bit
};

// Prints a note once per process (routes() runs for every shape).
void note_once(const char* text) {
    static std::vector<std::string> said;
    if (std::find(said.begin(), said.end(), text) != said.end()) return;
    said.emplace_back(text);
    std::printf("note: %s\n", text);
}

// Every route of every supported ISA for one format.
std::vector<Route> routes(Format f) {
    std::vector<Route> out;
    for (const jrnn::Isa* isa : jrnn_test::supported_isas()) {
        if (isa->table == &jrnn::ref::kTable) continue;
        const bool bf16 = f == Format::kBF16;
        GemmFn table_fn = bf16 ? isa->table->gemm_packed_bf16_f32 : isa->table->gemm_packed_s8_u8;
        const bool avx512 = std::string(isa->name) == "avx512";
        const bool table_exact = !bf16 || !avx512 || (!jrnn::cpu_has_avx512_bf16() && !jrnn::cpu_has_amx_bf16());
        out.push_back({std::string(isa->name) + " (table)", table_fn, table_exact});
        if (std::string(isa->name) == "avx2" && !bf16) {
            out.push_back({"avx2 vpmaddwd", jrnn::avx2::gemm_packed_s8_u8_madd, true});
            if (jrnn::cpu_has_avx_vnni()) out.push_back({"avx2 avx-vnni", jrnn::avx2::gemm_packed_s8_u8_vnni, true});
            else note_once("no AVX-VNNI here: avx2 avx-vnni route not tested");
        }
        if (std::string(isa->name) == "avx512") {
            if (bf16 && jrnn::cpu_has_amx_bf16()) out.push_back({"avx512 amx-bf16", jrnn::avx512::gemm_packed_bf16_f32_amx, false});
            else if (bf16) note_once("no AMX-BF16 here (or the OS refused the tile state): amx-bf16 route not tested");
            if (!bf16 && jrnn::cpu_has_amx_int8()) out.push_back({"avx512 amx-int8", jrnn::avx512::gemm_packed_s8_u8_amx, true});
            else if (!bf16) note_once("no AMX-INT8 here (or the OS refused the tile state): amx-int8 route not tested");
            if (bf16) {
                out.push_back({"avx512 shift", jrnn::avx512::gemm_packed_bf16_f32_shift, true});
                if (jrnn::cpu_has_avx512_bf16()) out.push_back({"avx512 vdpbf16ps", jrnn::avx512::gemm_packed_bf16_f32_dp, false});
                else note_once("no AVX512_BF16 here: vdpbf16ps route not tested");
            } else if (jrnn::cpu_has_avx512_vnni()) {
                out.push_back({"avx512 vpdpbusd", jrnn::avx512::gemm_packed_s8_u8_vnni, true});
            } else {
                note_once("no AVX512_VNNI here: vpdpbusd route not tested");
            }
        }
    }
    return out;
}

// ---- the independent implementation of §1.5 ----

float spec_bf16(float f) {  // round to nearest even by the definition: the nearer of the two bf16 neighbours
    if (!std::isfinite(f)) return f;  // NaN, +-inf: representable as they are
    uint32_t u;
    std::memcpy(&u, &f, 4);
    const uint32_t down = u & 0xFFFF0000u, up = down + 0x10000u;
    float fd, fu;
    std::memcpy(&fd, &down, 4);
    std::memcpy(&fu, &up, 4);
    const double dd = std::fabs(static_cast<double>(f) - fd), du = std::fabs(static_cast<double>(fu) - f);
    if (dd < du || (dd == du && ((down >> 16) & 1u) == 0)) return fd;
    return fu;
}

struct SpecS8 {
    std::vector<float> scale;      // [N]
    std::vector<int32_t> q;        // [N, K]
};

SpecS8 spec_weights(const std::vector<float>& w, int N, int K, int64_t ldw) {
    SpecS8 s{std::vector<float>(N), std::vector<int32_t>(static_cast<size_t>(N) * K)};
    for (int n = 0; n < N; ++n) {
        float amax = 0.0f;
        for (int k = 0; k < K; ++k) amax = std::max(amax, std::fabs(w[n * ldw + k]));
        s.scale[n] = amax == 0.0f ? 1.0f : amax / 127.0f;
        for (int k = 0; k < K; ++k)
            s.q[static_cast<size_t>(n) * K + k] =
                static_cast<int32_t>(std::max(-127.0f, std::min(127.0f, std::nearbyint(w[n * ldw + k] / s.scale[n]))));
    }
    return s;
}

// y[n] for one row of x, by §1.5's formulas.
std::vector<float> spec_s8_row(const SpecS8& s, const float* x, int N, int K) {
    float lo = 0.0f, hi = 0.0f;
    bool finite = true;
    for (int k = 0; k < K; ++k) {
        if (!std::isfinite(x[k])) finite = false;
        else lo = std::min(lo, x[k]), hi = std::max(hi, x[k]);
    }
    std::vector<float> y(N, std::numeric_limits<float>::quiet_NaN());
    if (!finite) return y;
    const float sx = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    const float inv = 1.0f / sx;
    const int64_t zp = static_cast<int64_t>(std::max(0.0f, std::min(255.0f, std::nearbyint(-lo * inv))));
    for (int n = 0; n < N; ++n) {
        int64_t acc = 0, qsum = 0;
        for (int k = 0; k < K; ++k) {
            const int64_t xq = static_cast<int64_t>(std::max(0.0f, std::min(255.0f, std::nearbyint(x[k] * inv) + zp)));
            acc += xq * s.q[static_cast<size_t>(n) * K + k];
            qsum += s.q[static_cast<size_t>(n) * K + k];
        }
        y[n] = sx * s.scale[n] * static_cast<float>(acc - zp * qsum);
    }
    return y;
}

// ---- one shape ----

struct Shape {
    int N, K, B;
    int pad;  // extra row stride of W, x and y
    bool accumulate;
};

bool same_bits(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }

void run_shape(Format f, const Shape& s, std::mt19937& rng, bool nonfinite, double& worst_dp) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const int64_t ldw = s.K + s.pad, ldx = s.K + 2 * s.pad, ldy = s.N + 3 * s.pad;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> w(static_cast<size_t>(s.N) * ldw), x(static_cast<size_t>(s.B) * ldx);
    for (int64_t i = 0; i < static_cast<int64_t>(w.size()); ++i) w[i] = i % ldw < s.K ? u(rng) : nan;
    for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) x[i] = i % ldx < s.K ? 3.0f * u(rng) : nan;
    if (s.N > 2)  // an all-zero row: scale 1
        for (int k = 0; k < s.K; ++k) w[1 * ldw + k] = 0.0f;
    if (s.B > 1) x[1 * ldx + 0] = 0.75f;  // a row with positive values only when the rest are (lo = 0)
    if (nonfinite && s.B > 1) x[(s.B - 1) * ldx + s.K / 2] = (s.B % 2) ? nan : -std::numeric_limits<float>::infinity();
    std::vector<float> y0(static_cast<size_t>(s.B) * ldy + 24, kSentinel);
    for (int b = 0; b < s.B; ++b)
        for (int n = 0; n < s.N; ++n) y0[b * ldy + n] = u(rng);

    jrnn::Packed p;
    if (!CHECK(jrnn::pack_rows(w.data(), s.N, s.K, ldw, &p, f), "pack_rows failed")) return;
    const char* fname = f == Format::kBF16 ? "bf16" : "s8";
    CHECK(p.format == f && p.k_pad % (f == Format::kBF16 ? 2 : 4) == 0 && p.k_pad >= s.K,
          "%s pack: k=%d k_pad=%d", fname, s.K, p.k_pad);

    // the ref against the spec
    std::vector<float> ref(y0);
    (f == Format::kBF16 ? jrnn::ref::gemm_packed_bf16_f32 : jrnn::ref::gemm_packed_s8_u8)(p, s.B, x.data(), ldx,
                                                                                         ref.data(), ldy, s.accumulate);
    int bad = 0;
    if (f == Format::kS8) {
        const SpecS8 sw = spec_weights(w, s.N, s.K, ldw);
        for (int n = 0; n < s.N; ++n) {
            bad += !same_bits(p.scale[n], sw.scale[n]);
            int32_t sum = 0;
            for (int k = 0; k < s.K; ++k) sum += sw.q[static_cast<size_t>(n) * s.K + k];
            bad += p.row_sum[n] != sum;
        }
        for (int b = 0; b < s.B; ++b) {
            const std::vector<float> want = spec_s8_row(sw, x.data() + b * ldx, s.N, s.K);
            for (int n = 0; n < s.N; ++n) {
                const float v = s.accumulate ? y0[b * ldy + n] + want[n] : want[n];
                bad += !(same_bits(ref[b * ldy + n], v) || (std::isnan(v) && std::isnan(ref[b * ldy + n])));
            }
        }
    } else {
        for (int b = 0; b < s.B; ++b)
            for (int n = 0; n < s.N; ++n) {
                double exact = s.accumulate ? y0[b * ldy + n] : 0.0, mag = std::fabs(exact);
                for (int k = 0; k < s.K; ++k) {
                    const double t = static_cast<double>(spec_bf16(w[n * ldw + k])) * spec_bf16(x[b * ldx + k]);
                    exact += t;
                    mag += std::fabs(t);
                }
                const float got = ref[b * ldy + n];
                if (!std::isfinite(exact)) bad += !(std::isnan(exact) ? std::isnan(got) : got == exact);  // NaN or inf in x
                else bad += !(std::fabs(got - exact) <= (s.K + 2) * kU * mag);
            }
    }
    CHECK(bad == 0, "ref %s N=%d K=%d B=%d acc=%d nonfinite=%d: %d values differ from SPEC 1.5", fname, s.N, s.K, s.B,
          s.accumulate, nonfinite, bad);

    for (const Route& r : routes(f)) {
        std::vector<float> y(y0);
        r.fn(p, s.B, x.data(), ldx, y.data(), ldy, s.accumulate);
        int diff = 0, spill = 0, noninv = 0;
        for (int b = 0; b < s.B; ++b) {
            for (int n = 0; n < s.N; ++n) {
                const float got = y[b * ldy + n], want = ref[b * ldy + n];
                if (r.exact) {
                    diff += !(same_bits(got, want) || (std::isnan(got) && std::isnan(want)));
                } else {
                    double mag = s.accumulate ? std::fabs(y0[b * ldy + n]) : 0.0;
                    for (int k = 0; k < s.K; ++k)
                        mag += std::fabs(static_cast<double>(spec_bf16(w[n * ldw + k])) * spec_bf16(x[b * ldx + k]));
                    const double err = std::fabs(static_cast<double>(got) - want);
                    diff += !(err <= 1e-5 * mag + 1e-30 || (std::isnan(got) && std::isnan(want)) ||
                              (std::isinf(want) && got == want));
                    if (mag > 0 && std::isfinite(err)) worst_dp = std::max(worst_dp, err / mag);
                }
            }
            for (int64_t n = s.N; n < ldy; ++n) spill += !same_bits(y[b * ldy + n], y0[b * ldy + n]);
            // the row alone gives the same bits (batch invariance)
            std::vector<float> one(y0.begin() + b * ldy, y0.begin() + b * ldy + s.N);
            r.fn(p, 1, x.data() + b * ldx, ldx, one.data(), s.N, s.accumulate);
            for (int n = 0; n < s.N; ++n) noninv += !(same_bits(one[n], y[b * ldy + n]) || (std::isnan(one[n]) && std::isnan(y[b * ldy + n])));
        }
        for (size_t i = static_cast<size_t>(s.B) * ldy; i < y.size(); ++i) spill += !same_bits(y[i], kSentinel);
        CHECK(diff == 0 && spill == 0 && noninv == 0,
              "%s %s N=%d K=%d B=%d pad=%d acc=%d nonfinite=%d: %d differ from ref, %d writes outside y, %d rows not "
              "batch-invariant",
              r.name.c_str(), fname, s.N, s.K, s.B, s.pad, s.accumulate, nonfinite, diff, spill, noninv);
    }
    jrnn::free_packed(&p);
}

// gemm_packed_multi (the rows of x prepared once for several matrices) against the single products, bit for bit, on
// every supported table: slices of one packing as the recurrent driver's gate blocks are, each its own y block.
void check_multi(Format f, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const char* fname = f == Format::kBF16 ? "bf16" : "s8";
    for (const jrnn::Isa* isa : jrnn_test::supported_isas())
        for (int K : {1, 17, 64, 300})
            for (int B : {1, 2, 5, 16, 37})
                for (int count : {1, 3, 4}) {
                    const int Hpad = 48, units = 32, j0 = 16;  // each "gate" block: rows [g*Hpad + j0, + units)
                    std::vector<float> w(static_cast<size_t>(count) * Hpad * K), x(static_cast<size_t>(B) * (K + 1));
                    for (auto& v : w) v = u(rng);
                    for (auto& v : x) v = 2.0f * u(rng);
                    jrnn::Packed p;
                    if (!CHECK(jrnn::pack_rows(w.data(), count * Hpad, K, K, &p, f), "pack")) continue;
                    std::vector<jrnn::Packed> slices;
                    for (int g = 0; g < count; ++g) slices.push_back(p.slice_rows(g * Hpad + j0, units));
                    const int64_t ldy = count * 40 + 3, y_step = 40;
                    std::vector<float> y0(static_cast<size_t>(B) * ldy);
                    for (auto& v : y0) v = u(rng);
                    for (bool acc : {false, true}) {
                        std::vector<float> multi(y0), single(y0);
                        jrnn::gemm_packed_multi(*isa->table, slices.data(), count, B, x.data(), K + 1, multi.data(),
                                                y_step, ldy, acc);
                        for (int g = 0; g < count; ++g)
                            jrnn::gemm_packed(*isa->table, slices[g], B, x.data(), K + 1, single.data() + g * y_step, ldy,
                                              acc);
                        CHECK(std::memcmp(multi.data(), single.data(), sizeof(float) * multi.size()) == 0,
                              "%s %s multi K=%d B=%d count=%d acc=%d: differs from the single products", isa->name, fname,
                              K, B, count, acc);
                    }
                    jrnn::free_packed(&p);
                }
}

// The s8 product's input prepared column by column, as a team does (row_range_cols_f32 and quantize_cols_u8 on
// parts of each row, the ranges combined, then gemm_packed_s8_prepared), on every supported table: the same bytes
// as the ref table's passes and the bits of the ref's gemm_packed_s8_u8 on the float rows (NaN for rows holding NaN
// or inf). Parts end anywhere (inside a vector too), some are empty.
void check_prepared(std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const jrnn::KernelTable& ref = jrnn::ref::kTable;
    for (const jrnn::Isa* isa : jrnn_test::supported_isas()) {
        const jrnn::KernelTable& t = *isa->table;
        for (int K : {1, 3, 17, 33, 64, 300})
            for (int B : {1, 3, 17, 33})
                for (int parts : {1, 2, 3}) {
                    const int count = (K + B + parts) % 2 ? 4 : 1, Hpad = 32, units = 17;
                    std::vector<float> w(static_cast<size_t>(count) * Hpad * K);
                    const int64_t ldx = K + 3;
                    std::vector<float> x(static_cast<size_t>(B) * ldx);
                    for (auto& v : w) v = u(rng);
                    for (auto& v : x) v = 2.5f * u(rng);
                    if (B > 1) x[1 * ldx + K - 1] = (K % 2) ? nan : std::numeric_limits<float>::infinity();
                    if (B > 2)
                        for (int k = 0; k < K; ++k) x[2 * ldx + k] = 0.5f + 0.25f * u(rng);  // positive only: lo = 0
                    jrnn::Packed p;
                    if (!CHECK(jrnn::pack_rows(w.data(), count * Hpad, K, K, &p, Format::kS8), "pack")) continue;
                    std::vector<jrnn::Packed> slices;
                    for (int g = 0; g < count; ++g) slices.push_back(p.slice_rows(g * Hpad, units));
                    // part boundaries: random, sorted (empty parts allowed)
                    std::vector<int> cut{0, K};
                    for (int i = 1; i < parts; ++i) cut.push_back(static_cast<int>(rng() % (K + 1)));
                    std::sort(cut.begin(), cut.end());
                    const int64_t ldq = p.k_pad + 8;
                    std::vector<uint8_t> xq(static_cast<size_t>(B) * ldq, 0), xq_ref(xq.size(), 0);
                    std::vector<jrnn::RowQuant> q(B);
                    std::vector<uint8_t> fin(B);
                    int range_diff = 0;
                    for (int pass = 0; pass < 2; ++pass) {  // the table's passes, then the ref's
                        const jrnn::KernelTable* k = pass == 0 ? &t : &ref;
                        std::vector<float> lo(static_cast<size_t>(parts) * B), hi(lo.size());
                        std::vector<uint8_t> f(lo.size());
                        for (int i = 0; i < parts; ++i)
                            k->row_range_cols_f32(B, x.data(), ldx, cut[i], cut[i + 1], lo.data() + i * B,
                                                  hi.data() + i * B, f.data() + i * B);
                        for (int b = 0; b < B; ++b) {
                            float l = 0.0f, h = 0.0f;
                            bool fb = true;
                            for (int i = 0; i < parts; ++i) {
                                l = std::min(l, lo[i * B + b]);
                                h = std::max(h, hi[i * B + b]);
                                fb = fb && f[i * B + b];
                            }
                            const jrnn::RowQuant rq = jrnn::row_quant(l, h);
                            if (pass == 0) q[b] = rq, fin[b] = fb;
                            else range_diff += !(same_bits(rq.sx, q[b].sx) && rq.zp == q[b].zp && fb == fin[b]);
                        }
                        for (int i = 0; i < parts; ++i)
                            k->quantize_cols_u8(B, x.data(), ldx, cut[i], cut[i + 1], q.data(),
                                                (pass == 0 ? xq : xq_ref).data(), ldq);
                    }
                    int byte_diff = 0;
                    for (int b = 0; b < B; ++b)
                        if (fin[b]) byte_diff += std::memcmp(xq.data() + b * ldq, xq_ref.data() + b * ldq, K) != 0;
                    const int64_t ldy = count * 20 + 1, y_step = 20;
                    std::vector<float> y0(static_cast<size_t>(B) * ldy);
                    for (auto& v : y0) v = u(rng);
                    for (bool acc : {false, true}) {
                        std::vector<float> got(y0), want(y0);
                        t.gemm_packed_s8_prepared(slices.data(), count, B, xq.data(), ldq, q.data(), fin.data(),
                                                  got.data(), y_step, ldy, acc);
                        for (int g = 0; g < count; ++g)
                            jrnn::ref::gemm_packed_s8_u8(slices[g], B, x.data(), ldx, want.data() + g * y_step, ldy, acc);
                        int diff = 0;
                        for (size_t i = 0; i < got.size(); ++i)
                            diff += !(same_bits(got[i], want[i]) || (std::isnan(got[i]) && std::isnan(want[i])));
                        CHECK(diff == 0 && range_diff == 0 && byte_diff == 0,
                              "%s s8 prepared K=%d B=%d parts=%d count=%d acc=%d: %d outputs differ from the ref's "
                              "product, %d rows' parameters and %d rows' bytes from the ref's passes",
                              isa->name, K, B, parts, count, acc, diff, range_diff, byte_diff);
                    }
                    jrnn::free_packed(&p);
                }
    }
}

}  // namespace

int main() {
    std::mt19937 rng(1205);
    for (Format f : {Format::kBF16, Format::kS8}) {
        double worst_dp = 0;
        int cases = 0;
        for (int N : {1, 3, 16, 17, 33, 100})
            for (int K : {1, 3, 4, 5, 17, 33, 257})
                for (int B : {1, 2, 3, 5, 6, 7, 13})
                    for (bool acc : {false, true}) {
                        run_shape(f, {N, K, B, (N + K + B) % 3, acc}, rng, (N + B) % 4 == 1, worst_dp);
                        ++cases;
                    }
        // the AMX routes' tiles: every row and panel remainder of their 2 x 2 blocks of 16 x 16, k that ends inside a
        // tile and on its edge
        for (int N : {16, 17, 33, 48, 64})
            for (int K : {1, 31, 32, 64, 65, 257})
                for (int B : {16, 17, 31, 32, 33, 48, 70})
                    if ((N + K + B) % 2 == 0 || K == 65) {
                        run_shape(f, {N, K, B, (N + K) % 3, (N + B) % 3 == 0}, rng, (K + B) % 5 == 1, worst_dp);
                        ++cases;
                    }
        for (const Shape& s : {Shape{1024, 256, 1, 0, true}, Shape{512, 512, 64, 1, false}, Shape{300, 1000, 2, 0, true},
                               Shape{2048, 512, 100, 0, false}}) {
            run_shape(f, s, rng, false, worst_dp);
            ++cases;
        }
        check_multi(f, rng);
        if (f == Format::kS8) check_prepared(rng);
        if (f == Format::kBF16) std::printf("bf16: %d shapes on every route; vdpbf16ps max |y - ref| / S = %.3g\n", cases, worst_dp);
        else std::printf("s8: %d shapes on every route, all bit-identical to the ref\n", cases);
    }
    return jrnn_test::finish();
}
