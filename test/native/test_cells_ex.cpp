// The general cell passes (ONNX-style options: activations, clip, input_forget, LSTM peepholes): every supported
// ISA against the ref spec on random inputs for H in {1,3,8,16,17,33,64}, B in {1,2,5}, padded row strides,
// moderate (|pre-activation| <= 4) and saturating (<= 40) inputs, all rows active or a mask; each of the eleven
// activation functions as f, g and h, with and without clip, input_forget and peepholes.
// Tolerance: 2e-6 * max(1, |ref|) * max(1, scale / 4). The vector exp, sigmoid and tanh are ~1e-7 from libm
// (test_activation); unbounded activations (Affine, LeakyRelu, ScaledTanh, ...) as gates then multiply that error
// by factors up to the inputs' magnitude (|1 - z|, |W_hn h + b_hn|, ...), so the bound grows with the scale.
// Rows with active[b] == 0 stay bit for bit, nothing outside [B,H] is written, the column-range calls give the
// bits of the full pass; with PyTorch's activations and no other option
// the ref general passes give the bits of the fused ref passes.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "cell_fixture.h"
#include "check.h"
#include "kernels.h"
#include "ref/kernels_ref.h"

namespace {

using namespace cell_fixture;

constexpr double kTol = 2e-6;

enum class Cell { kLstm, kGru, kGruTwoPhase, kRnn };
const char* name_of(Cell c) {
    switch (c) {
        case Cell::kLstm: return "lstm";
        case Cell::kGru: return "gru";
        case Cell::kGruTwoPhase: return "gru(reset before)";
        case Cell::kRnn: return "rnn";
    }
    return "?";
}
int gates_of(Cell c) { return c == Cell::kLstm ? 4 : c == Cell::kRnn ? 1 : 3; }

// An activation with parameters away from the identity, so that a wrong alpha or beta shows.
jrnn::ActFn fn(int kind) {
    switch (kind) {
        case jrnn::kActHardSigmoid: return {kind, 0.2f, 0.5f};
        case jrnn::kActElu: return {kind, 1.3f, 0.0f};
        case jrnn::kActAffine: return {kind, 0.8f, -0.1f};
        case jrnn::kActLeakyRelu: return {kind, 0.07f, 0.0f};
        case jrnn::kActThresholdedRelu: return {kind, 0.3f, 0.0f};
        case jrnn::kActScaledTanh: return {kind, 1.7f, 0.6f};
        default: return {kind, 0.0f, 0.0f};
    }
}

// Columns [j0, j1) of the pass, or the whole pass.
void run_cols(Cell cell, const jrnn::KernelTable& t, const Inputs& in, const jrnn::CellOptions& o, States& st, int j0,
              int j1) {
    const uint8_t* act = in.active.empty() ? nullptr : in.active.data();
    const int B = in.B, H = in.H;
    switch (cell) {
        case Cell::kLstm:
            t.lstm_cell_ex_cols_f32(B, H, j0, j1, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.c.data(),
                                    st.h.data(), act, o);
            break;
        case Cell::kGru:
            t.gru_cell_ex_cols_f32(B, H, j0, j1, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, in.b_hn.data(),
                                   st.h.data(), act, o);
            break;
        case Cell::kGruTwoPhase:
            t.gru_gates_ex_cols_f32(B, H, j0, j1, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.h.data(),
                                    st.z.data(), st.rh.data(), act, o);
            t.gru_update_ex_cols_f32(B, H, j0, j1, in.gx.data() + 2 * H, in.ldgx, in.ghn.data(), in.ldghn,
                                     st.z.data(), st.h.data(), act, o);
            break;
        case Cell::kRnn:
            t.rnn_cell_ex_cols_f32(B, H, j0, j1, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.h.data(), act, o);
            break;
    }
}

// The fused PyTorch pass of the same cell (sigmoid gates, tanh candidate and h; RNN tanh).
void run_fused(Cell cell, const jrnn::KernelTable& t, const Inputs& in, States& st) {
    const uint8_t* act = in.active.empty() ? nullptr : in.active.data();
    const int B = in.B, H = in.H;
    switch (cell) {
        case Cell::kLstm:
            t.lstm_cell_f32(B, H, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.c.data(), st.h.data(), act, false);
            break;
        case Cell::kGru:
            t.gru_cell_f32(B, H, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, in.b_hn.data(), st.h.data(), act);
            break;
        case Cell::kGruTwoPhase:
            t.gru_gates_f32(B, H, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.h.data(), st.z.data(),
                            st.rh.data(), act);
            t.gru_update_f32(B, H, in.gx.data() + 2 * H, in.ldgx, in.ghn.data(), in.ldghn, st.z.data(), st.h.data(),
                             act);
            break;
        case Cell::kRnn:
            t.rnn_cell_f32(B, H, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.h.data(), act, false);
            break;
    }
}

Inputs make_inputs(Cell cell, int B, int H, float scale, bool masked, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const int G = gates_of(cell);
    const int gh_width = cell == Cell::kGruTwoPhase ? 2 * H : G * H;
    Inputs in{B, H, G * H + 5, gh_width + 3, H + 2, {}, {}, {}, {}, {}, {}};
    fill_rows(in.gx, B, in.ldgx, G * H, 0.5f * scale, rng);
    fill_rows(in.gh, B, in.ldgh, gh_width, 0.5f * scale, rng);
    fill_rows(in.ghn, B, in.ldghn, H, 0.5f * scale, rng);
    in.b_hn.resize(H);
    for (float& v : in.b_hn) v = u(rng);
    in.peep.resize(3 * H);
    for (float& v : in.peep) v = u(rng);
    if (masked) in.active = mask_of(B);
    return in;
}

double worst_moderate = 0, worst_saturating = 0;

void run_case(Cell cell, const jrnn::CellOptions& o0, const char* what, int B, int H, float scale, bool masked,
              std::mt19937& rng) {
    const Inputs in = make_inputs(cell, B, H, scale, masked, rng);
    jrnn::CellOptions o = o0;
    if (o.peep) o.peep = in.peep.data();
    const States init = make_states(B, H, rng);
    States ref = init;
    run_cols(cell, jrnn::ref::kTable, in, o, ref, 0, H);
    Diff dref;
    compare_states(ref, ref, init, in, true, dref);
    CHECK(dref.inactive_changed == 0 && dref.spilled == 0,
          "ref %s [%s] B=%d H=%d: %d inactive values changed, %d spilled", name_of(cell), what, B, H,
          dref.inactive_changed, dref.spilled);
    for (const jrnn::Isa* isa : jrnn_test::supported_isas()) {
        if (isa->table == &jrnn::ref::kTable) continue;
        States got = init;
        Diff d;
        run_cols(cell, *isa->table, in, o, got, 0, H);
        compare_states(got, ref, init, in, true, d);
        const double tol = kTol * std::fmax(1.0, scale / 4.0);
        CHECK(d.max_err <= tol && d.inactive_changed == 0 && d.spilled == 0,
              "%s %s [%s] B=%d H=%d scale=%g mask=%d: max |simd - ref| / max(1, |ref|) = %.3g (tol %.1g), %d inactive "
              "values changed, %d spilled",
              isa->name, name_of(cell), what, B, H, scale, masked, d.max_err, tol, d.inactive_changed, d.spilled);
        double& worst = scale > 4.0f ? worst_saturating : worst_moderate;
        worst = std::fmax(worst, d.max_err);
    }
    for (const jrnn::Isa* isa : jrnn_test::supported_isas()) {
        States full = init;
        run_cols(cell, *isa->table, in, o, full, 0, H);
        for (int a : {H / 3, H >= 16 ? 16 : H / 2}) {
            const int b2 = a + (H - a) / 2;
            States parts = init;
            run_cols(cell, *isa->table, in, o, parts, 0, a);
            run_cols(cell, *isa->table, in, o, parts, a, b2);
            run_cols(cell, *isa->table, in, o, parts, b2, H);
            CHECK(same_states(parts, full), "%s %s [%s] B=%d H=%d cols split at %d: not the bits of the full pass",
                  isa->name, name_of(cell), what, B, H, a);
        }
    }
}

// The general ref pass with PyTorch's functions and no option is the fused ref pass, bit for bit.
void check_defaults_match_fused(Cell cell, int B, int H, std::mt19937& rng) {
    const Inputs in = make_inputs(cell, B, H, 4.0f, false, rng);
    jrnn::CellOptions o;
    o.f = fn(jrnn::kActSigmoid);
    o.g = fn(jrnn::kActTanh);
    o.h = fn(jrnn::kActTanh);
    if (cell == Cell::kRnn) o.f = fn(jrnn::kActTanh);
    const States init = make_states(B, H, rng);
    States ex = init, fused = init;
    run_cols(cell, jrnn::ref::kTable, in, o, ex, 0, H);
    run_fused(cell, jrnn::ref::kTable, in, fused);
    CHECK(same_states(ex, fused), "ref %s B=%d H=%d: the general pass with defaults is not the fused pass",
          name_of(cell), B, H);
}

}  // namespace

int main() {
    std::mt19937 rng(777);
    const Cell cells[] = {Cell::kLstm, Cell::kGru, Cell::kGruTwoPhase, Cell::kRnn};
    for (Cell cell : cells)
        for (int H : {1, 17, 33})
            for (int B : {1, 5}) check_defaults_match_fused(cell, B, H, rng);
    // Option sets: activation i as f, i+3 as g, i+7 as h (each kind in each role), clip on every other set,
    // input_forget and peepholes on some (LSTM only; the other cells ignore them).
    for (Cell cell : cells)
        for (int i = 0; i < jrnn::kActCount; ++i) {
            jrnn::CellOptions o;
            o.f = fn(i);
            o.g = fn((i + 3) % jrnn::kActCount);
            o.h = fn((i + 7) % jrnn::kActCount);
            o.clip = i % 2 ? 1.5f : 0.0f;
            const bool lstm = cell == Cell::kLstm;
            o.input_forget = lstm && i % 4 == 1;
            const bool peep = lstm && i % 3 != 2;
            o.peep = peep ? reinterpret_cast<const float*>(&o) : nullptr;  // replaced by the case's own peepholes
            char what[96];
            std::snprintf(what, sizeof what, "f=%d g=%d h=%d clip=%g input_forget=%d peepholes=%d", o.f.kind, o.g.kind,
                          o.h.kind, o.clip, o.input_forget, peep);
            for (int H : {1, 3, 8, 16, 17, 33, 64})
                for (int B : {1, 2, 5})
                    for (float scale : {4.0f, 40.0f})
                        for (bool masked : {false, true}) run_case(cell, o, what, B, H, scale, masked, rng);
        }
    std::printf("cells_ex: max |simd - ref| / max(1, |ref|) over all cases and ISAs: %.3g at scale 4, %.3g at 40\n",
                worst_moderate, worst_saturating);
    return jrnn_test::finish();
}
