package io.jrnn.internal.onnx;

import java.util.Arrays;

/**
 * A value flowing through an imported ONNX graph: a shape and either float data (ONNX float, double, float16 and
 * bfloat16 tensors, as float32) or integer data (the integer and bool types, as long). Immutable by convention:
 * an op never writes into its inputs, so reshaping ops share the array of their input.
 *
 * <p>Thread safety: immutable; shared freely.
 */
public final class Value {
    final int[] shape;
    final float[] f;
    final long[] i;

    private Value(int[] shape, float[] f, long[] i) {
        this.shape = shape;
        this.f = f;
        this.i = i;
    }

    static Value floats(int[] shape, float[] data) {
        check(shape, data.length);
        return new Value(shape, data, null);
    }

    static Value ints(int[] shape, long[] data) {
        check(shape, data.length);
        return new Value(shape, null, data);
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
        return f != null;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return isFloat() ? f.length : i.length;
    }

    /** The data as float (integers converted). */
    public float[] asFloats() {
        if (f != null) return f;
        float[] out = new float[i.length];
        for (int k = 0; k < out.length; k++) out[k] = i[k];
        return out;
    }

    /** The data as long (floats truncated toward zero, as ONNX's Cast does). */
    long[] asLongs() {
        if (i != null) return i;
        long[] out = new long[f.length];
        for (int k = 0; k < out.length; k++) out[k] = (long) f[k];
        return out;
    }

    /** The same data under another shape of the same size. */
    Value reshape(int[] newShape) {
        return f != null ? floats(newShape, f) : ints(newShape, i);
    }

    @Override
    public String toString() {
        return (isFloat() ? "float" : "int") + Arrays.toString(shape);
    }
}
