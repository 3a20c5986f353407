package io.jrnn.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;

import io.jrnn.Precision;
import io.jrnn.Seq2Seq;
import io.jrnn.Seq2SeqConfig;
import io.jrnn.StateDict;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn info FILE}: what a model file holds, for people (sizes, layers, attention, vocabularies, parameter
 * count) or, with {@code --json}, the raw {@code jrnn.config} JSON. A seq2seq model is loaded in full, so this also
 * checks the file; a plain state dict (no {@code jrnn.config}) gets its tensor list.
 *
 * <p>Thread safety: one instance per command line run.
 */
@Command(name = "info", sortOptions = false, usageHelpAutoWidth = true,
        description = "Print what a model file holds: its seq2seq config, vocabularies and parameter count; for an "
                + ".onnx model, what each node maps to in jrnn and what does not map.")
final class InfoCommand implements Callable<Integer> {
    /** At most this many tokens of a vocabulary, and tensors of a plain state dict, are listed. */
    static final int MAX_LISTED = 64;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "A .safetensors model file, or an .onnx model (lists what maps).")
    Path file;

    @Option(names = "--json", description = "Print the jrnn.config JSON exactly as stored in the file.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Main.checkFile(file);
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) return onnx(out);
        String config;
        long params = 0;
        TreeSet<String> dtypes = new TreeSet<>();
        List<String> tensors = new ArrayList<>();
        try (StateDict sd = StateDict.load(file)) {
            config = sd.metadata().get("jrnn.config");
            for (String n : new TreeSet<>(sd.names())) {
                int[] shape = sd.shape(n);
                long count = 1;
                for (int d : shape) count *= d;
                params += count;
                dtypes.add(sd.dtype(n));
                tensors.add(n + " " + sd.dtype(n) + " " + Arrays.toString(shape));
            }
        }
        if (json) {
            if (config == null) throw new IOException(file + " has no jrnn.config metadata: not a jrnn seq2seq model");
            out.println(config);
            out.flush();
            return Main.OK;
        }
        long bytes = Files.size(file);
        row(out, "file", file.toString());
        row(out, "size", human(bytes) + " (" + String.format(Locale.ROOT, "%,d", bytes) + " bytes)");
        row(out, "parameters", String.format(Locale.ROOT, "%,d in %d tensors", params, tensors.size())
                + (dtypes.isEmpty() ? "" : " (" + String.join(", ", dtypes) + ")"));
        if (config == null) {
            row(out, "format", "a plain state dict (no jrnn.config metadata)");
            for (int i = 0; i < Math.min(tensors.size(), MAX_LISTED); i++) row(out, i == 0 ? "tensors" : "", tensors.get(i));
            if (tensors.size() > MAX_LISTED) row(out, "", "... " + (tensors.size() - MAX_LISTED) + " more");
            out.flush();
            return Main.OK;
        }
        Seq2SeqConfig c;
        List<String> loaded = new ArrayList<>();
        try (Seq2Seq m = Seq2Seq.load(file)) {
            c = m.config();
            long fp32 = m.weightBytes();
            for (Precision p : Precision.values()) {
                long b = fp32;
                if (p != Precision.FP32) {
                    try (Seq2Seq q = Seq2Seq.load(file, p)) {
                        b = q.weightBytes();
                    }
                }
                loaded.add(p + " " + human(b) + String.format(Locale.ROOT, " (%.2f×)", (double) b / fp32));
            }
        }
        Seq2SeqConfig.Encoder e = c.encoder();
        Seq2SeqConfig.Decoder d = c.decoder();
        row(out, "format", c.format());
        row(out, "vocabulary", "source " + c.srcVocabSize() + " tokens, target " + c.tgtVocabSize() + " tokens");
        row(out, "special ids", "pad " + c.padId() + ", bos " + c.bosId() + ", eos " + c.eosId());
        row(out, "tokenizer", c.tokenizer() == null ? "none (token ids only)" : c.tokenizer());
        row(out, "encoder", (e.bidirectional() ? "bidirectional " : "") + e.cell().configName() + ", " + layers(e.numLayers())
                + " of " + e.hiddenSize() + ", embedding " + e.embedDim() + " (outputs " + e.outputSize() + ")");
        row(out, "decoder", d.cell().configName() + ", " + layers(d.numLayers()) + " of " + d.hiddenSize() + ", embedding "
                + d.embedDim() + ", output layer input " + c.outputInputSize());
        String att = d.attention().configName();
        if (d.attentionDim() > 0) att += " (dimension " + d.attentionDim() + ")";
        if (d.luong()) att += ", input feeding " + (d.inputFeeding() ? "on" : "off");
        row(out, "attention", att);
        row(out, "bridge", d.bridge().equals("zeros") ? "zeros (decoder starts from zero states)"
                : "linear_tanh (decoder starts from the encoder's final states)");
        if (c.srcTokens() != null) row(out, "source tokens", tokens(c.srcTokens()));
        if (c.tgtTokens() != null) row(out, "target tokens", tokens(c.tgtTokens()));
        row(out, "loaded", String.join(", ", loaded) + " (weights in memory by --precision)");
        out.flush();
        return Main.OK;
    }

    /** An ONNX model: what each node maps to in jrnn and which nodes do not map (exit code 1 if any). */
    private int onnx(PrintWriter out) throws IOException {
        List<String> lines = io.jrnn.OnnxModel.inspect(file);
        row(out, "file", file.toString());
        row(out, "format", "ONNX; " + lines.get(0));
        int bad = 0;
        for (int i = 1; i < lines.size(); i++) {
            row(out, i == 1 ? "nodes" : "", lines.get(i));
            if (lines.get(i).contains(": NOT SUPPORTED: ")) bad++;
        }
        row(out, "summary", bad == 0 ? "every node maps; OnnxModel.load runs it"
                : bad + " of " + (lines.size() - 1) + " nodes do not map; OnnxModel.load refuses this model");
        out.flush();
        return bad == 0 ? Main.OK : Main.BAD_INPUT;
    }

    private static void row(PrintWriter out, String key, String value) {
        out.println(String.format("%-14s %s", key, value).stripTrailing());
    }

    private static String layers(int n) {
        return n == 1 ? "1 layer" : n + " layers";
    }

    /** The tokens separated by spaces; a space token shows as "␣", the list is cut after {@link #MAX_LISTED}. */
    static String tokens(List<String> vocab) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(vocab.size(), MAX_LISTED); i++) {
            String t = vocab.get(i);
            if (i > 0) sb.append(' ');
            sb.append(t.equals(" ") ? "␣" : t.isEmpty() ? "\"\"" : t.replaceAll("\\p{Cntrl}", "?"));
        }
        if (vocab.size() > MAX_LISTED) sb.append(" ... (").append(vocab.size() - MAX_LISTED).append(" more)");
        return sb.toString();
    }

    /** Bytes in binary units: "812 B", "1.3 MiB". */
    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
