package io.jrnn;

import org.bytedeco.javacpp.IntPointer;

/** A per-thread native copy of an int array (indices, lengths) for one native call; grown on demand, reused. */
final class NativeIds {
    private static final ThreadLocal<IntPointer> BUF = new ThreadLocal<>();

    private NativeIds() {}

    /** The calling thread's buffer holding {@code ids}; valid until this thread's next call of this method. */
    static IntPointer of(int[] ids) {
        IntPointer p = BUF.get();
        if (p == null || p.capacity() < ids.length) {
            if (p != null) p.deallocate();
            p = new IntPointer(Math.max(64, ids.length));
            BUF.set(p);
        }
        p.position(0).put(ids, 0, ids.length);
        return p;
    }
}
