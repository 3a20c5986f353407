// CPU feature detection: AVX2 and FMA in CPUID, and YMM state enabled by the OS (XGETBV).
#include <cpuid.h>
#include <cstdint>

#include "kernels.h"

namespace jrnn {

static uint64_t xgetbv0() {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}

bool cpu_has_avx2_fma() {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const bool fma = c & (1u << 12);
    const bool osxsave = c & (1u << 27);
    const bool avx = c & (1u << 28);
    const bool f16c = c & (1u << 29);
    if (!(fma && osxsave && avx && f16c)) return false;
    if ((xgetbv0() & 0x6) != 0x6) return false;  // XMM and YMM state saved by the OS
    if (__get_cpuid_max(0, nullptr) < 7) return false;
    __cpuid_count(7, 0, a, b, c, d);
    return b & (1u << 5);  // AVX2
}

}  // namespace jrnn
