// Minimal native test harness: CHECK counts and reports, finish() prints the totals and gives the exit code.
// Independent of NDEBUG (the tests build in Release).
#ifndef JRNN_TEST_CHECK_H
#define JRNN_TEST_CHECK_H

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernels.h"

namespace jrnn_test {

struct Counts {
    int passed = 0;
    int failed = 0;
};

inline Counts& counts() {
    static Counts c;
    return c;
}

// Records one check; prints the formatted message on failure. Returns ok so callers can stop early.
inline bool check_impl(bool ok, const char* file, int line, const char* fmt, ...) __attribute__((format(printf, 4, 5)));
inline bool check_impl(bool ok, const char* file, int line, const char* fmt, ...) {
    if (ok) {
        ++counts().passed;
        return true;
    }
    ++counts().failed;
    std::fprintf(stdout, "FAIL %s:%d: ", file, line);
    va_list args;
    va_start(args, fmt);
    std::vfprintf(stdout, fmt, args);
    va_end(args);
    std::fputc('\n', stdout);
    return false;
}

#define CHECK(cond, ...) ::jrnn_test::check_impl(static_cast<bool>(cond), __FILE__, __LINE__, __VA_ARGS__)

inline int finish() {
    std::printf("%d passed, %d failed\n", counts().passed, counts().failed);
    std::fflush(stdout);
    return counts().failed == 0 ? 0 : 1;
}

// True when the AVX2 kernels can run here; prints a note once when they are skipped.
inline bool avx2_available() {
    static const bool ok = [] {
        const bool has = jrnn::cpu_has_avx2_fma();
        if (!has) std::printf("note: CPU/OS without AVX2+FMA, avx2 kernels skipped (ref only)\n");
        return has;
    }();
    return ok;
}

// The dispatch table follows JRNN_ISA (CTest runs every test with and without JRNN_ISA=ref).
inline void check_dispatch() {
    const char* env = std::getenv("JRNN_ISA");
    const bool force_ref = env && std::strcmp(env, "ref") == 0;
    const char* want = !force_ref && jrnn::cpu_has_avx2_fma() ? "avx2" : "ref";
    CHECK(std::strcmp(jrnn::kernels().name, want) == 0, "dispatch: table '%s', expected '%s' (JRNN_ISA=%s)",
          jrnn::kernels().name, want, env ? env : "(unset)");
}

}  // namespace jrnn_test

#endif
