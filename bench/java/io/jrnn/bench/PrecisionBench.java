package io.jrnn.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import ai.onnxruntime.OrtException;
import io.jrnn.Jrnn;
import io.jrnn.Precision;
import io.jrnn.bench.Cases.Case;

/**
 * Reduced-precision weights: jrnn at BF16 and INT8 on the six PERF.md cases (loaded through the public API,
 * {@code Lstm/Gru/Rnn.load(sd, "rnn", ..., precision)}, from the same safetensors files as {@link RecurrentBench}),
 * and ONNX Runtime's int8 LSTM, {@code com.microsoft.DynamicQuantizeLSTM}
 * ({@link OnnxModels#buildDynamicQuantizeLstm}), on the two LSTM cases; one forward per call, at 1 and 2 threads.
 * The fp32 times are {@link RecurrentBench}'s.
 *
 * <p>Each trial's setup runs the engine once and compares output, h_n (and c_n) with ONNX Runtime's fp32 LSTM/GRU/RNN
 * on the same weights: it refuses to time anything whose deviation exceeds {@link Engines#REDUCED_MEAN_TOLERANCE}
 * (mean |diff|) or {@link Engines#REDUCED_MAX_TOLERANCE} (max), and records the deviation in
 * {@code <work>/accuracy.tsv} for the report.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 1)
public class PrecisionBench {

    /** The reduced precisions measured for jrnn (FP32 is {@link RecurrentBench#jrnn}). */
    static final String[] PRECISIONS = {"BF16", "INT8"};
    /** The cases ONNX Runtime's DynamicQuantizeLSTM runs (it has no int8 GRU or RNN). */
    static final String[] DQLSTM_CASES = {"lstm-b1", "lstm-b64"};

    @State(Scope.Benchmark)
    public static class JrnnState {
        @Param({"rnn-b1", "lstm-b1", "gru-b1", "rnn-b64", "lstm-b64", "gru-b64"})
        public String caseName;

        @Param({"BF16", "INT8"})
        public String precision;

        @Param({"1", "2"})
        public int threads;

        Engines.JrnnRun run;

        @Setup(Level.Trial)
        public void setup(BenchmarkParams params) throws OrtException {
            HostProbe.record(params, "start");
            Case c = Cases.byName(caseName);
            Precision p = Precision.valueOf(precision);
            Watchdog.start("PrecisionBench.jrnn " + caseName + " " + precision + " threads=" + threads);
            Engines.setJrnnThreads(threads);
            run = new Engines.JrnnRun(c, p);
            if (run.layer.precision() != p) {
                throw new IllegalStateException(caseName + ": loaded at " + p + ", the layer says "
                        + run.layer.precision());
            }
            try (Engines.OrtRun fp32 = new Engines.OrtRun(c, 1)) { // 1 thread: ORT leaves no pool behind
                run.run();
                fp32.run();
                Engines.Deviation d = Engines.checkReduced(caseName + " jrnn " + p, run.y.toArray(),
                        run.hn.toArray(), run.cn == null ? null : run.cn.toArray(), fp32);
                recordDeviation(params, d);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown(BenchmarkParams params) {
            run.close();
            HostProbe.record(params, "end");
        }
    }

    @State(Scope.Benchmark)
    public static class DqlstmState {
        @Param({"lstm-b1", "lstm-b64"})
        public String caseName;

        @Param({"1", "2"})
        public int threads;

        Engines.OrtRun run;

        @Setup(Level.Trial)
        public void setup(BenchmarkParams params) throws OrtException {
            HostProbe.record(params, "start");
            Case c = Cases.byName(caseName);
            Watchdog.start("PrecisionBench.dqlstm " + caseName + " threads=" + threads);
            Jrnn.setThreads(1); // jrnn is not used here; keep its threads out of ORT's way
            run = new Engines.OrtRun(c, threads, OnnxModels.dynamicQuantizeLstmModel(c, Cases.weights(c)));
            try (Engines.OrtRun fp32 = new Engines.OrtRun(c, 1)) {
                run.run();
                fp32.run();
                Engines.Deviation d = Engines.checkReduced(caseName + " ONNX Runtime DynamicQuantizeLSTM",
                        Engines.toArray(run.y), Engines.toArray(run.yh), Engines.toArray(run.yc), fp32);
                recordDeviation(params, d);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown(BenchmarkParams params) throws OrtException {
            run.close();
            HostProbe.record(params, "end");
        }
    }

    @Benchmark
    public void jrnn(JrnnState s) {
        s.run.run();
    }

    @Benchmark
    public void dqlstm(DqlstmState s) throws OrtException {
        s.run.run();
    }

    // ---- the deviations the setups measured, for the report ----

    static Path accuracyFile() {
        return Cases.workDir().resolve("accuracy.tsv");
    }

    /** Appends "method, case key, threads, mean |diff|, max |diff|" to {@code <work>/accuracy.tsv}. */
    static void recordDeviation(BenchmarkParams params, Engines.Deviation d) {
        String bench = params.getBenchmark();
        String t = params.getParam("threads");
        String line = String.format(Locale.ROOT, "%s\t%s\t%s\t%.3e\t%.3e%n",
                bench.substring(bench.lastIndexOf('.') + 1), Results.caseKey(params), t == null ? "1" : t, d.mean(),
                d.max());
        try {
            Files.writeString(accuracyFile(), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The recorded deviations: key (Results.key) → deviation from ONNX Runtime fp32. */
    static Map<String, Engines.Deviation> readDeviations(Path file) throws IOException {
        Map<String, Engines.Deviation> out = new LinkedHashMap<>();
        if (Files.exists(file)) {
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = l.split("\t");
                if (f.length != 5) continue;
                out.put(Results.key(f[0], f[1], Integer.parseInt(f[2])),
                        new Engines.Deviation(Double.parseDouble(f[3]), Double.parseDouble(f[4])));
            }
        }
        return out;
    }
}
