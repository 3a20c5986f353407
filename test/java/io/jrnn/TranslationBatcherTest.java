package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TranslationBatcher}: 16 threads translating through one batcher get what the model gives each sentence
 * alone; a sentence the model rejects fails alone; close drains, closeNow cancels.
 */
class TranslationBatcherTest {
    @TempDir
    static Path dir;
    private static Path file;

    @BeforeAll
    static void write() throws IOException {
        file = TestModels.seq2seq(dir.resolve("s2s.safetensors"), TestModels.CHAR_CONFIG, 4, 0.8f);
    }

    static String sentence(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        for (int n = 1 + r.nextInt(12); n > 0; n--) sb.append("abc".charAt(r.nextInt(3)));
        return sb.toString();
    }

    @Test
    void concurrentTranslationsEqualEachAlone() throws Exception {
        try (Seq2Seq m = Seq2Seq.load(file);
             TranslationBatcher b = TranslationBatcher.builder(m).maxBatch(8).maxDelay(Duration.ofMillis(1)).build()) {
            List<List<String>> got = StreamBatcherTest.inThreads(16, c -> {
                SplittableRandom r = new SplittableRandom(c);
                List<String> out = new ArrayList<>();
                for (int i = 0; i < 20; i++) out.add(b.translate(sentence(r)));
                return out;
            });
            for (int c = 0; c < 16; c++) {
                SplittableRandom r = new SplittableRandom(c);
                for (int i = 0; i < 20; i++) assertEquals(m.translate(sentence(r)), got.get(c).get(i), "client " + c);
            }
            int[] src = {3, 4, 5, 3};
            Translation t = b.greedy(src, 7), alone = m.greedy(src, 7);
            assertArrayEquals(alone.tokens(), t.tokens());
            assertEquals(alone.logProb(), t.logProb());
        }
    }

    @Test
    void aRejectedSentenceFailsAloneAndCloseDrainsOrCancels() throws Exception {
        try (Seq2Seq m = Seq2Seq.load(file)) {
            TranslationBatcher b = TranslationBatcher.builder(m).maxBatch(8).maxDelay(Duration.ofHours(1)).build();
            CompletableFuture<Translation> good = b.greedyAsync(new int[] {3, 4}, 5);
            CompletableFuture<Translation> bad = b.greedyAsync(new int[] {3, 99}, 5);  // id outside the vocabulary
            CompletableFuture<Translation> good2 = b.greedyAsync(new int[] {5}, 5);
            b.close();  // drains the batch of three
            assertArrayEquals(m.greedy(new int[] {3, 4}, 5).tokens(), good.join().tokens());
            assertArrayEquals(m.greedy(new int[] {5}, 5).tokens(), good2.join().tokens());
            assertInstanceOf(IllegalArgumentException.class, assertThrows(CompletionException.class, bad::join).getCause());
            assertThrows(IllegalStateException.class, () -> b.greedyAsync(new int[] {3}, 5));

            TranslationBatcher b2 = TranslationBatcher.builder(m).maxDelay(Duration.ofHours(1)).build();
            CompletableFuture<Translation> waiting = b2.greedyAsync(new int[] {3}, 5);
            b2.closeNow();
            assertTrue(waiting.isCancelled());
            assertThrows(IllegalArgumentException.class, () -> b2.greedyAsync(new int[0], 5));
        }
    }
}
