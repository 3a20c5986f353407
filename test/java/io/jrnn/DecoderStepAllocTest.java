package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * A seq2seq decoder step ({@link DecoderSession#advance}) is one native call that allocates nothing on the Java
 * heap in the steady state (issue: 0 B per step), greedy rows and beam rows with reorders alike; only the attention
 * rows a caller asks for are new arrays.
 */
class DecoderStepAllocTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static final Path DEMO = Path.of("java", "io", "jrnn", "cli", "dates.safetensors");

    /** Bytes this thread allocated while {@code steps} steps ran (after as many steps of warm-up). */
    private static long allocated(DecoderSession s, int rows, int steps) {
        final int V = s.vocabSize();
        final float[] logp = new float[rows * V];
        final int[] identity = new int[rows], shuffled = new int[rows], tokens = new int[rows];
        for (int j = 0; j < rows; j++) {
            identity[j] = j;
            shuffled[j] = (j * 3 + 1) % rows; // a reorder every other step (rows 5: 1 4 2 0 3)
            tokens[j] = 3 + j % (V - 3);
        }
        s.advance(new int[] {0}, new int[] {1}, 1, logp, null); // the start row
        s.advance(new int[rows], tokens, rows, logp, null);     // fan out to `rows` rows
        long before = 0;
        for (int i = 0; i < 2 * steps; i++) {
            if (i == steps) before = THREADS.getCurrentThreadAllocatedBytes();
            s.advance((i & 1) == 0 ? identity : shuffled, tokens, rows, logp, null);
        }
        return THREADS.getCurrentThreadAllocatedBytes() - before;
    }

    @Test
    void stepAllocatesNothing() throws Exception {
        assertTrue(THREADS.isThreadAllocatedMemorySupported(), "the JVM measures per-thread allocation");
        THREADS.setThreadAllocatedMemoryEnabled(true);
        try (Seq2Seq m = Seq2Seq.load(DEMO)) {
            int[] src = m.tokenize("12 March 2021");
            for (int rows : new int[] {1, 5}) {
                try (DecoderSession s = new DecoderSession(m, src, rows)) {
                    final int steps = 20_000;
                    long bytes = allocated(s, rows, steps);
                    // a few bytes of the measuring call itself at most; one array per step would be >= 16 * steps
                    assertTrue(bytes < 1024, rows + " rows: " + bytes + " bytes over " + steps + " steps");
                }
            }
        }
    }

    @Test
    void badRowsAreRejectedBeforeNativeCode() throws Exception {
        try (Seq2Seq m = Seq2Seq.load(DEMO); DecoderSession s = new DecoderSession(m, m.tokenize("1 May 1999"), 3)) {
            float[] logp = new float[3 * s.vocabSize()];
            assertThrows(IllegalArgumentException.class, () -> s.advance(new int[] {1}, new int[] {1}, 1, logp, null),
                    "parent 1 of a single start row");
            assertThrows(IllegalArgumentException.class,
                    () -> s.advance(new int[] {0}, new int[] {s.vocabSize()}, 1, logp, null), "token past the vocabulary");
            assertThrows(IllegalArgumentException.class, () -> s.advance(new int[4], new int[4], 4, logp, null),
                    "more rows than the session holds");
            float[][] attention = new float[1][];
            s.advance(new int[] {0}, new int[] {1}, 1, logp, attention); // still usable: nothing changed
            assertEquals(m.tokenize("1 May 1999").length, attention[0].length);
        }
    }
}
