package io.jrnn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.jrnn.internal.onnx.Graph;
import io.jrnn.internal.onnx.Value;
import io.jrnn.internal.onnx.ValueAccess;

/**
 * A recurrent model in ONNX format (exported by {@code torch.onnx.export}, tf2onnx, ...), run by jrnn's native
 * layers: {@code LSTM}, {@code GRU} and {@code RNN} nodes become {@link Lstm}, {@link Gru} and {@link Rnn} layers
 * (ONNX's gate order, bias layout, {@code layout} attribute and output shapes converted at load), {@code Gather} on
 * a weight table becomes an {@link Embedding}, {@code MatMul} (+ {@code Add}) and {@code Gemm} on weights become
 * {@link Linear} layers; the glue exporters put around them (Transpose, Squeeze, Unsqueeze, Reshape, Slice, Concat,
 * Shape, Constant, ConstantOfShape, Expand, Identity, Cast, Dropout in inference, Add, Softmax, LogSoftmax, Tanh,
 * Relu, Sigmoid) runs in Java. Any other op, or an attribute value the kernels do not implement, is an
 * {@link IOException} at load naming the node and its op; nothing is skipped or approximated.
 *
 * <pre>{@code
 * try (OnnxModel model = OnnxModel.load(Path.of("model.onnx"));
 *      Tensor x = Tensor.of(data, 7, 1, 32);
 *      OnnxModel.Result r = model.run(Map.of("input", x))) {
 *     Tensor y = r.get("output");
 * }
 * }</pre>
 *
 * <p>Values are float32 {@link Tensor}s on both sides: an input the graph declares as integer (token ids,
 * {@code sequence_lens}) is given as a tensor of whole numbers, and integer outputs come back as floats. Initializers
 * may be stored in the file or in external data files beside it (a location outside the model's folder is refused).
 *
 * <p>Thread safety: a loaded model is immutable; {@link #run} may be called from any number of threads at once.
 * {@link #close()} (idempotent) frees the native layers; later calls throw {@link IllegalStateException}.
 */
public final class OnnxModel implements AutoCloseable {
    private final Graph graph;
    private final String source;
    private volatile boolean closed;

    private OnnxModel(Graph graph, String source) {
        this.graph = graph;
        this.source = source;
    }

    /** Loads a model with float32 weights. */
    public static OnnxModel load(Path file) throws IOException {
        return load(file, Precision.FP32);
    }

    /** Loads a model with its recurrent and linear weight matrices stored in the given precision (SPEC §1.5). */
    public static OnnxModel load(Path file, Precision precision) throws IOException {
        if (file == null) throw new IllegalArgumentException("file must not be null");
        if (precision == null) throw new IllegalArgumentException("precision must not be null");
        return new OnnxModel(Graph.load(file, precision), file.toString());
    }

    /**
     * What each node of a model maps to, without failing on the ones that do not map: one line per node, "name (Op):
     * mapping" or "name (Op): NOT SUPPORTED: why". A file that is not a readable ONNX model is an {@link IOException}.
     */
    public static List<String> inspect(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("file must not be null");
        try (Graph g = Graph.inspect(file)) {
            List<String> lines = new ArrayList<>();
            lines.add("opset " + g.opset() + "; inputs " + g.inputs() + "; outputs " + g.outputs());
            int i = 0;
            for (Graph.NodeReport r : g.report()) {
                String name = r.name().isEmpty() ? "#" + i : r.name();
                lines.add(name + " (" + r.op() + "): " + (r.problem() == null ? r.mapping() : "NOT SUPPORTED: "
                        + r.problem()));
                i++;
            }
            return lines;
        }
    }

    /** The names of the graph's inputs (initializers excluded), in graph order. */
    public List<String> inputNames() {
        List<String> n = new ArrayList<>();
        for (Graph.Port p : graph.inputs()) n.add(p.name());
        return Collections.unmodifiableList(n);
    }

    /** The names of the graph's outputs, in graph order. */
    public List<String> outputNames() {
        List<String> n = new ArrayList<>();
        for (Graph.Port p : graph.outputs()) n.add(p.name());
        return Collections.unmodifiableList(n);
    }

    /** The declared shape of an input, -1 for a symbolic size; null when the graph does not declare one. */
    public int[] inputShape(String name) {
        for (Graph.Port p : graph.inputs()) {
            if (p.name().equals(name)) return p.shape() == null ? null : p.shape().clone();
        }
        throw new IllegalArgumentException("the model has no input " + name + "; its inputs: " + inputNames());
    }

    /** Whether the graph declares an input as integer (ids, lengths): its tensor must then hold whole numbers. */
    public boolean isIntegerInput(String name) {
        for (Graph.Port p : graph.inputs()) if (p.name().equals(name)) return p.isInteger();
        throw new IllegalArgumentException("the model has no input " + name + "; its inputs: " + inputNames());
    }

    /**
     * Runs the model on a tensor for every input, by ONNX name (as {@code OrtSession.run}); returns every output by
     * name. The caller keeps owning the input tensors and owns the result (close it).
     */
    public Result run(Map<String, Tensor> inputs) {
        if (closed) throw new IllegalStateException("OnnxModel " + source + " is closed");
        if (inputs == null) throw new IllegalArgumentException("inputs must not be null");
        Map<String, Value> feeds = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null || t == null) throw new IllegalArgumentException("input names and tensors must not be null");
            if (t.isClosed()) throw new IllegalStateException("input " + name + " is closed");
            boolean integer = isIntegerInput(name);
            // float inputs are read in place by the layers (no copy); integer ones are converted
            feeds.put(name, integer ? ValueAccess.of(t.shape(), t.toArray(), true, name)
                    : Value.nativeFloats(t.shape(), t));
        }
        List<Tensor> arena = new ArrayList<>();
        Map<String, Tensor> res = new LinkedHashMap<>();
        try {
            Map<String, Value> out = graph.run(feeds, arena);
            for (Map.Entry<String, Value> e : out.entrySet()) {
                Value v = e.getValue();
                Tensor t = v.nativeTensor();
                int at = indexOf(arena, t);
                if (at >= 0) {
                    res.put(e.getKey(), arena.remove(at).moveTo(v.shape())); // a layer's output, not copied
                } else {
                    res.put(e.getKey(), Tensor.of(v.asFloats(), v.shape()));
                }
            }
        } catch (RuntimeException ex) {
            for (Tensor t : res.values()) t.close();
            throw ex;
        } finally {
            for (Tensor t : arena) t.close();
        }
        return new Result(res);
    }

    private static int indexOf(List<Tensor> arena, Tensor t) {
        if (t == null) return -1;
        for (int k = 0; k < arena.size(); k++) if (arena.get(k) == t) return k;
        return -1;
    }

    /** Frees the native layers; idempotent. */
    @Override
    public void close() {
        closed = true;
        graph.close();
    }

    @Override
    public String toString() {
        return "OnnxModel(" + source + ", inputs " + graph.inputs() + ", outputs " + graph.outputs() + ")";
    }

    /**
     * The outputs of one {@link #run}, by ONNX name in graph order; owns the tensors ({@link #close()} closes them,
     * idempotent). Thread safety: as for {@link Tensor}.
     */
    public static final class Result implements AutoCloseable {
        private final Map<String, Tensor> tensors;

        Result(Map<String, Tensor> tensors) {
            this.tensors = Collections.unmodifiableMap(tensors);
        }

        /** The output of that name. */
        public Tensor get(String name) {
            Tensor t = tensors.get(name);
            if (t == null) throw new IllegalArgumentException("no output " + name + "; outputs: " + tensors.keySet());
            return t;
        }

        public Set<String> names() {
            return tensors.keySet();
        }

        /** The outputs as a map (a view; the tensors stay owned by this result). */
        public Map<String, Tensor> asMap() {
            return tensors;
        }

        @Override
        public void close() {
            for (Tensor t : tensors.values()) t.close();
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder("Result{");
            tensors.forEach((k, v) -> s.append(s.length() > 7 ? ", " : "").append(k).append('=')
                    .append(Arrays.toString(v.shape())));
            return s.append('}').toString();
        }
    }
}
