package io.jrnn;

import java.time.Duration;
import java.util.ArrayDeque;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The scheduling core of the batchers: a bounded queue of requests from any number of threads and one worker thread
 * that runs them in batches of up to {@code maxBatch}, waiting at most {@code maxDelay} after the oldest queued
 * request for more to arrive (not at all once a batch is full: maxBatch requests, or fewer when no more can come).
 *
 * <p>Every request is a future that completes exactly once: with its result, with the exception of its own failure,
 * with {@link TimeoutException} when it did not start within its timeout, or cancelled. It can be withdrawn
 * ({@code cancel}, {@code completeExceptionally}, {@code complete}, a timeout) only while it is queued; once its
 * batch has started it runs to the end and those calls return false, so a withdrawn request never had an effect and
 * a started one always delivers its result. Requests with the same key (a stream session) run in submission order,
 * at most one per batch.
 *
 * <p>Dependent actions attached to a request with the non-async {@code then...} methods run on the worker thread and
 * delay the next batch: use the {@code ...Async} forms for anything slow.
 *
 * <p>Thread safety: thread-safe.
 */
final class BatchQueue<R extends BatchQueue.Request<?>> {

    /** Runs one batch: completes every request with {@link Request#finish} or {@link Request#fail}. */
    interface Runner<R> {
        void run(List<R> batch);
    }

    // A request leaves QUEUED exactly once, under the lock: RUNNING when a batch takes it (it stays so after its batch:
    // only "still queued or not" matters from then on), DONE when withdrawn or dropped.
    private static final int QUEUED = 0, RUNNING = 1, DONE = 2;

    /**
     * What orders requests: those of one key (a stream session) run in submission order, at most one per batch.
     * Its mark is the worker's, read and written under the queue's lock only.
     */
    static final class Key {
        private long takenIn = -1;  // the batch that took this key's oldest request
    }

    /** A request: the future its caller holds. */
    abstract static class Request<T> extends CompletableFuture<T> {
        private static final VarHandle RELEASED;

        static {
            try {
                RELEASED = MethodHandles.lookup().findVarHandle(Request.class, "released", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Key key;        // requests of one key run in order, one per batch; null: independent
        final long timeoutNanos;  // <= 0: none
        long enqueued;        // System.nanoTime() when queued
        int state = QUEUED;   // guarded by the owner's lock
        final BatchQueue<?> owner;
        @SuppressWarnings("unused")  // through RELEASED: a field, not an AtomicBoolean per request
        private volatile int released;

        Request(BatchQueue<?> owner, Key key, Duration timeout) {
            this.owner = owner;
            this.key = key;
            this.timeoutNanos = timeout == null ? 0 : Math.max(1, timeout.toNanos());
        }

        /**
         * Runs once, when the request leaves the batcher (ran, failed or withdrawn), before its future completes: the
         * caller sees its effects as soon as it sees the result.
         */
        void onDone() {}

        private void release() {
            if (RELEASED.compareAndSet(this, 0, 1)) onDone();
        }

        /** Completes a running request with its result (the runner's call). */
        final void finish(T value) {
            release();
            super.complete(value);
        }

        /** Fails a request the queue took out (the runner's call; no-op once completed). */
        final void fail(Throwable t) {
            release();
            super.completeExceptionally(t);
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return withdraw() && super.cancel(mayInterruptIfRunning);
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            return withdraw() && super.completeExceptionally(ex);
        }

        @Override
        public boolean complete(T value) {
            return withdraw() && super.complete(value);
        }

        private boolean withdraw() {
            if (!owner.withdraw(this)) return false;
            release();
            return true;
        }

        void expire() {
            if (withdraw()) {
                super.completeExceptionally(new TimeoutException("request did not start within its timeout of "
                        + Duration.ofNanos(timeoutNanos) + " (it had no effect)"));
            }
        }
    }

    private final String name;
    private final int maxBatch, capacity;
    private final long maxDelayNanos;
    private final Runner<R> runner;
    private final java.util.function.IntSupplier full;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<R> queue = new ArrayDeque<>();
    private boolean closed;
    private final Thread worker;
    private final ArrayList<R> batch;  // the worker's, refilled for every batch (a runner does not keep it)
    private long batches;              // batches taken; guarded by lock

    BatchQueue(String name, int maxBatch, Duration maxDelay, int capacity, Runner<R> runner) {
        this(name, maxBatch, maxDelay, capacity, () -> maxBatch, runner);
    }

    /**
     * full: how many queued requests make a batch worth running without waiting longer (at most maxBatch), such as
     * the number of open stream sessions: once each has a step queued, no other step can come.
     */
    BatchQueue(String name, int maxBatch, Duration maxDelay, int capacity, java.util.function.IntSupplier full,
               Runner<R> runner) {
        this.name = name;
        this.full = full;
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelay.toNanos();
        this.capacity = capacity;
        this.runner = runner;
        this.batch = new ArrayList<>(maxBatch);
        this.worker = new Thread(this::loop, name);
        worker.setDaemon(true);
        worker.start();
    }

    /**
     * Queues a request.
     *
     * @throws RejectedExecutionException when {@code capacity} requests are queued already
     * @throws IllegalStateException after {@link #close}
     */
    void submit(R r) {
        lock.lock();
        try {
            if (closed) throw new IllegalStateException(name + " is closed");
            if (queue.size() >= capacity) {
                throw new RejectedExecutionException(name + ": queue full, " + queue.size()
                        + " requests waiting (queueCapacity " + capacity + "); retry later or raise queueCapacity");
            }
            if (r.owner != this) throw new IllegalArgumentException("request of another queue");
            r.enqueued = System.nanoTime();
            queue.addLast(r);
            if (queue.size() == 1 || queue.size() >= fullSize()) work.signal();
        } finally {
            lock.unlock();
        }
        if (r.timeoutNanos > 0) {
            CompletableFuture.delayedExecutor(r.timeoutNanos, TimeUnit.NANOSECONDS).execute(r::expire);
        }
    }

    private int fullSize() {
        return Math.max(1, Math.min(maxBatch, full.getAsInt()));
    }

    /** Takes a queued request out (cancel, timeout); false once its batch has started. */
    private boolean withdraw(Request<?> r) {
        lock.lock();
        try {
            if (r.state != QUEUED) return false;
            r.state = DONE;
            queue.remove(r);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Withdraws the queued requests of one key with {@code failure} (a closing session); returns how many. */
    int withdrawKey(Key key, Consumer<R> failure) {
        List<R> out = new ArrayList<>();
        lock.lock();
        try {
            for (Iterator<R> it = queue.iterator(); it.hasNext(); ) {
                R r = it.next();
                if (r.key == key) {
                    it.remove();
                    r.state = DONE;
                    out.add(r);
                }
            }
        } finally {
            lock.unlock();
        }
        out.forEach(failure);
        return out.size();
    }

    /** Requests queued now (not counting a running batch). */
    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        for (;;) {
            lock.lock();
            try {
                while (queue.isEmpty() && !closed) work.awaitUninterruptibly();
                if (queue.isEmpty()) return;  // closed and drained
                // Wait for a full batch, at most maxDelay after the oldest request (not at all once closing).
                while (!closed && !queue.isEmpty() && queue.size() < fullSize()) {
                    long left = queue.peekFirst().enqueued + maxDelayNanos - System.nanoTime();
                    if (left <= 0) break;
                    try {
                        work.awaitNanos(left);
                    } catch (InterruptedException e) {
                        // the worker is never interrupted by jrnn; keep going
                    }
                }
                take();
            } finally {
                lock.unlock();
            }
            if (batch.isEmpty()) continue;
            // No lock after the run: a taken request stays RUNNING, which is all withdraw() asks.
            try {
                runner.run(batch);
            } catch (Throwable t) {
                for (R r : batch) r.fail(t);  // no-op for those the runner completed
            } finally {
                batch.clear();
            }
        }
    }

    // Fills `batch` with the oldest requests, at most one per key, at most maxBatch; they are RUNNING from here on.
    // A key is marked with the batch that took it (no set of keys per batch).
    private void take() {
        final long n = ++batches;
        for (Iterator<R> it = queue.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
            R r = it.next();
            if (r.key != null) {
                if (r.key.takenIn == n) continue;  // its key's earlier request goes first
                r.key.takenIn = n;
            }
            it.remove();
            r.state = RUNNING;
            batch.add(r);
        }
    }

    /**
     * Stops taking requests. drain: runs everything queued first; otherwise the queued requests are cancelled
     * ({@link CancellationException}: they had no effect). Either way waits for the running batch. Idempotent.
     *
     * @throws IllegalStateException when called on the worker thread (from a dependent action), which would wait for
     *     itself
     */
    void close(boolean drain) {
        requireNotWorker();
        List<R> dropped = new ArrayList<>();
        lock.lock();
        try {
            closed = true;
            if (!drain) {
                for (R r : queue) r.state = DONE;
                dropped.addAll(queue);
                queue.clear();
            }
            work.signalAll();
        } finally {
            lock.unlock();
        }
        for (R r : dropped) r.fail(new CancellationException(name + " closed before this request ran (it had no effect)"));
        boolean interrupted = false;
        while (worker.isAlive()) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    void requireNotWorker() {
        if (Thread.currentThread() == worker) {
            throw new IllegalStateException(name + ": close() called on the batcher's own thread (from a non-async "
                    + "dependent action), where it would wait for itself; close from another thread or use ...Async");
        }
    }

    boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }
}
