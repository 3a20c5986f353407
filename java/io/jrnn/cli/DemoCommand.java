package io.jrnn.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.jrnn.Precision;
import io.jrnn.Seq2Seq;
import io.jrnn.Seq2SeqConfig;
import io.jrnn.Translation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn demo TEXT}: the shipped date model ({@value #RESOURCE}) turns a date as people write it into ISO
 * {@code YYYY-MM-DD}. The first output line is the translation alone; then the attention alignment as a character
 * heatmap, and with {@code --png} as an image.
 *
 * <p>Thread safety: one instance per command line run.
 */
@Command(name = "demo", sortOptions = false, usageHelpAutoWidth = true,
        description = {"Normalise a date with the shipped model: prints the ISO date on the first line, then the "
                + "attention alignment (which source characters each output character looked at) as a heatmap."},
        footerHeading = "%nExamples:%n",
        footer = {"  jrnn demo \"27 November 2026\"", "  jrnn demo --beam 5 \"Friday, Nov. 27, 2026\"",
                  "  jrnn demo --png alignment.png \"2026년 11월 27일\""})
final class DemoCommand implements Callable<Integer> {
    /** The demo model, a classpath resource beside this class. */
    static final String RESOURCE = "/io/jrnn/cli/dates.safetensors";

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "TEXT",
            description = "The date to normalise, e.g. \"27 November 2026\" (several words are joined with spaces).")
    List<String> words;

    @Option(names = "--beam", paramLabel = "N", description = "Beam search with N hypotheses (default: greedy).")
    Integer beam;

    @Option(names = "--max-len", paramLabel = "N",
            description = "At most N output tokens (default: twice the input length plus 10).")
    Integer maxLen;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "FP32",
            description = "Weight precision: FP32 (default), BF16 or INT8.")
    Precision precision;

    @Option(names = "--png", paramLabel = "FILE", description = "Also write the alignment as a PNG heatmap to FILE.")
    Path png;

    @Option(names = "--no-heatmap", description = "Print only the translation.")
    boolean noHeatmap;

    @Option(names = "--ascii", description = "Draw the heatmap with plain ASCII (' ', '.', ':', '*', '#').")
    boolean ascii;

    @Option(names = "--model", paramLabel = "FILE", hidden = true,
            description = "Another seq2seq model with a tokenizer instead of the shipped one (for testing).")
    Path model;

    @Override
    public Integer call() throws IOException {
        final String text = String.join(" ", words);
        if (beam != null && (beam < 1 || beam > Seq2Seq.MAX_BEAM)) {
            throw new ParameterException(spec.commandLine(), "--beam must be in [1, " + Seq2Seq.MAX_BEAM + "], got " + beam);
        }
        if (maxLen != null && (maxLen < 1 || maxLen > Seq2Seq.MAX_LEN)) {
            throw new ParameterException(spec.commandLine(), "--max-len must be in [1, " + Seq2Seq.MAX_LEN + "], got " + maxLen);
        }
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        try (Seq2Seq m = model != null ? TranslateCommand.load(model, precision) : loadShipped(precision)) {
            TranslateCommand.needTokenizer(m, model != null ? model.toString() : RESOURCE.substring(1));
            int[] ids = m.tokenize(text);
            int len = maxLen != null ? maxLen : Math.min(Seq2Seq.MAX_LEN, 2 * ids.length + 10);
            Translation tr = beam == null ? m.greedy(ids, len) : m.beamSearch(ids, beam, len, 0.6f).get(0);
            String result = m.detokenize(tr.tokens());
            out.println(result);
            out.flush();

            if (tr.attention() == null) {
                if (!noHeatmap || png != null) err.println(Main.prefix(spec.commandLine()) + "this model has no attention: no heatmap");
                return Main.OK;
            }
            List<String> src = sourceTokens(m.config(), text, ids);
            List<String> rows = rowLabels(m.config(), tr);
            if (!noHeatmap) {
                out.println();
                for (String line : AsciiHeatmap.render(tr.attention(), src, rows,
                        ascii ? AsciiHeatmap.Style.ASCII : AsciiHeatmap.Style.UNICODE)) {
                    out.println(line);
                }
                out.flush();
            }
            if (png != null) {
                String how = beam == null ? "greedy" : "beam " + beam;
                PngHeatmap.Result r = PngHeatmap.write(png, tr.attention(), src, rows,
                        "\u201C" + text + "\u201D  \u2192  " + result,
                        "attention alignment (" + how + ", log p = " + String.format("%.3f", tr.logProb()) + ")");
                if (r.missingGlyphs()) {
                    err.println(Main.prefix(spec.commandLine()) + "no installed font shows every character; some "
                            + "labels in " + png + " are boxes (install a CJK font, e.g. fonts-noto-cjk)");
                }
                if (!noHeatmap) out.println("wrote " + png + " (" + r.width() + "x" + r.height() + ")");
                out.flush();
            }
        }
        return Main.OK;
    }

    /** The shipped model: copied out of the jar to a temporary file, which is gone once the model is loaded. */
    static Seq2Seq loadShipped() throws IOException {
        return loadShipped(Precision.FP32);
    }

    static Seq2Seq loadShipped(Precision precision) throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("the demo model " + RESOURCE.substring(1) + " is not in this build");
            }
            Path tmp = Files.createTempFile("jrnn-dates-", ".safetensors");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                return Seq2Seq.load(tmp, precision);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Column labels: the text's characters or words, as the tokenizer split it; vocabulary tokens otherwise. */
    static List<String> sourceTokens(Seq2SeqConfig cfg, String text, int[] ids) {
        List<String> pieces = new ArrayList<>();
        if ("char".equals(cfg.tokenizer())) {
            text.codePoints().forEach(cp -> pieces.add(new String(Character.toChars(cp))));
        } else if ("word".equals(cfg.tokenizer())) {
            for (String w : text.trim().split("\\s+")) if (!w.isEmpty()) pieces.add(w);
        }
        if (pieces.size() == ids.length) return pieces;
        pieces.clear();
        for (int id : ids) pieces.add(cfg.srcTokens() != null ? cfg.srcTokens().get(id) : "#" + id);
        return pieces;
    }

    /** Row labels: the output tokens, then the end token for the step that produced it. */
    static List<String> rowLabels(Seq2SeqConfig cfg, Translation tr) {
        List<String> rows = new ArrayList<>();
        for (int id : tr.tokens()) rows.add(targetToken(cfg, id));
        if (tr.attention() != null && tr.attention().length > tr.tokens().length) rows.add(targetToken(cfg, cfg.eosId()));
        return rows;
    }

    private static String targetToken(Seq2SeqConfig cfg, int id) {
        return cfg.tgtTokens() != null ? cfg.tgtTokens().get(id) : "#" + id;
    }
}
