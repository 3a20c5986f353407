// The embedding lookup of jrnn.h (also the reorder of beam states): rows of a table gathered by id.
#include <cstdint>
#include <cstring>

#include "jrnn/jrnn.h"
#include "layers/workspace.h"

namespace jrnn {

namespace {

bool overlaps(const float* a, size_t a_floats, const float* b, size_t b_floats) {
    const uintptr_t a0 = reinterpret_cast<uintptr_t>(a), b0 = reinterpret_cast<uintptr_t>(b);
    return a0 < b0 + b_floats * sizeof(float) && b0 < a0 + a_floats * sizeof(float);
}

}  // namespace

}  // namespace jrnn

extern "C" {

int jrnn_gather_rows_f32(const float* table, int rows, int cols, const int32_t* ids, int n, float* out) {
    using namespace jrnn;
    if (rows < 0 || cols < 0 || n < 0) return JRNN_ERR_ARG;
    if (n == 0) return JRNN_OK;
    if (!ids || !out || (cols > 0 && !table)) return JRNN_ERR_ARG;
    for (int i = 0; i < n; ++i)
        if (ids[i] < 0 || ids[i] >= rows) return JRNN_ERR_ARG;  // before anything is written
    if (cols == 0) return JRNN_OK;
    const size_t row = static_cast<size_t>(cols);
    const size_t total = static_cast<size_t>(n) * row;
    float* dst = out;
    // Reordering beam states in place (out overlapping table): gather into scratch, then copy.
    const bool alias = overlaps(table, static_cast<size_t>(rows) * row, out, total);
    if (alias) {
        Workspace& ws = Workspace::local();
        if (!ws.reserve(Workspace::rounded(total))) return JRNN_ERR_NOMEM;
        dst = ws.take(total);
    }
    for (int i = 0; i < n; ++i)
        std::memcpy(dst + i * row, table + static_cast<size_t>(ids[i]) * row, row * sizeof(float));
    if (alias) std::memcpy(out, dst, total * sizeof(float));
    return JRNN_OK;
}

}  // extern "C"
