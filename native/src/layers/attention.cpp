// The attention scores and context vectors of jrnn.h: the dispatched kernels (kernels.h) for a few rows,
// OpenBLAS for more.
#include <cblas.h>

#include "jrnn/jrnn.h"
#include "kernels.h"
#include "layers/blocks.h"

extern "C" {

int jrnn_attn_additive_f32(int m, int s, int a, const float* qproj, const float* keys, const float* v,
                           float* scores) {
    if (m < 0 || s < 0 || a < 0) return JRNN_ERR_ARG;
    if (m == 0 || s == 0) return JRNN_OK;
    if (!scores || (a > 0 && (!qproj || !keys || !v))) return JRNN_ERR_ARG;
    jrnn::kernels().attn_additive_f32(m, s, a, qproj, keys, v, scores);
    return JRNN_OK;
}

int jrnn_attn_dot_f32(int m, int s, int dm, const float* q, const float* mem, float* scores) {
    if (m < 0 || s < 0 || dm < 0) return JRNN_ERR_ARG;
    if (m == 0 || s == 0) return JRNN_OK;
    if (!scores || (dm > 0 && (!q || !mem))) return JRNN_ERR_ARG;
    if (m > jrnn::kSmallRows && dm > 0) {  // scores[M,S] = q[M,Dm] . mem[S,Dm]^T
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, s, dm, 1.0f, q, dm, mem, dm, 0.0f, scores, s);
    } else {
        jrnn::kernels().attn_dot_f32(m, s, dm, q, mem, scores);
    }
    return JRNN_OK;
}

int jrnn_attn_context_f32(int m, int s, int dm, const float* alpha, const float* mem, float* ctx) {
    if (m < 0 || s < 0 || dm < 0) return JRNN_ERR_ARG;
    if (m == 0 || dm == 0) return JRNN_OK;
    if (!ctx || (s > 0 && (!alpha || !mem))) return JRNN_ERR_ARG;
    if (m > jrnn::kSmallRows && s > 0) {  // ctx[M,Dm] = alpha[M,S] . mem[S,Dm]
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, dm, s, 1.0f, alpha, s, mem, dm, 0.0f, ctx, dm);
    } else {
        jrnn::kernels().attn_context_f32(m, s, dm, alpha, mem, ctx);
    }
    return JRNN_OK;
}

}  // extern "C"
