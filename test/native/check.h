// Minimal native test harness: CHECK counts and reports, finish() prints the totals and gives the exit code.
// Independent of NDEBUG (the tests build in Release).
#ifndef JRNN_TEST_CHECK_H
#define JRNN_TEST_CHECK_H

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "jrnn/jrnn.h"
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

// Every ISA of the registry that this CPU and OS can run, ref first. The first call prints one line per ISA the
// machine lacks, so a run says which paths it did not test.
inline const std::vector<const jrnn::Isa*>& supported_isas() {
    static const std::vector<const jrnn::Isa*> list = [] {
        std::vector<const jrnn::Isa*> v;
        for (int i = 0; i < jrnn::isa_count(); ++i) {
            const jrnn::Isa& isa = jrnn::isas()[i];
            if (isa.supported()) v.push_back(&isa);
            else std::printf("note: this CPU/OS lacks %s: its kernels are not tested in this run\n", isa.name);
        }
        return v;
    }();
    return list;
}

// The dispatch table follows JRNN_ISA (CTest runs the tests that go through dispatch with and without
// JRNN_ISA=ref): the named ISA, else the last supported one.
// When JRNN_ISA names an ISA this CPU lacks, the library refused it at load: the test says so and exits 77
// (CTest's SKIP_RETURN_CODE).
inline void check_dispatch() {
    const char* env = std::getenv("JRNN_ISA");
    if (env && *env && jrnn_isa_error()) {
        const jrnn::Isa* named = jrnn::find_isa(env);
        CHECK(named != nullptr, "JRNN_ISA=%s: %s", env, jrnn_isa_error());
        if (named) {
            std::printf("skipped: %s\n", jrnn_isa_error());
            std::exit(77);
        }
    }
    const char* want = supported_isas().back()->name;
    if (env && *env) want = env;
    CHECK(std::strcmp(jrnn::kernels().name, want) == 0, "dispatch: table '%s', expected '%s' (JRNN_ISA=%s)",
          jrnn::kernels().name, want, env ? env : "(unset)");
}

}  // namespace jrnn_test

#endif
