// Attention scores and context vectors, AVX-512 twin of ref/attention_ref.cpp. Dot scores run four source
// positions at once (four accumulators); the additive term one (its tanh needs the registers); the context
// runs 64 columns at once. Tails are masked lanes that load as 0 and so add exactly 0.
#include "avx512/kernels_avx512.h"

namespace jrnn::avx512 {

namespace {

struct Additive {
    static constexpr bool kUsesV = true;
    static constexpr int kRows = 1;
    JRNN_AVX512_INLINE static __m512 term(__m512 q, __m512 k, __m512 v, __m512 acc) {
        return _mm512_fmadd_ps(v, tanh_avx512(_mm512_add_ps(q, k)), acc);
    }
};
struct Dot {
    static constexpr bool kUsesV = false;
    static constexpr int kRows = 4;
    JRNN_AVX512_INLINE static __m512 term(__m512 q, __m512 k, __m512 /*v*/, __m512 acc) {
        return _mm512_fmadd_ps(q, k, acc);
    }
};

#define JRNN_UNROLL _Pragma("GCC unroll 4")

// out[r] = score of q against rows[r*D .. r*D+D) for r < J. v is only read by Additive.
template <class Op, int J>
JRNN_AVX512_INLINE void score_rows_avx512(int D, const float* q, const float* rows, const float* v, float* out) {
    __m512 acc[J];
    JRNN_UNROLL for (int r = 0; r < J; ++r) acc[r] = _mm512_setzero_ps();
    const __m512 zero = _mm512_setzero_ps();
    int d = 0;
    for (; d + 16 <= D; d += 16) {
        const __m512 qv = _mm512_loadu_ps(q + d);
        const __m512 vv = Op::kUsesV ? _mm512_loadu_ps(v + d) : zero;
        JRNN_UNROLL for (int r = 0; r < J; ++r)
            acc[r] = Op::term(qv, _mm512_loadu_ps(rows + static_cast<int64_t>(r) * D + d), vv, acc[r]);
    }
    if (d < D) {
        const __mmask16 m = mask_first_avx512(D - d);
        const __m512 qv = _mm512_maskz_loadu_ps(m, q + d);
        const __m512 vv = Op::kUsesV ? _mm512_maskz_loadu_ps(m, v + d) : zero;
        JRNN_UNROLL for (int r = 0; r < J; ++r)
            acc[r] = Op::term(qv, _mm512_maskz_loadu_ps(m, rows + static_cast<int64_t>(r) * D + d), vv, acc[r]);
    }
    JRNN_UNROLL for (int r = 0; r < J; ++r) out[r] = _mm512_reduce_add_ps(acc[r]);
}

template <class Op>
JRNN_AVX512_INLINE void scores_avx512(int M, int S, int D, const float* q, const float* rows, const float* v,
                                      float* scores) {
    for (int i = 0; i < M; ++i) {
        const float* qi = q + static_cast<int64_t>(i) * D;
        float* si = scores + static_cast<int64_t>(i) * S;
        int j = 0;
        constexpr int J = Op::kRows;
        for (; j + J <= S; j += J) score_rows_avx512<Op, J>(D, qi, rows + static_cast<int64_t>(j) * D, v, si + j);
        for (; j < S; ++j) score_rows_avx512<Op, 1>(D, qi, rows + static_cast<int64_t>(j) * D, v, si + j);
    }
}

// ctx[0:16U) (the last vector masked by tail) = sum_j alpha[j] * mem[j, ...], mem row stride ldm.
template <int U, bool Masked>
JRNN_AVX512_INLINE void context_cols_avx512(int S, const float* alpha, const float* mem, int64_t ldm, float* ctx,
                                            __mmask16 tail) {
    __m512 acc[U];
    JRNN_UNROLL for (int u = 0; u < U; ++u) acc[u] = _mm512_setzero_ps();
    for (int j = 0; j < S; ++j) {
        const __m512 w = _mm512_set1_ps(alpha[j]);
        const float* mj = mem + static_cast<int64_t>(j) * ldm;
        JRNN_UNROLL for (int u = 0; u < U; ++u)
            acc[u] = _mm512_fmadd_ps(w, load16_avx512<Masked>(mj + 16 * u, tail), acc[u]);
    }
    JRNN_UNROLL for (int u = 0; u < U; ++u) store16_avx512<Masked>(ctx + 16 * u, tail, acc[u]);
}

#undef JRNN_UNROLL

}  // namespace

JRNN_AVX512 void attn_additive_f32(int M, int S, int A, const float* qproj, const float* keys, const float* v,
                                   float* scores) {
    scores_avx512<Additive>(M, S, A, qproj, keys, v, scores);
}

JRNN_AVX512 void attn_dot_f32(int M, int S, int Dm, const float* q, const float* mem, float* scores) {
    scores_avx512<Dot>(M, S, Dm, q, mem, nullptr, scores);
}

JRNN_AVX512 void attn_context_f32(int M, int S, int Dm, const float* alpha, const float* mem, float* ctx) {
    const __mmask16 all = 0xFFFF;
    for (int i = 0; i < M; ++i) {
        const float* ai = alpha + static_cast<int64_t>(i) * S;
        float* ci = ctx + static_cast<int64_t>(i) * Dm;
        int d = 0;
        for (; d + 64 <= Dm; d += 64) context_cols_avx512<4, false>(S, ai, mem + d, Dm, ci + d, all);
        for (; d + 16 <= Dm; d += 16) context_cols_avx512<1, false>(S, ai, mem + d, Dm, ci + d, all);
        if (d < Dm) context_cols_avx512<1, true>(S, ai, mem + d, Dm, ci + d, mask_first_avx512(Dm - d));
    }
}

}  // namespace jrnn::avx512
