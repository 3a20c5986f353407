package io.jrnn.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.jrnn.Lstm;
import io.jrnn.RecurrentStream;
import io.jrnn.StateDict;
import io.jrnn.StreamBatcher;
import io.jrnn.Tensor;

/**
 * What a {@link StreamBatcher} step costs in Java, apart from the native step: N sessions (64) of a tiny LSTM (I = H =
 * 8 by default, so its batched native step is ~1 us) stepped for a fixed time, {@code async} (each completion issues
 * the session's next {@code stepAsync}, on the batcher's thread) and {@code blocking} (a client thread a session
 * calling {@code step}). Counted in CPU time, which a machine shared with other jobs disturbs far less than wall
 * time: the batcher thread's CPU ns a step and the whole process's (client threads, JIT and GC included), minus the
 * native step's own CPU time a row (a batch-64 {@link RecurrentStream} of the same layer, measured in the same
 * round). Modes run interleaved for {@code --rounds}; medians are printed.
 *
 * <pre>java -cp ... io.jrnn.bench.BatcherOverhead [--hidden=8] [--clients=64] [--seconds=2] [--rounds=5]
 *     [--modes=async,blocking]</pre>
 */
public final class BatcherOverhead {
    private BatcherOverhead() {}

    record Sample(double steps, double batcherNs, double processNs) {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            opt.put(eq < 0 ? a.replaceFirst("^--", "") : a.substring(2, eq), eq < 0 ? "" : a.substring(eq + 1));
        }
        final int H = Integer.parseInt(opt.getOrDefault("hidden", "8"));
        final int n = Integer.parseInt(opt.getOrDefault("clients", "64"));
        final double seconds = Double.parseDouble(opt.getOrDefault("seconds", "2"));
        final int rounds = Integer.parseInt(opt.getOrDefault("rounds", "5"));
        List<String> modes = List.of(opt.getOrDefault("modes", "async,blocking").split(","));
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        List<Double> nativeRow = new ArrayList<>();
        try (StateDict sd = weights(H, H); Lstm layer = Lstm.load(sd, "rnn")) {
            for (int r = 0; r <= rounds; r++) {  // round 0 warms up
                for (String m : modes) {
                    Sample s = run(m, layer, H, n, r == 0 ? 1 : seconds);
                    if (r > 0) samples.computeIfAbsent(m, k -> new ArrayList<>()).add(s);
                }
                double ns = nativeStepNs(layer, H, n, r == 0 ? 0.2 : 0.5);
                if (r > 0) nativeRow.add(ns);
            }
        }
        double nat = median(nativeRow);
        System.out.printf(Locale.ROOT, "LSTM I = H = %d, %d sessions, %s s a point, %d rounds (medians); native step "
                + "alone (batch %d stream): %.0f ns CPU a row%n%n", H, n, seconds, rounds, n, nat);
        System.out.println("| mode | steps/s (wall) | batcher thread CPU ns a step | process CPU ns a step | "
                + "process CPU ns a step beyond the native step |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (var e : samples.entrySet()) {
            List<Sample> s = e.getValue();
            double proc = median(s.stream().map(Sample::processNs).toList());
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %.0f |%n", e.getKey(),
                    median(s.stream().map(Sample::steps).toList()), median(s.stream().map(Sample::batcherNs).toList()),
                    proc, proc - nat);
        }
    }

    static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a[a.length / 2];
    }

    /** An LSTM stack of one layer with random weights (PyTorch's names under "rnn."). */
    static StateDict weights(int I, int H) {
        Random rng = new Random(5);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("rnn.weight_ih_l0", random(rng, 4 * H, I));
        t.put("rnn.weight_hh_l0", random(rng, 4 * H, H));
        t.put("rnn.bias_ih_l0", random(rng, 4 * H));
        t.put("rnn.bias_hh_l0", random(rng, 4 * H));
        try {
            return StateDict.of(t);
        } finally {
            t.values().forEach(Tensor::close);
        }
    }

    static Tensor random(Random rng, int... shape) {
        float[] v = new float[Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = (rng.nextFloat() - 0.5f) * 0.2f;
        return Tensor.of(v, shape);
    }

    /** CPU ns a row of one batch-n step of a stream, on this thread (the native step's team is one thread here). */
    static double nativeStepNs(Lstm layer, int H, int n, double seconds) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (RecurrentStream s = layer.stream(n, null, null); Tensor x = Tensor.zeros(n, H); Tensor y = Tensor.zeros(n, H)) {
            long calls = 0, end = System.nanoTime() + (long) (seconds * 1e9), c0 = mx.getCurrentThreadCpuTime();
            while (System.nanoTime() < end) {
                for (int i = 0; i < 100; i++) s.step(x, y);
                calls += 100;
            }
            return (mx.getCurrentThreadCpuTime() - c0) / (double) (calls * n);
        }
    }

    static Sample run(String mode, Lstm layer, int H, int n, double seconds) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        final float[] x = new float[H];
        Arrays.fill(x, 0.5f);
        try (StreamBatcher b = StreamBatcher.builder(layer).maxBatch(n).maxDelay(Duration.ofMillis(1))
                .maxSessions(Math.max(n, 64)).build()) {
            List<StreamBatcher.Session> sessions = new ArrayList<>();
            for (int i = 0; i < n; i++) sessions.add(b.open());
            long worker = -1;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().equals("jrnn StreamBatcher steps")) worker = t.getId();
            }
            AtomicLong steps = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(n);
            List<Thread> clients = new ArrayList<>();
            long w0 = mx.getThreadCpuTime(worker), p0 = os.getProcessCpuTime(), t0 = System.nanoTime();
            for (StreamBatcher.Session s : sessions) {
                if (mode.equals("async")) {
                    Runnable[] next = new Runnable[1];
                    next[0] = () -> {
                        if (stop.get()) {
                            done.countDown();
                            return;
                        }
                        s.stepAsync(x).whenComplete((y, err) -> {
                            if (err != null) {
                                failure.compareAndSet(null, err);
                                done.countDown();
                                return;
                            }
                            steps.incrementAndGet();
                            next[0].run();
                        });
                    };
                    next[0].run();
                } else {
                    Thread t = new Thread(() -> {
                        try {
                            while (!stop.get()) {
                                s.step(x);
                                steps.incrementAndGet();
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                        done.countDown();
                    });
                    clients.add(t);
                    t.start();
                }
            }
            Thread.sleep((long) (seconds * 1000));
            long count = steps.get(), w1 = mx.getThreadCpuTime(worker), p1 = os.getProcessCpuTime(), t1 = System.nanoTime();
            stop.set(true);
            done.await();
            for (Thread t : clients) t.join();
            for (StreamBatcher.Session s : sessions) s.close();
            if (failure.get() != null) throw new IllegalStateException(mode + " failed", failure.get());
            return new Sample(count / ((t1 - t0) / 1e9), (w1 - w0) / (double) count, (p1 - p0) / (double) count);
        }
    }
}
