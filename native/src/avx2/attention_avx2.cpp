// Attention scores and context vectors, AVX2 twin of ref/attention_ref.cpp. Dot scores run four source
// positions at once (four accumulators, one combined horizontal sum); the context runs 32 columns at once.
#include "avx2/kernels_avx2.h"

namespace jrnn::avx2 {

namespace {

// Lane r of the result = the sum of the 8 lanes of a_r.
JRNN_AVX2_INLINE __m128 hsum4_avx2(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

JRNN_AVX2_INLINE float hsum_avx2(__m256 a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// The score terms of one block of 8 columns: additive v*tanh(q+k), dot q*k. kRows source positions run at
// once: four for the cheap dot, which is load-bound; one for the additive term, whose tanh needs most of the
// 16 ymm registers (four at once spill to the stack; one runs at the speed of tanh_f32 over the same count).
struct Additive {
    static constexpr bool kUsesV = true;
    static constexpr int kRows = 1;
    JRNN_AVX2_INLINE static __m256 term(__m256 q, __m256 k, __m256 v, __m256 acc) {
        return _mm256_fmadd_ps(v, tanh_avx2(_mm256_add_ps(q, k)), acc);
    }
};
struct Dot {
    static constexpr bool kUsesV = false;
    static constexpr int kRows = 4;
    JRNN_AVX2_INLINE static __m256 term(__m256 q, __m256 k, __m256 /*v*/, __m256 acc) {
        return _mm256_fmadd_ps(q, k, acc);
    }
};

// Fixed-trip loops over accumulators unrolled explicitly, so the accumulators stay in registers.
#define JRNN_UNROLL _Pragma("GCC unroll 4")

// out[r] = score of q against rows[r*D .. r*D+D) for r < J (J = 1, 2 or 4). v is only read by Additive.
// Tail lanes load as 0: q + k = 0, tanh(0) = 0 and v = 0, so they add exactly 0.
template <class Op, int J>
JRNN_AVX2_INLINE void score_rows_avx2(int D, const float* q, const float* rows, const float* v, float* out) {
    __m256 acc[J];
    JRNN_UNROLL for (int r = 0; r < J; ++r) acc[r] = _mm256_setzero_ps();
    const __m256 zero = _mm256_setzero_ps();
    int d = 0;
    for (; d + 8 <= D; d += 8) {
        const __m256 qv = _mm256_loadu_ps(q + d);
        const __m256 vv = Op::kUsesV ? _mm256_loadu_ps(v + d) : zero;
        JRNN_UNROLL for (int r = 0; r < J; ++r)
            acc[r] = Op::term(qv, _mm256_loadu_ps(rows + static_cast<int64_t>(r) * D + d), vv, acc[r]);
    }
    if (d < D) {
        const __m256i m = mask_first_avx2(D - d);
        const __m256 qv = _mm256_maskload_ps(q + d, m);
        const __m256 vv = Op::kUsesV ? _mm256_maskload_ps(v + d, m) : zero;
        JRNN_UNROLL for (int r = 0; r < J; ++r)
            acc[r] = Op::term(qv, _mm256_maskload_ps(rows + static_cast<int64_t>(r) * D + d, m), vv, acc[r]);
    }
    if constexpr (J == 4) {
        _mm_storeu_ps(out, hsum4_avx2(acc[0], acc[1], acc[2], acc[3]));
    } else {
        JRNN_UNROLL for (int r = 0; r < J; ++r) out[r] = hsum_avx2(acc[r]);
    }
}

// scores[M,S] from q[M,D] against rows[S,D].
template <class Op>
JRNN_AVX2_INLINE void scores_avx2(int M, int S, int D, const float* q, const float* rows, const float* v,
                                  float* scores) {
    for (int i = 0; i < M; ++i) {
        const float* qi = q + static_cast<int64_t>(i) * D;
        float* si = scores + static_cast<int64_t>(i) * S;
        int j = 0;
        constexpr int J = Op::kRows;
        for (; j + J <= S; j += J) score_rows_avx2<Op, J>(D, qi, rows + static_cast<int64_t>(j) * D, v, si + j);
        for (; j < S; ++j) score_rows_avx2<Op, 1>(D, qi, rows + static_cast<int64_t>(j) * D, v, si + j);
    }
}

// ctx[0:len) (len 1..8 per vector, U vectors) = sum_j alpha[j] * mem[j, 0:len), mem row stride ldm.
template <int U, bool Masked>
JRNN_AVX2_INLINE void context_cols_avx2(int S, const float* alpha, const float* mem, int64_t ldm, float* ctx,
                                        __m256i tail) {
    __m256 acc[U];
    JRNN_UNROLL for (int u = 0; u < U; ++u) acc[u] = _mm256_setzero_ps();
    for (int j = 0; j < S; ++j) {
        const __m256 w = _mm256_broadcast_ss(alpha + j);
        const float* mj = mem + static_cast<int64_t>(j) * ldm;
        JRNN_UNROLL for (int u = 0; u < U; ++u)
            acc[u] = _mm256_fmadd_ps(w, load8_avx2<Masked>(mj + 8 * u, tail), acc[u]);
    }
    JRNN_UNROLL for (int u = 0; u < U; ++u) store8_avx2<Masked>(ctx + 8 * u, tail, acc[u]);
}

#undef JRNN_UNROLL

}  // namespace

JRNN_AVX2 void attn_additive_f32(int M, int S, int A, const float* qproj, const float* keys, const float* v,
                                 float* scores) {
    scores_avx2<Additive>(M, S, A, qproj, keys, v, scores);
}

JRNN_AVX2 void attn_dot_f32(int M, int S, int Dm, const float* q, const float* mem, float* scores) {
    scores_avx2<Dot>(M, S, Dm, q, mem, nullptr, scores);
}

JRNN_AVX2 void attn_context_f32(int M, int S, int Dm, const float* alpha, const float* mem, float* ctx) {
    const __m256i none = _mm256_setzero_si256();
    for (int i = 0; i < M; ++i) {
        const float* ai = alpha + static_cast<int64_t>(i) * S;
        float* ci = ctx + static_cast<int64_t>(i) * Dm;
        int d = 0;
        for (; d + 32 <= Dm; d += 32) context_cols_avx2<4, false>(S, ai, mem + d, Dm, ci + d, none);
        for (; d + 8 <= Dm; d += 8) context_cols_avx2<1, false>(S, ai, mem + d, Dm, ci + d, none);
        if (d < Dm) context_cols_avx2<1, true>(S, ai, mem + d, Dm, ci + d, mask_first_avx2(Dm - d));
    }
}

}  // namespace jrnn::avx2
