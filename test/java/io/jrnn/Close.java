package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;

/** Element-wise closeness for the numeric tests (golden data, the float64 reference). Stateless. */
final class Close {
    private Close() {}

    /**
     * Fails with the largest absolute error, where it is (an index into {@code shape}) and both values; NaN counts as
     * a failure. Returns the largest error.
     */
    static double assertClose(String what, double[] expected, float[] actual, int[] shape, double tol) {
        assertEquals(expected.length, actual.length, what + ": element count");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            if (Double.isNaN(err)) err = Double.POSITIVE_INFINITY;
            if (at < 0 || err > worst) {
                worst = err;
                at = i;
            }
        }
        if (worst > tol) {
            fail(String.format("%s: max |error| %.3g > %.0e at %s (expected %.9g, got %.9g)", what, worst, tol,
                    index(at, shape), expected[at], (double) actual[at]));
        }
        return worst;
    }

    static double assertClose(String what, float[] expected, float[] actual, int[] shape, double tol) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) e[i] = expected[i];
        return assertClose(what, e, actual, shape, tol);
    }

    private static String index(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return Arrays.toString(idx);
    }
}
