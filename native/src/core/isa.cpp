// The ISA registry: every kernel path jrnn has, which of them this CPU and OS can run, and the one in use.
// Chosen once at load: the last supported entry (the widest vectors), unless JRNN_ISA names another.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "jrnn/jrnn.h"
#include "kernels.h"

namespace jrnn {

namespace {

bool always() { return true; }

// Indexed by JRNN_ISA_* (checked below): adding an ISA is one line here, one table and its kernels.
const Isa kIsas[] = {
    {JRNN_ISA_REF, "ref", always, &ref::kTable},
    {JRNN_ISA_AVX2, "avx2", cpu_has_avx2_fma, &avx2::kTable},
    {JRNN_ISA_AVX512, "avx512", cpu_has_avx512, &avx512::kTable},
};
constexpr int kIsaCount = static_cast<int>(sizeof(kIsas) / sizeof(kIsas[0]));
static_assert(JRNN_ISA_REF == 0 && JRNN_ISA_AVX2 == 1 && JRNN_ISA_AVX512 == 2 && kIsaCount == 3,
              "kIsas is indexed by the JRNN_ISA_* ids");

std::string g_error;  // set once at load when JRNN_ISA names an unknown or unsupported ISA

std::string supported_list() {
    std::string s;
    for (const Isa& i : kIsas) {
        if (!i.supported()) continue;
        if (!s.empty()) s += ", ";
        s += i.name;
    }
    return s;
}

int initial_isa() {
    int best = JRNN_ISA_REF;
    for (const Isa& i : kIsas)
        if (i.supported()) best = i.id;
    const char* env = std::getenv("JRNN_ISA");
    if (!env || !*env) return best;
    const Isa* want = find_isa(env);
    if (!want || !want->supported()) {
        g_error = std::string("JRNN_ISA=") + env + (want ? " is not supported by this CPU or OS" : " is not an ISA jrnn has") +
                  "; this machine supports: " + supported_list();
        return JRNN_ISA_REF;  // the scalar path is always safe; jrnn_isa_error() reports the refusal
    }
    return want->id;
}

std::atomic<int> g_isa{initial_isa()};

}  // namespace

const Isa* isas() { return kIsas; }
int isa_count() { return kIsaCount; }

const Isa* find_isa(const char* name) {
    for (const Isa& i : kIsas)
        if (std::strcmp(i.name, name) == 0) return &i;
    return nullptr;
}

const KernelTable& kernels() { return *kIsas[g_isa.load(std::memory_order_relaxed)].table; }

}  // namespace jrnn

extern "C" {

int jrnn_isa(void) { return jrnn::g_isa.load(); }

int jrnn_isa_count(void) { return jrnn::kIsaCount; }

const char* jrnn_isa_name(int isa) { return isa >= 0 && isa < jrnn::kIsaCount ? jrnn::kIsas[isa].name : nullptr; }

int jrnn_isa_supported(int isa) { return isa >= 0 && isa < jrnn::kIsaCount && jrnn::kIsas[isa].supported() ? 1 : 0; }

const char* jrnn_isa_error(void) { return jrnn::g_error.empty() ? nullptr : jrnn::g_error.c_str(); }

const char* jrnn_cpu_features(void) {
    static const std::string features = [] {
        std::string s;
        const auto add = [&s](bool has, const char* name) {
            if (!has) return;
            if (!s.empty()) s += ' ';
            s += name;
        };
        add(jrnn::cpu_has_avx512_vnni(), "avx512-vnni");
        add(jrnn::cpu_has_avx512_bf16(), "avx512-bf16");
        add(jrnn::cpu_has_avx_vnni(), "avx-vnni");
        add(jrnn::cpu_has_amx_bf16(), "amx-bf16");
        add(jrnn::cpu_has_amx_int8(), "amx-int8");
        return s;
    }();
    return features.c_str();
}

int jrnn_set_isa(int isa) {
    if (!jrnn_isa_supported(isa)) return JRNN_ERR_ARG;
    jrnn::g_isa.store(isa);
    return JRNN_OK;
}

}  // extern "C"
