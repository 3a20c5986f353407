package io.jrnn.flink.example;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import io.jrnn.flink.Event;
import io.jrnn.flink.JrnnScoring;
import io.jrnn.flink.Scored;

/**
 * The example job: per-device sensor readings from a generated source ({@link SensorReadings}), scored by a small
 * LSTM anomaly model (python/train_sensor_anomaly.py) whose recurrent state per device lives in Flink keyed state.
 * Prints the readings the model flags (score above 0.5) beside the generator's truth, and a summary at the end.
 *
 * <pre>
 *   mvn -f flink/pom.xml -Djavacpp.platform=linux-x86_64 exec:exec          (an embedded MiniCluster)
 *   flink run -c io.jrnn.flink.example.SensorAnomalyJob target/jrnn-flink-0.1.0-SNAPSHOT-job.jar [options]
 * </pre>
 *
 * With exec:exec, options go in one property: {@code -Dexec.args.job="--devices=1000"}. Options: {@code --devices N} (default 200), {@code --steps N} per device (default 64), {@code --model FILE} (default:
 * the bundled model, shipped to the TaskManagers through the distributed cache), {@code --checkpoint-ms N} (default
 * 1000, 0 = off).
 */
public final class SensorAnomalyJob {
    private SensorAnomalyJob() {}

    public static void main(String[] args) throws Exception {
        long devices = 200, steps = 64, checkpointMs = 1000;
        String model = null;
        java.util.List<String> list = new java.util.ArrayList<>();
        for (String a : String.join(" ", args).trim().split("\\s+")) { // -Dexec.args.job="--a=1 --b=2": one argument
            if (a.isEmpty()) continue;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                list.add(a.substring(0, eq));
                list.add(a.substring(eq + 1));
            } else {
                list.add(a);
            }
        }
        for (int i = 0; i < list.size(); i++) {
            String a = list.get(i);
            if (i + 1 >= list.size()) throw new IllegalArgumentException("option " + a + " needs a value");
            switch (a) {
                case "--devices" -> devices = Long.parseLong(list.get(++i));
                case "--steps" -> steps = Long.parseLong(list.get(++i));
                case "--model" -> model = list.get(++i);
                case "--checkpoint-ms" -> checkpointMs = Long.parseLong(list.get(++i));
                default -> throw new IllegalArgumentException("unknown option " + a
                        + " (--devices N, --steps N, --model FILE, --checkpoint-ms N)");
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (checkpointMs > 0) env.enableCheckpointing(checkpointMs);
        env.registerCachedFile(model != null ? model : bundledModel().toString(), "sensor-anomaly");

        final long n = devices;
        DataGeneratorSource<Event> source = new DataGeneratorSource<>(
                (GeneratorFunction<Long, Event>) i -> SensorReadings.nth(i, n), devices * steps,
                TypeInformation.of(Event.class));
        DataStream<Event> readings = env.fromSource(source, WatermarkStrategy.noWatermarks(), "sensor readings")
                .setParallelism(1) // one producer: each device's readings stay in step order
                .uid("sensor-readings");
        DataStream<Scored> scores = JrnnScoring.cachedModel("sensor-anomaly")
                .maxBundle(256)
                .maxDelay(Duration.ofMillis(5))
                .stateTtl(Duration.ofHours(1))
                .build()
                .apply(readings);
        scores.filter(s -> s.output[0] > 0.5f)
                .map(s -> String.format("%-12s step %4d  anomaly score %.3f  (generator: %s)", s.key, s.seq,
                        s.output[0], SensorReadings.anomalous(Long.parseLong(s.key.substring(7)), s.seq)
                                ? "anomaly" : "normal"))
                .print();
        var result = env.execute("jrnn sensor anomaly scoring");
        System.out.printf("scored %d readings of %d devices in %d ms%n", devices * steps, devices,
                result.getNetRuntime());
    }

    /** The model file bundled in this jar, copied to a temporary file (the distributed cache ships files). */
    public static Path bundledModel() throws IOException {
        Path tmp = Files.createTempFile("sensor-anomaly", ".safetensors");
        tmp.toFile().deleteOnExit();
        try (InputStream in = SensorAnomalyJob.class.getResourceAsStream("sensor-anomaly.safetensors")) {
            if (in == null) throw new IOException("sensor-anomaly.safetensors is not on the classpath");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        return tmp;
    }
}
