// Attention scores and context vectors (scalar, the spec). Row-major: qproj/q[M,*], keys/mem[S,*],
// scores/alpha[M,S], ctx[M,Dm].
#include "ref/kernels_ref.h"

namespace jrnn::ref {

// scores[i,j] = sum_a v[a] * tanh(qproj[i,a] + keys[j,a])
void attn_additive_f32(int M, int S, int A, const float* qproj, const float* keys, const float* v, float* scores) {
    for (int i = 0; i < M; ++i) {
        const float* q = qproj + static_cast<int64_t>(i) * A;
        for (int j = 0; j < S; ++j) {
            const float* k = keys + static_cast<int64_t>(j) * A;
            float acc = 0.0f;
            for (int a = 0; a < A; ++a) acc += v[a] * std::tanh(q[a] + k[a]);
            scores[static_cast<int64_t>(i) * S + j] = acc;
        }
    }
}

// scores[i,j] = q[i,:] . mem[j,:]
void attn_dot_f32(int M, int S, int Dm, const float* q, const float* mem, float* scores) {
    for (int i = 0; i < M; ++i) {
        const float* qi = q + static_cast<int64_t>(i) * Dm;
        for (int j = 0; j < S; ++j) {
            const float* mj = mem + static_cast<int64_t>(j) * Dm;
            float acc = 0.0f;
            for (int d = 0; d < Dm; ++d) acc += qi[d] * mj[d];
            scores[static_cast<int64_t>(i) * S + j] = acc;
        }
    }
}

// ctx[i,:] = sum_j alpha[i,j] * mem[j,:]
void attn_context_f32(int M, int S, int Dm, const float* alpha, const float* mem, float* ctx) {
    for (int i = 0; i < M; ++i) {
        float* ci = ctx + static_cast<int64_t>(i) * Dm;
        for (int d = 0; d < Dm; ++d) ci[d] = 0.0f;
        for (int j = 0; j < S; ++j) {
            const float w = alpha[static_cast<int64_t>(i) * S + j];
            const float* mj = mem + static_cast<int64_t>(j) * Dm;
            for (int d = 0; d < Dm; ++d) ci[d] += w * mj[d];
        }
    }
}

}  // namespace jrnn::ref
