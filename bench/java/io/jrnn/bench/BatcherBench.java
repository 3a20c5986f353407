package io.jrnn.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import io.jrnn.Jrnn;
import io.jrnn.RecurrentLayer;
import io.jrnn.RecurrentStream;
import io.jrnn.Seq2Seq;
import io.jrnn.SequenceModel;
import io.jrnn.StateDict;
import io.jrnn.StreamBatcher;
import io.jrnn.Tensor;
import io.jrnn.TranslationBatcher;
import io.jrnn.bench.Cases.Case;

/**
 * Many callers, one batch: N client threads (1, 8, 64, 256), each stepping its own lstm-b1-shaped stream (I = H =
 * 256, batch 1), for a fixed time; aggregate steps/s and the p50/p99/p99.9 latency of one step, for
 * <ul>
 *   <li>{@code jrnn}: each thread its own {@link RecurrentStream} on the shared layer (no batching);
 *   <li>{@code batcher}: each thread a {@link StreamBatcher} session (batch-invariant, the default), and
 *       {@code batcher-plain} the same with the batch-dependent product (what invariance costs);
 *   <li>{@code batcher-async}: N sessions driven without a thread each, as an asynchronous service drives them:
 *       every session's {@code stepAsync} completion issues its next step (no thread hand-off per step);
 *   <li>{@code model}, {@code model-plain}: the same as {@code batcher}, {@code batcher-plain} for the same stack
 *       loaded as a {@link SequenceModel} (float features, no head): {@code StreamBatcher.builder(model)}, whose
 *       batches run through the model's row stepper (states in a Java arena, gathered when not one block);
 *   <li>{@code ort}: ONNX Runtime Java, each thread calling {@code run} on one shared session (one intra-op thread)
 *       with its state passed in and out, as a service without batching does;
 * </ul>
 * and N clients translating with the demo model ({@code translate}: each thread calls {@link Seq2Seq#translate};
 * {@code translate-batcher}: through a {@link TranslationBatcher}). Engines run one after another for each N; the
 * machine's other load shows in the spread between repeats, so compare within one run.
 *
 * <p>{@code --precision=BF16|INT8} loads the jrnn engines' layer at that precision (ORT and the translators stay
 * float32).
 *
 * <pre>java -cp ... io.jrnn.bench.BatcherBench [--seconds=3] [--warmup=1] [--clients=1,8,64,256] [--precision=FP32]
 *     [--max-delay-us=1000] [--max-batch=64] [--engines=jrnn,batcher,batcher-plain,model,model-plain,ort,translate,translate-batcher] [--out=FILE.md]
 *     [--png=FILE.png]</pre>
 */
public final class BatcherBench {
    private BatcherBench() {}

    /** One client's stream: one step per call. */
    interface Client extends AutoCloseable {
        void step() throws Exception;

        @Override
        default void close() throws Exception {}
    }

    /** Makes a client per thread (called on that thread). */
    interface Engine extends AutoCloseable {
        Client client(int id) throws Exception;

        @Override
        default void close() throws Exception {}
    }

    static int maxBatch = 64;

    record Result(String engine, int clients, double perSecond, double p50, double p99, double p999, long count) {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            opt.put(eq < 0 ? a.replaceFirst("^--", "") : a.substring(2, eq), eq < 0 ? "" : a.substring(eq + 1));
        }
        double seconds = Double.parseDouble(opt.getOrDefault("seconds", "3"));
        double warmup = Double.parseDouble(opt.getOrDefault("warmup", "1"));
        int[] clients = Arrays.stream(opt.getOrDefault("clients", "1,8,64,256").split(",")).mapToInt(Integer::parseInt).toArray();
        Duration maxDelay = Duration.ofNanos(1000L * Long.parseLong(opt.getOrDefault("max-delay-us", "1000")));
        maxBatch = Integer.parseInt(opt.getOrDefault("max-batch", "64"));
        List<String> engines = List.of(opt.getOrDefault("engines", "jrnn,batcher,batcher-plain,ort,translate,translate-batcher").split(","));
        io.jrnn.Precision precision = io.jrnn.Precision.valueOf(opt.getOrDefault("precision", "FP32").toUpperCase(Locale.ROOT));
        modelPrecision = precision;

        Case c = Cases.byName("lstm-b1");
        Cases.Weights w = Cases.weights(c);
        List<Result> results = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        out.append("CPU: ").append(cpuName()).append("; ").append(Runtime.getRuntime().availableProcessors())
                .append(" processors; jrnn threads ").append(Jrnn.threads()).append(", ISA ").append(Jrnn.isa())
                .append(Jrnn.cpuFeatures().isEmpty() ? "" : " (" + String.join(", ", Jrnn.cpuFeatures()) + ")")
                .append("; jrnn weights ").append(precision)
                .append("; maxDelay ").append(maxDelay.toNanos() / 1000).append(" us, maxBatch ").append(maxBatch).append("; ").append(seconds)
                .append(" s per point after ").append(warmup).append(" s warm-up\n\n");
        System.out.print(out);
        try (StateDict sd = StateDict.load(Cases.file(c)); RecurrentLayer layer = Cases.load(c, sd, precision)) {
            for (int n : clients) {
                for (String e : engines) {
                    if (e.equals("batcher-async")) {
                        Result r = measureAsync(n, layer, w.x(), c, maxDelay, warmup, seconds);
                        results.add(r);
                        System.out.printf(Locale.ROOT, "%-18s N=%-4d %10.0f /s   p50 %8.1f us   p99 %8.1f us   p99.9 %8.1f us   (%d)%n",
                                r.engine(), n, r.perSecond(), r.p50(), r.p99(), r.p999(), r.count());
                        continue;
                    }
                    // ORT runs float32: its setup check compares it with a float32 layer
                    try (Engine engine = e.equals("ort") && precision != io.jrnn.Precision.FP32
                            ? ortChecked(c, w, sd) : engine(e, c, w, layer, maxDelay)) {
                        if (engine == null) continue;
                        Result r = measure(e, n, engine, warmup, seconds);
                        results.add(r);
                        String line = String.format(Locale.ROOT, "%-18s N=%-4d %10.0f /s   p50 %8.1f us   p99 %8.1f us   p99.9 %8.1f us   (%d)%n",
                                r.engine(), n, r.perSecond(), r.p50(), r.p99(), r.p999(), r.count());
                        System.out.print(line);
                    }
                }
            }
        }
        String table = table(results);
        System.out.println();
        System.out.print(table);
        if (opt.containsKey("out")) Files.writeString(Path.of(opt.get("out")), out + table);
        if (opt.containsKey("png")) chart(results, Path.of(opt.get("png")), cpuName());
    }

    /** Throughput (log scale) and p99 latency (log scale) per engine and client count. */
    static void chart(List<Result> rs, Path png, String cpu) throws IOException {
        org.jfree.data.category.DefaultCategoryDataset rate = new org.jfree.data.category.DefaultCategoryDataset();
        org.jfree.data.category.DefaultCategoryDataset p99 = new org.jfree.data.category.DefaultCategoryDataset();
        for (Result r : rs) {
            String clients = r.clients() + (r.engine().startsWith("translate") ? " (sentences)" : "") + " clients";
            rate.addValue(r.perSecond(), r.engine(), clients);
            p99.addValue(r.p99(), r.engine(), clients);
        }
        org.jfree.chart.plot.CombinedDomainCategoryPlot plot =
                new org.jfree.chart.plot.CombinedDomainCategoryPlot(new org.jfree.chart.axis.CategoryAxis("clients"));
        java.awt.Color[] palette = {new java.awt.Color(0x4477AA), new java.awt.Color(0x228833), new java.awt.Color(0xCCBB44),
            new java.awt.Color(0xEE6677), new java.awt.Color(0x66CCEE), new java.awt.Color(0xAA3377)};
        for (Object[] part : new Object[][] {{rate, "steps or sentences per second (log)"}, {p99, "p99 latency, us (log)"}}) {
            org.jfree.data.category.DefaultCategoryDataset d = (org.jfree.data.category.DefaultCategoryDataset) part[0];
            double lo = Double.MAX_VALUE, hi = 0;
            for (int r = 0; r < d.getRowCount(); r++)
                for (int col = 0; col < d.getColumnCount(); col++) {
                    Number v = d.getValue(r, col);
                    if (v != null && v.doubleValue() > 0) {
                        lo = Math.min(lo, v.doubleValue());
                        hi = Math.max(hi, v.doubleValue());
                    }
                }
            org.jfree.chart.axis.LogAxis axis = new org.jfree.chart.axis.LogAxis((String) part[1]);
            axis.setRange(lo / 2, hi * 2);
            org.jfree.chart.renderer.category.BarRenderer bars = new org.jfree.chart.renderer.category.BarRenderer();
            bars.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
            bars.setShadowVisible(false);
            bars.setBase(lo / 2);
            for (int r = 0; r < d.getRowCount(); r++) bars.setSeriesPaint(r, palette[r % palette.length]);
            if (d == p99) bars.setDefaultSeriesVisibleInLegend(false);
            plot.add(new org.jfree.chart.plot.CategoryPlot((org.jfree.data.category.DefaultCategoryDataset) part[0], null,
                    axis, bars), 1);
        }
        org.jfree.chart.JFreeChart chart = new org.jfree.chart.JFreeChart(
                "Many callers, one batch: lstm-b1-shaped streams and demo translations (" + cpu + ")",
                org.jfree.chart.JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(java.awt.Color.WHITE);
        org.jfree.chart.ChartUtils.saveChartAsPNG(png.toFile(), chart, 1400, 900);
    }

    static Engine engine(String name, Case c, Cases.Weights w, RecurrentLayer layer, Duration maxDelay) throws Exception {
        final int I = c.input(), H = c.hidden();
        final float[] xs = w.x();  // [T, 1, I]: client inputs cycle through the case's T steps
        final int T = c.steps();
        switch (name) {
            case "jrnn":
                return id -> new Client() {
                    final RecurrentStream s = layer.stream(1, null, null);
                    final Tensor x = Tensor.zeros(1, I), y = Tensor.zeros(1, H);
                    int t = id % T;

                    public void step() {
                        x.copyFrom(Arrays.copyOfRange(xs, t * I, t * I + I));
                        t = (t + 1) % T;
                        s.step(x, y);
                    }

                    public void close() {
                        s.close();
                        x.close();
                        y.close();
                    }
                };
            case "batcher":
            case "batcher-plain":
                return sessions(StreamBatcher.builder(layer).maxBatch(maxBatch).maxDelay(maxDelay).maxSessions(512)
                        .batchInvariant(name.equals("batcher")).build(), null, xs, I, T);
            case "model":
            case "model-plain": {
                // the same stack as a SequenceModel (float features, no head, no softmax): what serving a whole
                // model through StreamBatcher.builder(model) and its row stepper costs over the layer's batcher
                SequenceModel m = asModel(c);
                return sessions(StreamBatcher.builder(m).maxBatch(maxBatch).maxDelay(maxDelay).maxSessions(512)
                        .batchInvariant(name.equals("model")).build(), m, xs, I, T);
            }
            case "ort": {
                Engine e = ort(c, w);
                checkOrt(e, layer, w.x(), I, H);
                return e;
            }
            case "translate":
            case "translate-batcher": {
                Path model = Seq2SeqBench.modelFile();
                Path heldout = Seq2SeqBench.HELDOUT;
                if (model == null || !Files.isRegularFile(heldout)) {
                    System.out.println(name + ": skipped (no demo model or held-out dates)");
                    return null;
                }
                List<String> sentences = Files.readAllLines(heldout).stream()
                        .filter(l -> !l.startsWith("#") && !l.isEmpty()).map(l -> l.split("\t")[0]).toList();
                Seq2Seq m = Seq2Seq.load(model);
                TranslationBatcher tb = name.equals("translate-batcher")
                        ? TranslationBatcher.builder(m).maxBatch(maxBatch).maxDelay(maxDelay).build() : null;
                return new Engine() {
                    public Client client(int id) {
                        return new Client() {
                            int i = id;

                            public void step() {
                                String s = sentences.get(i++ % sentences.size());
                                if (tb == null) m.translate(s);
                                else tb.translate(s);
                            }
                        };
                    }

                    public void close() {
                        if (tb != null) tb.close();
                        m.close();
                    }
                };
            }
            default:
                throw new IllegalArgumentException("no engine " + name);
        }
    }

    /** The case's stack as a SequenceModel at the batcher's precision (its weights from the loaded layer's file). */
    static SequenceModel asModel(Case c) throws IOException {
        String cell = switch (c.cell()) {
            case LSTM -> "lstm";
            case GRU -> "gru";
            case RNN -> "rnn_tanh";
        };
        String config = "{\"format\": \"jrnn.model.v1\", \"rnn\": {\"cell\": \"" + cell + "\", \"input_size\": "
                + c.input() + ", \"hidden_size\": " + c.hidden() + ", \"num_layers\": 1, \"bidirectional\": false,"
                + " \"bias\": true, \"batch_first\": false}, \"readout\": \"all_steps\", \"head\": [],"
                + " \"output\": \"none\"}";
        Map<String, Tensor> rnn = new LinkedHashMap<>();
        try (StateDict sd = StateDict.load(Cases.file(c))) {
            for (String n : sd.names()) if (n.startsWith("rnn.")) rnn.put(n, sd.tensor(n));
            try (StateDict model = StateDict.of(rnn, Map.of("jrnn.config", config))) {
                return SequenceModel.load(model, modelPrecision);
            }
        } finally {
            rnn.values().forEach(Tensor::close);
        }
    }

    static io.jrnn.Precision modelPrecision = io.jrnn.Precision.FP32;

    /** One blocking batcher session per client, its inputs cycling through the case's T steps; closes {@code owned}. */
    static Engine sessions(StreamBatcher b, AutoCloseable owned, float[] xs, int I, int T) {
        return new Engine() {
            public Client client(int id) {
                StreamBatcher.Session s = b.open();
                return new Client() {
                    int t = id % T;

                    public void step() {
                        float[] x = Arrays.copyOfRange(xs, t * I, t * I + I);
                        t = (t + 1) % T;
                        s.step(x);
                    }

                    public void close() {
                        s.close();
                    }
                };
            }

            public void close() throws Exception {
                b.close();
                if (owned != null) owned.close();
            }
        };
    }

    /** The ORT engine, checked against the case's layer at FP32. */
    static Engine ortChecked(Case c, Cases.Weights w, StateDict sd) throws Exception {
        try (RecurrentLayer fp32 = Cases.load(c, sd)) {
            return engine("ort", c, w, fp32, null);
        }
    }

    /** ONNX Runtime: one session, one intra-op thread; each client passes its state in and out of every run. */
    static Engine ort(Case c, Cases.Weights w) throws Exception {
        final int I = c.input(), H = c.hidden(), T = c.steps();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session;
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            o.setInterOpNumThreads(1);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(OnnxModels.stepModel(c, w), o);
        }
        return new Engine() {
            public Client client(int id) throws Exception {
                FloatBuffer x = direct(I), h = direct(H), cs = direct(H), y = direct(H), yh = direct(H), yc = direct(H);
                Map<String, OnnxTensor> in = new LinkedHashMap<>(), outs = new LinkedHashMap<>();
                in.put("X", OnnxTensor.createTensor(env, x, new long[] {1, 1, I}));
                in.put("initial_h", OnnxTensor.createTensor(env, h, new long[] {1, 1, H}));
                in.put("initial_c", OnnxTensor.createTensor(env, cs, new long[] {1, 1, H}));
                outs.put("Y", OnnxTensor.createTensor(env, y, new long[] {1, 1, 1, H}));
                outs.put("Y_h", OnnxTensor.createTensor(env, yh, new long[] {1, 1, H}));
                outs.put("Y_c", OnnxTensor.createTensor(env, yc, new long[] {1, 1, H}));
                final float[] xs = w.x();
                return new OrtClient() {
                    int t = id % T;

                    public float[] lastState() {
                        float[] v = new float[H];
                        h.rewind();
                        h.get(v);
                        return v;
                    }

                    public void step() throws Exception {
                        x.clear();
                        x.put(xs, t * I, I);
                        t = (t + 1) % T;
                        session.run(in, outs).close();
                        h.clear();
                        yh.clear();
                        h.put(yh);  // state out -> state in
                        cs.clear();
                        yc.clear();
                        cs.put(yc);
                    }

                    public void close() {
                        in.values().forEach(OnnxTensor::close);
                        outs.values().forEach(OnnxTensor::close);
                    }
                };
            }

            public void close() throws Exception {
                session.close();
            }
        };
    }

    /** Refuses to time a wrong model: 10 ORT steps with state passed through must give jrnn's stream outputs. */
    static void checkOrt(Engine ort, RecurrentLayer layer, float[] xs, int I, int H) throws Exception {
        try (Client o = ort.client(0);
             RecurrentStream s = layer.stream(1, null, null)) {
            for (int t = 0; t < 10; t++) {
                o.step();
                try (Tensor x = Tensor.of(Arrays.copyOfRange(xs, t * I, t * I + I), 1, I); Tensor y = s.step(x)) {
                    Engines.compare("state after step " + t + " (state passed in and out)", y.toArray(),
                            ((OrtClient) o).lastState());
                }
            }
        }
    }

    interface OrtClient extends Client {
        float[] lastState();
    }

    static FloatBuffer direct(int n) {
        return ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** n threads step their clients for warmup + seconds; steps that start after the warm-up are timed. */
    /**
     * N sessions of one batcher, each stepping as soon as its previous step completed: the completion of step k
     * issues step k + 1 (on the thread that completed it), so no client thread waits or wakes. Latency: issue to
     * completion.
     */
    static Result measureAsync(int n, RecurrentLayer layer, float[] xs, Case c, Duration maxDelay, double warmup,
                               double seconds) throws Exception {
        final int I = c.input(), T = c.steps();
        try (StreamBatcher b = StreamBatcher.builder(layer).maxBatch(maxBatch).maxDelay(maxDelay)
                .maxSessions(Math.max(512, n)).build()) {
            final long start = System.nanoTime() + (long) (warmup * 1e9), end = start + (long) (seconds * 1e9);
            long[][] lat = new long[n][1 << 12];
            int[] counts = new int[n];
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(n);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<StreamBatcher.Session> sessions = new ArrayList<>();
            for (int i = 0; i < n; i++) sessions.add(b.open());
            for (int i = 0; i < n; i++) {
                final int id = i;
                final StreamBatcher.Session s = sessions.get(i);
                final int[] t = {id % T};
                final Runnable[] next = new Runnable[1];
                next[0] = () -> {
                    final long t0 = System.nanoTime();
                    if (t0 >= end) {
                        done.countDown();
                        return;
                    }
                    float[] x = Arrays.copyOfRange(xs, t[0] * I, t[0] * I + I);
                    t[0] = (t[0] + 1) % T;
                    s.stepAsync(x).whenComplete((y, err) -> {
                        if (err != null) {
                            failure.compareAndSet(null, err);
                            done.countDown();
                            return;
                        }
                        long t1 = System.nanoTime();
                        if (t0 >= start) {
                            if (counts[id] == lat[id].length) lat[id] = Arrays.copyOf(lat[id], 2 * counts[id]);
                            lat[id][counts[id]++] = t1 - t0;
                        }
                        next[0].run();
                    });
                };
                next[0].run();
            }
            done.await();
            for (StreamBatcher.Session s : sessions) s.close();
            if (failure.get() != null) throw new IllegalStateException("batcher-async failed", failure.get());
            return result("batcher-async", n, seconds, lat, counts);
        }
    }

    static Result measure(String name, int n, Engine engine, double warmup, double seconds) throws Exception {
        CyclicBarrier ready = new CyclicBarrier(n + 1);
        long[][] lat = new long[n][];
        int[] counts = new int[n];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        final long[] window = new long[2];  // measure start, end (set before the threads are released)
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final int id = i;
            Thread t = new Thread(() -> {
                long[] l = new long[1 << 12];
                int k = 0;
                try (Client cl = engine.client(id)) {
                    ready.await();
                    final long start = window[0], end = window[1];
                    for (;;) {
                        long t0 = System.nanoTime();
                        if (t0 >= end) break;
                        cl.step();
                        long t1 = System.nanoTime();
                        if (t0 >= start) {
                            if (k == l.length) l = Arrays.copyOf(l, 2 * k);
                            l[k++] = t1 - t0;
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    ready.reset();
                }
                lat[id] = l;
                counts[id] = k;
            }, "client-" + i);
            threads.add(t);
            t.start();
        }
        // clients are created on their threads before anyone starts
        long now = System.nanoTime();
        window[0] = now + (long) (warmup * 1e9) + 200_000_000L;
        window[1] = window[0] + (long) (seconds * 1e9);
        ready.await();
        for (Thread t : threads) t.join();
        if (failure.get() != null) throw new IllegalStateException(name + " failed", failure.get());
        return result(name, n, seconds, lat, counts);
    }

    /** Rate and latency percentiles from each client's latencies lat[i][0, counts[i]). */
    static Result result(String name, int n, double seconds, long[][] lat, int[] counts) {
        int total = 0;
        for (int c : counts) total += c;
        long[] all = new long[total];
        int p = 0;
        for (int i = 0; i < n; i++) {
            System.arraycopy(lat[i], 0, all, p, counts[i]);
            p += counts[i];
        }
        Arrays.sort(all);
        return new Result(name, n, total / seconds, pct(all, 0.5), pct(all, 0.99), pct(all, 0.999), total);
    }

    static double pct(long[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1000.0;
    }

    static String table(List<Result> rs) {
        StringBuilder sb = new StringBuilder("| engine | clients | steps or sentences /s | p50 us | p99 us | p99.9 us |\n"
                + "|---|---:|---:|---:|---:|---:|\n");
        for (Result r : rs) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.1f | %.1f | %.1f |%n", r.engine(), r.clients(),
                    r.perSecond(), r.p50(), r.p99(), r.p999()));
        }
        return sb.toString();
    }

    static String cpuName() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim();
            }
        } catch (IOException e) {
            // not Linux: unnamed
        }
        return System.getProperty("os.arch");
    }
}
