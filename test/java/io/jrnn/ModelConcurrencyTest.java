package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.jrnn.decode.Sampler;

/**
 * One {@link SequenceModel} shared by threads: forward, streams (one per thread) and generation give, bit for bit,
 * what one thread gets; {@code close()} racing with calls ends each call in a result or
 * {@link IllegalStateException}, never a crash or another exception.
 */
class ModelConcurrencyTest {
    private static final int THREADS = 6, ROUNDS = 10;

    private static SequenceModel load(String name) throws IOException {
        Path file = ModelGoldenTest.folder().resolve(name);
        try (StateDict sd = StateDict.load(file); StateDict w = ModelGoldenTest.modelOnly(sd, name.startsWith("gen")
                ? "gen." : "case.")) {
            return SequenceModel.load(w);
        }
    }

    private static void inThreads(Callable<Void> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int r = 0; r < ROUNDS; r++) body.call();
                    return null;
                }));
            }
            for (Future<Void> f : done) f.get(120, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "threads did not stop");
        }
    }

    @Test
    void sharedModelGivesWhatOneThreadGets() throws Exception {
        try (SequenceModel tagger = load("tagger_gru_bi_bf.safetensors"); SequenceModel lm = load("generate.safetensors")) {
            int[][] rows = {{1, 2, 3, 4}, {5, 6}, {7, 8, 0}};
            float[] want;
            try (Tensor y = tagger.forward(rows)) {
                want = y.toArray();
            }
            int[] text = lm.generate(new int[] {3, 7, 1}, 30, Sampler.topK(5, 1.0, new SplittableRandom(9)), null);
            float[] steps;
            try (SequenceStream s = lm.stream(1); Tensor a = s.step(new int[] {2}); Tensor b = s.step(new int[] {4})) {
                steps = b.toArray();
            }
            inThreads(() -> {
                try (Tensor y = tagger.forward(rows)) {
                    assertArrayEquals(want, y.toArray(), "forward from many threads");
                }
                assertArrayEquals(text, lm.generate(new int[] {3, 7, 1}, 30,
                        Sampler.topK(5, 1.0, new SplittableRandom(9)), null), "generate from many threads");
                try (SequenceStream s = lm.stream(1); Tensor a = s.step(new int[] {2}); Tensor b = s.step(new int[] {4})) {
                    assertArrayEquals(steps, b.toArray(), "a stream per thread");
                }
                return null;
            });
        }
    }

    @Test
    void closeRacingWithCallsNeverCrashes() throws Exception {
        for (int trial = 0; trial < 3; trial++) {
            SequenceModel m = load("lm_lstm_all.safetensors");
            AtomicInteger calls = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<Void>> done = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 200; i++) {
                            try (Tensor y = m.forward(new int[][] {{1, 2, 3}, {4, 5}})) {
                                calls.incrementAndGet();
                            } catch (IllegalStateException closed) {
                                return null; // the model was closed: the documented outcome
                            }
                        }
                        return null;
                    }));
                }
                while (calls.get() < 5 && !done.stream().allMatch(Future::isDone)) Thread.onSpinWait();
                m.close();
                for (Future<Void> f : done) f.get(60, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
                assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
            }
        }
    }
}
