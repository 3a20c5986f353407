package io.jrnn.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import io.jrnn.Precision;
import io.jrnn.Seq2Seq;
import io.jrnn.Translation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn translate --model FILE}: translates standard input line by line (UTF-8), one output line per input
 * line, flushed as soon as it is ready so the tool works in a pipe. An empty line gives an empty line; a line the
 * model cannot take (a character outside its vocabulary, with no {@code <unk>}) gives an empty line and a message
 * with its line number on stderr, and the rest goes on; the exit code is then 1.
 *
 * <p>Thread safety: one instance per command line run.
 */
@Command(name = "translate", sortOptions = false, usageHelpAutoWidth = true,
        description = "Translate standard input line by line with a seq2seq model; one line out per line in.",
        footerHeading = "%nExamples:%n",
        footer = {"  jrnn translate --model dates.safetensors < dates.txt",
                  "  printf '27 November 2026\\n11/27/2026\\n' | jrnn translate --model dates.safetensors --beam 5"})
final class TranslateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    Main main;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE",
            description = "The model: one .safetensors file with jrnn.config metadata and a tokenizer.")
    Path model;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "FP32",
            description = "Weight precision: FP32 (default), BF16 or INT8.")
    Precision precision;

    @Option(names = "--beam", paramLabel = "N", description = "Beam search with N hypotheses (default: greedy).")
    Integer beam;

    @Option(names = "--max-len", paramLabel = "N",
            description = "At most N output tokens per line (default: twice the input length plus 10).")
    Integer maxLen;

    @Option(names = "--length-penalty", paramLabel = "A", defaultValue = "0.6",
            description = "Beam search length penalty alpha, ((5 + len) / 6)^alpha; 0 ranks by raw log-probability "
                    + "(default: ${DEFAULT-VALUE}).")
    float lengthPenalty;

    @Override
    public Integer call() throws IOException {
        if (beam != null && (beam < 1 || beam > Seq2Seq.MAX_BEAM)) {
            throw new ParameterException(spec.commandLine(), "--beam must be in [1, " + Seq2Seq.MAX_BEAM + "], got " + beam);
        }
        if (maxLen != null && (maxLen < 1 || maxLen > Seq2Seq.MAX_LEN)) {
            throw new ParameterException(spec.commandLine(), "--max-len must be in [1, " + Seq2Seq.MAX_LEN + "], got " + maxLen);
        }
        if (!Float.isFinite(lengthPenalty)) {
            throw new ParameterException(spec.commandLine(), "--length-penalty must be a finite number, got " + lengthPenalty);
        }
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        try (Seq2Seq m = load(model, precision)) {
            needTokenizer(m, model.toString());
            BufferedReader in = new BufferedReader(new InputStreamReader(main.stdin, StandardCharsets.UTF_8));
            int lineNo = 0, failed = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) line = line.substring(1); // a byte-order mark
                String result = "";
                if (!line.isEmpty()) {
                    try {
                        result = translate(m, line);
                    } catch (IllegalArgumentException e) {
                        err.println(Main.prefix(spec.commandLine()) + "line " + lineNo + ": " + e.getMessage());
                        err.flush();
                        failed++;
                    }
                }
                out.println(result);
                out.flush();
            }
            if (failed > 0) {
                err.println(Main.prefix(spec.commandLine()) + failed + " of " + lineNo + " lines could not be translated");
                return Main.BAD_INPUT;
            }
        }
        return Main.OK;
    }

    private String translate(Seq2Seq m, String line) {
        int[] ids = m.tokenize(line);
        int len = maxLen != null ? maxLen : Math.min(Seq2Seq.MAX_LEN, 2 * ids.length + 10);
        if (beam == null) return m.detokenize(m.greedy(ids, len).tokens());
        List<Translation> best = m.beamSearch(ids, beam, len, lengthPenalty);
        return m.detokenize(best.get(0).tokens());
    }

    /** Text commands need the config's tokenizer to split text into the model's tokens. */
    static void needTokenizer(Seq2Seq m, String file) {
        if (m.config().tokenizer() == null || m.config().tgtTokens() == null) {
            throw new IllegalArgumentException(file + " has no \"tokenizer\" and vocabularies in its config, so text "
                    + "cannot be split into its tokens");
        }
    }

    /** Loads a model; a file that is not there is reported before the library tries to map it. */
    static Seq2Seq load(Path file) throws IOException {
        return load(file, Precision.FP32);
    }

    static Seq2Seq load(Path file, Precision precision) throws IOException {
        return Seq2Seq.load(Main.checkFile(file), precision);
    }
}
