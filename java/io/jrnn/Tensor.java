package io.jrnn;

import java.nio.FloatBuffer;
import java.util.Arrays;

import org.bytedeco.javacpp.FloatPointer;

/**
 * A dense float32 tensor in native memory, row-major, with a fixed shape.
 *
 * <p>Owns its memory: {@link #close()} frees it at once (idempotent); a tensor that is never closed is freed by
 * JavaCPP's garbage-collection backstop. Any use after close throws {@link IllegalStateException}.
 *
 * <p>Thread safety: reading one tensor from several threads is safe; writing it (or closing it) while another
 * thread uses it is not.
 */
public final class Tensor implements AutoCloseable {
    /** The largest element count a tensor may hold (2^31 - 16: it must fit a Java array for {@link #toArray}). */
    public static final long MAX_SIZE = Integer.MAX_VALUE - 16L;

    private final int[] shape;
    private final long size;
    private volatile FloatPointer data;

    private Tensor(int[] shape, long size, FloatPointer data) {
        this.shape = shape;
        this.size = size;
        this.data = data;
    }

    /** A tensor holding a copy of {@code data} with the given shape; the shape's product must equal data.length. */
    public static Tensor of(float[] data, int... shape) {
        if (data == null) throw new IllegalArgumentException("data must not be null");
        long n = checkShape(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " elements, but data has " + data.length);
        }
        Tensor t = allocate(shape.clone(), n, false);
        if (n > 0) t.data.put(data);
        return t;
    }

    /** A tensor of zeros. */
    public static Tensor zeros(int... shape) {
        long n = checkShape(shape);
        return allocate(shape.clone(), n, true);
    }

    /** Uninitialised storage for library code that overwrites every element (package-private). */
    static Tensor uninitialized(int... shape) {
        long n = checkShape(shape);
        return allocate(shape.clone(), n, false);
    }

    private static Tensor allocate(int[] shape, long n, boolean zero) {
        // JavaCPP cannot allocate 0 elements; keep one so that every live tensor has an address.
        FloatPointer p = new FloatPointer(Math.max(n, 1));
        if (p.isNull()) throw new OutOfMemoryError("cannot allocate a native tensor of " + n + " floats");
        if (zero) p.zero();
        return new Tensor(shape, n, p);
    }

    static long checkShape(int[] shape) {
        if (shape == null) throw new IllegalArgumentException("shape must not be null");
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative size");
            n *= d;
            if (n > MAX_SIZE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds more than "
                        + MAX_SIZE + " elements");
            }
        }
        return n;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code i}. */
    public int dim(int i) {
        if (i < 0 || i >= shape.length) {
            throw new IllegalArgumentException("dimension " + i + " out of range for rank " + shape.length);
        }
        return shape[i];
    }

    /** Whether the shape is exactly [d0, d1] (no allocation: the per-call checks use it). */
    boolean hasShape(int d0, int d1) {
        return shape.length == 2 && shape[0] == d0 && shape[1] == d1;
    }

    /** Whether the shape is exactly [d0, d1, d2]. */
    boolean hasShape(int d0, int d1, int d2) {
        return shape.length == 3 && shape[0] == d0 && shape[1] == d1 && shape[2] == d2;
    }

    public int rank() {
        return shape.length;
    }

    /** Number of elements. */
    public long size() {
        return size;
    }

    /** A copy of the contents, row-major. */
    public float[] toArray() {
        float[] out = new float[(int) size];
        if (size > 0) pointer().get(out);
        return out;
    }

    /**
     * Copies the contents, row-major, into {@code dst[0, size)} (allocation-free; {@code dst} may be longer, e.g. a
     * buffer reused across calls).
     */
    public void copyTo(float[] dst) {
        if (dst == null || dst.length < size) {
            throw new IllegalArgumentException("dst must hold at least " + size + " values for shape "
                    + Arrays.toString(shape) + ", got " + (dst == null ? "null" : dst.length));
        }
        if (size > 0) pointer().position(0).get(dst, 0, (int) size);
    }

    /** Overwrites the contents with {@code values} (length must equal {@link #size()}). */
    public void copyFrom(float[] values) {
        if (values == null || values.length != size) {
            throw new IllegalArgumentException("expected " + size + " values for shape " + Arrays.toString(shape)
                    + ", got " + (values == null ? "null" : values.length));
        }
        if (size > 0) pointer().put(values);
    }

    /** The element at a full index, for inspection and tests (slow: one native read). */
    public float get(int... index) {
        if (index == null || index.length != shape.length) {
            throw new IllegalArgumentException("expected " + shape.length + " indices, got "
                    + (index == null ? "null" : index.length));
        }
        long off = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IllegalArgumentException("index " + Arrays.toString(index) + " out of bounds for shape "
                        + Arrays.toString(shape));
            }
            off = off * shape[i] + index[i];
        }
        return pointer().get(off);
    }

    /**
     * Moves the storage into a new tensor of another shape with the same element count (package-private: the ONNX
     * importer hands a layer's output out under the shape ONNX gives it); this tensor is closed afterwards.
     */
    synchronized Tensor moveTo(int... newShape) {
        long n = checkShape(newShape);
        if (n != size) {
            throw new IllegalArgumentException("cannot view " + Arrays.toString(shape) + " as " + Arrays.toString(newShape));
        }
        FloatPointer p = pointer();
        data = null;
        return new Tensor(newShape.clone(), n, p);
    }

    public boolean isClosed() {
        return data == null;
    }

    /** The native storage; throws if closed (package-private: the layers pass it to the kernels). */
    FloatPointer pointer() {
        FloatPointer p = data;
        if (p == null) throw new IllegalStateException("tensor " + Arrays.toString(shape) + " is closed");
        return p;
    }

    /** A direct buffer over the storage (package-private: loaders fill tensors in bulk). */
    FloatBuffer buffer() {
        return pointer().capacity(Math.max(size, 1)).asBuffer();
    }

    @Override
    public synchronized void close() {
        FloatPointer p = data;
        if (p != null) {
            data = null;
            p.deallocate();
        }
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + (isClosed() ? " (closed)" : "");
    }
}
