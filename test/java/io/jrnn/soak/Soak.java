package io.jrnn.soak;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.bytedeco.javacpp.Pointer;

import io.jrnn.Activation;
import io.jrnn.Gru;
import io.jrnn.Lstm;
import io.jrnn.RecurrentLayer;
import io.jrnn.RecurrentOutput;
import io.jrnn.RecurrentStream;
import io.jrnn.Rnn;
import io.jrnn.Seq2Seq;
import io.jrnn.StateDict;
import io.jrnn.Tensor;
import io.jrnn.Translation;

/**
 * A leak hunt through the public API only: many small forwards (every golden recurrent case: LSTM, LSTMP, GRU, RNN,
 * bidirectional, lengths, initial states; allocating, into preallocated outputs, and streaming), many decodes
 * (greedy, beam, batched, translate with the dates model), and the paths that leak when they are wrong: argument
 * errors, use after close, loads that fail, models loaded and closed again, and objects never closed (left to the
 * garbage-collection backstops: one forgotten dates model, ~0.4 MB of native weights, per 1000 forwards). Resident memory (VmRSS) is read after a warm-up and at the end; growth of
 * {@code --max-growth-mb} (default 20) or more fails (exit status 1).
 *
 * <p>The long run (1e6 forwards, 1e4 decodes, 20 MB), in a JVM of its own with a fixed, pre-touched heap (so that
 * the heap's own growth stays out of the figures), is one command:
 * <pre>
 * mvn -B -q -Djavacpp.platform=linux-x86_64 test-compile surefire:test@default-test -Dtest=SoakTest -Djrnn.soak=long
 * </pre>
 * and {@link SoakTest} without that property is the short version CI runs. Options of this main: {@code --forwards N}
 * (default 1e6), {@code --decodes N} (1e4), {@code --max-growth-mb M} (20).
 */
public final class Soak {
    private Soak() {}

    public static void main(String[] args) throws Exception {
        long forwards = 1_000_000, decodes = 10_000;
        double maxGrowthMb = 20;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--forwards" -> forwards = (long) Double.parseDouble(args[++i]);
                case "--decodes" -> decodes = (long) Double.parseDouble(args[++i]);
                case "--max-growth-mb" -> maxGrowthMb = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected --forwards N, --decodes N, --max-growth-mb M)");
            }
        }
        System.exit(run(forwards, decodes, maxGrowthMb) ? 0 : 1);
    }

    /** Rounds the work is split into; the first {@link #WARM_UP} of them are the warm-up. */
    static final int ROUNDS = 10, WARM_UP = 2;

    /**
     * Runs the soak in {@link #ROUNDS} equal rounds, prints VmRSS after each; returns whether RSS grew by less than
     * the bound from the end of the warm-up (the JIT compiler's own memory settles during it) to the end.
     */
    static boolean run(long forwards, long decodes, double maxGrowthMb) throws Exception {
        try (Workload w = new Workload()) {
            long[] rss = new long[ROUNDS + 1];
            long tracked0 = 0, start = System.nanoTime(), measured = 0;
            rss[0] = rssKb();
            StringBuilder series = new StringBuilder();
            for (int r = 0; r < ROUNDS; r++) {
                if (r == WARM_UP) measured = System.nanoTime();
                w.forwards(forwards * r / ROUNDS, forwards * (r + 1) / ROUNDS);
                w.decodes(decodes * r / ROUNDS, decodes * (r + 1) / ROUNDS);
                settle();
                rss[r + 1] = rssKb();
                if (r + 1 == WARM_UP) tracked0 = Pointer.totalBytes();
                series.append(String.format(" %.1f", rss[r + 1] / 1024.0));
            }
            long end = System.nanoTime();
            double growthMb = (rss[ROUNDS] - rss[WARM_UP]) / 1024.0;
            System.out.printf("soak: %d forwards, %d decodes in %.1f s (the last %d of %d rounds, measured: %.1f s)%n",
                    forwards, decodes, (end - start) / 1e9, ROUNDS - WARM_UP, ROUNDS, (end - measured) / 1e9);
            System.out.println("soak: VmRSS (MB) at start" + String.format(" %.1f", rss[0] / 1024.0)
                    + ", after each round:" + series);
            System.out.printf("soak: VmRSS growth after the warm-up: %+.2f MB (limit %.0f MB)%n", growthMb, maxGrowthMb);
            System.out.printf("soak: native bytes JavaCPP tracks: %d after the warm-up, %d at the end%n", tracked0,
                    Pointer.totalBytes());
            boolean ok = growthMb < maxGrowthMb;
            System.out.println(ok ? "soak: PASS" : "soak: FAIL: resident memory grew by " + growthMb + " MB");
            return ok;
        }
    }

    /** Lets the garbage-collection backstops (JavaCPP's deallocator thread, Cleaners) free what they hold. */
    private static void settle() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
    }

    /** VmRSS of this process, in kB. */
    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }

    /** The models and inputs, loaded once; each call runs a range of iterations (the iteration picks the case). */
    private static final class Workload implements AutoCloseable {
        private final List<Case> cases = new ArrayList<>();
        private final List<Path> seq2seqFiles = new ArrayList<>();
        private final List<Seq2Seq> models = new ArrayList<>();
        private final Seq2Seq dates;
        private final Path datesFile, broken;

        Workload() throws IOException, URISyntaxException {
            try (Stream<Path> s = Files.list(resource("golden/rnn"))) {
                for (Path p : s.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList()) {
                    cases.add(new Case(p));
                }
            }
            try (Stream<Path> s = Files.list(resource("golden/seq2seq"))) {
                seq2seqFiles.addAll(s.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList());
            }
            for (int i = 0; i < seq2seqFiles.size(); i += 6) models.add(Seq2Seq.load(seq2seqFiles.get(i)));
            datesFile = resource("io/jrnn/cli/dates.safetensors");
            dates = Seq2Seq.load(datesFile);
            // a model file cut short: every load of it must fail without keeping anything
            byte[] whole = Files.readAllBytes(seq2seqFiles.get(0));
            broken = Files.createTempFile("jrnn-soak", ".safetensors");
            broken.toFile().deleteOnExit();
            Files.write(broken, java.util.Arrays.copyOf(whole, whole.length - 7));
        }

        void forwards(long from, long to) throws IOException {
            for (long i = from; i < to; i++) {
                Case c = cases.get((int) (i % cases.size()));
                c.forward(i);
                if (i % 10_000 == 0) errorsAndLifecycle(c, i);
                // never closed: only the Cleaner backstop frees the recurrent and linear layers of its decoder
                if (i % 1_000 == 500) Seq2Seq.load(datesFile);
            }
        }

        /** The paths that must free what they allocated: errors, use after close, load/close, never closed. */
        @SuppressWarnings("try") // a resource closed inside its try: close() is idempotent, and that is tested too
        private void errorsAndLifecycle(Case c, long i) throws IOException {
            try (Tensor wrong = Tensor.zeros(1, 1, c.layer.inputSize() + 1)) {
                c.layer.forward(wrong);
                throw new AssertionError("a wrong input shape was accepted");
            } catch (IllegalArgumentException expected) {
                // the message is tested elsewhere; here only that nothing leaks
            }
            Tensor closed = Tensor.zeros(1, 1, c.layer.inputSize());
            closed.close();
            try {
                c.layer.forward(closed);
                throw new AssertionError("a closed input was accepted");
            } catch (IllegalStateException expected) {
                // as above
            }
            Tensor.zeros(4, 64); // never closed: JavaCPP's backstop frees it
            try (StateDict sd = StateDict.load(c.file); RecurrentLayer again = c.load(sd)) {
                again.close(); // closed twice: idempotent
            }
            try {
                Seq2Seq.load(broken);
                throw new AssertionError("a truncated model loaded");
            } catch (IOException expected) {
                // as above
            }
            Seq2Seq.load(seq2seqFiles.get((int) (i / 10_000 % seq2seqFiles.size()))).close();
        }

        void decodes(long from, long to) {
            for (long i = from; i < to; i++) {
                Seq2Seq m = models.get((int) (i % models.size()));
                int vs = m.config().srcVocabSize();
                int[] src = new int[1 + (int) (i % 7)];
                for (int j = 0; j < src.length; j++) src[j] = (int) ((i * 31 + j * 7) % vs);
                switch ((int) (i % 5)) {
                    case 0 -> check(m.greedy(src, 20));
                    case 1 -> m.beamSearch(src, 4, 20, 0.6f).forEach(Soak::check);
                    case 2 -> m.beamSearch(List.of(src, new int[] {src[0]}), 2, 12, 0f);
                    case 3 -> dates.translate(i % 2 == 0 ? "12 March 2021" : "2021/3/12");
                    default -> dates.translate("Tuesday, July 4, 1995", 3);
                }
            }
        }

        @Override
        public void close() {
            cases.forEach(Case::close);
            models.forEach(Seq2Seq::close);
            dates.close();
        }
    }

    private static void check(Translation t) {
        if (t.tokens() == null) throw new AssertionError("no tokens");
    }

    /** One golden recurrent case: its layer, input, lengths and initial states, and a stream when unidirectional. */
    private static final class Case implements AutoCloseable {
        final Path file;
        final RecurrentLayer layer;
        final Tensor x, h0, c0, out, hn, cn;
        final int[] lengths;
        final int batch;
        RecurrentStream stream;
        Tensor stepIn;

        Case(Path file) throws IOException {
            this.file = file;
            try (StateDict sd = StateDict.load(file)) {
                layer = load(sd);
                Map<String, String> m = sd.metadata();
                x = sd.tensor("x");
                h0 = Boolean.parseBoolean(m.get("has_h0")) ? sd.tensor("h0") : null;
                c0 = h0 != null && sd.contains("c0") ? sd.tensor("c0") : null;
                lengths = Boolean.parseBoolean(m.get("has_lengths")) ? sd.ints("lengths") : null;
                out = Tensor.zeros(sd.shape("output"));
                hn = Tensor.zeros(sd.shape("hn"));
                cn = sd.contains("cn") ? Tensor.zeros(sd.shape("cn")) : null;
            }
            batch = x.dim(1);
            stepIn = Tensor.zeros(batch, layer.inputSize());
        }

        RecurrentLayer load(StateDict sd) {
            Map<String, String> m = sd.metadata();
            return switch (m.get("cell")) {
                case "lstm" -> Lstm.load(sd, "rnn", "sigmoid".equals(m.get("lstm_candidate"))
                        ? Lstm.Candidate.SIGMOID : Lstm.Candidate.TANH);
                case "gru" -> Gru.load(sd, "rnn", "before".equals(m.get("gru_reset")) ? Gru.Reset.BEFORE
                        : Gru.Reset.AFTER);
                case "rnn_relu" -> Rnn.load(sd, "rnn", Activation.RELU);
                default -> Rnn.load(sd, "rnn", Activation.TANH);
            };
        }

        void forward(long i) {
            switch ((int) (i / 97 % 3)) { // runs of one kind of call, so streams take several steps in a row
                case 0 -> {
                    try (RecurrentOutput o = layer.forward(x, lengths, h0, c0)) {
                        if (o.output().size() != out.size()) throw new AssertionError("output size");
                    }
                }
                case 1 -> layer.forward(x, lengths, h0, c0, out, hn, cn);
                default -> {
                    if (layer.bidirectional()) {
                        layer.forward(x, null, null, null, out, null, null);
                        return;
                    }
                    if (stream == null || i % 50 == 0) {
                        if (stream != null) stream.close();
                        stream = layer.stream(batch, null, null);
                    }
                    stream.step(stepIn).close();
                }
            }
        }

        @Override
        public void close() {
            if (stream != null) stream.close();
            for (AutoCloseable c : new AutoCloseable[] {layer, x, h0, c0, out, hn, cn, stepIn}) {
                try {
                    if (c != null) c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private static Path resource(String name) throws URISyntaxException {
        URL u = Soak.class.getClassLoader().getResource(name);
        if (u == null) throw new IllegalStateException(name + " is not on the classpath");
        return Path.of(u.toURI());
    }
}
