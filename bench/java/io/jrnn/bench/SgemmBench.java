package io.jrnn.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
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

/**
 * The machine's practical float32 ceiling: OpenBLAS {@code sgemm} on 2048×2048 matrices in native memory, through
 * bytedeco's binding (the same libopenblas jrnn links). GFLOP/s = 2·2048³ / time; the batched cases are judged as
 * a fraction of this, measured in the same run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 1)
@State(Scope.Benchmark)
public class SgemmBench {
    static final int N = 2048;
    static final long FLOPS = 2L * N * N * N;

    @Param({"1", "2"})
    public int threads;

    private FloatPointer a, b, c;

    @Setup(Level.Trial)
    public void setup() {
        Watchdog.start("SgemmBench threads=" + threads);
        openblas_nolapack.blas_set_num_threads(threads);
        if (openblas_nolapack.blas_get_num_threads() != threads) {
            throw new IllegalStateException("OpenBLAS runs " + openblas_nolapack.blas_get_num_threads()
                    + " threads, asked for " + threads);
        }
        SplittableRandom rnd = new SplittableRandom(7);
        float[] m = new float[N * N];
        for (int i = 0; i < m.length; i++) m[i] = (float) (rnd.nextDouble() * 2 - 1);
        a = new FloatPointer(m);
        for (int i = 0; i < m.length; i++) m[i] = (float) (rnd.nextDouble() * 2 - 1);
        b = new FloatPointer(m);
        c = new FloatPointer((long) N * N);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.deallocate();
        b.deallocate();
        c.deallocate();
    }

    @Benchmark
    public void sgemm() {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasNoTrans, N, N, N, 1f, a, N, b, N, 0f, c, N);
    }
}
