// One native call per step of a whole model (io.jrnn.SequenceModel streams and generation): embedding lookup ->
// one step of a unidirectional recurrent stack -> head layers with their activations -> softmax / log-softmax.
// The step object only points at parts that other handles own (the stack, the linear layers, the embedding
// table); the Java side holds every part's lock across the call, so none is freed under it. jrnn_seqstep_run_rows
// is the same step over states the caller keeps one row each (io.jrnn.SequenceModel#step: per-key state held
// outside jrnn, e.g. in a stream processor's keyed state).
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

#include "jrnn/jrnn.h"
#include "layers/recurrent.h"

struct jrnn_seqstep {
    const jrnn_rnn* rnn = nullptr;
    int in = 0, hout = 0;              // the stack's input size and output size
    const float* table = nullptr;      // [vocab, in] or nullptr (float input)
    int vocab = 0;
    struct Head {
        const jrnn_linear* lin = nullptr;
        int n = 0, k = 0, activation = JRNN_ACT_NONE;
    };
    std::vector<Head> heads;
    int output = JRNN_OUT_NONE;
};

namespace {

void activate(int a, float* p, int64_t n) {
    switch (a) {
        case JRNN_ACT_TANH: jrnn_tanh_f32(p, p, n); break;
        case JRNN_ACT_RELU: jrnn_relu_f32(p, p, n); break;
        case JRNN_ACT_SIGMOID: jrnn_sigmoid_f32(p, p, n); break;
        default: break;
    }
}

// Floats of one row's state: every layer's h (Hout each), then every layer's c (H each) for an LSTM.
int64_t row_state_floats(const jrnn_rnn* r) {
    return static_cast<int64_t>(r->L) * r->Hout + (r->lstm() ? static_cast<int64_t>(r->L) * r->H : 0);
}

int step(const jrnn_seqstep* s, int B, const int32_t* ids, const float* x, float* h, float* c, float* scratch,
         float* out, int apply_output, int options) {
    const bool invariant = (options & JRNN_RUN_BATCH_INVARIANT) != 0;
    float* xin = scratch;                                   // [B, in]
    float* y = xin + static_cast<int64_t>(B) * s->in;       // [B, hout]
    float* buf = y + static_cast<int64_t>(B) * s->hout;     // the head layers' outputs, one after another
    if (s->table) {
        const int rc = jrnn_gather_rows_f32(s->table, s->vocab, s->in, ids, B, xin);
        if (rc != JRNN_OK) return rc;
        x = xin;
    }
    int rc = jrnn_rnn_step_ex(s->rnn, B, x, h, c, y, options);
    if (rc != JRNN_OK) return rc;
    const float* cur = y;
    int width = s->hout;
    for (size_t i = 0; i < s->heads.size(); ++i) {
        const auto& hd = s->heads[i];
        float* dst = i + 1 == s->heads.size() ? out : buf;
        rc = jrnn_linear_forward_ex(hd.lin, B, cur, hd.k, dst, hd.n, options);
        if (rc != JRNN_OK) return rc;
        if (invariant) {  // row by row: an element's value must not depend on where the vector loop's tail falls
            for (int b = 0; b < B; ++b) activate(hd.activation, dst + static_cast<int64_t>(b) * hd.n, hd.n);
        } else {
            activate(hd.activation, dst, static_cast<int64_t>(B) * hd.n);
        }
        cur = dst;
        width = hd.n;
        buf += static_cast<int64_t>(B) * hd.n;
    }
    if (s->heads.empty()) std::memcpy(out, y, sizeof(float) * static_cast<size_t>(B) * s->hout);
    if (apply_output && s->output == JRNN_OUT_SOFTMAX) return jrnn_softmax_f32(B, width, out, nullptr, out);
    if (apply_output && s->output == JRNN_OUT_LOG_SOFTMAX) return jrnn_log_softmax_f32(B, width, out, nullptr, out);
    return JRNN_OK;
}

}  // namespace

extern "C" {

jrnn_seqstep* jrnn_seqstep_create(const jrnn_rnn* rnn, int input_size, int output_size, const float* table,
                                  int vocab, int num_heads, int output) {
    if (!rnn || input_size < 1 || output_size < 1 || num_heads < 0 || (table && vocab < 1) ||
        output < JRNN_OUT_NONE || output > JRNN_OUT_LOG_SOFTMAX)
        return nullptr;
    jrnn_seqstep* s = new (std::nothrow) jrnn_seqstep();
    if (!s) return nullptr;
    try {
        s->heads.resize(static_cast<size_t>(num_heads));
    } catch (const std::bad_alloc&) {
        delete s;
        return nullptr;
    }
    s->rnn = rnn;
    s->in = input_size;
    s->hout = output_size;
    s->table = table;
    s->vocab = vocab;
    s->output = output;
    return s;
}

int jrnn_seqstep_set_head(jrnn_seqstep* s, int i, const jrnn_linear* lin, int n, int k, int activation) {
    if (!s || i < 0 || i >= static_cast<int>(s->heads.size()) || !lin || n < 1 || k < 1 ||
        activation < JRNN_ACT_NONE || activation > JRNN_ACT_SIGMOID)
        return JRNN_ERR_ARG;
    const int want = i == 0 ? s->hout : s->heads[static_cast<size_t>(i) - 1].n;
    if (i > 0 && want == 0) return JRNN_ERR_STATE;  // heads are set in order
    if (k != want) return JRNN_ERR_ARG;
    s->heads[static_cast<size_t>(i)] = {lin, n, k, activation};
    return JRNN_OK;
}

void jrnn_seqstep_destroy(jrnn_seqstep* s) { delete s; }

int jrnn_seqstep_scratch_floats(const jrnn_seqstep* s, int B, int64_t* floats) {
    if (!s || B < 1 || !floats) return JRNN_ERR_ARG;
    int64_t n = static_cast<int64_t>(B) * (s->in + s->hout);
    for (const auto& h : s->heads) n += static_cast<int64_t>(B) * h.n;
    *floats = n;
    return JRNN_OK;
}

int jrnn_seqstep_run(const jrnn_seqstep* s, int B, const int32_t* ids, const float* x, float* h, float* c,
                     float* scratch, float* out, int apply_output) {
    if (!s || B < 1 || !h || !scratch || !out || (s->table ? !ids : !x)) return JRNN_ERR_ARG;
    for (const auto& hd : s->heads)
        if (!hd.lin) return JRNN_ERR_STATE;
    return step(s, B, ids, x, h, c, scratch, out, apply_output, 0);
}

int jrnn_seqstep_state_floats(const jrnn_seqstep* s, int64_t* floats) {
    if (!s || !floats) return JRNN_ERR_ARG;
    *floats = row_state_floats(s->rnn);
    return JRNN_OK;
}

int jrnn_seqstep_rows_scratch_floats(const jrnn_seqstep* s, int B, int64_t* floats) {
    int64_t n = 0;
    const int rc = jrnn_seqstep_scratch_floats(s, B, &n);
    if (rc != JRNN_OK || !floats) return rc != JRNN_OK ? rc : JRNN_ERR_ARG;
    *floats = n + static_cast<int64_t>(B) * row_state_floats(s->rnn);
    return JRNN_OK;
}

int jrnn_seqstep_run_rows(const jrnn_seqstep* s, int B, const int32_t* ids, const float* x, float* states,
                          float* scratch, float* out, int options) {
    if (!s || B < 1 || !states || !scratch || !out || (s->table ? !ids : !x) ||
        (options & ~(JRNN_RUN_BATCH_INVARIANT | JRNN_ROWS_LAYERED)))
        return JRNN_ERR_ARG;
    for (const auto& hd : s->heads)
        if (!hd.lin) return JRNN_ERR_STATE;
    const jrnn_rnn* r = s->rnn;
    if (r->D != 1) return JRNN_ERR_ARG;
    const int L = r->L, Hout = r->Hout, H = r->H;
    const int step_options = options & JRNN_RUN_BATCH_INVARIANT;
    if (options & JRNN_ROWS_LAYERED) {
        // The caller wrote the rows straight into the stack's layout (io.jrnn.RowStepper does, from its Java
        // arrays): no gather and scatter here, which were 12% of a 256-row step of the Flink example's LSTM 128.
        float* c = r->lstm() ? states + static_cast<int64_t>(L) * B * Hout : nullptr;
        return step(s, B, ids, x, states, c, scratch, out, 1, step_options);
    }
    const int64_t S = row_state_floats(r);
    int64_t base = 0;
    jrnn_seqstep_scratch_floats(s, B, &base);
    // The stack's layout, h[L,B,Hout] then c[L,B,H], after the step's own scratch.
    float* h = scratch + base;
    float* c = r->lstm() ? h + static_cast<int64_t>(L) * B * Hout : nullptr;
    for (int b = 0; b < B; ++b) {
        const float* row = states + b * S;
        for (int l = 0; l < L; ++l) {
            std::memcpy(h + (static_cast<int64_t>(l) * B + b) * Hout, row + static_cast<int64_t>(l) * Hout,
                        sizeof(float) * Hout);
            if (c)
                std::memcpy(c + (static_cast<int64_t>(l) * B + b) * H,
                            row + static_cast<int64_t>(L) * Hout + static_cast<int64_t>(l) * H, sizeof(float) * H);
        }
    }
    const int rc = step(s, B, ids, x, h, c, scratch, out, 1, step_options);
    if (rc != JRNN_OK && rc != JRNN_ERR_ARG) return rc;  // ERR_ARG: the softmax's all -inf row; the states moved on
    for (int b = 0; b < B; ++b) {
        float* row = states + b * S;
        for (int l = 0; l < L; ++l) {
            std::memcpy(row + static_cast<int64_t>(l) * Hout, h + (static_cast<int64_t>(l) * B + b) * Hout,
                        sizeof(float) * Hout);
            if (c)
                std::memcpy(row + static_cast<int64_t>(L) * Hout + static_cast<int64_t>(l) * H,
                            c + (static_cast<int64_t>(l) * B + b) * H, sizeof(float) * H);
        }
    }
    return rc;
}

}  // extern "C"
