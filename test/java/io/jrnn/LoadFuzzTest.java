package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import io.jrnn.ModelFileMutator.Choices;

/**
 * Fuzzing of the loaders ({@link StateDict#load}, {@link Seq2Seq#load}) and of decoding whatever loads. Every input
 * must end in a successful load or in an {@link IOException} / {@link IllegalArgumentException} with a message
 * (and no other exception hidden as its cause); a model that loads must decode (greedy, beam, batched, translate)
 * without any exception, whatever NaN or infinity its weights hold. Anything else is a finding: the file is saved
 * under {@code target/fuzz-findings/} and the test fails.
 *
 * <ul>
 * <li>{@link #mutatedModel}: structured inputs from {@link ModelFileMutator} (valid models, then edits), driven by
 * Jazzer's coverage feedback when fuzzing.</li>
 * <li>{@link #rawFile}: the input is the file; its regression inputs ({@code test/fuzz/io/jrnn/LoadFuzzTestInputs/
 * rawFile/}) are valid seeds and every file that once found a bug.</li>
 * <li>{@link #mutationBudget}: the CI budget, a fixed number of structured inputs from a seeded generator
 * (reproducible: {@code -Djrnn.fuzz.seed=S -Djrnn.fuzz.runs=N}).</li>
 * </ul>
 *
 * <p>Without {@code JAZZER_FUZZ} (CI), the two fuzz tests run their regression inputs only. A campaign (one fuzz
 * test per run, stopping after its {@code maxDuration}; new coverage goes to {@code .cifuzz-corpus/}, a finding to
 * {@code crash-*} in the project root and the file itself to {@code target/fuzz-findings/}):
 * <pre>
 * JAZZER_FUZZ=1 mvn -B -Djavacpp.platform=linux-x86_64 test-compile surefire:test@default-test \
 *     -Dtest='LoadFuzzTest#mutatedModel'
 * </pre>
 * A file that found a bug goes, once fixed, into {@code rawFile}'s regression inputs.
 */
class LoadFuzzTest {
    private static final ModelFileMutator MUTATOR = new ModelFileMutator(seeds("seq2seq"), seeds("rnn"));
    private static final Path SCRATCH = scratchDir();

    @FuzzTest(maxDuration = "12m")
    void mutatedModel(FuzzedDataProvider data) {
        Choices c = ModelFileMutator.from(data);
        check(MUTATOR.make(c), c);
    }

    @FuzzTest(maxDuration = "5m")
    void rawFile(byte[] file) {
        check(file, ModelFileMutator.from(new Random(Arrays.hashCode(file))));
    }

    @Test
    void mutationBudget() {
        final int runs = Integer.getInteger("jrnn.fuzz.runs", 2500);
        final long seed = Long.getLong("jrnn.fuzz.seed", 20240601L);
        final boolean keepGoing = Boolean.getBoolean("jrnn.fuzz.keepGoing"); // list every distinct finding
        Map<String, String> findings = new TreeMap<>();
        int loaded = 0;
        for (int i = 0; i < runs; i++) {
            Random r = new Random(seed * 1_000_003L + i);
            Choices c = ModelFileMutator.from(r);
            try {
                if (check(MUTATOR.make(c), c)) loaded++;
            } catch (AssertionError e) {
                AssertionError named = new AssertionError("input " + i + " of seed " + seed + " (rerun: -Djrnn.fuzz.seed="
                        + seed + " -Djrnn.fuzz.runs=" + (i + 1) + "): " + e.getMessage(), e);
                if (!keepGoing) throw named;
                findings.putIfAbsent(signature(e), named.getMessage());
            }
        }
        if (!findings.isEmpty()) {
            findings.forEach((k, v) -> System.err.println("FINDING " + k + "\n    " + v));
            throw new AssertionError(findings.size() + " distinct findings");
        }
        System.out.println("LoadFuzzTest: " + runs + " inputs, " + loaded + " loaded as seq2seq models and decoded");
        // both outcomes must be common, or the mutator is not testing what it means to
        assertTrue(loaded > runs / 10 && loaded < runs * 9 / 10, loaded + " of " + runs + " inputs loaded");
    }

    /** The innermost exception's type and the first frame in jrnn's code under test. */
    private static String signature(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) root = root.getCause();
        for (StackTraceElement f : root.getStackTrace()) {
            if (f.getClassName().startsWith("io.jrnn.") && !f.getClassName().startsWith("io.jrnn.LoadFuzzTest")) {
                return root.getClass().getSimpleName() + " at " + f;
            }
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    // ---- the property ----

    /** Checks one file through both loaders and, when it loads, decoding; returns whether the model loaded. */
    static boolean check(byte[] file, Choices c) {
        // a new file per input: truncating one that an earlier load still maps costs milliseconds
        Path p;
        try {
            p = Files.write(Files.createTempFile(SCRATCH, "input", ".safetensors"), file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            checkStateDict(p, c);
            return checkSeq2Seq(p, c);
        } catch (Throwable t) {
            throw new AssertionError(t + " (input saved as " + save(file) + ")", t);
        } finally {
            try {
                Files.delete(p);
            } catch (IOException ignored) {
                // the scratch folder is deleted on exit
            }
        }
    }

    private static void checkStateDict(Path p, Choices c) {
        StateDict sd;
        try {
            // mostly read into the heap: mappings stay until a GC, and many of them make every mmap slower
            switch (c.intIn(0, 7)) {
                case 0 -> sd = StateDict.load(p, 0, StateDict.MAX_REGION); // mapped whole
                case 1 -> sd = StateDict.load(p, 0, c.pick(8, 40, 4096)); // mapped per region, in pieces
                default -> sd = StateDict.load(p);
            }
        } catch (IOException e) {
            expectClean(e);
            return;
        }
        try (sd) {
            checkRecurrent(sd, c);
            sd.metadata();
            for (String n : sd.names()) {
                sd.dtype(n);
                try {
                    sd.shape(n);
                } catch (IllegalArgumentException e) {
                    expectClean(e); // a dimension beyond the int range
                }
                try {
                    sd.tensor(n).close();
                } catch (IllegalArgumentException e) {
                    expectClean(e); // not a float tensor, or too large
                }
                try {
                    sd.ints(n);
                } catch (IllegalArgumentException e) {
                    expectClean(e);
                }
            }
        }
    }

    /** Loads the recurrent layer under "rnn" (the golden recurrent files), if any, and runs it. */
    private static void checkRecurrent(StateDict sd, Choices c) {
        if (!sd.contains("rnn.weight_ih_l0")) return;
        RecurrentLayer layer;
        try {
            layer = switch (c.intIn(0, 3)) {
                case 0 -> Lstm.load(sd, "rnn");
                case 1 -> Gru.load(sd, "rnn");
                case 2 -> Rnn.load(sd, "rnn", Activation.TANH);
                default -> Rnn.load(sd, "rnn", Activation.RELU);
            };
        } catch (IllegalArgumentException e) {
            expectClean(e);
            return;
        }
        try (layer) {
            final int T = c.intIn(1, 4), B = c.intIn(1, 3), I = layer.inputSize();
            Random r = new Random(c.anyLong());
            float[] xs = new float[T * B * I];
            for (int i = 0; i < xs.length; i++) xs[i] = r.nextInt(50) == 0 ? Float.NaN : r.nextFloat() * 4 - 2;
            int[] lengths = null;
            if (c.bool()) {
                lengths = new int[B];
                for (int b = 0; b < B; b++) lengths[b] = c.intIn(0, T);
            }
            try (Tensor x = Tensor.of(xs, T, B, I); RecurrentOutput out = layer.forward(x, lengths, null, null)) {
                assertEquals(T, out.output().dim(0));
            }
            if (!layer.bidirectional()) {
                try (RecurrentStream s = layer.stream(B, null, null);
                     Tensor x = Tensor.of(Arrays.copyOf(xs, B * I), B, I);
                     Tensor y = s.step(x)) {
                    assertEquals(B, y.dim(0));
                }
            }
        }
    }

    private static boolean checkSeq2Seq(Path p, Choices c) {
        Seq2Seq m;
        try {
            m = Seq2Seq.load(p);
        } catch (IOException e) {
            expectClean(e);
            return false;
        }
        try (m) {
            decode(m, c);
        }
        return true;
    }

    /** Decodes random sources every way the API offers; every call must succeed. */
    static void decode(Seq2Seq m, Choices c) {
        Seq2SeqConfig cfg = m.config();
        int[] src = new int[c.intIn(1, 6)];
        for (int i = 0; i < src.length; i++) src[i] = c.intIn(0, cfg.srcVocabSize() - 1);
        int maxLen = c.intIn(1, 12);
        expectSane(m.greedy(src, maxLen), cfg, src.length, maxLen);
        int beam = c.intIn(1, 5);
        float lp = c.pick(0f, 0.6f, 1f, -0.5f, 3f);
        List<Translation> hyps = m.beamSearch(src, beam, maxLen, lp);
        assertTrue(hyps.size() <= beam, "beam " + beam + " returned " + hyps.size() + " hypotheses");
        for (Translation t : hyps) expectSane(t, cfg, src.length, maxLen);
        if (c.oneIn(3)) {
            int[] other = {c.intIn(0, cfg.srcVocabSize() - 1)};
            List<Translation> g = m.greedy(List.of(src, other), maxLen);
            assertSame(m.greedy(src, maxLen), g.get(0));
            assertSame(m.greedy(other, maxLen), g.get(1));
            List<List<Translation>> b = m.beamSearch(List.of(other, src), beam, maxLen, lp);
            assertEquals(hyps.size(), b.get(1).size());
            for (int i = 0; i < hyps.size(); i++) assertSame(hyps.get(i), b.get(1).get(i));
        }
        if (cfg.tokenizer() != null) {
            StringBuilder text = new StringBuilder();
            int n = c.intIn(1, 5);
            for (int i = 0; i < n; i++) {
                text.append(cfg.srcTokens().get(c.intIn(0, cfg.srcVocabSize() - 1)));
                if (cfg.tokenizer().equals("word")) text.append(' ');
            }
            if (c.oneIn(5)) text.append("\u2603"); // not in any vocabulary: <unk>, or an IllegalArgumentException
            try {
                m.detokenize(m.tokenize(text.toString()));
                m.translate(text.toString());
                m.translate(text.toString(), beam);
            } catch (IllegalArgumentException e) {
                expectClean(e); // no tokens, or a token outside a vocabulary without <unk>
            }
        }
    }

    private static void expectSane(Translation t, Seq2SeqConfig cfg, int srcLen, int maxLen) {
        assertTrue(t.tokens().length <= maxLen, "more than maxLen tokens");
        for (int id : t.tokens()) {
            assertTrue(id >= 0 && id < cfg.tgtVocabSize() && id != cfg.padId() && id != cfg.bosId()
                    && id != cfg.eosId(), "generated id " + id);
        }
        if (!cfg.hasAttention()) {
            assertEquals(null, t.attention());
            return;
        }
        int steps = t.attention().length;
        assertTrue(steps == t.tokens().length || steps == t.tokens().length + 1, "attention steps " + steps);
        for (float[] row : t.attention()) assertEquals(srcLen, row.length);
    }

    private static void assertSame(Translation a, Translation b) {
        assertTrue(Arrays.equals(a.tokens(), b.tokens()), "tokens differ");
        assertEquals(Float.floatToIntBits(a.logProb()), Float.floatToIntBits(b.logProb()), "logProb differs");
        assertTrue(Arrays.deepEquals(a.attention(), b.attention()), "attention differs");
    }

    /**
     * The exceptions the contract allows: a message, and no unexpected exception as a cause (the loaders turn any
     * RuntimeException into an IOException as a backstop; a backstop that fires is a bug the checks missed).
     */
    static void expectClean(Exception e) {
        String msg = e.getMessage();
        if (msg == null || msg.isBlank()) throw new AssertionError("exception without a message", e);
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (!(t instanceof IOException) && !(t instanceof IllegalArgumentException)) {
                throw new AssertionError("unexpected " + t.getClass().getName() + " behind " + e, e);
            }
        }
    }

    // ---- files ----

    /** The golden files of one folder: valid seq2seq models, or recurrent-layer cases with integer tensors. */
    private static List<byte[]> seeds(String folder) {
        try (Stream<Path> s = Files.list(Seq2SeqGoldenTest.folder().resolveSibling(folder))) {
            List<byte[]> out = new ArrayList<>();
            for (Path p : s.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList()) {
                out.add(Files.readAllBytes(p));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A scratch folder, on tmpfs when there is one (a file per input; on a disk that costs more than a check). */
    private static Path scratchDir() {
        try {
            Path shm = Path.of("/dev/shm");
            Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "jrnn-fuzz")
                    : Files.createTempDirectory("jrnn-fuzz");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Saves a finding as target/fuzz-findings/SHA1.safetensors (for a regression input); returns where. */
    private static Path save(byte[] file) {
        try {
            String name = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(file));
            Path dir = Files.createDirectories(Path.of("target", "fuzz-findings"));
            return Files.write(dir.resolve(name + ".safetensors"), file);
        } catch (IOException | NoSuchAlgorithmException e) {
            return Path.of("(not saved: " + e + ")");
        }
    }
}
