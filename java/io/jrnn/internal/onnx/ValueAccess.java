package io.jrnn.internal.onnx;

/**
 * Makes {@link Value}s from outside this package (the public {@code OnnxModel}).
 *
 * <p>Thread safety: stateless.
 */
public final class ValueAccess {
    private ValueAccess() {
    }

    /** A value from tensor data; for an integer input every element must be a whole number. */
    public static Value of(int[] shape, float[] data, boolean integer, String name) {
        if (!integer) return Value.floats(shape, data);
        long[] v = new long[data.length];
        for (int k = 0; k < data.length; k++) {
            float x = data[k];
            if (x != Math.rint(x) || Float.isInfinite(x)) {
                throw new IllegalArgumentException("input " + name + " is an integer tensor in the graph, but element "
                        + k + " is " + x);
            }
            v[k] = (long) x;
        }
        return Value.ints(shape, v);
    }
}
