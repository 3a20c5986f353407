package io.jrnn.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import io.jrnn.SequenceModel;
import io.jrnn.decode.Sampler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn generate PROMPT}: continues a text with a character-level language model, streaming each character
 * as it is sampled. The shipped model ({@value #RESOURCE}, trained by {@code python/train_charlm.py} on Perl's
 * diagnostics documentation) or any {@code jrnn.model.v1} file with one-character {@code tokens}.
 *
 * <p>Thread safety: one instance per command line run.
 */
@Command(name = "generate", sortOptions = false, usageHelpAutoWidth = true,
        description = {"Continue PROMPT with a character-level language model, printing characters as they are "
                + "sampled. The same --seed gives the same text."},
        footerHeading = "%nExamples:%n",
        footer = {"  jrnn generate \"=item Can't locate \"", "  jrnn generate --temperature 0.6 --top-k 10 \"(F) \"",
                  "  jrnn generate --model lm.safetensors --greedy --length 80 \"The \""})
final class GenerateCommand implements Callable<Integer> {
    /** The shipped language model, a classpath resource beside this class. */
    static final String RESOURCE = "/io/jrnn/cli/charlm.safetensors";

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "PROMPT", description = "The text to continue (words joined with spaces).")
    List<String> words;

    @Option(names = "--length", paramLabel = "N", description = "Characters to generate (default: ${DEFAULT-VALUE}).",
            defaultValue = "300")
    int length;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature (default: ${DEFAULT-VALUE}).",
            defaultValue = "0.8")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely characters only.")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling: the most likely characters up to "
            + "probability P.")
    Double topP;

    @Option(names = "--greedy", description = "Always the most likely character (no sampling).")
    boolean greedy;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).",
            defaultValue = "42")
    long seed;

    @Option(names = "--model", paramLabel = "FILE", description = "A jrnn.model.v1 file (default: the shipped model).")
    Path model;

    @Override
    public Integer call() throws IOException {
        String prompt = String.join(" ", words);
        if (length < 0) throw new ParameterException(spec.commandLine(), "--length must be >= 0, got " + length);
        if (topK != null && topP != null) {
            throw new ParameterException(spec.commandLine(), "--top-k and --top-p exclude each other");
        }
        if (greedy && (topK != null || topP != null)) {
            throw new ParameterException(spec.commandLine(), "--greedy excludes --top-k and --top-p");
        }
        try (SequenceModel m = model == null ? loadShipped() : SequenceModel.load(model)) {
            List<String> tokens = m.tokens();
            if (tokens == null || !m.hasEmbedding()) {
                throw new IllegalArgumentException("the model has no token list (\"tokens\" in its config), so text "
                        + "cannot be mapped to ids");
            }
            Map<Integer, Integer> ids = new HashMap<>();
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                if (t.codePointCount(0, t.length()) != 1) {
                    throw new IllegalArgumentException("generate needs a character model, but token " + i + " is \""
                            + t + "\"");
                }
                ids.put(t.codePointAt(0), i);
            }
            int[] promptIds = prompt.codePoints().map(cp -> {
                Integer id = ids.get(cp);
                if (id == null) {
                    throw new IllegalArgumentException("the character '" + new String(Character.toChars(cp))
                            + "' is not in the model's vocabulary of " + tokens.size() + " characters");
                }
                return id;
            }).toArray();
            Sampler sampler = greedy ? Sampler.greedy()
                    : topK != null ? Sampler.topK(topK, temperature, new SplittableRandom(seed))
                    : topP != null ? Sampler.topP(topP, temperature, new SplittableRandom(seed))
                    : Sampler.temperature(temperature, new SplittableRandom(seed));
            PrintWriter out = spec.commandLine().getOut();
            out.print(prompt);
            out.flush();
            m.generate(promptIds, length, sampler, id -> {
                out.print(tokens.get(id));
                out.flush();
            });
            out.println();
            out.flush();
        }
        return Main.OK;
    }

    /** The shipped model: copied out of the jar to a temporary file, which is gone once the model is loaded. */
    static SequenceModel loadShipped() throws IOException {
        try (InputStream in = GenerateCommand.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IOException("the language model " + RESOURCE.substring(1) + " is not in this build");
            Path tmp = Files.createTempFile("jrnn-charlm-", ".safetensors");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                return SequenceModel.load(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
