package io.jrnn;

import static io.jrnn.Seq2SeqValidationTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Bad arguments to {@link Tensor} (SPEC §2): shapes, indices, sizes and use after close, each an
 * {@link IllegalArgumentException} or {@link IllegalStateException} with the numbers. (Tensor.of's data/shape
 * mismatch and negative sizes are in {@link RecurrentValidationTest}.)
 */
class TensorValidationTest {

    @Test
    void sizesBeyondTheLimit() {
        assertMessage(IllegalArgumentException.class, () -> Tensor.zeros(1 << 16, 1 << 16), "[65536, 65536]",
                "more than " + Tensor.MAX_SIZE);
        assertMessage(IllegalArgumentException.class, () -> Tensor.zeros(Integer.MAX_VALUE, 2), "more than");
        // the product overflows a long only past the limit, which is checked at every factor
        assertMessage(IllegalArgumentException.class, () -> Tensor.zeros(1 << 30, 1 << 30, 1 << 30, 1 << 30),
                "more than");
        assertMessage(IllegalArgumentException.class, () -> Tensor.zeros((int[]) null), "shape", "null");
    }

    @Test
    void emptyAndScalarShapes() {
        try (Tensor empty = Tensor.zeros(3, 0); Tensor scalar = Tensor.of(new float[] {7f})) {
            assertEquals(0, empty.size());
            assertArrayEquals(new float[0], empty.toArray());
            assertEquals(7f, scalar.get());
        }
    }

    @Test
    void get() {
        try (Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)) {
            assertEquals(6f, t.get(1, 2));
            assertMessage(IllegalArgumentException.class, () -> t.get((int[]) null), "2 indices", "null");
            assertMessage(IllegalArgumentException.class, () -> t.get(1), "2 indices", "got 1");
            assertMessage(IllegalArgumentException.class, () -> t.get(0, 0, 0), "2 indices", "got 3");
            assertMessage(IllegalArgumentException.class, () -> t.get(2, 0), "[2, 0]", "out of bounds", "[2, 3]");
            assertMessage(IllegalArgumentException.class, () -> t.get(0, -1), "[0, -1]", "out of bounds");
            assertMessage(IllegalArgumentException.class, () -> t.dim(2), "dimension 2", "rank 2");
            assertMessage(IllegalArgumentException.class, () -> t.dim(-1), "dimension -1");
        }
    }

    @Test
    void copyFrom() {
        try (Tensor t = Tensor.zeros(2, 2)) {
            assertMessage(IllegalArgumentException.class, () -> t.copyFrom(null), "expected 4 values", "null");
            assertMessage(IllegalArgumentException.class, () -> t.copyFrom(new float[3]), "expected 4", "[2, 2]",
                    "got 3");
            t.copyFrom(new float[] {1, 2, 3, 4});
            assertArrayEquals(new float[] {1, 2, 3, 4}, t.toArray());
        }
    }

    @Test
    void useAfterClose() {
        Tensor t = Tensor.of(new float[] {1, 2}, 2);
        t.close();
        assertDoesNotThrow(t::close, "second close");
        assertMessage(IllegalStateException.class, t::toArray, "[2]", "closed");
        assertMessage(IllegalStateException.class, () -> t.get(0), "closed");
        assertMessage(IllegalStateException.class, () -> t.copyFrom(new float[2]), "closed");
        assertArrayEquals(new int[] {2}, t.shape(), "the shape stays readable");
        assertEquals("Tensor[2] (closed)", t.toString());
    }
}
