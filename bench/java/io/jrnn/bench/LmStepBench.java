package io.jrnn.bench;

import java.io.IOException;
import java.nio.file.Path;
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
import io.jrnn.SequenceModel;
import io.jrnn.SequenceStream;
import io.jrnn.Tensor;

/**
 * One step of a character-level language model (Embedding 65x32 → LSTM 128 → Linear → softmax, batch 1) through
 * {@link SequenceStream#step(int[], Tensor)}: the token in, the probabilities out, into a reused tensor. The model
 * file comes from {@code bench/python/bench_lm_step.py --make FILE} (passed as {@code -Djrnn.lm=FILE}), whose
 * {@code --model FILE} times PyTorch's step on the same weights. Run with {@code -prof gc} for the heap per step.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgs = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 8, time = 1)
@State(Scope.Benchmark)
public class LmStepBench {
    @Param({"1"})
    public int threads;

    private SequenceModel model;
    private SequenceStream stream;
    private Tensor probs;
    private final int[] id = new int[1];
    private int next;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        Jrnn.setThreads(threads);
        model = SequenceModel.load(Path.of(System.getProperty("jrnn.lm", "target/bench/lm.safetensors")));
        stream = model.stream(1);
        probs = Tensor.zeros(1, model.outputSize());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        stream.close();
        probs.close();
        model.close();
    }

    @Benchmark
    public Tensor step() {
        id[0] = next;
        next = next == 64 ? 0 : next + 1;
        stream.step(id, probs);
        return probs;
    }
}
