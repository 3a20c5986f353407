package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped date normaliser (io/jrnn/cli/dates.safetensors, trained by python/train_dates.py) on held-out
 * generated dates it never saw in training (test/golden/dates/heldout.tsv): at least 99.5% exact with greedy
 * decoding and with beam 5, and with greedy decoding at BF16 and INT8 weights (SPEC §1.5).
 */
class DatesAccuracyTest {
    static Seq2Seq model;
    static Path file;
    static final List<String[]> rows = new ArrayList<>();

    @BeforeAll
    static void load(@TempDir Path dir) throws Exception {
        file = dir.resolve("dates.safetensors");
        try (InputStream in = Seq2Seq.class.getResourceAsStream("/io/jrnn/cli/dates.safetensors")) {
            assertNotNull(in, "the demo model must ship in the jar as io/jrnn/cli/dates.safetensors");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        assertTrue(Files.size(file) <= 2 * 1024 * 1024, "the demo model must stay within 2 MB");
        model = Seq2Seq.load(file);
        URL u = DatesAccuracyTest.class.getClassLoader().getResource("golden/dates/heldout.tsv");
        assertNotNull(u, "golden/dates/heldout.tsv is not on the test classpath");
        for (String line : Files.readAllLines(Path.of(u.toURI()), StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] p = line.split("\t");
            assertEquals(2, p.length, "bad held-out line: " + line);
            rows.add(p);
        }
        assertTrue(rows.size() >= 2000, "expected at least 2000 held-out dates, found " + rows.size());
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void greedyIsAtLeast99point5PercentExact() {
        check(0);
    }

    @Test
    void beamFiveIsAtLeast99point5PercentExact() {
        check(5);
    }

    @Test
    void greedyAtBf16IsAtLeast99point5PercentExact() throws Exception {
        checkAt(Precision.BF16);
    }

    @Test
    void greedyAtInt8IsAtLeast99point5PercentExact() throws Exception {
        checkAt(Precision.INT8);
    }

    private static void checkAt(Precision p) throws Exception {
        Seq2Seq fp32 = model;
        try (Seq2Seq m = Seq2Seq.load(file, p)) {
            assertEquals(p, m.precision());
            System.out.printf("dates %s: %d weight bytes (FP32 %d)%n", p, m.weightBytes(), fp32.weightBytes());
            model = m;
            check(0, p.toString());
        } finally {
            model = fp32;
        }
    }

    @Test
    void realWorldStrings() {
        String[][] cases = {
            {"27 November 2026", "2026-11-27"}, {"Friday, November 27, 2026", "2026-11-27"},
            {"11/27/2026", "2026-11-27"}, {"27.11.2026", "2026-11-27"}, {"Nov 27 2026", "2026-11-27"},
            {"2026년 11월 27일", "2026-11-27"}, {"1 Jan 1900", "1900-01-01"}, {"December 31, 2099", "2099-12-31"},
        };
        for (String[] c : cases) assertEquals(c[1], model.translate(c[0]), c[0]);
    }

    private static void check(int beam) {
        check(beam, "");
    }

    private static void check(int beam, String precision) {
        int ok = 0;
        List<String> wrong = new ArrayList<>();
        for (String[] r : rows) {
            String got = beam == 0 ? model.translate(r[0]) : model.translate(r[0], beam);
            if (got.equals(r[1])) ok++;
            else if (wrong.size() < 20) wrong.add(r[0] + " -> " + got + " (want " + r[1] + ")");
        }
        double acc = (double) ok / rows.size();
        System.out.printf("dates %s%s: %d/%d = %.3f%%%n", beam == 0 ? "greedy" : "beam " + beam,
                precision.isEmpty() ? "" : " " + precision, ok, rows.size(), 100 * acc);
        assertTrue(acc >= 0.995, String.format("accuracy %.4f < 0.995; e.g. %s", acc, wrong));
    }
}
