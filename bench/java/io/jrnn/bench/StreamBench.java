package io.jrnn.bench;

import java.io.IOException;
import java.util.Arrays;
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

import io.jrnn.RecurrentLayer;
import io.jrnn.RecurrentStream;
import io.jrnn.StateDict;
import io.jrnn.Tensor;
import io.jrnn.bench.Cases.Case;

/**
 * Streaming on the lstm-b1 shape (B 1, I 256, H 256): 100 {@code step(x, y)} calls against one 100-step
 * {@code forward}, same weights and inputs. PERF.md's target: the steps cost at most 1.3× the forward.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 1)
@State(Scope.Benchmark)
public class StreamBench {
    static final String CASE = "lstm-b1";

    @Param({"1", "2"})
    public int threads;

    private RecurrentLayer layer;
    private RecurrentStream stream;
    private Tensor[] steps;   // x_t [1, I], t < T
    private Tensor stepOut;   // [1, H]
    private Engines.JrnnRun whole;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) throws IOException {
        HostProbe.record(params, "start");
        Case c = Cases.byName(CASE);
        Watchdog.start("StreamBench threads=" + threads);
        Engines.setJrnnThreads(threads);
        whole = new Engines.JrnnRun(c);
        try (StateDict sd = StateDict.load(Cases.file(c))) {
            layer = Cases.load(c, sd);
        }
        float[] x = whole.x.toArray();
        steps = new Tensor[c.steps()];
        for (int t = 0; t < c.steps(); t++) {
            steps[t] = Tensor.of(Arrays.copyOfRange(x, t * c.input(), (t + 1) * c.input()), 1, c.input());
        }
        stepOut = Tensor.zeros(1, c.hidden());

        // the 100 steps must reproduce the forward's last output before either is timed
        stream = layer.stream(1, null, null);
        step100();
        whole.run();
        float[] y = whole.y.toArray();
        Engines.compareJrnn("streaming vs forward (" + CASE + ")",
                Arrays.copyOfRange(y, y.length - c.hidden(), y.length), stepOut.toArray());
    }

    @TearDown(Level.Trial)
    public void tearDown(BenchmarkParams params) {
        HostProbe.record(params, "end");
        stream.close();
        for (Tensor t : steps) t.close();
        stepOut.close();
        layer.close();
        whole.close();
    }

    @Benchmark
    public void step100() {
        for (Tensor x : steps) stream.step(x, stepOut);
    }

    @Benchmark
    public void forward100() {
        whole.run();
    }
}
