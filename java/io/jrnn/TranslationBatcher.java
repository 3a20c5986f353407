package io.jrnn;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;

import io.jrnn.decode.Decoding;

/**
 * Coalesces concurrent translations of one {@link Seq2Seq} model: requests queued within {@code maxDelay} of each
 * other (up to {@code maxBatch}) are decoded together, greedy and beam-search requests alike — one native decoder
 * step a step for the live hypotheses of every request in the batch. Each request gets exactly what one call of
 * {@link Seq2Seq#greedy(int[], int)} or {@link Seq2Seq#beamSearch(int[], int, int, float)} returns, bit for bit,
 * whatever else shares its batch.
 *
 * <p>Requests follow the rules of {@link StreamBatcher}: futures that complete exactly once, withdrawable (cancel,
 * timeout) only while queued, a bounded queue that rejects at once with {@link RejectedExecutionException}, and
 * {@link #close()} (drain) or {@link #closeNow()} (cancel what waits). A sentence the model rejects fails alone.
 *
 * <p>The batch runs on the batcher's one thread: many callers share one weight read a step instead of each reading
 * the weights for its one row (bench/ measures it against callers decoding on their own threads).
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
    private final BatchQueue<Request<?>> queue;

    private TranslationBatcher(Builder b) {
        model = b.model;
        timeout = b.timeout;
        queue = new BatchQueue<>("jrnn TranslationBatcher", b.maxBatch, b.maxDelay, b.queueCapacity, this::run);
    }

    // A queued request: its source and how to start its decoding (again, when its batch failed).
    private final class Request<T> extends BatchQueue.Request<T> {
        final int[] src;
        final int rows;
        final Supplier<Decoding<?>> start;
        final Function<Decoding<?>, T> result;

        Request(int[] src, int rows, Supplier<Decoding<?>> start,
                Function<Decoding<?>, T> result, Duration timeout) {
            super(queue, null, timeout);
            this.src = src;
            this.rows = rows;
            this.start = start;
            this.result = result;
        }

        void deliver(Decoding<?> d) {
            finish(result.apply(d));
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
     * @throws IllegalArgumentException for a null or empty source, an id outside the source vocabulary or
     *                                  {@code maxLen} outside [1, {@link Seq2Seq#MAX_LEN}]
     * @throws IllegalStateException after {@link #close}
     * @throws RejectedExecutionException when the queue is full
     */
    public CompletableFuture<Translation> greedyAsync(int[] srcIds, int maxLen, Duration timeout) {
        model.checkSource(srcIds, "srcIds");
        Seq2Seq.checkMaxLen(maxLen);
        int[] src = srcIds.clone();
        Request<Translation> r = new Request<>(src, 1, () -> model.greedyDecoding(maxLen), model::translation, timeout);
        queue.submit(r);
        return r;
    }

    /** Blocking form of {@link #beamSearchAsync(int[], int, int, float)}. */
    public List<Translation> beamSearch(int[] srcIds, int beamSize, int maxLen, float lengthPenalty) {
        return beamSearchAsync(srcIds, beamSize, maxLen, lengthPenalty).join();
    }

    /** {@link #beamSearchAsync(int[], int, int, float, Duration)} with the default timeout. */
    public CompletableFuture<List<Translation>> beamSearchAsync(int[] srcIds, int beamSize, int maxLen,
                                                                float lengthPenalty) {
        return beamSearchAsync(srcIds, beamSize, maxLen, lengthPenalty, timeout);
    }

    /**
     * Queues a beam search of one source sentence (ids copied now); completes with what
     * {@link Seq2Seq#beamSearch(int[], int, int, float)} returns. Its live hypotheses share each decoder step with
     * the other requests of its batch.
     *
     * @throws IllegalArgumentException for a bad source, a {@code beamSize} outside [1, {@link Seq2Seq#MAX_BEAM}],
     *                                  a bad {@code maxLen} or a non-finite {@code lengthPenalty}
     * @throws IllegalStateException after {@link #close}
     * @throws RejectedExecutionException when the queue is full
     */
    public CompletableFuture<List<Translation>> beamSearchAsync(int[] srcIds, int beamSize, int maxLen,
                                                                float lengthPenalty, Duration timeout) {
        model.checkSource(srcIds, "srcIds");
        Seq2Seq.checkBeam(beamSize, maxLen, lengthPenalty);
        model.checkBeamScores(beamSize);
        int[] src = srcIds.clone();
        Request<List<Translation>> r = new Request<>(src, beamSize,
                () -> model.beamDecoding(beamSize, maxLen, lengthPenalty), model::translations, timeout);
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

    // The whole batch decoded together; when that fails, its requests one by one, so a failure stays with its request.
    private void run(List<Request<?>> batch) {
        List<int[]> srcs = new ArrayList<>(batch.size());
        List<Decoding<?>> ds = new ArrayList<>(batch.size());
        int[] rows = new int[batch.size()];
        try {
            for (int i = 0; i < batch.size(); i++) {
                Request<?> r = batch.get(i);
                srcs.add(r.src);
                ds.add(r.start.get());
                rows[i] = r.rows;
            }
            model.decodeTogether(srcs, ds, rows);
        } catch (RuntimeException ex) {
            for (Request<?> r : batch) {
                try {
                    Decoding<?> d = r.start.get();
                    model.decodeTogether(List.of(r.src), List.of(d), new int[] {r.rows});
                    r.deliver(d);
                } catch (RuntimeException one) {
                    r.fail(one);
                }
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) batch.get(i).deliver(ds.get(i));
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
