package io.jrnn.bench;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.jrnn.Jrnn;
import io.jrnn.StateDict;
import io.jrnn.internal.Json;

/**
 * The seq2seq demo model (the date normaliser, {@code java/io/jrnn/cli/dates.safetensors}): greedy and beam-5
 * decoding, time per sentence, over {@value #COUNT} held-out dates that the PyTorch script decodes too
 * ({@code target/bench/seq2seq/sentences.txt}, one per line: {@code maxLen<TAB>id id ...<TAB>expected}). The setup
 * checks every greedy translation against the expected ISO date.
 *
 * <p>{@code io.jrnn.Seq2Seq} is reached by reflection, so this file compiles before (and without) it; RunAll skips
 * the benchmark with a note when the class or the demo model is missing ({@link #unavailableReason()}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 1)
@State(Scope.Benchmark)
public class Seq2SeqBench {
    static final String SENTENCES = "demo";
    static final int COUNT = 32;
    static final int BEAM = 5;
    static final float LENGTH_PENALTY = 0.6f;
    static final String CLASS = "io.jrnn.Seq2Seq";
    /** max_len of the demo's accuracy test (an ISO date is 10 characters). */
    static final int DATES_MAX_LEN = 16;

    /** The sentence set (one for now; a parameter so the results are keyed like the other benchmarks). */
    @Param({SENTENCES})
    public String sentenceSet;

    @Param({"1", "2"})
    public int threads;

    private AutoCloseable model;
    private MethodHandle greedy, beamSearch;
    private int[][] sources;
    private int[] maxLens;

    /** The shipped demo model (the date normaliser of the command-line tool). */
    static final Path DEMO = Path.of("java", "io", "jrnn", "cli", "dates.safetensors");
    /** Its held-out inputs and expected ISO dates (input TAB date, '#' comments). */
    static final Path HELDOUT = Path.of("test", "golden", "dates", "heldout.tsv");

    /** Null when the benchmark can run, else why not. */
    static String unavailableReason() {
        try {
            Class.forName(CLASS);
        } catch (ClassNotFoundException e) {
            return CLASS + " is not in this build";
        }
        return modelFile() == null ? "no demo model found (" + DEMO + ", or set -Djrnn.bench.seq2seq=FILE)" : null;
    }

    /** {@code -Djrnn.bench.seq2seq}, else the demo model of the source tree; null if there is none. */
    static Path modelFile() {
        String set = System.getProperty("jrnn.bench.seq2seq");
        if (set != null && !set.isEmpty()) return Path.of(set).toAbsolutePath();
        return Files.isRegularFile(DEMO) ? DEMO.toAbsolutePath() : null;
    }

    /**
     * The source sentences, written on first use: {@value #COUNT} held-out dates spread over all formats, as
     * character ids with the expected output ({@code maxLen<TAB>ids<TAB>expected}); for another model, seeded random
     * ids ({@code maxLen<TAB>ids}, max length 2·len+10).
     */
    @SuppressWarnings("unchecked")
    static Path sentencesFile() throws IOException {
        Path f = Cases.workDir().resolve("seq2seq").resolve("sentences.txt");
        if (Files.isRegularFile(f)) return f;
        Map<String, Object> cfg;
        try (StateDict sd = StateDict.load(modelFile())) {
            cfg = (Map<String, Object>) Json.parse(sd.metadata().get("jrnn.config"));
        }
        List<Object> srcTokens = (List<Object>) cfg.get("src_tokens");
        StringBuilder sb = new StringBuilder();
        if (modelFile().equals(DEMO.toAbsolutePath()) && Files.isRegularFile(HELDOUT) && srcTokens != null) {
            List<String> pairs = Files.readAllLines(HELDOUT).stream().filter(l -> !l.startsWith("#") && !l.isEmpty())
                    .toList();
            for (int s = 0; s < COUNT; s++) {
                String[] pair = pairs.get((int) ((long) s * pairs.size() / COUNT)).split("\t");
                sb.append(DATES_MAX_LEN).append('\t').append(charIds(pair[0], srcTokens)).append('\t')
                        .append(pair[1]).append('\n');
            }
        } else {
            int vocab = ((Number) cfg.get("src_vocab_size")).intValue();
            List<Integer> special = List.of(((Number) cfg.get("pad_id")).intValue(),
                    ((Number) cfg.get("bos_id")).intValue(), ((Number) cfg.get("eos_id")).intValue());
            SplittableRandom rnd = new SplittableRandom(2026);
            for (int s = 0; s < COUNT; s++) {
                int len = 5 + rnd.nextInt(16);
                sb.append(2 * len + 10).append('\t');
                for (int i = 0; i < len; i++) {
                    int id;
                    do id = rnd.nextInt(vocab); while (special.contains(id));
                    sb.append(i > 0 ? " " : "").append(id);
                }
                sb.append('\n');
            }
        }
        Files.createDirectories(f.getParent());
        Files.writeString(f, sb);
        return f;
    }

    /** The demo's "char" tokenizer: one id per code point, unknown ones to {@code <unk>}. */
    private static String charIds(String text, List<Object> srcTokens) {
        int unk = srcTokens.indexOf("<unk>");
        StringBuilder ids = new StringBuilder();
        text.codePoints().forEach(cp -> {
            int id = srcTokens.indexOf(new String(Character.toChars(cp)));
            if (id < 0) id = unk;
            if (id < 0) throw new IllegalArgumentException("no id for '" + new String(Character.toChars(cp)) + "'");
            ids.append(ids.length() > 0 ? " " : "").append(id);
        });
        return ids.toString();
    }

    @Setup(Level.Trial)
    public void setup() throws Throwable {
        Watchdog.start("Seq2SeqBench threads=" + threads);
        Jrnn.setThreads(threads);
        Class<?> cls = Class.forName(CLASS);
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        MethodHandle load = lookup.findStatic(cls, "load", MethodType.methodType(cls, Path.class));
        greedy = lookup.findVirtual(cls, "greedy", MethodType.methodType(Class.forName("io.jrnn.Translation"),
                int[].class, int.class));
        beamSearch = lookup.findVirtual(cls, "beamSearch", MethodType.methodType(List.class, int[].class, int.class,
                int.class, float.class));
        model = (AutoCloseable) load.invoke(modelFile());
        List<int[]> src = new ArrayList<>();
        List<Integer> lens = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (String line : Files.readAllLines(sentencesFile())) {
            if (line.isBlank()) continue;
            String[] parts = line.split("\t");
            lens.add(Integer.parseInt(parts[0]));
            src.add(Stream.of(parts[1].trim().split(" ")).mapToInt(Integer::parseInt).toArray());
            expected.add(parts.length > 2 ? parts[2] : null);
        }
        if (src.size() != COUNT) throw new IllegalStateException("expected " + COUNT + " sentences, got " + src.size());
        sources = src.toArray(new int[0][]);
        maxLens = lens.stream().mapToInt(Integer::intValue).toArray();

        // the demo model translates every held-out date right: check before timing
        MethodHandle tokens = lookup.findVirtual(Class.forName("io.jrnn.Translation"), "tokens",
                MethodType.methodType(int[].class));
        MethodHandle detokenize = lookup.findVirtual(cls, "detokenize", MethodType.methodType(String.class,
                int[].class));
        for (int i = 0; i < COUNT; i++) {
            if (expected.get(i) == null) continue;
            Object tr = greedy.invoke(model, sources[i], maxLens[i]);
            String got = (String) detokenize.invoke(model, (int[]) tokens.invoke(tr));
            if (!got.equals(expected.get(i))) {
                throw new IllegalStateException("the demo model's greedy output for sentence " + i + " is \"" + got
                        + "\", expected \"" + expected.get(i) + "\" -- refusing to time a wrong model");
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        model.close();
    }

    @Benchmark
    @OperationsPerInvocation(COUNT)
    public Object greedy() throws Throwable {
        Object last = null;
        for (int i = 0; i < COUNT; i++) last = greedy.invoke(model, sources[i], maxLens[i]);
        return last;
    }

    @Benchmark
    @OperationsPerInvocation(COUNT)
    public Object beam5() throws Throwable {
        Object last = null;
        for (int i = 0; i < COUNT; i++) last = beamSearch.invoke(model, sources[i], BEAM, maxLens[i], LENGTH_PENALTY);
        return last;
    }
}
