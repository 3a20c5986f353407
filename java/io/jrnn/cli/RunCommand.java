package io.jrnn.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import io.jrnn.OnnxModel;
import io.jrnn.Precision;
import io.jrnn.Tensor;
import io.jrnn.internal.onnx.OnnxIr.TensorProto;
import io.jrnn.internal.onnx.Tensors;
import io.jrnn.internal.onnx.Value;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn run MODEL.onnx --input NAME=...}: runs an ONNX model on given inputs and prints every output (name,
 * shape, values). An input is {@code NAME=SHAPE:VALUES} ({@code x=2x3:1,2,3,4,5,6}) or {@code NAME=@FILE.pb} (a
 * serialized ONNX TensorProto, as ONNX's test data stores them).
 *
 * <p>Thread safety: one instance per command line run.
 */
@Command(name = "run", sortOptions = false, usageHelpAutoWidth = true,
        description = "Run an ONNX model (.onnx) on the given inputs and print every output.",
        footerHeading = "%nExamples:%n",
        footer = {"  jrnn run model.onnx --input ids=5x1:3,1,4,1,5",
                  "  jrnn run model.onnx --input X=@input_0.pb --input W=@input_1.pb"})
final class RunCommand implements Callable<Integer> {
    /** At most this many values of an output are printed unless --all. */
    static final int MAX_PRINTED = 256;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "An ONNX model file (.onnx).")
    Path file;

    @Option(names = "--input", paramLabel = "NAME=SHAPE:VALUES|NAME=@FILE.pb",
            description = "An input by its ONNX name; repeat for each input.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--precision", paramLabel = "P", description = "Weight precision: ${COMPLETION-CANDIDATES} "
            + "(default FP32).")
    Precision precision = Precision.FP32;

    @Option(names = "--all", description = "Print every value (default: the first " + MAX_PRINTED + " of each output).")
    boolean all;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Main.checkFile(file);
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        try (OnnxModel m = OnnxModel.load(file, precision)) {
            for (String in : inputs) {
                int eq = in.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("--input must be NAME=SHAPE:VALUES or NAME=@FILE, got " + in);
                String name = in.substring(0, eq), spec = in.substring(eq + 1);
                if (feeds.containsKey(name)) throw new IllegalArgumentException("input " + name + " given twice");
                feeds.put(name, spec.startsWith("@") ? readPb(Path.of(spec.substring(1))) : parse(name, spec));
            }
            try (OnnxModel.Result r = m.run(feeds)) {
                for (String name : r.names()) {
                    Tensor t = r.get(name);
                    float[] v = t.toArray();
                    StringBuilder sb = new StringBuilder();
                    int n = all ? v.length : Math.min(v.length, MAX_PRINTED);
                    for (int k = 0; k < n; k++) sb.append(k > 0 ? " " : "").append(String.format(Locale.ROOT, "%.6g", v[k]));
                    if (n < v.length) sb.append(" ... (").append(v.length - n).append(" more)");
                    out.println(name + " " + shape(t.shape()) + ": " + sb);
                }
            }
        } finally {
            for (Tensor t : feeds.values()) t.close();
        }
        out.flush();
        return Main.OK;
    }

    private static String shape(int[] s) {
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < s.length; k++) sb.append(k > 0 ? "x" : "").append(s[k]);
        return sb.append(']').toString();
    }

    private static Tensor readPb(Path f) throws IOException {
        Main.checkFile(f);
        TensorProto t;
        try {
            t = TensorProto.parseFrom(Files.readAllBytes(f));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IOException(f + " is not a serialized ONNX TensorProto (" + e.getMessage() + ")");
        }
        Value v = Tensors.read(t, f.toString(), f.toAbsolutePath().getParent());
        return Tensor.of(v.asFloats(), v.shape());
    }

    private static Tensor parse(String name, String spec) {
        int colon = spec.indexOf(':');
        if (colon < 0) throw new IllegalArgumentException("--input " + name + " must be SHAPE:VALUES (e.g. 2x3:1,2,3,4,5,6), "
                + "got " + spec);
        String[] dims = spec.substring(0, colon).split("x");
        int[] shape = new int[dims.length];
        try {
            for (int k = 0; k < dims.length; k++) shape[k] = Integer.parseInt(dims[k].trim());
            String vs = spec.substring(colon + 1).trim();
            String[] parts = vs.isEmpty() ? new String[0] : vs.split(",");
            float[] v = new float[parts.length];
            for (int k = 0; k < v.length; k++) v[k] = Float.parseFloat(parts[k].trim());
            return Tensor.of(v, shape);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--input " + name + ": " + e.getMessage() + " in " + spec);
        }
    }
}
