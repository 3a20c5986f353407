// Per-thread phase timers (see profile.h); empty unless built with -DJRNN_PROFILE.
#include "core/profile.h"

#ifdef JRNN_PROFILE
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#endif

namespace jrnn::profile {

#ifdef JRNN_PROFILE

namespace {

struct Slot {
    std::atomic<int64_t> ns[kPhases] = {};
};

std::mutex g_mutex;
std::vector<std::unique_ptr<Slot>>& slots() {
    static auto* s = new std::vector<std::unique_ptr<Slot>>();  // never destroyed: threads may outlive exit
    return *s;
}

Slot& local() {
    thread_local Slot* mine = [] {
        std::lock_guard<std::mutex> lock(g_mutex);
        slots().push_back(std::make_unique<Slot>());
        return slots().back().get();
    }();
    return *mine;
}

}  // namespace

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void add(Phase p, int64_t ns) { local().ns[p].fetch_add(ns, std::memory_order_relaxed); }

std::vector<Totals> read() {
    std::lock_guard<std::mutex> lock(g_mutex);
    std::vector<Totals> out;
    for (const auto& s : slots()) {
        Totals t;
        for (int p = 0; p < kPhases; ++p) t.ns[p] = s->ns[p].load(std::memory_order_relaxed);
        out.push_back(t);
    }
    return out;
}

void reset() {
    std::lock_guard<std::mutex> lock(g_mutex);
    for (const auto& s : slots())
        for (auto& v : s->ns) v.store(0, std::memory_order_relaxed);
}

#endif

}  // namespace jrnn::profile
