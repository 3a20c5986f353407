package io.jrnn.bench;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import ai.onnxruntime.OrtEnvironment;
import io.jrnn.Jrnn;
import io.jrnn.Precision;
import io.jrnn.RecurrentLayer;
import io.jrnn.StateDict;
import io.jrnn.internal.Json;
import io.jrnn.bench.Cases.Case;

/**
 * Runs the whole benchmark and writes {@code bench/RESULTS.md} and {@code bench/results.png}: the JMH suite
 * ({@link RecurrentBench}, {@link PrecisionBench}, {@link StreamBench}, {@link SgemmBench}, {@link AllocBench}, and
 * {@link Seq2SeqBench} when the library has a seq2seq model and the demo model exists), one fork per configuration,
 * with the GC profiler for heap bytes per call; then the PyTorch script on the same weights (fp32, and int8 through
 * quantize_dynamic) when {@code /usr/bin/python3} can import torch.
 *
 * <p>Arguments: {@code --quick[=true|false]} (a ~6 minute smoke run), {@code --out=DIR} (where RESULTS.md and
 * results.png go; default {@code bench}), {@code --work=DIR} (generated models and raw results; default
 * {@code target/bench}), {@code --include=REGEX} (only the JMH benchmarks matching it), {@code --torch=false},
 * {@code --torch-blas=system} (let PyTorch use the system BLAS instead of preloading bytedeco's OpenBLAS).
 * Started by {@code mvn -Pbench verify} (see bench/README.md).
 */
public final class RunAll {
    private RunAll() {}

    static final String PYTHON = "/usr/bin/python3";
    static final int[] THREADS = {1, 2};
    /** The cases PyTorch's quantize_dynamic runs (it quantizes LSTM and GRU layers). */
    static final List<String> QUANT_TORCH_CASES = List.of("lstm-b1", "gru-b1", "lstm-b64", "gru-b64");

    private record Args(boolean quick, Path out, Path work, String include, boolean torch, String torchBlas,
                        Path profiler) {
        static Args parse(String[] argv) {
            boolean quick = false, torch = true;
            String torchBlas = "openblas";
            Path profiler = null;
            Path out = Path.of("bench"), work = Path.of("target", "bench");
            String include = null;
            for (String a : argv) {
                String v = a.contains("=") ? a.substring(a.indexOf('=') + 1) : "true";
                String k = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                switch (k) {
                    case "--quick" -> quick = v.isEmpty() || Boolean.parseBoolean(v);
                    case "--out" -> out = Path.of(v);
                    case "--work" -> work = Path.of(v);
                    case "--include" -> include = v.isEmpty() || v.startsWith("${") ? null : v;
                    case "--torch" -> torch = !"false".equals(v);
                    case "--torch-blas" -> torchBlas = v;
                    case "--profiler" -> profiler = v.isEmpty() || v.startsWith("${") ? null : Path.of(v);
                    default -> throw new IllegalArgumentException("unknown argument " + a + " (expected --quick,"
                            + " --out=DIR, --work=DIR, --include=REGEX, --torch=false, --torch-blas=openblas|system,"
                            + " --profiler=FILE)");
                }
            }
            return new Args(quick, out.toAbsolutePath(), work.toAbsolutePath(), include, torch, torchBlas,
                    profiler == null ? null : profiler.toAbsolutePath());
        }
    }

    /** Warm-up and measurement: iterations × seconds. */
    record Plan(int warmups, double warmupSeconds, int measurements, double measurementSeconds,
                double torchWarmup, double torchMeasure, int torchMinRuns) {
        static final Plan QUICK = new Plan(2, 0.5, 3, 0.5, 0.3, 1.0, 3);
        static final Plan FULL = new Plan(4, 2, 10, 1, 1.0, 4.0, 10);

        /** A fork normally needs its iterations plus a few seconds of setup; one past this is hung. */
        long forkLimitSeconds() {
            return Math.round(3 * (warmups * warmupSeconds + measurements * measurementSeconds)) + 120;
        }

        String describe() {
            return warmups + " warm-up × " + fmt(warmupSeconds) + " s, " + measurements + " measured × "
                    + fmt(measurementSeconds) + " s per configuration, 1 fork each";
        }

        private static String fmt(double s) {
            return s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s);
        }
    }

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv);
        if (!Boolean.getBoolean("jrnn.bench.snapshot")) {
            System.exit(relaunchFromSnapshot(argv, args.work));
        }
        Plan plan = args.quick ? Plan.QUICK : Plan.FULL;
        System.setProperty("jrnn.bench.work", args.work.toString());
        Instant start = Instant.now();

        Results r = new Results();
        r.mode = (args.quick ? "quick" : "full") + " run: " + plan.describe();
        r.machine.put("date", ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")));
        r.machine.put("CPU", cpuModel() + " (" + Runtime.getRuntime().availableProcessors() + " logical CPUs)");
        r.machine.put("JVM", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        r.machine.put("load average at start", loadAverage());

        System.out.println("[bench] writing the cases' weights and inputs under " + args.work);
        for (Case c : Cases.ALL) Cases.file(c);

        // ---- JMH ----
        List<String> benches = new ArrayList<>(List.of("RecurrentBench", "PrecisionBench", "StreamBench", "SgemmBench",
                "AllocBench"));
        String seq2seq = Seq2SeqBench.unavailableReason();
        if (seq2seq == null) benches.add("Seq2SeqBench");
        else r.notes.add("Seq2seq: not measured — " + seq2seq + ".");
        String include = "^" + Pattern.quote(RunAll.class.getPackageName() + ".") + "(" + String.join("|", benches)
                + ")\\.";
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(args.include != null ? args.include : include)
                .forks(1)
                .warmupIterations(plan.warmups).warmupTime(seconds(plan.warmupSeconds))
                .measurementIterations(plan.measurements).measurementTime(seconds(plan.measurementSeconds))
                .timeUnit(TimeUnit.MILLISECONDS)
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(false)
                .resultFormat(ResultFormatType.JSON)
                .result(args.work.resolve("jmh.json").toString());
        // the forks' JVM options (jvmArgsAppend replaces, it does not add: one call)
        List<String> jvm = new ArrayList<>(List.of("-Djrnn.bench.work=" + args.work, "-Djava.awt.headless=true",
                "-Xms1g", "-Xmx1g", "-Djrnn.bench.forkLimit=" + plan.forkLimitSeconds()));
        if (seq2seq == null) {
            jvm.add("-Djrnn.bench.seq2seq=" + Seq2SeqBench.modelFile());
            Seq2SeqBench.sentencesFile();
        }
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) jvm.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        o.jvmArgsAppend(jvm.toArray(new String[0]));
        Files.createDirectories(args.work);
        Files.deleteIfExists(args.work.resolve("probe.tsv"));
        Files.deleteIfExists(PrecisionBench.accuracyFile());
        Collection<RunResult> runs = new Runner(o.build()).run();
        collect(runs, r);
        r.probes.putAll(HostProbe.read(args.work.resolve("probe.tsv")));
        r.deviations.putAll(PrecisionBench.readDeviations(PrecisionBench.accuracyFile()));
        expect(r, args.include == null, seq2seq == null);

        // ---- facts that need the native libraries (loaded here only after the forks are done) ----
        r.machine.put("jrnn", Jrnn.version() + ", ISA path " + Jrnn.isa()
                + (Jrnn.cpuFeatures().isEmpty() ? "" : " (" + String.join(", ", Jrnn.cpuFeatures()) + ")"));
        r.machine.put("ONNX Runtime", OrtEnvironment.getEnvironment().getVersion() + " (Java API, CPU provider); MLAS "
                + "kernels: " + mlasPath());
        r.machine.put("OpenBLAS", org.bytedeco.openblas.global.openblas_nolapack.OPENBLAS_VERSION.trim()
                + " (bytedeco " + org.bytedeco.openblas.global.openblas_nolapack.class.getPackage()
                .getImplementationVersion() + ")");
        weightBytes(r);

        // ---- PyTorch ----
        if (!args.torch) {
            r.torchStatus = "skipped (--torch=false)";
        } else if (!pythonHasTorch()) {
            r.torchStatus = "not available: " + PYTHON + " cannot import torch";
        } else {
            runTorch(args, plan, r, seq2seq == null);
        }

        // ---- where the time goes: the native profiler (bench/native/profile.cpp) ----
        if (args.profiler == null) {
            r.profileStatus = "not run (no --profiler)";
        } else if (!Files.isExecutable(args.profiler)) {
            r.profileStatus = "not run: " + args.profiler + " is missing (the bench profile builds it)";
        } else {
            runProfiler(args, r);
        }

        r.machine.put("load average at end", loadAverage());
        r.machine.put("wall time", formatDuration(Duration.between(start, Instant.now())));
        Files.createDirectories(args.out);
        Path md = args.out.resolve("RESULTS.md");
        Files.writeString(md, Report.markdown(r), StandardCharsets.UTF_8);
        Path png = args.out.resolve("results.png");
        Chart.write(r, png);
        System.out.println("[bench] wrote " + md + " and " + png + " (" + r.machine.get("wall time") + ")");
        if (!r.failures.isEmpty()) {
            System.err.println("[bench] FAILED: " + String.join("; ", r.failures));
            System.exit(1);
        }
    }

    /**
     * Runs RunAll again in a new JVM whose class path directories (target/classes, target/test-classes: the code,
     * the native libraries, JMH's generated classes) are copies under {@code <work>/classpath}: the JMH forks start
     * over a quarter of an hour and read those directories each time, so a build running meanwhile in the same tree
     * must not swap them under the benchmark.
     */
    static int relaunchFromSnapshot(String[] argv, Path work) throws IOException, InterruptedException {
        Path root = work.resolve("classpath");
        deleteTree(root);
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (Files.isDirectory(p)) {
                Path copy = root.resolve(i++ + "-" + p.getFileName());
                copyTree(p, copy);
                entries.add(copy.toString());
            } else {
                entries.add(e);
            }
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-Djrnn.bench.snapshot=true");
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, entries));
        cmd.add(RunAll.class.getName());
        cmd.addAll(List.of(argv));
        System.out.println("[bench] running from a copy of the class path directories in " + root);
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path dst = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(dst);
                else Files.copy(p, dst, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.delete(p);
        }
    }

    private static TimeValue seconds(double s) {
        return TimeValue.milliseconds(Math.round(s * 1000));
    }

    /** Files the JMH results by benchmark method, case and threads. */
    static void collect(Collection<RunResult> runs, Results r) {
        for (RunResult run : runs) {
            String bench = run.getParams().getBenchmark();
            String method = bench.substring(bench.lastIndexOf('.') + 1);
            String caseName = Results.caseKey(run.getParams()); // caseName, cell, sentenceSet; "lstm-b1/INT8"
            String t = run.getParams().getParam("threads");
            Result<?> primary = run.getPrimaryResult();
            Result<?> alloc = run.getSecondaryResults().get("gc.alloc.rate.norm");
            r.jmh.put(Results.key(method, caseName, t == null ? 1 : Integer.parseInt(t)),
                    new Results.Measured(primary.getStatistics().getPercentile(50), primary.getScore(),
                            primary.getScoreError(), primary.getStatistics().getN(),
                            alloc == null ? Double.NaN : alloc.getScore()));
        }
    }

    /** The bytes of weights jrnn holds for each case at each precision ({@code RecurrentLayer.weightBytes()}). */
    static void weightBytes(Results r) throws IOException {
        for (Case c : Cases.ALL) {
            for (Precision p : Precision.values()) {
                try (StateDict sd = StateDict.load(Cases.file(c)); RecurrentLayer layer = Cases.load(c, sd, p)) {
                    r.weightBytes.put(c.name() + "/" + p, layer.weightBytes());
                }
            }
        }
    }

    /** Every configuration of a full run must have a result; a missing one failed (its setup check, say). */
    static void expect(Results r, boolean all, boolean seq2seq) {
        if (!all) return;
        List<String> want = new ArrayList<>();
        for (Case c : Cases.ALL) {
            for (int t : THREADS) {
                want.add(Results.key("jrnn", c.name(), t));
                want.add(Results.key("ort", c.name(), t));
            }
        }
        for (Case c : Cases.ALL) {
            for (int t : THREADS) {
                for (String p : PrecisionBench.PRECISIONS) want.add(Results.key("jrnn", c.name() + "/" + p, t));
            }
        }
        for (String c : PrecisionBench.DQLSTM_CASES) {
            for (int t : THREADS) want.add(Results.key("dqlstm", c, t));
        }
        for (int t : THREADS) {
            want.add(Results.key("step100", null, t));
            want.add(Results.key("forward100", null, t));
            want.add(Results.key("sgemm", null, t));
        }
        for (String cell : new String[] {"rnn", "lstm", "gru"}) {
            want.add(Results.key("forward", cell, 1));
            want.add(Results.key("step", cell, 1));
        }
        if (seq2seq) {
            for (int t : THREADS) {
                want.add(Results.key("greedy", Seq2SeqBench.SENTENCES, t));
                want.add(Results.key("beam5", Seq2SeqBench.SENTENCES, t));
            }
        }
        for (String k : want) {
            if (!r.jmh.containsKey(k)) r.failures.add("no JMH result for " + k + " (see the log above)");
        }
    }

    // ---- PyTorch ----

    static boolean pythonHasTorch() {
        if (!Files.isExecutable(Path.of(PYTHON))) return false;
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void runTorch(Args args, Plan plan, Results r, boolean seq2seq) throws Exception {
        // jrnn's final hidden states, so the script can check PyTorch computes the same thing
        Jrnn.setThreads(1);
        for (Case c : Cases.ALL) {
            try (Engines.JrnnRun j = new Engines.JrnnRun(c)) {
                j.run();
                new SafetensorsOut().f32("hn", j.hn.toArray(), 1, c.batch(), c.hidden())
                        .write(args.work.resolve("check").resolve(c.name() + ".safetensors"));
            }
        }
        Path script = Path.of("bench", "python", "bench_torch.py").toAbsolutePath();
        Path json = args.work.resolve("torch.json");
        Files.deleteIfExists(json);
        List<String> cmd = new ArrayList<>(List.of(PYTHON, script.toString(), "--work", args.work.toString(),
                "--cases", String.join(",", Cases.NAMES), "--threads", "1,2",
                "--warmup", Double.toString(plan.torchWarmup), "--measure", Double.toString(plan.torchMeasure),
                "--min-runs", Integer.toString(plan.torchMinRuns),
                "--quant-cases", String.join(",", QUANT_TORCH_CASES),
                "--out", json.toString()));
        if (seq2seq) {
            Path model = Seq2SeqBench.modelFile();
            cmd.addAll(List.of("--seq2seq", model.toString(), "--sentences",
                    Seq2SeqBench.sentencesFile().toString()));
        }
        System.out.println("[bench] PyTorch: " + String.join(" ", cmd));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put("GLOG_minloglevel", "2"); // qnnpack would log a warning on every quantized product
        Path blas = args.torchBlas.equals("system") ? null : openblasLibrary();
        if (blas != null) {
            // Debian's PyTorch calls sgemm through libblas.so.3, here the reference BLAS: give it OpenBLAS instead
            pb.environment().put("LD_PRELOAD", blas.toString());
            pb.environment().merge("LD_LIBRARY_PATH", blas.getParent().toString(), (a, b) -> b + ":" + a);
        }
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            r.torchStatus = "timed out";
            r.failures.add("the PyTorch script timed out");
            return;
        }
        if (p.exitValue() != 0 || !Files.exists(json)) {
            r.torchStatus = "failed (exit " + p.exitValue() + ")";
            r.failures.add("the PyTorch script failed (exit " + p.exitValue() + ")");
            return;
        }
        parseTorch(Files.readString(json), r);
    }

    /** bytedeco's libopenblas.so.0 as the build unpacked it for CMake (null when absent). */
    static Path openblasLibrary() {
        Path p = Path.of("target", "openblas", "org", "bytedeco", "openblas", "linux-x86_64", "libopenblas.so.0");
        return Files.isRegularFile(p) ? p.toAbsolutePath() : null;
    }

    @SuppressWarnings("unchecked")
    static void parseTorch(String text, Results r) throws IOException {
        Map<String, Object> root = (Map<String, Object>) Json.parse(text);
        r.torchStatus = "PyTorch " + root.get("torch_version") + " (python " + root.get("python") + ", numpy "
                + root.get("numpy_version") + ")";
        r.machine.put("PyTorch", r.torchStatus + "; BLAS: " + root.get("blas"));
        for (Object o : (List<Object>) root.get("results")) {
            Map<String, Object> m = (Map<String, Object>) o;
            Object diff = m.get("max_abs_diff_vs_jrnn");
            Double d = diff == null ? null : diff instanceof Number n ? n.doubleValue() : Double.POSITIVE_INFINITY;
            String caseName = (String) m.get("case");
            int threads = ((Number) m.get("threads")).intValue();
            r.torch.put(Results.key("torch", caseName, threads), new Results.Torch(
                    ((Number) m.get("median_ms")).doubleValue(), ((Number) m.get("runs")).intValue(), d));
            if (d != null && !(d <= Engines.TOLERANCE)) {
                r.failures.add("PyTorch and jrnn disagree on " + caseName + " hn: max |diff| " + d);
            }
        }
        if (root.get("quantized") instanceof Map<?, ?> qm) {
            Object engine = qm.get("engine");
            String has = qm.get("supported_engines") instanceof List<?> l ? join(l) : "?";
            String notUsed = qm.get("not_used") instanceof List<?> l && !l.isEmpty() ? "; " + join(l) : "";
            r.torchQuantStatus = engine == null ? "not measured: " + qm.get("skipped")
                    : "`quantize_dynamic`, " + qm.get("qconfig") + ", on the " + engine + " engine (this build has "
                    + has + notUsed + ")";
            if (engine == null) r.notes.add("PyTorch int8: " + r.torchQuantStatus + ".");
            if (qm.get("results") instanceof List<?> list) {
                for (Object o : list) {
                    Map<String, Object> m = (Map<String, Object>) o;
                    String caseName = (String) m.get("case");
                    int threads = ((Number) m.get("threads")).intValue();
                    double mean = m.get("mean_abs_diff_vs_fp32") instanceof Number n ? n.doubleValue()
                            : Double.POSITIVE_INFINITY;
                    double max = m.get("max_abs_diff_vs_fp32") instanceof Number n ? n.doubleValue()
                            : Double.POSITIVE_INFINITY;
                    r.torch.put(Results.key("torch-int8", caseName, threads), new Results.Torch(
                            ((Number) m.get("median_ms")).doubleValue(), ((Number) m.get("runs")).intValue(), null));
                    r.deviations.put(Results.key("torch-int8", caseName, threads), new Engines.Deviation(mean, max));
                    if (!(mean <= Engines.REDUCED_MEAN_TOLERANCE && max <= Engines.REDUCED_MAX_TOLERANCE)) {
                        r.failures.add("PyTorch's quantized " + caseName + " is too far from its float32 module: "
                                + "mean |diff| " + mean + ", max " + max);
                    }
                }
            }
        }
        Object s2s = root.get("seq2seq");
        if (s2s instanceof Map<?, ?> sm) {
            Object skipped = sm.get("skipped");
            if (sm.get("wrong_translations") instanceof Number n && n.intValue() != 0) {
                r.failures.add("PyTorch translated " + n + " of the demo sentences wrong");
            }
            if (skipped != null) r.notes.add("Seq2seq in PyTorch: not measured — " + skipped + ".");
            Object rows = sm.get("results");
            if (rows instanceof List<?> list) {
                for (Object o : list) {
                    Map<String, Object> m = (Map<String, Object>) o;
                    r.torch.put(Results.key((String) m.get("decoding"), Seq2SeqBench.SENTENCES,
                                    ((Number) m.get("threads")).intValue()),
                            new Results.Torch(((Number) m.get("ms_per_sentence")).doubleValue(),
                                    ((Number) m.get("runs")).intValue(), null));
                }
            }
        }
    }

    private static String join(List<?> l) {
        List<String> s = new ArrayList<>();
        for (Object o : l) s.add(String.valueOf(o));
        return String.join(", ", s);
    }

    // ---- native profile ----

    /** Runs jrnn_profile (machine limits, time per phase; Markdown on stdout) and keeps its output for the report. */
    private static void runProfiler(Args args, Results r) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(args.profiler.toString()));
        if (args.quick) cmd.add("--quick");
        System.out.println("[bench] " + String.join(" ", cmd));
        Path log = args.work.resolve("profile.md");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            r.failures.add("jrnn_profile ran over 15 minutes");
            return;
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            r.failures.add("jrnn_profile exited with " + p.exitValue() + ": " + out.strip());
            return;
        }
        r.profile = out.strip();
        r.profileStatus = "ran";
    }

    // ---- machine ----

    /** The model name, CPUID family/model/stepping and the SIMD extensions that matter here (from /proc/cpuinfo). */
    static String cpuModel() {
        try {
            Map<String, String> f = new LinkedHashMap<>();
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.isBlank()) break;  // the first processor is enough
                int colon = line.indexOf(':');
                if (colon > 0) f.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
            List<String> flags = List.of(f.getOrDefault("flags", "").split("\\s+"));
            List<String> simd = new ArrayList<>();
            for (String x : List.of("avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni",
                    "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8")) {
                if (flags.contains(x)) simd.add(x);
            }
            return f.getOrDefault("model name", "?") + ", " + f.getOrDefault("vendor_id", "?") + " family "
                    + f.getOrDefault("cpu family", "?") + " model " + f.getOrDefault("model", "?") + " stepping "
                    + f.getOrDefault("stepping", "?") + "; " + String.join(" ", simd);
        } catch (IOException e) {
            return System.getProperty("os.arch");  // not Linux
        }
    }

    /**
     * The kernel family ONNX Runtime's MLAS picks for fp32 GEMMs on this CPU, by the rule of its platform.cpp:
     * AVX-512F kernels when the CPU has AVX512F and the OS saves the zmm state, else AVX2/FMA, else SSE.
     */
    static String mlasPath() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (!line.startsWith("flags")) continue;
                List<String> flags = List.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                if (flags.contains("avx512f")) return "avx512f (inferred from the CPU flags, as MLAS's platform.cpp decides)";
                if (flags.contains("avx2") && flags.contains("fma")) return "avx2/fma (inferred from the CPU flags)";
                return "sse (inferred from the CPU flags)";
            }
        } catch (IOException e) {
            // not Linux
        }
        return "unknown";
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " / " + f[1] + " / " + f[2] + " (1 / 5 / 15 min)";
        } catch (IOException e) {
            return "unknown";
        }
    }

    static String formatDuration(Duration d) {
        return d.toMinutes() + " min " + d.toSecondsPart() + " s";
    }
}
