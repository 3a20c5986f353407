// Fused cell passes (LSTM i,f,g,o; GRU r,z,n both reset placements; Elman), 16 hidden units a block with a
// masked last block: the AVX-512 twins of avx2/{lstm,gru,rnn}_cell_avx2.cpp, same operation order per lane.
// Each pass is a Body functor run by for_cols_avx512 over the active rows and the columns [j0, j1).
#include "avx512/kernels_avx512.h"

namespace jrnn::avx512 {

namespace {

// body.run<Masked>(b, j, m) for every active row b and every block of 16 columns j of [j0, j1).
template <class Body>
JRNN_AVX512_INLINE void for_cols_avx512(int B, int j0, int j1, const uint8_t* active, const Body& body) {
    const __mmask16 tail = mask_first_avx512((j1 - j0) % 16);
    for (int b = 0; b < B; ++b) {
        if (active && !active[b]) continue;
        int j = j0;
        for (; j + 16 <= j1; j += 16) body.template run<false>(b, j, static_cast<__mmask16>(0xFFFF));
        if (j < j1) body.template run<true>(b, j, tail);
    }
}

template <bool M>
JRNN_AVX512_INLINE __m512 ld(const float* p, __mmask16 m) {
    return load16_avx512<M>(p, m);
}

// h = (1-z)*n + z*h, the same association as the reference.
JRNN_AVX512_INLINE __m512 gru_blend_avx512(__m512 z, __m512 n, __m512 h) {
    return _mm512_fmadd_ps(z, h, _mm512_mul_ps(_mm512_sub_ps(_mm512_set1_ps(1.0f), z), n));
}

// gx[B,4H] (ldgx), gh[B,4H] (ldgh), c[B,H], h[B,H]. All inputs of a block are loaded before c, h are stored.
struct Lstm {
    int H;
    const float* gx;
    int64_t ldgx;
    const float* gh;
    int64_t ldgh;
    float* c;
    float* h;
    bool sigmoid_candidate;
    template <bool M>
    JRNN_AVX512_INLINE void run(int b, int j, __mmask16 m) const {
        const float* x = gx + b * ldgx + j;
        const float* r = gh + b * ldgh + j;
        float* cb = c + static_cast<int64_t>(b) * H + j;
        float* hb = h + static_cast<int64_t>(b) * H + j;
        const __m512 i = sigmoid_avx512(_mm512_add_ps(ld<M>(x, m), ld<M>(r, m)));
        const __m512 f = sigmoid_avx512(_mm512_add_ps(ld<M>(x + H, m), ld<M>(r + H, m)));
        const __m512 gp = _mm512_add_ps(ld<M>(x + 2 * H, m), ld<M>(r + 2 * H, m));
        const __m512 g = sigmoid_candidate ? sigmoid_avx512(gp) : tanh_avx512(gp);
        const __m512 o = sigmoid_avx512(_mm512_add_ps(ld<M>(x + 3 * H, m), ld<M>(r + 3 * H, m)));
        const __m512 cn = _mm512_fmadd_ps(f, ld<M>(cb, m), _mm512_mul_ps(i, g));
        store16_avx512<M>(cb, m, cn);
        store16_avx512<M>(hb, m, _mm512_mul_ps(o, tanh_avx512(cn)));
    }
};

// Reset after the matmul: n = tanh(gx_n + r*(gh_n + b_hn)); gx[B,3H], gh[B,3H], b_hn[H], h[B,H].
struct GruCell {
    int H;
    const float* gx;
    int64_t ldgx;
    const float* gh;
    int64_t ldgh;
    const float* b_hn;
    float* h;
    template <bool M>
    JRNN_AVX512_INLINE void run(int b, int j, __mmask16 m) const {
        const float* x = gx + b * ldgx + j;
        const float* r = gh + b * ldgh + j;
        float* hb = h + static_cast<int64_t>(b) * H + j;
        const __m512 rv = sigmoid_avx512(_mm512_add_ps(ld<M>(x, m), ld<M>(r, m)));
        const __m512 z = sigmoid_avx512(_mm512_add_ps(ld<M>(x + H, m), ld<M>(r + H, m)));
        const __m512 ghn = _mm512_add_ps(ld<M>(r + 2 * H, m), ld<M>(b_hn + j, m));
        const __m512 n = tanh_avx512(_mm512_fmadd_ps(rv, ghn, ld<M>(x + 2 * H, m)));
        store16_avx512<M>(hb, m, gru_blend_avx512(z, n, ld<M>(hb, m)));
    }
};

// Reset before the matmul, phase 1: z and r*h; gx[B,3H] (r, z read), gh[B,2H], h, z, rh [B,H].
struct GruGates {
    int H;
    const float* gx;
    int64_t ldgx;
    const float* gh;
    int64_t ldgh;
    const float* h;
    float* z;
    float* rh;
    template <bool M>
    JRNN_AVX512_INLINE void run(int b, int j, __mmask16 m) const {
        const float* x = gx + b * ldgx + j;
        const float* r = gh + b * ldgh + j;
        const int64_t o = static_cast<int64_t>(b) * H + j;
        const __m512 rv = sigmoid_avx512(_mm512_add_ps(ld<M>(x, m), ld<M>(r, m)));
        const __m512 zv = sigmoid_avx512(_mm512_add_ps(ld<M>(x + H, m), ld<M>(r + H, m)));
        const __m512 hv = ld<M>(h + o, m);
        store16_avx512<M>(z + o, m, zv);
        store16_avx512<M>(rh + o, m, _mm512_mul_ps(rv, hv));
    }
};

// Phase 2: n = tanh(gx_n + ghn); h = (1-z)*n + z*h. gx_n[B,H] (ldgx), ghn[B,H] (ldgh), z, h [B,H].
struct GruUpdate {
    int H;
    const float* gx_n;
    int64_t ldgx;
    const float* ghn;
    int64_t ldgh;
    const float* z;
    float* h;
    template <bool M>
    JRNN_AVX512_INLINE void run(int b, int j, __mmask16 m) const {
        const int64_t o = static_cast<int64_t>(b) * H + j;
        const __m512 n = tanh_avx512(_mm512_add_ps(ld<M>(gx_n + b * ldgx + j, m), ld<M>(ghn + b * ldgh + j, m)));
        store16_avx512<M>(h + o, m, gru_blend_avx512(ld<M>(z + o, m), n, ld<M>(h + o, m)));
    }
};

// Elman: h = act(gx + gh); max(0, a) with a second returns a for NaN and keeps -0, as the reference's a < 0 ? 0 : a.
struct Elman {
    int H;
    const float* gx;
    int64_t ldgx;
    const float* gh;
    int64_t ldgh;
    float* h;
    bool relu;
    template <bool M>
    JRNN_AVX512_INLINE void run(int b, int j, __mmask16 m) const {
        const __m512 a = _mm512_add_ps(ld<M>(gx + b * ldgx + j, m), ld<M>(gh + b * ldgh + j, m));
        store16_avx512<M>(h + static_cast<int64_t>(b) * H + j, m,
                          relu ? _mm512_max_ps(_mm512_setzero_ps(), a) : tanh_avx512(a));
    }
};

}  // namespace

JRNN_AVX512 void lstm_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                    int64_t ldgh, float* c, float* h, const uint8_t* active, bool sigmoid_candidate) {
    for_cols_avx512(B, j0, j1, active, Lstm{H, gx, ldgx, gh, ldgh, c, h, sigmoid_candidate});
}

JRNN_AVX512 void gru_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                   int64_t ldgh, const float* b_hn, float* h, const uint8_t* active) {
    for_cols_avx512(B, j0, j1, active, GruCell{H, gx, ldgx, gh, ldgh, b_hn, h});
}

JRNN_AVX512 void gru_gates_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                    int64_t ldgh, const float* h, float* z, float* rh, const uint8_t* active) {
    for_cols_avx512(B, j0, j1, active, GruGates{H, gx, ldgx, gh, ldgh, h, z, rh});
}

JRNN_AVX512 void gru_update_cols_f32(int B, int H, int j0, int j1, const float* gx_n, int64_t ldgx,
                                     const float* ghn, int64_t ldgh, const float* z, float* h, const uint8_t* active) {
    for_cols_avx512(B, j0, j1, active, GruUpdate{H, gx_n, ldgx, ghn, ldgh, z, h});
}

JRNN_AVX512 void rnn_cell_cols_f32(int B, int H, int j0, int j1, const float* gx, int64_t ldgx, const float* gh,
                                   int64_t ldgh, float* h, const uint8_t* active, bool relu) {
    for_cols_avx512(B, j0, j1, active, Elman{H, gx, ldgx, gh, ldgh, h, relu});
}

JRNN_AVX512 void lstm_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* c,
                               float* h, const uint8_t* active, bool sigmoid_candidate) {
    lstm_cell_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, c, h, active, sigmoid_candidate);
}

JRNN_AVX512 void gru_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                              const float* b_hn, float* h, const uint8_t* active) {
    gru_cell_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, b_hn, h, active);
}

JRNN_AVX512 void gru_gates_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                               const float* h, float* z, float* rh, const uint8_t* active) {
    gru_gates_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, h, z, rh, active);
}

JRNN_AVX512 void gru_update_f32(int B, int H, const float* gx_n, int64_t ldgx, const float* ghn, int64_t ldgh,
                                const float* z, float* h, const uint8_t* active) {
    gru_update_cols_f32(B, H, 0, H, gx_n, ldgx, ghn, ldgh, z, h, active);
}

JRNN_AVX512 void rnn_cell_f32(int B, int H, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, float* h,
                              const uint8_t* active, bool relu) {
    rnn_cell_cols_f32(B, H, 0, H, gx, ldgx, gh, ldgh, h, active, relu);
}

}  // namespace jrnn::avx512
