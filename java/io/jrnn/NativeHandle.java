package io.jrnn;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * The one owner of a native handle for every public class that holds one: calls hold the read lock while native
 * code runs ({@link #acquire}/{@link #release}), so {@link #close()} (the write lock) never frees memory under a
 * running kernel; a {@link Cleaner} frees a handle nobody closed once this object is unreachable.
 *
 * <p>Thread safety: thread-safe; any number of calls may hold the handle at once, close waits for them.
 */
final class NativeHandle<H> {
    private static final Cleaner CLEANER = Cleaner.create();

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final String what;
    private final Cleaner.Cleanable cleanable;
    private H handle; // guarded by lock; null once closed

    /** Takes ownership of {@code handle}; {@code destroy} frees it once (it must not capture the owner). */
    NativeHandle(H handle, Consumer<H> destroy, String what) {
        this.handle = handle;
        this.what = what;
        this.cleanable = CLEANER.register(this, () -> destroy.accept(handle));
    }

    /** The live handle with the read lock held; every acquire is followed by {@link #release} in a finally. */
    H acquire() {
        lock.readLock().lock();
        H h = handle;
        if (h == null) {
            lock.readLock().unlock();
            throw new IllegalStateException(what + " is closed");
        }
        return h;
    }

    void release() {
        lock.readLock().unlock();
        Reference.reachabilityFence(this); // the Cleaner must not run while a call still uses the handle
    }

    /** Throws {@link IllegalStateException} when closed. */
    void ensureOpen() {
        acquire();
        release();
    }

    boolean isClosed() {
        lock.readLock().lock();
        try {
            return handle == null;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Frees the handle after the calls in flight; idempotent. */
    void close() {
        lock.writeLock().lock();
        try {
            if (handle != null) {
                handle = null;
                cleanable.clean(); // runs destroy now, once
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
