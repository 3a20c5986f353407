package io.jrnn.flink;

import java.io.Serializable;
import java.time.Duration;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

import io.jrnn.Precision;

/**
 * Per-key streaming inference with a jrnn {@link io.jrnn.SequenceModel} on Flink: for each {@link Event}
 * {@code (key, x_t)} the key's recurrent state advances one step and the model's output for that step comes out as a
 * {@link Scored}.
 *
 * <pre>{@code
 * DataStream<Scored> scores = JrnnScoring.cachedModel("model")          // env.registerCachedFile(path, "model")
 *         .maxBundle(256).maxDelay(Duration.ofMillis(5)).stateTtl(Duration.ofHours(12))
 *         .build()
 *         .apply(events);                                               // keyBy(Event::getKey) inside
 * }</pre>
 *
 * <ul>
 *   <li><b>State</b>: each key's state (every layer's h, and c for an LSTM) is Flink keyed state, a
 *       {@code ValueState<float[]>} written with {@link RecurrentStateSerializer} (versioned format), so checkpoints,
 *       savepoints, restore after a failure and rescaling carry it, on the heap (hashmap) or RocksDB backend alike.
 *       A key seen for the first time (or whose state expired) starts from zeros, as PyTorch's default h0/c0.
 *   <li><b>Model</b>: loaded once per TaskManager JVM from a path every TaskManager can read, or from a file of
 *       Flink's distributed cache, and shared by all the operator's parallel instances there.
 *   <li><b>Micro-batching</b>: each parallel instance collects events across keys into a bundle of at most
 *       {@code maxBundle} events and steps the whole bundle through one batched native call when it is full, when
 *       {@code maxDelay} (processing time) has passed since its first event, and before every checkpoint barrier,
 *       watermark and the end of input (so a checkpoint never holds buffered events, and no output is late with
 *       respect to a watermark that passed the operator). A key that occurs k times in a bundle is stepped in k
 *       rounds, in arrival order. {@code maxBundle(1)} is one native call per event.
 *   <li><b>Ordering</b>: a key's events are applied in the order they reach the operator, which is the order the
 *       upstream subtask emitted them (Flink keeps per-channel order). Event-time order is the user's choice: a
 *       source that emits a key's events out of order must be sorted first (e.g. a keyed function buffering by
 *       timestamp until the watermark passes). Outputs leave in arrival order, with the input's timestamp.
 *   <li><b>Determinism</b>: with {@code batchInvariant} (default; FP32 weights) a key's outputs and state are
 *       bit-identical whatever else shares its bundles, so a replay after a failure recomputes exactly the same
 *       values, and a parallelism change or a different bundle size changes no output bit.
 *   <li><b>TTL</b>: {@code stateTtl(d)} drops a key's state after d of processing time without an event for it
 *       (Flink state TTL, refreshed on every write; expired state is never returned).
 * </ul>
 *
 * <p>Thread safety: immutable and serializable (shipped with the job graph); {@link Builder} is not thread-safe.
 */
public final class JrnnScoring implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Where the model file is: a path every TaskManager can read, or a distributed-cache entry. */
    final String modelPath;      // null when cached
    final String cacheName;      // null when a path
    final Precision precision;
    final int maxBundle;
    final long maxDelayMillis;
    final Duration stateTtl;     // null: never expires
    final boolean batchInvariant;
    final String stateName;

    private JrnnScoring(Builder b) {
        this.modelPath = b.modelPath;
        this.cacheName = b.cacheName;
        this.precision = b.precision;
        this.maxBundle = b.maxBundle;
        this.maxDelayMillis = b.maxDelay.toMillis();
        this.stateTtl = b.stateTtl;
        this.batchInvariant = b.batchInvariant;
        this.stateName = b.stateName;
    }

    /** A model file at this path on every TaskManager (e.g. a shared mount, or the local disk of a MiniCluster). */
    public static Builder model(String path) {
        if (path == null || path.isEmpty()) throw new IllegalArgumentException("model path must not be empty");
        Builder b = new Builder();
        b.modelPath = path;
        return b;
    }

    /** The model file registered as {@code env.registerCachedFile(file, name)} (shipped to every TaskManager). */
    public static Builder cachedModel(String name) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("cache name must not be empty");
        Builder b = new Builder();
        b.cacheName = name;
        return b;
    }

    /**
     * Keys the events by {@link Event#getKey()} and scores them. The operator is named "jrnn-score"; its uid,
     * "jrnn-score-" + the state name, is what a savepoint's state is matched by.
     */
    public SingleOutputStreamOperator<Scored> apply(DataStream<Event> events) {
        return apply(events, new JrnnScoringOperator(this));
    }

    SingleOutputStreamOperator<Scored> apply(DataStream<Event> events, JrnnScoringOperator operator) {
        return events.keyBy(Event::getKey)
                .transform("jrnn-score", TypeInformation.of(Scored.class), operator)
                .uid("jrnn-score-" + stateName);
    }

    /** The operator itself, for a keyed stream of {@link Event}s keyed by {@link Event#getKey()}. */
    JrnnScoringOperator operator() {
        return new JrnnScoringOperator(this);
    }

    /** Settings of a {@link JrnnScoring}; each setter validates its value at once. Not thread-safe. */
    public static final class Builder {
        private String modelPath, cacheName;
        private Precision precision = Precision.FP32;
        private int maxBundle = 256;
        private Duration maxDelay = Duration.ofMillis(5);
        private Duration stateTtl;
        private boolean batchInvariant = true;
        private String stateName = "jrnn-state";

        private Builder() {}

        /** The precision the weights are stored in (default FP32; see {@link io.jrnn.SequenceModel#load}). */
        public Builder precision(Precision p) {
            if (p == null) throw new IllegalArgumentException("precision must not be null");
            precision = p;
            return this;
        }

        /** Most events per batched step (default 256; 1: one native call per event). */
        public Builder maxBundle(int n) {
            if (n < 1) throw new IllegalArgumentException("maxBundle must be >= 1, got " + n);
            maxBundle = n;
            return this;
        }

        /** Longest processing time an event waits for its bundle to fill (default 5 ms; at least 1 ms). */
        public Builder maxDelay(Duration d) {
            if (d == null || d.toMillis() < 1) throw new IllegalArgumentException("maxDelay must be >= 1 ms, got " + d);
            maxDelay = d;
            return this;
        }

        /** Drop a key's state after this long without an event for it (default: never). */
        public Builder stateTtl(Duration d) {
            if (d != null && (d.isNegative() || d.isZero())) {
                throw new IllegalArgumentException("stateTtl must be positive, got " + d);
            }
            stateTtl = d;
            return this;
        }

        /** Bit-identical results whatever the bundles hold (default true; see {@link io.jrnn.SequenceModel#rowStepper}). */
        public Builder batchInvariant(boolean on) {
            batchInvariant = on;
            return this;
        }

        /** The name of the keyed state (default "jrnn-state"); two scorers in one job need different names. */
        public Builder stateName(String name) {
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("state name must not be empty");
            stateName = name;
            return this;
        }

        public JrnnScoring build() {
            return new JrnnScoring(this);
        }
    }
}
