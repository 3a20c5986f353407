package io.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jrnn.Seq2Seq;
import io.jrnn.Translation;
import picocli.CommandLine;

/** The jrnn command line run in-process, on a small random model (TinyModel). */
class CliTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() {
        model = TinyModel.write(dir.resolve("tiny.safetensors"), 7);
    }

    /** What one run printed and returned. */
    record Run(int code, String out, String err) {
        /** The output lines, without the empty string after the last newline. */
        List<String> lines() {
            List<String> l = new ArrayList<>(Arrays.asList(out.split("\n", -1)));
            if (l.get(l.size() - 1).isEmpty()) l.remove(l.size() - 1);
            return l;
        }
    }

    static Run runWithStdin(String stdin, String... args) {
        CommandLine cl = Main.commandLine(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString().replace("\r\n", "\n"), err.toString());
    }

    static Run run(String... args) {
        return runWithStdin("", args);
    }

    static void assertNoStackTrace(Run r) {
        assertFalse(r.err.contains("\tat ") || r.err.contains("Exception"), "no stack trace expected:\n" + r.err);
    }

    // ---- info ----

    @Test
    void infoDescribesTheModel() throws IOException {
        Run r = run("info", model.toString());
        assertEquals(0, r.code, r.err);
        for (String s : List.of("jrnn.seq2seq.v1", "bidirectional gru", "bahdanau (dimension 8)", "linear_tanh",
                "tokenizer      char", "pad 0, bos 1, eos 2", "parameters     3,062 in 21 tensors (F32)",
                "source " + TinyModel.srcTokens().size() + " tokens, target 14 tokens")) {
            assertTrue(r.out.contains(s), "info should mention \"" + s + "\":\n" + r.out);
        }
        assertTrue(r.out.contains(String.format("(%,d bytes)", Files.size(model))), r.out);
    }

    @Test
    void infoJsonIsTheStoredConfig() {
        Run r = run("info", "--json", model.toString());
        assertEquals(0, r.code, r.err);
        assertEquals(TinyModel.config() + "\n", r.out);
    }

    @Test
    void infoOnAMissingFileIsAnIoError() {
        Run r = run("info", dir.resolve("nope.safetensors").toString());
        assertEquals(Main.IO_ERROR, r.code);
        assertTrue(r.err.contains("no such file") && r.err.contains("nope.safetensors"), r.err);
        assertNoStackTrace(r);
    }

    @Test
    void infoOnAFileThatIsNotSafetensorsIsAnIoError() throws IOException {
        Path junk = Files.writeString(dir.resolve("junk.safetensors"), "not a model");
        Run r = run("info", junk.toString());
        assertEquals(Main.IO_ERROR, r.code);
        assertTrue(r.err.startsWith("jrnn info: "), r.err);
        assertNoStackTrace(r);
    }

    // ---- usage errors ----

    @Test
    void aBadOptionIsAUsageError() {
        Run r = run("demo", "--bogus", "27 November 2026");
        assertEquals(Main.BAD_INPUT, r.code);
        assertTrue(r.err.contains("Unknown option: '--bogus'") && r.err.contains("jrnn demo --help"), r.err);
        assertNoStackTrace(r);
        assertEquals("", r.out);
    }

    @Test
    void missingCommandAndMissingModelAreUsageErrors() {
        assertEquals(Main.BAD_INPUT, run().code);
        Run r = run("translate");
        assertEquals(Main.BAD_INPUT, r.code);
        assertTrue(r.err.contains("--model"), r.err);
        r = run("translate", "--model", model.toString(), "--beam", "0");
        assertEquals(Main.BAD_INPUT, r.code);
        assertTrue(r.err.contains("--beam must be in [1, 1000], got 0"), r.err);
    }

    @Test
    void helpAndVersion() {
        Run r = run("--help");
        assertEquals(0, r.code);
        assertTrue(r.out.contains("demo") && r.out.contains("translate") && r.out.contains("info"), r.out);
        // the examples are format strings to picocli: a literal %s must come out as written, with no warning
        assertTrue(r.out.contains("Useless use of %s in void context"), r.out);
        assertFalse(r.err.contains("WARN"), r.err);
        r = run("--version");
        assertEquals(0, r.code);
        assertTrue(r.out.startsWith("jrnn "), r.out);
        assertTrue(r.out.contains("kernels: " + io.jrnn.Jrnn.isa()), r.out);
        for (String f : io.jrnn.Jrnn.cpuFeatures()) assertTrue(r.out.contains(f), f + " in " + r.out);
    }

    // ---- translate ----

    @Test
    void translateWritesOneLinePerInputLine() throws IOException {
        List<String> in = List.of("27 November 2026", "", "11/27/2026", "2026년 11월 27일");
        Run r = runWithStdin(String.join("\n", in) + "\n", "translate", "--model", model.toString());
        assertEquals(0, r.code, r.err);
        try (Seq2Seq m = Seq2Seq.load(model)) {
            assertEquals(List.of(m.translate(in.get(0)), "", m.translate(in.get(2)), m.translate(in.get(3))), r.lines());
        }
        Run beam = runWithStdin(String.join("\n", in), "translate", "--model", model.toString(), "--beam", "3");
        assertEquals(0, beam.code, beam.err);
        try (Seq2Seq m = Seq2Seq.load(model)) {
            assertEquals(m.translate(in.get(0), 3), beam.lines().get(0));
        }
    }

    @Test
    void translateReportsBadLinesAndGoesOn() {
        Run r = runWithStdin("1 May 2020\n€ 5\n2 May 2020\n", "translate", "--model", model.toString());
        assertEquals(Main.BAD_INPUT, r.code);
        assertEquals(3, r.lines().size(), r.out);
        assertEquals("", r.lines().get(1));
        assertFalse(r.lines().get(2).isEmpty());
        assertTrue(r.err.contains("line 2: ") && r.err.contains("€"), r.err);
        assertTrue(r.err.contains("1 of 3 lines"), r.err);
        assertNoStackTrace(r);
    }

    @Test
    void translateOnAMissingModelIsAnIoError() {
        Run r = runWithStdin("x\n", "translate", "--model", dir.resolve("missing.safetensors").toString());
        assertEquals(Main.IO_ERROR, r.code);
        assertNoStackTrace(r);
    }

    // ---- demo and the heatmaps ----

    @Test
    void demoPrintsTheTranslationThenOneHeatmapRowPerStep() throws IOException {
        String text = "27 November 2026";
        Run r = run("demo", "--model", model.toString(), text);
        assertEquals(0, r.code, r.err);
        Translation tr;
        String expected;
        try (Seq2Seq m = Seq2Seq.load(model)) {
            int[] ids = m.tokenize(text);
            tr = m.greedy(ids, 2 * ids.length + 10);
            expected = m.detokenize(tr.tokens());
        }
        List<String> lines = r.lines();
        assertEquals(expected, lines.get(0));
        assertEquals("", lines.get(1));
        // header, rule, one row per step (EOS step included), legend
        final int steps = tr.attention().length;
        assertEquals(2 + 2 + steps + 1, lines.size(), r.out);
        assertTrue(lines.get(2).endsWith("2 7 · N o v e m b e r · 2 0 2 6"), lines.get(2));
        for (int s = 0; s < steps; s++) {
            String row = lines.get(4 + s);
            assertTrue(TextWidth.of(row) <= TextWidth.of(lines.get(3)), row);
            assertTrue(row.contains("│"), row);
        }
        if (steps > tr.tokens().length) assertTrue(lines.get(4 + steps - 1).contains("</s>"), r.out);
        assertTrue(lines.get(lines.size() - 1).startsWith("attention weight:"), r.out);
    }

    @Test
    void demoWithoutHeatmapPrintsOnlyTheTranslation() {
        Run r = run("demo", "--model", model.toString(), "--no-heatmap", "--beam", "4", "1", "May", "2020");
        assertEquals(0, r.code, r.err);
        assertEquals(1, r.lines().size(), r.out);
    }

    @Test
    void asciiHeatmapShadesAndAlignsWideCharacters() {
        float[][] w = {{1f, 0f, 0f}, {0.3f, 0.6f, 0.1f}, {0f, 0.02f, 0.98f}};
        List<String> lines = AsciiHeatmap.render(w, List.of("2", "년", " "), List.of("2", "-", "</s>"),
                AsciiHeatmap.Style.UNICODE);
        assertEquals(List.of(
                "      │2 년·",
                "──────┼──────",
                " 2    │██",
                " -    │▒▒▓▓░░",
                " </s> │    ██"), lines.subList(0, 5));
        List<String> ascii = AsciiHeatmap.render(w, List.of("2", "년", " "), List.of("2", "-", "</s>"),
                AsciiHeatmap.Style.ASCII);
        assertEquals(" -    |::**..", ascii.get(3));
        assertTrue(ascii.stream().allMatch(l -> l.replace("년", "").chars().allMatch(c -> c < 0x7f)), ascii.toString());
        assertEquals(2, TextWidth.of("년"));
        assertEquals(1, TextWidth.of("a"));
        assertEquals(0, TextWidth.of("\u0301"));
        assertEquals("N…", TextWidth.fit("November", 2, "…"));
        assertEquals("년", TextWidth.fit("년", 2, "…"));
    }

    @Test
    void demoWritesADecodablePng() throws IOException {
        Path png = dir.resolve("align.png");
        Run r = run("demo", "--model", model.toString(), "--no-heatmap", "--png", png.toString(), "2026년 11월 27일");
        assertEquals(0, r.code, r.err);
        assertEquals(1, r.lines().size(), r.out);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "ImageIO should decode " + png);
        assertTrue(img.getWidth() >= 520 && img.getWidth() <= 3000, "width " + img.getWidth());
        assertTrue(img.getHeight() >= 360 && img.getHeight() <= 3000, "height " + img.getHeight());
        // not blank: the cells are shaded blue (text and frame are grey or black)
        int tinted = 0;
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y), red = (rgb >> 16) & 0xff, blue = rgb & 0xff;
                if (blue - red > 20) tinted++;
            }
        }
        assertTrue(tinted > 200, "expected shaded cells, found " + tinted + " blue samples");
    }

    @Test
    void pngFontFallsBackWhenNoFontHasAGlyph() {
        assertFalse(PngHeatmap.pickFont("27 November 2026").missingGlyphs());
        // a private-use code point no font draws: the choice is still a usable font, flagged
        PngHeatmap.FontChoice c = PngHeatmap.pickFont("2026 \uDBFF\uDFFD");
        assertTrue(c.missingGlyphs());
        assertNotNull(c.family());
    }

    @Test
    void pngIntoAMissingDirectoryIsAnIoError() {
        Run r = run("demo", "--model", model.toString(), "--png", dir.resolve("no/such/dir/a.png").toString(), "1 May 2020");
        assertEquals(Main.IO_ERROR, r.code);
        assertNoStackTrace(r);
    }
}
