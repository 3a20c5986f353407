// The one thread pool of jrnn: persistent workers (created once, never per call), the calling thread takes part
// as thread 0, and waits spin briefly then park on a futex so idle workers leave the cores to the JVM.
//
// OpenBLAS runs single-threaded (set once at load and by set_threads): jrnn splits its own products across this
// pool. OpenBLAS's pthread workers keep a core busy for ~0.1 s after every threaded call (measured: 100 ms of CPU
// during a 200 ms sleep after one 512^3 sgemm), which would fight this pool's threads on a small machine.
//
// Concurrent callers: one caller at a time owns the pool (a Team). A second caller that finds it owned, and any
// nested call from inside a running team, runs its work inline on a team of one. Nobody waits for the pool, so
// nothing can deadlock, and results do not depend on who got the pool (see recurrent.cpp: splits never change the
// order of any sum).
#ifndef JRNN_CORE_POOL_H
#define JRNN_CORE_POOL_H

#include <atomic>
#include <cstdint>

namespace jrnn {

constexpr int kMaxThreads = 256;

// The team size calls may use (the calling thread included), >= 1.
int threads();
// n < 1: one per processor this process may run on; at most kMaxThreads. Waits for a running team to finish,
// then replaces the workers. Returns the team size in force (fewer than asked only when threads could not be
// created).
int set_threads(int n);

// While on, every Team the calling thread forms is a team of one (its work runs inline; the pool stays free for
// others). Per thread; returns the previous setting.
bool set_thread_inline(bool on);

// Work below this much between two barriers runs on one thread: a barrier round trip (~0.1 us when both threads spin
// on cores that share a cache, ~0.3-0.5 us on vCPUs placed on different dies, tens of us when one must be woken)
// would cost more than the split saves. In multiply-adds of fp32 weights at batch 1 (jrnn_rnn::step_work counts
// bf16 and int8 weights and larger batches in the same unit). Tests set 0 to force every split on tiny shapes.
int64_t min_parallel_work();
void set_min_parallel_work(int64_t macs);


// Spin-then-park barrier for a fixed number of threads of one team (sub-teams may have their own).
class Barrier {
public:
    void init(int n) {
        n_ = n;
        arrived_.store(0, std::memory_order_relaxed);
    }
    // Returns once all n threads have called wait() for this round. Everything written before wait() by any of
    // them is visible after it.
    void wait();

private:
    alignas(64) std::atomic<uint32_t> arrived_{0};
    alignas(64) std::atomic<uint32_t> generation_{0};
    std::atomic<uint32_t> sleepers_{0};
    int n_ = 1;
};

using TaskFn = void (*)(void* ctx, int tid, int nthreads);

// A claim on the pool for one call: size() threads (1 when want <= 1, when the pool is configured for one
// thread, or when another caller owns it). Not copyable; release by destruction.
class Team {
public:
    explicit Team(int want);
    ~Team();
    Team(const Team&) = delete;
    Team& operator=(const Team&) = delete;

    int size() const { return size_; }
    // fn(ctx, tid, size()) on every thread of the team, the caller as tid 0; returns when all have returned.
    void run(TaskFn fn, void* ctx);

private:
    int size_ = 1;
    bool owner_ = false;
};

}  // namespace jrnn

#endif
