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

import io.jrnn.Jrnn;
import io.jrnn.RecurrentStream;
import io.jrnn.Tensor;
import io.jrnn.bench.Cases.Case;

/**
 * Java heap allocated per call in the steady state, read from {@code -prof gc} ({@code gc.alloc.rate.norm}):
 * a {@code forward} into preallocated outputs and a stream {@code step(x, y)}. The Java path (argument checks,
 * locking, the native call) does not depend on the sizes, so tiny layers are used: millions of calls get the path
 * compiled by C2, as in a long-running service, and JMH's own per-iteration bookkeeping is spread so thin it
 * vanishes (with the PERF.md cases' few slow calls per iteration it does not). PERF.md's target: ≤ 64 bytes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class AllocBench {
    @Param({"rnn", "lstm", "gru"})
    public String cell;

    private Engines.JrnnRun run;
    private RecurrentStream stream;
    private Tensor x1, y1;

    /** The tiny layer of a cell kind: B 1, T 2, I = H = 16. */
    static Case tiny(String cell) {
        return switch (cell) {
            case "rnn" -> new Case("tiny-rnn", Cases.Cell.RNN, 1, 2, 16, 16, 201);
            case "lstm" -> new Case("tiny-lstm", Cases.Cell.LSTM, 1, 2, 16, 16, 202);
            case "gru" -> new Case("tiny-gru", Cases.Cell.GRU, 1, 2, 16, 16, 203);
            default -> throw new IllegalArgumentException("cell must be rnn, lstm or gru, got " + cell);
        };
    }

    @Setup(Level.Trial)
    public void setup() {
        Watchdog.start("AllocBench " + cell);
        Jrnn.setThreads(1);
        Case c = tiny(cell);
        run = new Engines.JrnnRun(c);
        stream = run.layer.stream(1, null, null);
        x1 = Tensor.zeros(1, c.input());
        y1 = Tensor.zeros(1, c.hidden());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        stream.close();
        x1.close();
        y1.close();
        run.close();
    }

    @Benchmark
    public void forward() {
        run.run();
    }

    @Benchmark
    public void step() {
        stream.step(x1, y1);
    }
}
