// Products against bf16 and s8 weights on AMX tiles (Sapphire Rapids and later): tdpbf16ps and tdpbusd, the routes
// gemm_packed_bf16_f32 takes at every B and gemm_packed_s8_u8 from kAmxMinRowsS8 rows, where the CPU and OS allow.
//
// The packed panels are already in the layout a B tile wants: a bf16 panel is [k/2][16][2] and an s8 panel
// [k/4][16][4], so 16 consecutive 64-byte rows of a panel (32 k of bf16, 64 k of s8) load as one tile with a
// 64-byte stride, no repacking. The rows of x are prepared once per call (bf16_round or the uint8 quantization,
// the same functions the vector routes use) into a buffer of whole tiles: from 16 rows, rows padded to a multiple
// of 16 (below 16, the tiles hold B rows), k to the tile depth, with zeros. Where k_pad is not a whole number of
// tile depths, the last tile of each panel is copied into a zeroed 1 KiB buffer first (a tile load past k_pad would
// read the next panel or past the allocation).
//
// Blocking: 2 x 2 accumulator tiles (32 rows x 32 outputs) over the 8 tile registers: tmm0-3 accumulate, tmm4-5
// hold two blocks of 16 rows of x, tmm6-7 two weight tiles. Each output is one accumulator over k in the same
// order whatever B, so a row's result never depends on the other rows.
//   s8:   int32 sums exact, dequantized as the other routes do: bit-identical to the ref kernel.
//   bf16: tdpbf16ps sums pairs with denormals flushed (as vdpbf16ps): within 1e-5 of the ref's sum (test_gemm_lowp).
#include <cstring>
#include <limits>
#include <vector>

#include "avx512/kernels_avx512.h"
#include "core/quant.h"

#define JRNN_AMX_INLINE inline __attribute__((target(JRNN_AMX_TARGET), always_inline))

namespace jrnn::avx512 {

namespace {

constexpr int kTileRows = 16;   // rows of x in an A tile; also the k groups (pairs, quads) of a B tile
constexpr int kTileBytes = 64;  // bytes of a tile row
constexpr int kTileSize = kTileRows * kTileBytes;

// The tile configuration (palette 1): tmm0-7 64 bytes wide; the weight tiles (tmm6-7) 16 rows, the others (x and
// the accumulators) m rows: 16, or B when B < 16 (one block of rows, no padding rows to prepare or multiply).
struct alignas(64) TileConfig {
    uint8_t palette = 1;
    uint8_t start_row = 0;
    uint8_t reserved[14] = {};
    uint16_t colsb[16] = {};
    uint8_t rows[16] = {};
    explicit TileConfig(int m) {
        for (int t = 0; t < 8; ++t) colsb[t] = kTileBytes, rows[t] = static_cast<uint8_t>(t >= 6 ? kTileRows : m);
    }
};
static_assert(sizeof(TileConfig) == 64, "the tile configuration is 64 bytes");

template <typename T>
T* scratch(std::vector<T>& v, size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
}

thread_local std::vector<uint8_t> t_rows;  // prepared rows of x (bf16 or u8), whole tiles
thread_local std::vector<RowQuant> t_quant;
thread_local std::vector<uint8_t> t_finite;

// What one format needs of the driver below.
struct Bf16 {
    static constexpr int kGroup = 2;        // k per 32-bit word
    static constexpr int kDepth = 32;       // k per tile
    static const uint8_t* panels(const Packed& w) { return reinterpret_cast<const uint8_t*>(w.bf16); }
};
struct S8 {
    static constexpr int kGroup = 4;
    static constexpr int kDepth = 64;
    static const uint8_t* panels(const Packed& w) { return reinterpret_cast<const uint8_t*>(w.s8); }
};

// The weight tile of panel p at k block kb: in place, or copied with zeros past k_pad into tail (64-byte aligned).
template <typename F>
JRNN_AMX_INLINE const uint8_t* weight_tile(const Packed& w, int p, int kb, uint8_t* tail) {
    const int64_t panel_bytes = static_cast<int64_t>(kPanel) * w.k_pad * (F::kGroup == 2 ? 2 : 1);
    const uint8_t* src = F::panels(w) + p * panel_bytes + static_cast<int64_t>(kb) * kTileSize;
    const int groups = w.k_pad / F::kGroup - kb * kTileRows;  // 64-byte rows left in this panel
    if (groups >= kTileRows) return src;
    std::memcpy(tail, src, static_cast<size_t>(groups) * kTileBytes);
    std::memset(tail + groups * kTileBytes, 0, static_cast<size_t>(kTileRows - groups) * kTileBytes);
    return tail;
}

// Accumulates NR x NP tiles (16-row blocks of x against panels) over every k block into tmm0..3 and stores them
// into acc[r][p][16][16] (float or int32 bits).
template <typename F, int NR, int NP>
JRNN_AMX_INLINE void block(const Packed& w, int p0, const uint8_t* a, int64_t lda, int kblocks, uint8_t* tail0,
                           uint8_t* tail1, int32_t* acc) {
    _tile_zero(0);
    if (NP == 2) _tile_zero(1);
    if (NR == 2) _tile_zero(2);
    if (NR == 2 && NP == 2) _tile_zero(3);
    for (int kb = 0; kb < kblocks; ++kb) {
        const uint8_t* ak = a + static_cast<int64_t>(kb) * kTileBytes;
        _tile_loadd(4, ak, lda);
        if (NR == 2) _tile_loadd(5, ak + kTileRows * lda, lda);
        _tile_loadd(6, weight_tile<F>(w, p0, kb, tail0), kTileBytes);
        if (NP == 2) _tile_loadd(7, weight_tile<F>(w, p0 + 1, kb, tail1), kTileBytes);
        if constexpr (F::kGroup == 2) {
            _tile_dpbf16ps(0, 4, 6);
            if (NP == 2) _tile_dpbf16ps(1, 4, 7);
            if (NR == 2) _tile_dpbf16ps(2, 5, 6);
            if (NR == 2 && NP == 2) _tile_dpbf16ps(3, 5, 7);
        } else {
            _tile_dpbusd(0, 4, 6);
            if (NP == 2) _tile_dpbusd(1, 4, 7);
            if (NR == 2) _tile_dpbusd(2, 5, 6);
            if (NR == 2 && NP == 2) _tile_dpbusd(3, 5, 7);
        }
    }
    constexpr int kAcc = kTileRows * kPanel;  // int32 per accumulator tile
    _tile_stored(0, acc, kTileBytes);
    if (NP == 2) _tile_stored(1, acc + kAcc, kTileBytes);
    if (NR == 2) _tile_stored(2, acc + 2 * kAcc, kTileBytes);
    if (NR == 2 && NP == 2) _tile_stored(3, acc + 3 * kAcc, kTileBytes);
}

// Writes one accumulator tile's rows [0, rows) and columns [0, cols) into y: bf16 sums as they are, s8 sums
// dequantized with each row's (s_x, zp) and each output's (s_n, row_sum) as the other routes do.
JRNN_AVX512_INLINE void write_bf16(const int32_t* acc, int rows, int cols, float* y, int64_t ldy, bool accumulate) {
    const __mmask16 m = mask_first_avx512(cols);
    for (int r = 0; r < rows; ++r) {
        __m512 v = _mm512_loadu_ps(reinterpret_cast<const float*>(acc) + r * kPanel);
        if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, y + r * ldy));
        _mm512_mask_storeu_ps(y + r * ldy, m, v);
    }
}

JRNN_AVX512_INLINE void write_s8(const int32_t* acc, int rows, int cols, const float* scale, const int32_t* row_sum,
                                 const RowQuant* q, const uint8_t* finite, float* y, int64_t ldy, bool accumulate) {
    const __mmask16 m = mask_first_avx512(cols);
    const __m512 sn = _mm512_loadu_ps(scale);
    const __m512i rs = _mm512_loadu_si512(row_sum);
    const __m512 nan = _mm512_set1_ps(std::numeric_limits<float>::quiet_NaN());
    for (int r = 0; r < rows; ++r) {
        const __m512i isum = _mm512_sub_epi32(_mm512_loadu_si512(acc + r * kPanel),
                                              _mm512_mullo_epi32(_mm512_set1_epi32(q[r].zp), rs));
        // the dequantized value rounded on its own before any accumulation, as the ref: a rounding-mode multiply,
        // which the compiler cannot contract with the add below into an FMA (as it may a plain _mm512_mul_ps)
        __m512 v = finite[r] ? _mm512_mul_round_ps(_mm512_mul_ps(_mm512_set1_ps(q[r].sx), sn), _mm512_cvtepi32_ps(isum),
                                                   _MM_FROUND_CUR_DIRECTION)
                             : nan;
        if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, y + r * ldy));
        _mm512_mask_storeu_ps(y + r * ldy, m, v);
    }
}

// The product on prepared rows a[B_pad][k_tiles * depth] (lda bytes a row).
template <typename F, int NR, int NP>
JRNN_AMX_INLINE void run_block(const Packed& w, int p0, int r0, int B, const uint8_t* a, int64_t lda, int kblocks,
                               const RowQuant* q, const uint8_t* finite, float* y, int64_t ldy, bool accumulate) {
    alignas(64) uint8_t tail[2][kTileSize];
    alignas(64) int32_t acc[4][kTileRows * kPanel];
    block<F, NR, NP>(w, p0, a + r0 * lda, lda, kblocks, tail[0], tail[1], &acc[0][0]);
    for (int r = 0; r < NR; ++r) {
        const int row = r0 + r * kTileRows;
        const int rows = B - row < kTileRows ? B - row : kTileRows;
        if (rows <= 0) continue;
        for (int p = 0; p < NP; ++p) {
            const int col = (p0 + p) * kPanel;
            const int cols = w.n - col < kPanel ? w.n - col : kPanel;
            float* yb = y + row * ldy + col;
            if constexpr (F::kGroup == 2) write_bf16(acc[r * 2 + p], rows, cols, yb, ldy, accumulate);
            else write_s8(acc[r * 2 + p], rows, cols, w.scale + col, w.row_sum + col, q + row, finite + row, yb, ldy,
                          accumulate);
        }
    }
}

template <typename F>
JRNN_AMX_INLINE void product(const Packed& w, int B, const uint8_t* a, int64_t lda, int kblocks, const RowQuant* q,
                             const uint8_t* finite, float* y, int64_t ldy, bool accumulate) {
    const TileConfig config(B < kTileRows ? B : kTileRows);
    _tile_loadconfig(&config);
    const int panels = w.n_pad / kPanel;
    const int row_blocks = (B + kTileRows - 1) / kTileRows;
    for (int p0 = 0; p0 < panels; p0 += 2) {
        const bool two_p = p0 + 1 < panels;
        for (int rb = 0; rb < row_blocks; rb += 2) {
            const bool two_r = rb + 1 < row_blocks;
            const int r0 = rb * kTileRows;
            if (two_r && two_p) run_block<F, 2, 2>(w, p0, r0, B, a, lda, kblocks, q, finite, y, ldy, accumulate);
            else if (two_r) run_block<F, 2, 1>(w, p0, r0, B, a, lda, kblocks, q, finite, y, ldy, accumulate);
            else if (two_p) run_block<F, 1, 2>(w, p0, r0, B, a, lda, kblocks, q, finite, y, ldy, accumulate);
            else run_block<F, 1, 1>(w, p0, r0, B, a, lda, kblocks, q, finite, y, ldy, accumulate);
        }
    }
    _tile_release();  // back to the init state: a context switch need not save 8 KiB of tiles
}

}  // namespace

JRNN_AMX void gemm_packed_amx_multi(const Packed* w, int count, int B, const float* x, int64_t ldx, float* y,
                                    int64_t y_step, int64_t ldy, bool accumulate) {
    if (B <= 0 || count <= 0) return;
    const bool bf16 = w[0].format == Format::kBF16;
    const int depth = bf16 ? Bf16::kDepth : S8::kDepth;
    const int kblocks = (w[0].k_pad + depth - 1) / depth;
    const int ka = kblocks * depth;  // elements a prepared row
    const int64_t lda = bf16 ? static_cast<int64_t>(ka) * 2 : ka;  // bytes a prepared row
    const int b_pad = B < kTileRows ? B : (B + kTileRows - 1) / kTileRows * kTileRows;
    uint8_t* a = scratch(t_rows, static_cast<size_t>(b_pad) * lda);
    RowQuant* q = nullptr;
    uint8_t* finite = nullptr;
    if (bf16) {
        round_rows_bf16(B, x, ldx, w[0].k, ka, reinterpret_cast<uint16_t*>(a));
    } else {
        q = scratch(t_quant, static_cast<size_t>(B));
        finite = scratch(t_finite, static_cast<size_t>(B));
        quantize_rows_u8(B, x, ldx, w[0].k, ka, a, q, finite);
    }
    std::memset(a + B * lda, 0, static_cast<size_t>(b_pad - B) * lda);
    for (int g = 0; g < count; ++g) {
        if (w[g].n <= 0) continue;
        if (bf16) product<Bf16>(w[g], B, a, lda, kblocks, nullptr, nullptr, y + g * y_step, ldy, accumulate);
        else product<S8>(w[g], B, a, lda, kblocks, q, finite, y + g * y_step, ldy, accumulate);
    }
}

JRNN_AMX void gemm_packed_bf16_f32_amx(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                      bool accumulate) {
    gemm_packed_amx_multi(&w, 1, B, x, ldx, y, 0, ldy, accumulate);
}

JRNN_AMX void gemm_packed_s8_u8_amx(const Packed& w, int B, const float* x, int64_t ldx, float* y, int64_t ldy,
                                   bool accumulate) {
    gemm_packed_amx_multi(&w, 1, B, x, ldx, y, 0, ldy, accumulate);
}

}  // namespace jrnn::avx512
