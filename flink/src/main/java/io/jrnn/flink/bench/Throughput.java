package io.jrnn.flink.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

import io.jrnn.Jrnn;
import io.jrnn.flink.Event;
import io.jrnn.flink.JrnnScoring;
import io.jrnn.flink.Scored;
import io.jrnn.flink.example.SensorAnomalyJob;
import io.jrnn.flink.example.SensorReadings;

/**
 * Events per second of the example model (LSTM 3 -> 128 + two head layers, FP32) over many keys on an embedded
 * MiniCluster (heap state, no checkpoints): the stateful scorer with cross-key bundles of 256, the same with
 * bundles of 1 (one native call per event), and the windowed re-feed baseline ({@link WindowRefeed}, the model over
 * the last 32 events for every event). Every device reports round-robin. The rate is taken between the 10th
 * percentile output and the last one (start-up and warm-up excluded). jrnn's own threads are set to 1: Flink's
 * parallelism is the parallelism. Prints a markdown table.
 *
 * <pre>mvn -f flink/pom.xml -Djavacpp.platform=linux-x86_64 exec:exec -Dexec.mainClass=io.jrnn.flink.bench.Throughput
 *     [-Dexec.args.job="--keys=100000"]</pre>
 */
public final class Throughput {
    private Throughput() {}

    static final AtomicLong COUNT = new AtomicLong(), T10 = new AtomicLong(), TLAST = new AtomicLong();

    /** Counts outputs, stamping the time of the 10% mark and of the last one. */
    static final class Clock implements MapFunction<Scored, Scored> {
        private static final long serialVersionUID = 1L;
        private final long total;

        Clock(long total) {
            this.total = total;
        }

        @Override
        public Scored map(Scored s) {
            long n = COUNT.incrementAndGet();
            if (n == total / 10) T10.set(System.nanoTime());
            if (n == total) TLAST.set(System.nanoTime());
            return s;
        }
    }

    public static void main(String[] args) throws Exception {
        long keys = 100_000;
        for (String a : args) if (a.startsWith("--keys=")) keys = Long.parseLong(a.substring(7));
        Jrnn.setThreads(1);
        Path model = SensorAnomalyJob.bundledModel();
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 2)).orElse("unknown CPU");
        System.out.println("CPU: " + cpu + ", " + Runtime.getRuntime().availableProcessors() + " processors; "
                + keys + " keys; jrnn " + Jrnn.isa());
        System.out.println("| parallelism | mode | events | events/s |");
        System.out.println("|---|---|---|---|");
        for (int p : new int[] {1, 2}) {
            for (String mode : List.of("bundled-256", "per-event", "refeed-32")) {
                long events = switch (mode) {
                    case "bundled-256" -> 10 * keys;
                    case "per-event" -> 4 * keys;
                    default -> keys / 2;
                };
                double rate = run(model, keys, events, p, mode);
                System.out.printf("| %d | %s | %d | %.0f |%n", p, mode, events, rate);
            }
        }
    }

    static double run(Path model, long keys, long events, int parallelism, String mode) throws Exception {
        COUNT.set(0);
        Configuration c = new Configuration();
        c.set(StateBackendOptions.STATE_BACKEND, "hashmap");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(c);
        env.setParallelism(parallelism);
        final long k = keys;
        DataGeneratorSource<Event> source = new DataGeneratorSource<>(
                (GeneratorFunction<Long, Event>) i -> SensorReadings.nth(i, k), events, TypeInformation.of(Event.class));
        DataStream<Event> in = env.fromSource(source, WatermarkStrategy.noWatermarks(), "events").setParallelism(1);
        DataStream<Scored> out = switch (mode) {
            case "bundled-256", "per-event" -> JrnnScoring.model(model.toString())
                    .maxBundle(mode.equals("per-event") ? 1 : 256).maxDelay(Duration.ofMillis(5)).build().apply(in);
            default -> in.keyBy(Event::getKey).process(new WindowRefeed(model.toString(), 32));
        };
        out.map(new Clock(events)).sinkTo(new DiscardingSink<>()); // chained to the scorer: one counter for all subtasks
        env.execute(mode + " p" + parallelism);
        return 0.9 * events / ((TLAST.get() - T10.get()) / 1e9);
    }
}
