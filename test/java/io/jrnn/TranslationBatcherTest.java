package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TranslationBatcher}: threads translating through one batcher, greedy and beam search mixed, get what the
 * model gives each sentence alone, bit for bit; {@link Seq2Seq}'s sentence lists likewise; bad requests are refused
 * at once; close drains, closeNow cancels.
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
    void greedyAndBeamRequestsDecodedTogetherEqualEachAloneBitForBit() throws Exception {
        try (Seq2Seq m = Seq2Seq.load(file);
             TranslationBatcher b = TranslationBatcher.builder(m).maxBatch(12).maxDelay(Duration.ofMillis(2)).build()) {
            List<List<List<Translation>>> got = StreamBatcherTest.inThreads(12, c -> {
                SplittableRandom r = new SplittableRandom(100 + c);
                List<List<Translation>> out = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    int[] src = m.tokenize(sentence(r));
                    int beam = 1 + r.nextInt(4);
                    out.add(beam == 1 ? List.of(b.greedy(src, 4 + r.nextInt(8)))
                            : b.beamSearch(src, beam, 4 + r.nextInt(8), 0.5f * r.nextInt(3)));
                }
                return out;
            });
            for (int c = 0; c < 12; c++) {
                SplittableRandom r = new SplittableRandom(100 + c);
                for (int i = 0; i < 10; i++) {
                    int[] src = m.tokenize(sentence(r));
                    int beam = 1 + r.nextInt(4);
                    List<Translation> alone = beam == 1 ? List.of(m.greedy(src, 4 + r.nextInt(8)))
                            : m.beamSearch(src, beam, 4 + r.nextInt(8), 0.5f * r.nextInt(3));
                    assertSame(alone, got.get(c).get(i));
                }
            }
        }
    }

    @Test
    void sentenceListsDecodeTogetherAsEachAlone() throws Exception {
        try (Seq2Seq m = Seq2Seq.load(file)) {
            SplittableRandom r = new SplittableRandom(7);
            List<int[]> srcs = new ArrayList<>();
            for (int i = 0; i < 70; i++) srcs.add(m.tokenize(sentence(r)));
            // 70 sentences x beam 4 = 280 rows: more than one batched session
            List<List<Translation>> beams = m.beamSearch(srcs, 4, 9, 0.6f);
            List<Translation> greedy = m.greedy(srcs, 9);
            for (int i = 0; i < srcs.size(); i++) {
                assertSame(m.beamSearch(srcs.get(i), 4, 9, 0.6f), beams.get(i));
                assertSame(List.of(m.greedy(srcs.get(i), 9)), List.of(greedy.get(i)));
            }
        }
    }

    /** Same tokens, the same log-probability bits and the same attention weights, hypothesis by hypothesis. */
    static void assertSame(List<Translation> want, List<Translation> got) {
        assertEquals(want.size(), got.size(), "hypotheses");
        for (int h = 0; h < want.size(); h++) {
            Translation w = want.get(h), g = got.get(h);
            assertArrayEquals(w.tokens(), g.tokens(), "tokens of hypothesis " + h);
            assertEquals(Float.floatToRawIntBits(w.logProb()), Float.floatToRawIntBits(g.logProb()),
                    "log-probability of hypothesis " + h);
            assertEquals(w.attention() == null, g.attention() == null);
            if (w.attention() != null) {
                assertEquals(w.attention().length, g.attention().length);
                for (int t = 0; t < w.attention().length; t++) {
                    assertArrayEquals(w.attention()[t], g.attention()[t], 0f, "attention of step " + t);
                }
            }
        }
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should contain '" + part + "'");
    }

    @Test
    void aRejectedSentenceFailsAloneAndCloseDrainsOrCancels() throws Exception {
        try (Seq2Seq m = Seq2Seq.load(file)) {
            TranslationBatcher b = TranslationBatcher.builder(m).maxBatch(8).maxDelay(Duration.ofHours(1)).build();
            CompletableFuture<Translation> good = b.greedyAsync(new int[] {3, 4}, 5);
            // an id outside the vocabulary is refused at once, and the queued requests go on
            assertMessage(() -> b.greedyAsync(new int[] {3, 99}, 5), "srcIds[1] must be a source id in [0, ");
            assertMessage(() -> b.beamSearchAsync(new int[] {3}, 0, 5, 0f), "beamSize must be in [1, ");
            assertMessage(() -> b.greedyAsync(new int[] {3}, 0), "maxLen must be in [1, ");
            CompletableFuture<List<Translation>> beam = b.beamSearchAsync(new int[] {5}, 3, 5, 0.6f);
            b.close();  // drains the batch of two
            assertArrayEquals(m.greedy(new int[] {3, 4}, 5).tokens(), good.join().tokens());
            assertSame(m.beamSearch(new int[] {5}, 3, 5, 0.6f), beam.join());
            assertThrows(IllegalStateException.class, () -> b.greedyAsync(new int[] {3}, 5));

            TranslationBatcher b2 = TranslationBatcher.builder(m).maxDelay(Duration.ofHours(1)).build();
            CompletableFuture<Translation> waiting = b2.greedyAsync(new int[] {3}, 5);
            b2.closeNow();
            assertTrue(waiting.isCancelled());
            assertThrows(IllegalArgumentException.class, () -> b2.greedyAsync(new int[0], 5));
        }
    }
}
