package io.jrnn.flink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import io.jrnn.SequenceModel;
import io.jrnn.SequenceStream;
import io.jrnn.Tensor;
import io.jrnn.flink.example.SensorAnomalyJob;
import io.jrnn.flink.example.SensorReadings;

/** What the jrnn-flink tests share: the model, event streams, the single-JVM reference, and a collecting sink. */
final class Fixtures {
    private Fixtures() {}

    private static Path model;

    /** The example's model (LSTM 3 -> 128, two head layers), copied out of the jar once. */
    static synchronized Path model() {
        if (model == null) {
            try {
                model = SensorAnomalyJob.bundledModel();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return model;
    }

    /**
     * {@code count} sensor events over {@code keys} devices, the device of each drawn at random with a skew (a few
     * devices report often, so a bundle often holds one device several times); each device's steps in order.
     */
    static Event[] events(int keys, int count, long seed) {
        Random r = new Random(seed);
        Map<Integer, Long> next = new HashMap<>();
        Event[] out = new Event[count];
        for (int i = 0; i < count; i++) {
            int k = r.nextInt(4) == 0 ? r.nextInt(Math.max(1, keys / 10)) : r.nextInt(keys);
            long t = next.merge(k, 1L, Long::sum) - 1;
            out[i] = SensorReadings.event(k, t);
        }
        return out;
    }

    static String id(String key, long seq) {
        return key + "#" + seq;
    }

    /** The plain single-JVM loop: one {@link SequenceStream} per key, the events in order. key#seq -> output. */
    static Map<String, float[]> reference(Event[] events) throws IOException {
        Map<String, float[]> out = new HashMap<>();
        Map<String, SequenceStream> streams = new HashMap<>();
        try (SequenceModel m = SequenceModel.load(model())) {
            for (Event e : events) {
                SequenceStream s = streams.computeIfAbsent(e.key, k -> m.stream(1));
                try (Tensor x = Tensor.of(e.features, 1, e.features.length); Tensor y = s.step(x)) {
                    out.put(id(e.key, e.seq), y.toArray());
                }
            }
        } finally {
            streams.values().forEach(SequenceStream::close);
        }
        return out;
    }

    // ---- a sink collecting into this JVM (the MiniCluster runs in it) ----

    static final Map<String, ConcurrentLinkedQueue<Scored>> SINKS = new ConcurrentHashMap<>();

    static ConcurrentLinkedQueue<Scored> sink(String name) {
        return SINKS.computeIfAbsent(name, k -> new ConcurrentLinkedQueue<>());
    }

    /** At-least-once: every output any attempt of the job emitted, replays included. */
    static final class CollectSink implements Sink<Scored> {
        private static final long serialVersionUID = 1L;
        private final String name;

        CollectSink(String name) {
            this.name = name;
            sink(name).clear();
        }

        @Override
        public SinkWriter<Scored> createWriter(WriterInitContext context) {
            ConcurrentLinkedQueue<Scored> q = sink(name);
            return new SinkWriter<>() {
                @Override
                public void write(Scored s, Context c) {
                    q.add(s);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }

    /**
     * The outputs deduplicated by (key, seq), checking that every emission of one event carries the same bits (what
     * an idempotent sink keyed by (key, seq) would keep). Returns key#seq -> output.
     */
    static Map<String, float[]> dedupe(List<Scored> emitted) {
        Map<String, float[]> out = new HashMap<>();
        for (Scored s : emitted) {
            float[] before = out.putIfAbsent(id(s.key, s.seq), s.output);
            if (before != null && !java.util.Arrays.equals(before, s.output)) {
                throw new AssertionError("event " + id(s.key, s.seq) + " was emitted twice with different outputs: "
                        + java.util.Arrays.toString(before) + " and " + java.util.Arrays.toString(s.output));
            }
        }
        return out;
    }
}
