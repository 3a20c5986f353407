package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * The batchers' scheduling core with a synthetic runner: batches of at most maxBatch, one request per key per batch
 * in submission order, every request completed exactly once under cancellation from many threads, a runner failure
 * fails its batch only.
 */
class BatchQueueTest {
    static final Duration HOUR = Duration.ofHours(1);

    static final class Req extends BatchQueue.Request<Integer> {
        final int value;

        Req(BatchQueue<?> q, BatchQueue.Key key, int value) {
            super(q, key, null);
            this.value = value;
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void keysRunInOrderOnePerBatch() throws Exception {
        List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
        BatchQueue<Req>[] q = new BatchQueue[1];
        q[0] = new BatchQueue<>("test", 4, HOUR, 100, batch -> {
            List<Integer> values = new ArrayList<>();
            for (Req r : batch) {
                values.add(r.value);
                r.finish(r.value * 10);
            }
            batches.add(values);
        });
        BatchQueue.Key a = new BatchQueue.Key(), b = new BatchQueue.Key();
        List<Req> rs = new ArrayList<>();
        int[][] plan = {{0, 1}, {0, 2}, {1, 3}, {0, 4}, {1, 5}};  // key (0: a, 1: b), value
        for (int[] p : plan) {
            Req r = new Req(q[0], p[0] == 0 ? a : b, p[1]);
            q[0].submit(r);
            rs.add(r);
        }
        q[0].close(true);  // drains: batches [1,3], [2,5], [4]
        assertEquals(List.of(List.of(1, 3), List.of(2, 5), List.of(4)), batches);
        for (Req r : rs) assertEquals(r.value * 10, r.join());
    }

    @Test
    @SuppressWarnings("unchecked")
    void aRunnerFailureFailsItsBatchOnlyAndAFullQueueRejects() throws Exception {
        BatchQueue<Req>[] q = new BatchQueue[1];
        q[0] = new BatchQueue<>("test", 2, HOUR, 3, batch -> {
            for (Req r : batch) {
                if (r.value < 0) throw new IllegalStateException("boom");
                r.finish(r.value);
            }
        });
        Req ok1 = new Req(q[0], null, 1), bad = new Req(q[0], null, -1), ok2 = new Req(q[0], null, 2);
        q[0].submit(ok1);
        q[0].submit(bad);  // batch [ok1, bad] is full: it runs; ok1 completes before bad throws
        assertEquals(1, ok1.get(60, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, assertThrows(CompletionException.class, bad::join).getCause());
        Req ok3 = new Req(q[0], null, 3);
        q[0].submit(ok2);
        q[0].submit(ok3);  // the next full batch: unaffected by the failed one
        assertEquals(2, ok2.get(60, TimeUnit.SECONDS));
        assertEquals(3, ok3.get(60, TimeUnit.SECONDS));
        // capacity 3: fill the queue behind a batch that waits for company
        BatchQueue<Req> slow = new BatchQueue<>("slow", 10, HOUR, 3, batch -> batch.forEach(r -> r.finish(r.value)));
        for (int i = 0; i < 3; i++) slow.submit(new Req(slow, null, i));
        var e = assertThrows(RejectedExecutionException.class, () -> slow.submit(new Req(slow, null, 3)));
        assertTrue(e.getMessage().contains("queueCapacity 3"), e.getMessage());
        slow.close(true);
        q[0].close(true);
        assertThrows(IllegalStateException.class, () -> slow.submit(new Req(slow, null, 4)));
    }

    /** 8 threads submit and cancel at random while batches run: every request completes exactly once. */
    @Test
    void everyRequestCompletesExactlyOnceUnderCancellation() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        BatchQueue<Req> q = new BatchQueue<>("test", 16, Duration.ofMillis(1), 10_000, batch -> {
            for (Req r : batch) {
                ran.incrementAndGet();
                r.finish(r.value);
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<int[]>> fs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            final int thread = t;
            fs.add(pool.submit(() -> {
                java.util.SplittableRandom rnd = new java.util.SplittableRandom(thread);
                int cancelled = 0, done = 0;
                for (int i = 0; i < 2000; i++) {
                    Req r = new Req(q, null, i);
                    q.submit(r);
                    if (rnd.nextInt(3) == 0 && r.cancel(false)) {
                        cancelled++;
                        assertTrue(r.isCancelled());
                    } else {
                        assertEquals(i, r.get(60, TimeUnit.SECONDS));
                        done++;
                    }
                    assertFalse(r.cancel(false), "completed: cannot be cancelled");
                }
                return new int[] {cancelled, done};
            }));
        }
        int done = 0, cancelled = 0;
        for (Future<int[]> f : fs) {
            int[] c = f.get(120, TimeUnit.SECONDS);
            cancelled += c[0];
            done += c[1];
        }
        pool.shutdown();
        q.close(true);
        assertEquals(8 * 2000, done + cancelled);
        assertEquals(done, ran.get(), "the runner saw exactly the requests that were not cancelled");
        assertTrue(cancelled > 0, "some cancels won the race");
    }
}
