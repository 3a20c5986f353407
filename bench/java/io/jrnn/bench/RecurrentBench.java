package io.jrnn.bench;

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
import io.jrnn.bench.Cases.Case;

/**
 * The six PERF.md cases, one forward per call: jrnn into preallocated outputs, and ONNX Runtime Java on an ONNX
 * model with the same weights, outputs pinned. Both at 1 and 2 threads. Each trial's setup runs both engines once
 * and refuses to go on if they disagree beyond {@link Engines#TOLERANCE}.
 *
 * <p>The annotations are the defaults of a standalone JMH run; {@link RunAll} sets the iteration counts.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 1)
public class RecurrentBench {

    @State(Scope.Benchmark)
    public static class JrnnState {
        @Param({"rnn-b1", "lstm-b1", "gru-b1", "rnn-b64", "lstm-b64", "gru-b64"})
        public String caseName;

        @Param({"1", "2"})
        public int threads;

        Engines.JrnnRun run;

        @Setup(Level.Trial)
        public void setup(BenchmarkParams params) throws OrtException {
            HostProbe.record(params, "start");
            Case c = Cases.byName(caseName);
            Watchdog.start("RecurrentBench.jrnn " + caseName + " threads=" + threads);
            Engines.setJrnnThreads(threads);
            run = new Engines.JrnnRun(c);
            try (Engines.OrtRun reference = new Engines.OrtRun(c, 1)) { // 1 thread: ORT leaves no pool behind
                Engines.check(run, reference);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown(BenchmarkParams params) {
            run.close();
            HostProbe.record(params, "end");
        }
    }

    @State(Scope.Benchmark)
    public static class OrtState {
        @Param({"rnn-b1", "lstm-b1", "gru-b1", "rnn-b64", "lstm-b64", "gru-b64"})
        public String caseName;

        @Param({"1", "2"})
        public int threads;

        Engines.OrtRun run;

        @Setup(Level.Trial)
        public void setup(BenchmarkParams params) throws OrtException {
            HostProbe.record(params, "start");
            Case c = Cases.byName(caseName);
            Watchdog.start("RecurrentBench.ort " + caseName + " threads=" + threads);
            Jrnn.setThreads(1); // jrnn only checks here; keep its threads out of ORT's way
            run = new Engines.OrtRun(c, threads);
            try (Engines.JrnnRun reference = new Engines.JrnnRun(c)) {
                Engines.check(reference, run);
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
    public void ort(OrtState s) throws OrtException {
        s.run.run();
    }
}
