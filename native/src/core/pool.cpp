// Persistent worker threads, spin-then-park waits on Linux futexes, and the team claim (see pool.h).
#include "core/pool.h"

#include <cblas.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

namespace jrnn {

namespace {

// How a waiter waits: it spins on the word for a while, then keeps checking between sched_yield() calls until
// kYieldNs have passed, then parks on the futex. Yielding early matters on a loaded machine: when the thread it waits
// for is queued on this same core (behind it), yielding lets that thread run at once. Measured on 2 cores with
// another process busy on one: lstm-b1 on 2 threads took 2.0 ms with a 0.25 us spin, 2.35 ms with 4 us, 4.0 ms with
// 20 us, 10 ms with 100 us; on an idle machine all were equal (0.84 ms) — on that host a barrier round between two
// running threads took ~50 ns. Where the two cores share no cache a round takes far longer, and a wait that outlasts
// the spin pays a system call for every look at the word: on an AMD EPYC Zen 5 guest (2 vCPUs, cache-line round
// trip ~500 ns) a two-thread barrier took 0.7-1.2 us with a 0.25 us spin and 0.27 us with 2 us. So a barrier's spin
// adapts per thread (t_barrier_spin_ns): it doubles, up to kSpinMaxNs, after a wait that ended just after the spin
// (the other thread was running), and halves, down to kSpinMinNs, after one that went on for long (it was not).
// kYieldNs covers the gap between back-to-back calls from Java, so streaming steps find the workers awake; after it
// an idle pool costs no CPU. A worker waiting for its next task spins kSpinMinNs: that wait is not a barrier round.
constexpr int64_t kSpinMinNs = 250;
constexpr int64_t kSpinMaxNs = 4000;
constexpr int64_t kYieldNs = 100000;
// A wait that ended within kYieldLookNs after the spin (a sched_yield() and a look at the word: ~0.5 us in a quiet KVM
// guest) just missed it; one that took over kLongWaitNs waited for a thread that was not running.
constexpr int64_t kYieldLookNs = 2000;
constexpr int64_t kLongWaitNs = 8 * kSpinMaxNs;
// Measured, forwards at batch 1 (rnn, gru, lstm H=256 at fp32, bf16 and int8 weights), two threads against one:
// on an Intel Xeon (cores ~150 ns apart) two threads won from ~50k multiply-adds of fp32 weights a step (bf16 rnn,
// 32k: 1.25x the time; fp32 rnn, 65k: 0.87x); on an AMD EPYC Zen 5 guest (~500 ns apart) with the adaptive spin,
// near the threshold either way depending on the run: 49k (int8 gru) 0.7-0.8x in one run, 1.16x in another; 65k
// (int8 lstm) 0.6-0.7x and 1.10x; 65k (fp32 rnn) 1.0x; from 98k (bf16 gru, lstm; fp32 gru, lstm) 0.61-0.93x.
constexpr int64_t kDefaultMinWork = 49152;

inline void cpu_relax() { __builtin_ia32_pause(); }

inline int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex words are plain 32-bit integers");

void futex_wait(std::atomic<uint32_t>* word, uint32_t expected) {
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void futex_wake_all(std::atomic<uint32_t>* word) {
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

// How long this thread spins in a barrier before yielding (see kSpinMinNs).
thread_local int64_t t_barrier_spin_ns = kSpinMinNs;

// Returns once word != old: spins for *spin_ns, yields, then parks (see kSpinMinNs). sleepers counts parked waiters so
// that a waker skips the system call when nobody sleeps. Waker and waiter both use sequentially consistent operations
// (Dekker): a waker that changed word and then reads sleepers == 0 is ordered before the waiter's increment, so the
// waiter's re-check of word sees the change and it does not sleep. With adapt, *spin_ns follows the waits: doubled
// (up to kSpinMaxNs) after a near miss, halved (down to kSpinMinNs) after a long wait (see kYieldLookNs).
void wait_while_equal(std::atomic<uint32_t>& word, uint32_t old, std::atomic<uint32_t>& sleepers, int64_t* spin_ns,
                      bool adapt) {
    if (word.load(std::memory_order_acquire) != old) return;
    const int64_t spin = *spin_ns;
    const int64_t start = now_ns();
    for (int i = 1;; ++i) {
        cpu_relax();
        if (word.load(std::memory_order_acquire) != old) return;
        if ((i & 7) == 0 && now_ns() - start > spin) break;
    }
    auto learn = [&] {
        if (!adapt) return;
        const int64_t waited = now_ns() - start;
        if (waited <= spin + kYieldLookNs) *spin_ns = std::min(2 * spin, kSpinMaxNs);
        else if (waited > kLongWaitNs) *spin_ns = std::max(spin / 2, kSpinMinNs);
    };
    while (now_ns() - start < kYieldNs) {
        sched_yield();
        if (word.load(std::memory_order_acquire) != old) {
            learn();
            return;
        }
    }
    learn();
    while (word.load(std::memory_order_seq_cst) == old) {
        sleepers.fetch_add(1, std::memory_order_seq_cst);
        if (word.load(std::memory_order_seq_cst) == old) futex_wait(&word, old);
        sleepers.fetch_sub(1, std::memory_order_seq_cst);
    }
}

// A barrier round or a team's join: the adaptive spin of this thread.
void wait_round(std::atomic<uint32_t>& word, uint32_t old, std::atomic<uint32_t>& sleepers) {
    wait_while_equal(word, old, sleepers, &t_barrier_spin_ns, true);
}

// Call after changing word (seq_cst).
void wake_sleepers(std::atomic<uint32_t>& word, std::atomic<uint32_t>& sleepers) {
    if (sleepers.load(std::memory_order_seq_cst) != 0) futex_wake_all(&word);
}

int available_processors() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        const int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    const unsigned hc = std::thread::hardware_concurrency();
    return hc > 0 ? static_cast<int>(hc) : 1;
}

// One worker's mailbox: the owner writes fn/ctx/n, then bumps seq; fn == nullptr tells the worker to exit.
struct alignas(64) Slot {
    std::atomic<uint32_t> seq{0};
    std::atomic<uint32_t> sleepers{0};
    TaskFn fn = nullptr;
    void* ctx = nullptr;
    int n = 0;
    int caller_cpu = -1;  // where the team's caller ran when it posted fn (sched_getcpu), -1 unknown
};

struct Pool {
    std::atomic<int> claimed{0};  // 1 while a Team (or set_threads) owns the pool
    std::atomic<int> size{0};     // configured team size; 0 = not configured yet (default on first use)
    std::atomic<int64_t> min_work{kDefaultMinWork};

    // Owned by whoever holds the claim.
    std::unique_ptr<Slot[]> slots;  // [workers.size()]
    std::vector<std::thread> workers;

    alignas(64) std::atomic<uint32_t> done{0};  // workers finished with the current run
    std::atomic<uint32_t> done_sleepers{0};

    bool try_claim() {
        int expected = 0;
        return claimed.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed);
    }
    // set_threads: announced in reconfiguring, so that new teams run inline until it has the pool (a caller that forms
    // teams back to back would otherwise leave it only a few nanoseconds between release and claim: measured, 60
    // set_threads calls against such a caller took up to a minute on a loaded 2-core machine).
    std::atomic<int> reconfiguring{0};
    void claim_blocking() {
        reconfiguring.fetch_add(1, std::memory_order_seq_cst);
        while (!try_claim()) std::this_thread::sleep_for(std::chrono::microseconds(50));
        reconfiguring.fetch_sub(1, std::memory_order_relaxed);
    }
    void release() { claimed.store(0, std::memory_order_release); }

    // Holding the claim: replace the workers by n-1 new ones. Returns the team size reached.
    int configure(int n);
    void stop_workers();
};

Pool& pool() {
    static Pool* p = new Pool();  // never destroyed: workers may outlive static destructors at exit
    return *p;
}

// A worker that finds itself on its caller's CPU moves off it. Both then run on one CPU taking turns at every barrier
// (sched_yield) while another CPU idles, and the scheduler does not part them: both are always runnable and cache-hot,
// and where the CPUs share no last-level cache a wakeup does not look for an idle one. Measured on an AMD EPYC Zen 5
// guest (2 vCPUs, no shared L3), int8 lstm-b1 forwards on 2 threads: a caller and worker put on one vCPU and then
// allowed both stayed there for 10000 forwards (0.75 ms each, twice one thread's time). Moving is one
// sched_setaffinity without that CPU (the kernel migrates the running thread at once) and one restoring the thread's
// mask; a worker moves at most once a millisecond, so where the other CPUs are busy it does not keep paying for it.
constexpr int64_t kStepAsideIntervalNs = 1000000;

void step_aside(int cpu) {
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return;
    if (!CPU_ISSET(cpu, &mask) || CPU_COUNT(&mask) < 2) return;
    cpu_set_t others = mask;
    CPU_CLR(cpu, &others);
    if (sched_setaffinity(0, sizeof(others), &others) != 0) return;
    sched_setaffinity(0, sizeof(mask), &mask);
}

void worker_main(Pool* p, Slot* s, int tid) {
    char name[16];
    std::snprintf(name, sizeof(name), "jrnn-worker-%d", tid);
    pthread_setname_np(pthread_self(), name);
    uint32_t seen = 0;
    int64_t stepped_aside = INT64_MIN / 2;
    for (;;) {
        int64_t spin = kSpinMinNs;
        wait_while_equal(s->seq, seen, s->sleepers, &spin, false);
        seen = s->seq.load(std::memory_order_acquire);
        const TaskFn fn = s->fn;
        if (!fn) return;
        if (s->caller_cpu >= 0 && sched_getcpu() == s->caller_cpu) {
            const int64_t now = now_ns();
            if (now - stepped_aside > kStepAsideIntervalNs) {
                stepped_aside = now;
                step_aside(s->caller_cpu);
            }
        }
        fn(s->ctx, tid, s->n);
        p->done.fetch_add(1, std::memory_order_seq_cst);
        wake_sleepers(p->done, p->done_sleepers);
    }
}

void Pool::stop_workers() {
    for (size_t i = 0; i < workers.size(); ++i) {
        Slot& s = slots[i];
        s.fn = nullptr;
        s.seq.fetch_add(1, std::memory_order_seq_cst);
        wake_sleepers(s.seq, s.sleepers);
    }
    for (auto& t : workers) t.join();
    workers.clear();
    slots.reset();
}

int Pool::configure(int n) {
    stop_workers();
    n = std::max(1, std::min(n, kMaxThreads));
    if (n > 1) {
        slots.reset(new Slot[n - 1]);
        workers.reserve(n - 1);
        // Workers block asynchronous signals: the JVM expects its signals on its own threads.
        sigset_t all, old;
        sigfillset(&all);
        for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) sigdelset(&all, sig);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        for (int i = 0; i < n - 1; ++i) {
            try {
                workers.emplace_back(worker_main, this, &slots[i], i + 1);
            } catch (const std::system_error&) {
                break;
            }
        }
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
    const int got = static_cast<int>(workers.size()) + 1;
    size.store(got, std::memory_order_relaxed);
    return got;
}

// OpenBLAS single-threaded from the moment jrnn is loaded (see pool.h).
const bool g_blas_single = [] {
    openblas_set_num_threads(1);
    return true;
}();

}  // namespace

int threads() {
    const int n = pool().size.load(std::memory_order_relaxed);
    return n > 0 ? n : available_processors();
}

int set_threads(int n) {
    Pool& p = pool();
    if (n < 1) n = available_processors();
    p.claim_blocking();
    const int got = p.configure(n);
    openblas_set_num_threads(1);
    p.release();
    return got;
}

int64_t min_parallel_work() { return pool().min_work.load(std::memory_order_relaxed); }

void set_min_parallel_work(int64_t macs) { pool().min_work.store(macs < 0 ? 0 : macs, std::memory_order_relaxed); }

void Barrier::wait() {
    if (n_ <= 1) return;
    const uint32_t gen = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == static_cast<uint32_t>(n_)) {
        // Last one in: reset for the next round before anyone can see the new generation and arrive again.
        arrived_.store(0, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_seq_cst);
        wake_sleepers(generation_, sleepers_);
        return;
    }
    wait_round(generation_, gen, sleepers_);
}

namespace {
thread_local bool t_inline = false;
}  // namespace

bool set_thread_inline(bool on) {
    const bool was = t_inline;
    t_inline = on;
    return was;
}

Team::Team(int want) {
    Pool& p = pool();
    if (want <= 1 || t_inline || p.size.load(std::memory_order_relaxed) == 1) return;
    if (p.reconfiguring.load(std::memory_order_relaxed) != 0) return;  // set_threads is waiting: run inline
    if (!p.try_claim()) return;  // another caller runs a team (or this is a nested call): run inline
    if (p.size.load(std::memory_order_relaxed) == 0) p.configure(available_processors());
    size_ = std::min(want, p.size.load(std::memory_order_relaxed));
    if (size_ <= 1) {
        size_ = 1;
        p.release();
        return;
    }
    owner_ = true;
}

Team::~Team() {
    if (owner_) pool().release();
}

void Team::run(TaskFn fn, void* ctx) {
    if (size_ == 1) {
        fn(ctx, 0, 1);
        return;
    }
    Pool& p = pool();
    p.done.store(0, std::memory_order_relaxed);
    const int cpu = sched_getcpu();
    for (int w = 1; w < size_; ++w) {
        Slot& s = p.slots[w - 1];
        s.fn = fn;
        s.ctx = ctx;
        s.n = size_;
        s.caller_cpu = cpu;
        s.seq.fetch_add(1, std::memory_order_seq_cst);
        wake_sleepers(s.seq, s.sleepers);
    }
    fn(ctx, 0, size_);
    const uint32_t target = static_cast<uint32_t>(size_ - 1);
    for (;;) {
        const uint32_t d = p.done.load(std::memory_order_acquire);
        if (d == target) break;
        wait_round(p.done, d, p.done_sleepers);
    }
}

}  // namespace jrnn
