package io.jrnn.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.jrnn.SequenceModel;
import io.jrnn.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn classify TEXT}: a character-level sequence classifier. The shipped model ({@value #RESOURCE}, trained
 * by {@code python/train_perldiag_classifier.py}) says which class of Perl diagnostic a message is; any
 * {@code jrnn.model.v1} classifier with one-character {@code tokens} and {@code labels} works with {@code --model}.
 * Prints every class with its probability, most likely first.
 *
 * <p>Thread safety: one instance per command line run.
 */
@Command(name = "classify", sortOptions = false, usageHelpAutoWidth = true,
        description = {"Classify TEXT with a character-level sequence classifier: prints each class and its "
                + "probability, most likely first. The shipped model tells which class of Perl diagnostic a message "
                + "is."},
        footerHeading = "%nExamples:%n",
        footer = {"  jrnn classify \"Can't locate object method %s via package %s\"",
                  "  jrnn classify \"Useless use of %%s in void context\""})
final class ClassifyCommand implements Callable<Integer> {
    /** The shipped classifier, a classpath resource beside this class. */
    static final String RESOURCE = "/io/jrnn/cli/perldiag-class.safetensors";

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "The text to classify (words joined with spaces).")
    List<String> words;

    @Option(names = "--model", paramLabel = "FILE", description = "A jrnn.model.v1 classifier (default: the shipped one).")
    Path model;

    @Override
    public Integer call() throws IOException {
        String text = String.join(" ", words);
        try (SequenceModel m = model == null ? loadShipped() : SequenceModel.load(model)) {
            List<String> tokens = m.tokens(), labels = m.labels();
            if (tokens == null || labels == null || m.readout() == SequenceModel.Readout.ALL_STEPS) {
                throw new IllegalArgumentException("classify needs a classifier: a model with \"tokens\", \"labels\" "
                        + "and a readout that gives one output per sequence");
            }
            Map<Integer, Integer> ids = new HashMap<>();
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                if (t.codePointCount(0, t.length()) != 1) {
                    throw new IllegalArgumentException("classify needs a character model, but token " + i + " is \""
                            + t + "\"");
                }
                ids.put(t.codePointAt(0), i);
            }
            int[] seq = text.codePoints().map(cp -> {
                Integer id = ids.get(cp);
                if (id == null) {
                    throw new IllegalArgumentException("the character '" + new String(Character.toChars(cp))
                            + "' is not in the model's vocabulary of " + tokens.size() + " characters");
                }
                return id;
            }).toArray();
            float[] p;
            try (Tensor y = m.forward(new int[][] {seq})) {
                p = y.toArray();
            }
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < p.length; i++) order.add(i);
            order.sort(Comparator.comparingDouble((Integer i) -> -p[i]).thenComparingInt(i -> i));
            PrintWriter out = spec.commandLine().getOut();
            for (int i : order) out.println(String.format("%.3f  %s", p[i], labels.get(i)));
            out.flush();
        }
        return Main.OK;
    }

    /** The shipped model: copied out of the jar to a temporary file, which is gone once the model is loaded. */
    static SequenceModel loadShipped() throws IOException {
        try (InputStream in = ClassifyCommand.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IOException("the classifier " + RESOURCE.substring(1) + " is not in this build");
            Path tmp = Files.createTempFile("jrnn-classifier-", ".safetensors");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                return SequenceModel.load(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
