package io.jrnn.flink.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import io.jrnn.Jrnn;
import io.jrnn.RowStepper;
import io.jrnn.SequenceModel;
import io.jrnn.flink.example.SensorAnomalyJob;
import io.jrnn.flink.example.SensorReadings;

/**
 * The example model's batched row step when the rows' states are where the scorer finds them: one
 * {@code float[stateSize]} per key among 10^5 keys (100 MB, beyond every cache), 64 keys picked at random per step
 * (as a bundle of a round-robin stream), against the same 64 states stepped again and again (hot, as the
 * "model alone" rows of {@link Throughput}), and against the random rows with a pass that first reads one float of
 * each cache line of the 64 states (independent loads whose misses overlap; the step's own copy takes one row after
 * the other). One thread; rounds alternate the three; median CPU microseconds per row.
 *
 * <pre>mvn -f flink/pom.xml -Djavacpp.platform=linux-x86_64 exec:exec -Dexec.mainClass=io.jrnn.flink.bench.ColdRows</pre>
 */
public final class ColdRows {
    private ColdRows() {}

    static float sink;

    public static void main(String[] args) throws Exception {
        Jrnn.setThreads(1);
        int keys = 100_000, rows = 64, rounds = 11;
        Path file = SensorAnomalyJob.bundledModel();
        try (SequenceModel m = SequenceModel.load(file); RowStepper st = m.rowStepper(rows)) {
            float[][] states = new float[keys][st.stateSize()];
            float[] x = new float[rows * m.inputSize()], out = new float[rows * m.outputSize()];
            for (int i = 0; i < x.length; i++) x[i] = SensorReadings.features(i / 3, 0)[i % 3];
            float[][] hot = Arrays.copyOf(states, rows);
            double[][] us = new double[3][rounds];
            for (int r = 0; r < rounds; r++) {
                us[0][r] = perRow(st, states, hot, x, out, false, false);
                us[1][r] = perRow(st, states, hot, x, out, true, false);
                us[2][r] = perRow(st, states, hot, x, out, true, true);
            }
            String[] names = {"64 hot states (the same keys every step)", "64 random keys of 10^5",
                    "64 random keys of 10^5, their lines read first"};
            System.out.printf("| %d-row step | CPU us per row (median of %d) |%n|---|---|%n", rows, rounds);
            for (int i = 0; i < 3; i++) {
                Arrays.sort(us[i]);
                System.out.printf("| %s | %.2f |%n", names[i], us[i][rounds / 2]);
            }
        }
    }

    private static double perRow(RowStepper st, float[][] states, float[][] hot, float[] x, float[] out,
            boolean random, boolean touch) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        SplittableRandom rnd = new SplittableRandom(7);
        int rows = hot.length;
        float[][] pick = new float[rows][];
        long n = 0, t0 = threads.getCurrentThreadCpuTime();
        while (threads.getCurrentThreadCpuTime() - t0 < 300_000_000L) {
            for (int r = 0; r < rows; r++) pick[r] = random ? states[rnd.nextInt(states.length)] : hot[r];
            if (touch) {
                float s = 0;
                for (float[] p : pick) for (int k = 0; k < p.length; k += 16) s += p[k];
                sink += s;
            }
            st.stepRows(rows, x, pick, out);
            n += rows;
        }
        return (threads.getCurrentThreadCpuTime() - t0) / 1e3 / n;
    }
}
