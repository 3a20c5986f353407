// CPU feature detection: the CPUID bits of each ISA, and the register state the OS saves (XGETBV).
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "kernels.h"

namespace jrnn {

namespace {

uint64_t xgetbv0() {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}

// XCR0 bits: 1 SSE, 2 AVX (YMM upper halves), 5 opmask, 6 ZMM_Hi256, 7 Hi16_ZMM.
constexpr uint64_t kXcr0Ymm = 0x6;
constexpr uint64_t kXcr0Zmm = 0xE6;

struct Leaf7 {
    bool ok = false;
    unsigned b = 0, c = 0, d = 0;
};

Leaf7 leaf7() {
    Leaf7 l;
    unsigned a;
    if (__get_cpuid_max(0, nullptr) < 7) return l;
    __cpuid_count(7, 0, a, l.b, l.c, l.d);
    l.ok = true;
    return l;
}

}  // namespace

bool cpu_has_avx2_fma() {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const bool fma = c & (1u << 12);
    const bool osxsave = c & (1u << 27);
    const bool avx = c & (1u << 28);
    const bool f16c = c & (1u << 29);
    if (!(fma && osxsave && avx && f16c)) return false;
    if ((xgetbv0() & kXcr0Ymm) != kXcr0Ymm) return false;
    const Leaf7 l = leaf7();
    return l.ok && (l.b & (1u << 5));  // AVX2
}

bool cpu_has_avx512() {
    if (!cpu_has_avx2_fma()) return false;
    if ((xgetbv0() & kXcr0Zmm) != kXcr0Zmm) return false;  // the OS saves opmask and all 32 zmm registers
    const Leaf7 l = leaf7();
    const unsigned f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
    return l.ok && (l.b & f) && (l.b & dq) && (l.b & bw) && (l.b & vl);
}

bool cpu_is_intel() {
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return false;
    return b == 0x756e6547u && d == 0x49656e69u && c == 0x6c65746eu;  // "Genu" "ineI" "ntel"
}

// Sub-features the reduced-precision kernels use when present (each kernel has a fallback without them).
bool cpu_has_avx512_vnni() {
    const Leaf7 l = leaf7();
    return cpu_has_avx512() && l.ok && (l.c & (1u << 11));
}

bool cpu_has_avx512_bf16() {
    if (!cpu_has_avx512() || __get_cpuid_max(0, nullptr) < 7) return false;
    unsigned a, b, c, d;
    __cpuid_count(7, 1, a, b, c, d);
    return a & (1u << 5);
}

bool cpu_has_avx_vnni() {
    if (!cpu_has_avx2_fma() || __get_cpuid_max(0, nullptr) < 7) return false;
    unsigned a, b, c, d;
    __cpuid_count(7, 1, a, b, c, d);
    return a & (1u << 4);
}

namespace {

// AMX: the CPUID bits (leaf 7: EDX 24 AMX-TILE plus the unit asked for), the tile state enabled in XCR0 (bits 17
// XTILECFG, 18 XTILEDATA), and Linux's per-process permission to use the tile data state, asked for once
// (arch_prctl ARCH_REQ_XCOMP_PERM; refused, e.g. under a kernel older than 5.16, the AMX routes stay off). The
// permission is process-wide and enlarges every thread's signal frames (the kernel then refuses sigaltstack()s too
// small for them), so JRNN_AMX=off leaves it unasked and the AMX routes off.
bool amx_tiles() {
    static const bool ok = [] {
        const char* env = std::getenv("JRNN_AMX");
        if (env && std::strcmp(env, "off") == 0) return false;
        const Leaf7 l = leaf7();
        if (!cpu_has_avx512() || !l.ok || !(l.d & (1u << 24))) return false;
        constexpr uint64_t kXcr0Tile = (1ull << 17) | (1ull << 18);
        if ((xgetbv0() & kXcr0Tile) != kXcr0Tile) return false;
        constexpr long kArchReqXcompPerm = 0x1023;
        constexpr long kXfeatureXtiledata = 18;
        return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
    }();
    return ok;
}

}  // namespace

bool cpu_has_amx_bf16() {
    const Leaf7 l = leaf7();
    return l.ok && (l.d & (1u << 22)) && amx_tiles();
}

bool cpu_has_amx_int8() {
    const Leaf7 l = leaf7();
    return l.ok && (l.d & (1u << 25)) && amx_tiles();
}

}  // namespace jrnn
