package io.jrnn;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * Coalesces concurrent greedy translations of one {@link Seq2Seq} model: requests queued within {@code maxDelay} of
 * each other (up to {@code maxBatch}) are decoded by one call of the model's batched {@link Seq2Seq#greedy(List, int)}
 * (one call per distinct {@code maxLen}), which returns what one call per sentence returns.
 *
 * <p>Requests follow the rules of {@link StreamBatcher}: futures that complete exactly once, withdrawable (cancel,
 * timeout) only while queued, a bounded queue that rejects at once with {@link RejectedExecutionException}, and
 * {@link #close()} (drain) or {@link #closeNow()} (cancel what waits). A sentence the model rejects fails alone.
 *
 * <p>Throughput follows the model's batched decoder: while {@code Seq2Seq.greedy(List, int)} decodes its sentences
 * one after another, this class serialises the callers onto one thread and gains nothing over calling the model from
 * each thread (bench/ measures both); it is the seam where a decoder that steps many sentences at once pays off.
 *
 * <p>Thread safety: thread-safe. The batcher does not own the model: close the batcher first.
 */
public final class TranslationBatcher implements AutoCloseable {

    /** Settings of a {@link TranslationBatcher}; every setter validates its value at once. Not thread-safe. */
    public static final class Builder {
        private final Seq2Seq model;
        private int maxBatch = 64;
        private Duration maxDelay = Duration.ofMillis(1);
        private int queueCapacity = 4096;
        private Duration timeout;

        private Builder(Seq2Seq model) {
            if (model == null) throw new IllegalArgumentException("model must not be null");
            this.model = model;
        }

        /** Most sentences of one batched call (default 64). */
        public Builder maxBatch(int n) {
            if (n < 1) throw new IllegalArgumentException("maxBatch must be >= 1, got " + n);
            maxBatch = n;
            return this;
        }

        /** Longest wait for a fuller batch after the oldest pending request arrived (default 1 ms). */
        public Builder maxDelay(Duration d) {
            if (d == null || d.isNegative()) throw new IllegalArgumentException("maxDelay must be >= 0, got " + d);
            maxDelay = d;
            return this;
        }

        /** Most requests waiting; more are rejected (default 4096). */
        public Builder queueCapacity(int n) {
            if (n < 1) throw new IllegalArgumentException("queueCapacity must be >= 1, got " + n);
            queueCapacity = n;
            return this;
        }

        /** Default timeout of every request: how long it may wait to start (default none). */
        public Builder timeout(Duration d) {
            if (d != null && (d.isNegative() || d.isZero())) {
                throw new IllegalArgumentException("timeout must be > 0 or null, got " + d);
            }
            timeout = d;
            return this;
        }

        public TranslationBatcher build() {
            return new TranslationBatcher(this);
        }
    }

    public static Builder builder(Seq2Seq model) {
        return new Builder(model);
    }

    private final Seq2Seq model;
    private final Duration timeout;
    private final BatchQueue<Request> queue;

    private TranslationBatcher(Builder b) {
        model = b.model;
        timeout = b.timeout;
        queue = new BatchQueue<>("jrnn TranslationBatcher", b.maxBatch, b.maxDelay, b.queueCapacity, this::run);
    }

    private final class Request extends BatchQueue.Request<Translation> {
        final int[] src;
        final int maxLen;

        Request(int[] src, int maxLen, Duration timeout) {
            super(queue, null, timeout);
            this.src = src;
            this.maxLen = maxLen;
        }
    }

    /** Blocking form of {@link #greedyAsync(int[], int)}. */
    public Translation greedy(int[] srcIds, int maxLen) {
        return greedyAsync(srcIds, maxLen).join();
    }

    /** {@link #greedyAsync(int[], int, Duration)} with the default timeout. */
    public CompletableFuture<Translation> greedyAsync(int[] srcIds, int maxLen) {
        return greedyAsync(srcIds, maxLen, timeout);
    }

    /**
     * Queues a greedy decoding of one source sentence (ids in the source vocabulary, copied now); completes with what
     * {@link Seq2Seq#greedy(int[], int)} returns.
     *
     * @param timeout how long the request may wait to start (null: no limit)
     * @throws IllegalArgumentException for a null or empty source or {@code maxLen < 1}
     * @throws IllegalStateException after {@link #close}
     * @throws RejectedExecutionException when the queue is full
     */
    public CompletableFuture<Translation> greedyAsync(int[] srcIds, int maxLen, Duration timeout) {
        if (srcIds == null || srcIds.length == 0) {
            throw new IllegalArgumentException("srcIds must hold at least one id, got "
                    + (srcIds == null ? "null" : "none"));
        }
        if (maxLen < 1) throw new IllegalArgumentException("maxLen must be >= 1, got " + maxLen);
        Request r = new Request(srcIds.clone(), maxLen, timeout);
        queue.submit(r);
        return r;
    }

    /** Blocking form of {@link #translateAsync(String)}. */
    public String translate(String text) {
        return translateAsync(text).join();
    }

    /**
     * Queues what {@link Seq2Seq#translate(String)} does: tokenised now (bad text throws here), decoded greedily in a
     * batch, detokenised.
     */
    public CompletableFuture<String> translateAsync(String text) {
        int[] ids = model.tokenize(text);
        return greedyAsync(ids, Seq2Seq.defaultMaxLen(ids)).thenApply(t -> model.detokenize(t.tokens()));
    }

    // One batched call per maxLen; when it fails, its sentences one by one, so a failure stays with its sentence.
    private void run(List<Request> batch) {
        Map<Integer, List<Request>> byLen = new LinkedHashMap<>();
        for (Request r : batch) byLen.computeIfAbsent(r.maxLen, k -> new ArrayList<>()).add(r);
        for (Map.Entry<Integer, List<Request>> e : byLen.entrySet()) {
            List<Request> group = e.getValue();
            List<int[]> srcs = new ArrayList<>(group.size());
            for (Request r : group) srcs.add(r.src);
            List<Translation> out;
            try {
                out = model.greedy(srcs, e.getKey());
            } catch (RuntimeException ex) {
                for (Request r : group) {
                    try {
                        r.finish(model.greedy(r.src, r.maxLen));
                    } catch (RuntimeException one) {
                        r.fail(one);
                    }
                }
                continue;
            }
            for (int i = 0; i < group.size(); i++) group.get(i).finish(out.get(i));
        }
    }

    /** Requests waiting to start. */
    public int queued() {
        return queue.queued();
    }

    /** Stops taking requests, decodes every queued one, waits for them. Idempotent. */
    @Override
    public void close() {
        queue.close(true);
    }

    /** Stops taking requests; the queued ones are cancelled; waits for the running batch. Idempotent. */
    public void closeNow() {
        queue.close(false);
    }
}
