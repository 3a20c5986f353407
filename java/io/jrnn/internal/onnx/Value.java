package io.jrnn.internal.onnx;

import java.util.Arrays;
import java.util.List;

import io.jrnn.Tensor;

/**
 * A value flowing through an imported ONNX graph: a shape and either float data (ONNX float, double, float16 and
 * bfloat16 tensors, as float32) or integer data (the integer and bool types, as long). Immutable by convention:
 * an op never writes into its inputs, so reshaping ops share the array of their input.
 *
 * <p>Float data may live in a native {@link Tensor} instead (a run's input, or what a native layer returned), so that
 * it flows from layer to layer and out of the run without copies; {@link #fl()} copies it to the heap on first use.
 *
 * <p>Thread safety: heap values are immutable and shared freely; a native-backed value belongs to one run (one
 * thread).
 */
public final class Value {
    final int[] shape;
    private float[] f;
    final long[] i;
    /** Native storage of the float data (same element count, any shape), or null. */
    final Tensor nat;

    private Value(int[] shape, float[] f, long[] i, Tensor nat) {
        this.shape = shape;
        this.f = f;
        this.i = i;
        this.nat = nat;
    }

    /**
     * The native tensors one run made (outputs of native layers): the run closes them at its end unless it hands one
     * out as a result. Set by {@link Graph#run} on the running thread.
     */
    static final ThreadLocal<List<Tensor>> ARENA = new ThreadLocal<>();

    /** A float value over a native tensor of the same element count (not copied; not owned unless in the arena). */
    public static Value nativeFloats(int[] shape, Tensor t) {
        if (size(shape) != t.size()) {
            throw new IllegalStateException("shape " + Arrays.toString(shape) + " does not hold " + t.size() + " values");
        }
        return new Value(shape, null, null, t);
    }

    /** A float value over a tensor a native layer just made: registered with the run, which closes it. */
    static Value made(int[] shape, Tensor t) {
        List<Tensor> arena = ARENA.get();
        if (arena == null) {
            try (t) {
                return floats(shape, t.toArray());
            }
        }
        arena.add(t);
        return nativeFloats(shape, t);
    }

    /** The native tensor when this value is native-backed and that tensor has exactly {@code want}'s shape. */
    Tensor nativeAs(int... want) {
        return nat != null && !nat.isClosed() && Arrays.equals(nat.shape(), want) ? nat : null;
    }

    /** The native storage (any shape of the same size), or null. */
    public Tensor nativeTensor() {
        return nat;
    }

    /** The float data on the heap (copied from native storage on first use). */
    float[] fl() {
        float[] a = f;
        if (a == null && nat != null) f = a = nat.toArray();
        return a;
    }

    static Value floats(int[] shape, float[] data) {
        check(shape, data.length);
        return new Value(shape, data, null, null);
    }

    static Value ints(int[] shape, long[] data) {
        check(shape, data.length);
        return new Value(shape, null, data, null);
    }

    private static void check(int[] shape, int n) {
        if (size(shape) != n) {
            throw new IllegalStateException("shape " + Arrays.toString(shape) + " does not hold " + n + " values");
        }
    }

    /** The element count of a shape (callers have bounded it). */
    static int size(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n > Integer.MAX_VALUE - 16L) throw new IllegalArgumentException("shape " + Arrays.toString(shape)
                + " holds more than 2^31-16 elements");
        return (int) n;
    }

    public boolean isFloat() {
        return i == null;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return i != null ? i.length : f != null ? f.length : (int) nat.size();
    }

    /** The data as float (integers converted). */
    public float[] asFloats() {
        if (i == null) return fl();
        float[] out = new float[i.length];
        for (int k = 0; k < out.length; k++) out[k] = i[k];
        return out;
    }

    /** The data as long (floats truncated toward zero, as ONNX's Cast does). */
    long[] asLongs() {
        if (i != null) return i;
        float[] a = fl();
        long[] out = new long[a.length];
        for (int k = 0; k < out.length; k++) out[k] = (long) a[k];
        return out;
    }

    /** The same data under another shape of the same size. */
    Value reshape(int[] newShape) {
        if (i != null) return ints(newShape, i);
        if (f == null) return nativeFloats(newShape, nat);
        Value v = floats(newShape, f);
        return nat == null ? v : new Value(newShape, f, null, nat);
    }

    @Override
    public String toString() {
        return (isFloat() ? "float" : "int") + Arrays.toString(shape);
    }
}
