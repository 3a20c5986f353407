package io.jrnn.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Where the host has put this process's two threads right now: the round trip of a cache line between two
 * spinning threads. On the 2-vCPU machines of this project it measures ~55 ns in some periods and ~300-340 ns in
 * others (the vCPUs then share no L3), and two-thread timings move with it, so every two-thread trial records it
 * at its start and its end ({@code <work>/probe.tsv}) and the report prints it beside the results.
 */
final class HostProbe {
    private HostProbe() {}

    private static volatile int word;

    /** Median of 5 rounds of 20,000 round trips after one round of warm-up (so both loops are compiled), ns. */
    static double roundTripNs() {
        final int n = 20_000;
        double[] rounds = new double[6];
        for (int r = 0; r < rounds.length; ++r) {
            word = 0;
            Thread other = new Thread(() -> {
                for (int i = 0; i < n; ++i) {
                    while (word != 2 * i + 1) {
                        // spin: a pause instruction would add its own latency to what is measured
                    }
                    word = 2 * i + 2;
                }
            }, "jrnn-bench-probe");
            other.setDaemon(true);
            other.start();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; ++i) {
                word = 2 * i + 1;
                while (word != 2 * i + 2) {
                    // spin
                }
            }
            rounds[r] = (System.nanoTime() - t0) / (double) n;
            try {
                other.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Double.NaN;
            }
        }
        double[] measured = Arrays.copyOfRange(rounds, 1, rounds.length);
        Arrays.sort(measured);
        return measured[measured.length / 2];
    }

    /**
     * Appends "benchmark method, case, threads, when, ns" to {@code <work>/probe.tsv} for a two-thread trial (the
     * same key as {@link RunAll#collect}: {@link Results#caseKey}).
     */
    static void record(BenchmarkParams params, String when) {
        String bench = params.getBenchmark();
        String what = bench.substring(bench.lastIndexOf('.') + 1);
        String caseName = Results.caseKey(params);
        if (caseName == null) caseName = "";
        String t = params.getParam("threads");
        int threads = t == null ? 1 : Integer.parseInt(t);
        if (threads < 2) return;
        String line = String.format(Locale.ROOT, "%s\t%s\t%d\t%s\t%.0f%n", what, caseName, threads, when, roundTripNs());
        try {
            Files.writeString(Cases.workDir().resolve("probe.tsv"), line, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The recorded probes: key (Results.key) → "start ns / end ns". */
    static Map<String, String> read(Path file) throws IOException {
        Map<String, String[]> both = new LinkedHashMap<>();
        if (Files.exists(file)) {
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = l.split("\t");
                if (f.length != 5) continue;
                String[] v = both.computeIfAbsent(Results.key(f[0], f[1].isEmpty() ? null : f[1],
                        Integer.parseInt(f[2])), k -> new String[2]);
                v["start".equals(f[3]) ? 0 : 1] = f[4];
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        both.forEach((k, v) -> out.put(k, (v[0] == null ? "–" : v[0]) + " / " + (v[1] == null ? "–" : v[1])));
        return out;
    }
}
