// Where a forward's time goes, per thread and phase: compiled in only with -DJRNN_PROFILE (CMake option
// JRNN_BUILD_PROFILE builds a separate copy of the library for bench/native/profile.cpp); otherwise every
// JRNN_PROFILE_SCOPE is nothing and the shipped library carries no timer.
#ifndef JRNN_CORE_PROFILE_H
#define JRNN_CORE_PROFILE_H

#include <cstdint>
#include <vector>

namespace jrnn::profile {

enum Phase : int {
    kInput,      // input products (W_ih x + bias)
    kRecurrent,  // recurrent products (W_hh h, and the LSTM projection W_hr)
    kCell,       // fused gate and state passes
    kOutput,     // copies of h_t into y (and of masked rows)
    kBarrier,    // waiting for the rest of the team at a step's barrier
    kPhases
};

#ifdef JRNN_PROFILE

// Nanoseconds per phase of one thread, summed since the last reset().
struct Totals {
    int64_t ns[kPhases] = {};
};

void add(Phase p, int64_t ns);
int64_t now_ns();
// Every thread that recorded anything, in the order they first did (the calling thread of the first call first).
std::vector<Totals> read();
void reset();

class Scope {
public:
    explicit Scope(Phase p) : phase_(p), start_(now_ns()) {}
    ~Scope() { add(phase_, now_ns() - start_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

private:
    Phase phase_;
    int64_t start_;
};

#define JRNN_PROFILE_CONCAT2(a, b) a##b
#define JRNN_PROFILE_CONCAT(a, b) JRNN_PROFILE_CONCAT2(a, b)
#define JRNN_PROFILE_SCOPE(phase) \
    ::jrnn::profile::Scope JRNN_PROFILE_CONCAT(jrnn_profile_scope_, __LINE__)(::jrnn::profile::phase)

#else

#define JRNN_PROFILE_SCOPE(phase) static_cast<void>(0)

#endif

}  // namespace jrnn::profile

#endif
