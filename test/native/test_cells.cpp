// Fused cell passes: every supported ISA against the ref spec on random inputs (lstm tanh/sigmoid candidate, gru reset-after,
// gru reset-before in two phases, rnn tanh/relu) for H in {1,3,8,17,33,64}, B in {1,2,5}, padded row strides,
// moderate (|pre-activation| <= 4) and saturating (<= 40) inputs, all rows active or a mask.
// Tolerance: 2e-6 absolute on every state and output (activations are ~1e-7 apart; c adds two products);
// relu exact. Rows with active[b] == 0 must stay bit for bit, nothing outside [B,H] may be written (both paths).
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

// One ISA's cell kernels.
struct CellFns {
    decltype(jrnn::KernelTable::lstm_cell_f32) lstm;
    decltype(jrnn::KernelTable::gru_cell_f32) gru;
    decltype(jrnn::KernelTable::gru_gates_f32) gru_gates;
    decltype(jrnn::KernelTable::gru_update_f32) gru_update;
    decltype(jrnn::KernelTable::rnn_cell_f32) rnn;
};

CellFns fns_of(const jrnn::KernelTable& t) {
    return {t.lstm_cell_f32, t.gru_cell_f32, t.gru_gates_f32, t.gru_update_f32, t.rnn_cell_f32};
}
const CellFns kRef = fns_of(jrnn::ref::kTable);

enum class Cell { kLstmTanh, kLstmSigmoid, kGru, kGruTwoPhase, kRnnTanh, kRnnRelu };
const char* name_of(Cell c) {
    switch (c) {
        case Cell::kLstmTanh: return "lstm";
        case Cell::kLstmSigmoid: return "lstm(sigmoid g)";
        case Cell::kGru: return "gru";
        case Cell::kGruTwoPhase: return "gru(reset before)";
        case Cell::kRnnTanh: return "rnn(tanh)";
        case Cell::kRnnRelu: return "rnn(relu)";
    }
    return "?";
}
int gates_of(Cell c) {
    return c == Cell::kLstmTanh || c == Cell::kLstmSigmoid ? 4 : c == Cell::kGru || c == Cell::kGruTwoPhase ? 3 : 1;
}

void run(Cell cell, const CellFns& f, const Inputs& in, States& st) {
    const uint8_t* act = in.active.empty() ? nullptr : in.active.data();
    const int B = in.B, H = in.H;
    switch (cell) {
        case Cell::kLstmTanh:
        case Cell::kLstmSigmoid:
            f.lstm(B, H, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.c.data(), st.h.data(), act,
                   cell == Cell::kLstmSigmoid);
            break;
        case Cell::kGru:
            f.gru(B, H, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, in.b_hn.data(), st.h.data(), act);
            break;
        case Cell::kGruTwoPhase:
            // gh here is [B, 2H] (r, z rows); ghn stands in for W_hn (r*h) of the caller's product
            f.gru_gates(B, H, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.h.data(), st.z.data(), st.rh.data(),
                        act);
            f.gru_update(B, H, in.gx.data() + 2 * H, in.ldgx, in.ghn.data(), in.ldghn, st.z.data(), st.h.data(), act);
            break;
        case Cell::kRnnTanh:
        case Cell::kRnnRelu:
            f.rnn(B, H, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.h.data(), act, cell == Cell::kRnnRelu);
            break;
    }
}

// The column-range passes the threads use, over [0, a), [a, b), [b, H): must give the bits of the full pass.
void run_cols(Cell cell, const jrnn::KernelTable& t, const Inputs& in, States& st, int a, int b) {
    const uint8_t* act = in.active.empty() ? nullptr : in.active.data();
    const int B = in.B, H = in.H;
    const int cut[] = {0, a, b, H};
    for (int part = 0; part < 3; ++part) {
        const int j0 = cut[part], j1 = cut[part + 1];
        switch (cell) {
            case Cell::kLstmTanh:
            case Cell::kLstmSigmoid:
                t.lstm_cell_cols_f32(B, H, j0, j1, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.c.data(),
                                     st.h.data(), act, cell == Cell::kLstmSigmoid);
                break;
            case Cell::kGru:
                t.gru_cell_cols_f32(B, H, j0, j1, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, in.b_hn.data(),
                                    st.h.data(), act);
                break;
            case Cell::kGruTwoPhase:
                t.gru_gates_cols_f32(B, H, j0, j1, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.h.data(),
                                     st.z.data(), st.rh.data(), act);
                t.gru_update_cols_f32(B, H, j0, j1, in.gx.data() + 2 * H, in.ldgx, in.ghn.data(), in.ldghn,
                                      st.z.data(), st.h.data(), act);
                break;
            case Cell::kRnnTanh:
            case Cell::kRnnRelu:
                t.rnn_cell_cols_f32(B, H, j0, j1, in.gx.data(), in.ldgx, in.gh.data(), in.ldgh, st.h.data(), act,
                                    cell == Cell::kRnnRelu);
                break;
        }
    }
}

Inputs make_inputs(Cell cell, int B, int H, float scale, bool masked, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const int G = gates_of(cell);
    const int gh_width = cell == Cell::kGruTwoPhase ? 2 * H : G * H;
    Inputs in{B, H, G * H + 5, gh_width + 3, H + 2, {}, {}, {}, {}, {}, {}};
    // gx + gh spans [-scale, scale]
    fill_rows(in.gx, B, in.ldgx, G * H, 0.5f * scale, rng);
    fill_rows(in.gh, B, in.ldgh, gh_width, 0.5f * scale, rng);
    fill_rows(in.ghn, B, in.ldghn, H, 0.5f * scale, rng);
    in.b_hn.resize(H);
    for (float& v : in.b_hn) v = u(rng);
    if (masked) in.active = mask_of(B);
    return in;
}

double worst_overall = 0;

// The ref pass against itself only checks masking and bounds; every other ISA is then held to the ref values.
void run_case(Cell cell, int B, int H, float scale, bool masked, std::mt19937& rng) {
    const Inputs in = make_inputs(cell, B, H, scale, masked, rng);
    const States init = make_states(B, H, rng);
    States ref = init;
    run(cell, kRef, in, ref);
    Diff dref;
    compare_states(ref, ref, init, in, false, dref);
    CHECK(dref.inactive_changed == 0 && dref.spilled == 0, "ref %s B=%d H=%d: %d inactive values changed, %d spilled",
          name_of(cell), B, H, dref.inactive_changed, dref.spilled);
    for (const jrnn::Isa* isa : jrnn_test::supported_isas()) {
        if (isa->table == &jrnn::ref::kTable) continue;
        States got = init;
        Diff d;
        run(cell, fns_of(*isa->table), in, got);
        compare_states(got, ref, init, in, false, d);
        const double tol = cell == Cell::kRnnRelu ? 0.0 : kTol;
        CHECK(d.max_err <= tol && d.inactive_changed == 0 && d.spilled == 0,
              "%s %s B=%d H=%d scale=%g mask=%d: max |simd - ref| = %.3g (tol %.1g), %d inactive values changed, "
              "%d spilled",
              isa->name, name_of(cell), B, H, scale, masked, d.max_err, tol, d.inactive_changed, d.spilled);
        worst_overall = std::fmax(worst_overall, d.max_err);
    }
    // column ranges (a split on a panel boundary and an arbitrary one) give the full pass's bits, on every ISA
    for (const jrnn::Isa* isa : jrnn_test::supported_isas()) {
        States full = init;
        run(cell, fns_of(*isa->table), in, full);
        for (int a : {H / 3, H >= 16 ? 16 : H / 2}) {
            States parts = init;
            run_cols(cell, *isa->table, in, parts, a, a + (H - a) / 2);
            CHECK(same_states(parts, full), "%s %s B=%d H=%d cols split at %d: not the bits of the full pass", isa->name, name_of(cell), B,
                  H, a);
        }
    }
}

}  // namespace

int main() {
    std::mt19937 rng(4242);
    for (Cell cell :
         {Cell::kLstmTanh, Cell::kLstmSigmoid, Cell::kGru, Cell::kGruTwoPhase, Cell::kRnnTanh, Cell::kRnnRelu})
        for (int H : {1, 3, 8, 16, 17, 33, 64})
            for (int B : {1, 2, 5})
                for (float scale : {4.0f, 40.0f})
                    for (bool masked : {false, true}) run_case(cell, B, H, scale, masked, rng);
    std::printf("cells: max |simd - ref| over all cases and ISAs = %.3g\n", worst_overall);
    return jrnn_test::finish();
}
