package io.jrnn.internal.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.protobuf.InvalidProtocolBufferException;

import io.jrnn.Precision;
import io.jrnn.internal.onnx.OnnxIr.GraphProto;
import io.jrnn.internal.onnx.OnnxIr.ModelProto;
import io.jrnn.internal.onnx.OnnxIr.NodeProto;
import io.jrnn.internal.onnx.OnnxIr.OperatorSetIdProto;
import io.jrnn.internal.onnx.OnnxIr.TensorProto;
import io.jrnn.internal.onnx.OnnxIr.TypeProto;
import io.jrnn.internal.onnx.OnnxIr.ValueInfoProto;

/**
 * An ONNX model compiled for jrnn: its nodes checked and mapped at load (unsupported ones rejected with the node's
 * name), constant subgraphs computed once, recurrent, linear and embedding nodes bound to native jrnn layers, and a
 * plan that runs the rest as Java glue.
 *
 * <p>Thread safety: immutable after load; {@link #run} may be called from several threads at once.
 */
public final class Graph implements AutoCloseable {
    /** The ops this importer maps, in the order the messages list them. */
    public static final List<String> SUPPORTED = List.of("LSTM", "GRU", "RNN", "Gather", "MatMul", "Gemm", "Add",
            "Softmax", "LogSoftmax", "Tanh", "Relu", "Sigmoid", "Transpose", "Squeeze", "Unsqueeze", "Reshape", "Slice",
            "Concat", "Shape", "Constant", "ConstantOfShape", "Expand", "Identity", "Cast", "Dropout");

    /** A declared graph input or output: name, ONNX element type and shape (-1 for a symbolic or unknown size). */
    public record Port(String name, int elemType, int[] shape) {
        public boolean isInteger() {
            return !Tensors.isFloatType(elemType);
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder(name).append(": ").append(Tensors.typeName(elemType));
            if (shape == null) return s.append("[?]").toString();
            s.append('[');
            for (int k = 0; k < shape.length; k++) s.append(k > 0 ? ", " : "").append(shape[k] < 0 ? "?" : shape[k]);
            return s.append(']').toString();
        }
    }

    /** How one node maps, for {@code jrnn info}: null {@code problem} when it maps. */
    public record NodeReport(String name, String op, String mapping, String problem) {
    }

    private record Step(Op op, int[] in, int[] out) {
    }

    private final List<Port> inputs, outputs;
    private final int[] inputSlots, outputSlots;
    private final Value[] constants;
    private final List<Step> steps;
    private final List<NodeReport> report;
    private final int slots;
    private final long opset;

    private Graph(List<Port> inputs, List<Port> outputs, int[] inputSlots, int[] outputSlots, Value[] constants,
            List<Step> steps, List<NodeReport> report, long opset) {
        this.inputs = inputs;
        this.outputs = outputs;
        this.inputSlots = inputSlots;
        this.outputSlots = outputSlots;
        this.constants = constants;
        this.steps = steps;
        this.report = report;
        this.slots = constants.length;
        this.opset = opset;
    }

    /** Reads and compiles a model file; any problem is an {@link IOException} naming the file and the node. */
    public static Graph load(Path file, Precision precision) throws IOException {
        return compile(parse(file), file.toAbsolutePath().getParent(), precision, false, file.toString());
    }

    /**
     * Compiles as far as possible and reports each node, mapped or not (for {@code jrnn info}); a file that does not
     * parse is still an {@link IOException}.
     */
    public static Graph inspect(Path file) throws IOException {
        return compile(parse(file), file.toAbsolutePath().getParent(), Precision.FP32, true, file.toString());
    }

    private static ModelProto parse(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file");
        byte[] bytes = Files.readAllBytes(file);
        try {
            return ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException(file + " is not a valid ONNX model (protobuf: " + e.getMessage() + ")");
        }
    }

    private static Graph compile(ModelProto m, Path dir, Precision precision, boolean lenient, String where)
            throws IOException {
        if (precision == null) throw new IllegalArgumentException("precision must not be null");
        if (!m.hasGraph()) throw new IOException(where + " is not an ONNX model: it has no graph");
        long opset = -1;
        for (OperatorSetIdProto o : m.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) opset = o.getVersion();
        }
        if (opset < 0) {
            if (m.getIrVersion() >= 3 || m.getIrVersion() == 0) {
                throw new IOException(where + ": no opset_import for the default ONNX domain");
            }
            opset = 1;
        }
        if (opset < 7) throw new IOException(where + ": opset " + opset + " is older than 7, the first this importer reads");
        GraphProto g = m.getGraph();
        if (g.getOutputCount() == 0) throw new IOException(where + ": the graph has no outputs");
        if (g.getSparseInitializerCount() > 0) throw new IOException(where + ": sparse initializers are not supported");
        Map<String, Integer> slot = new HashMap<>();
        List<Value> consts = new ArrayList<>();
        for (TensorProto t : g.getInitializerList()) {
            String name = t.getName();
            if (name.isEmpty()) throw new IOException(where + ": an initializer has no name");
            if (slot.containsKey(name)) throw new IOException(where + ": initializer " + name + " is defined twice");
            slot.put(name, consts.size());
            consts.add(Tensors.read(t, where + ": initializer " + name, dir));
        }
        List<Port> ins = new ArrayList<>();
        List<Integer> inSlots = new ArrayList<>();
        for (ValueInfoProto vi : g.getInputList()) {
            if (slot.containsKey(vi.getName())) continue; // an initializer listed as input (IR < 4): a constant
            if (vi.getName().isEmpty()) throw new IOException(where + ": a graph input has no name");
            Port p = port(vi, where + ": input " + vi.getName());
            slot.put(p.name, consts.size());
            consts.add(null);
            ins.add(p);
            inSlots.add(slot.get(p.name));
        }
        // consumers, for fusing MatMul + Add into one Linear
        Map<String, Integer> uses = new HashMap<>();
        for (NodeProto n : g.getNodeList()) for (String s : n.getInputList()) uses.merge(s, 1, Integer::sum);
        for (ValueInfoProto o : g.getOutputList()) uses.merge(o.getName(), 1, Integer::sum);

        List<Step> steps = new ArrayList<>();
        List<NodeReport> report = new ArrayList<>();
        List<NodeProto> nodes = g.getNodeList();
        boolean[] absorbed = new boolean[nodes.size()];
        IOException first = null;
        for (int ni = 0; ni < nodes.size(); ni++) {
            NodeProto n = nodes.get(ni);
            String label = "node " + (n.getName().isEmpty() ? "#" + ni : "'" + n.getName() + "'") + " (" + n.getOpType()
                    + ")";
            if (absorbed[ni]) {
                report.add(new NodeReport(n.getName(), n.getOpType(), n.getOpType().equals("Add")
                        ? "fused into the Linear before it" : "fused into the recurrent layer before it", null));
                continue;
            }
            Op pending = null; // compiled but not yet in the plan: closed if this node fails after compiling
            try {
                if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
                    throw new IOException(label + " is in domain " + n.getDomain() + "; only the default ONNX domain "
                            + "is supported");
                }
                int nin = n.getInputCount();
                int[] in = new int[nin];
                Value[] cv = new Value[nin];
                boolean[] given = new boolean[nin];
                boolean allConst = true;
                for (int k = 0; k < nin; k++) {
                    String s = n.getInput(k);
                    if (s.isEmpty()) {
                        in[k] = -1;
                        continue;
                    }
                    Integer id = slot.get(s);
                    if (id == null) throw new IOException(label + " reads " + s + ", which no earlier node, input or "
                            + "initializer defines (nodes must be in topological order)");
                    in[k] = id;
                    given[k] = true;
                    cv[k] = consts.get(id);
                    if (cv[k] == null) allConst = false;
                }
                int maxOut = switch (n.getOpType()) {
                    case "LSTM" -> 3;
                    case "GRU", "RNN", "Dropout" -> 2;
                    default -> 1;
                };
                if (n.getOutputCount() > maxOut || n.getOutputCount() == 0) {
                    throw new IOException(label + " has " + n.getOutputCount() + " outputs; " + n.getOpType()
                            + " has 1" + (maxOut > 1 ? " to " + maxOut : ""));
                }
                boolean[] want = new boolean[n.getOutputCount()];
                for (int k = 0; k < want.length; k++) want[k] = !n.getOutput(k).isEmpty();
                Attrs attrs = new Attrs(n, label);
                Fusion fusion = new Fusion();
                fusion.addNode = nextAdd(nodes, ni, uses, slot, consts);
                if (fusion.addNode != null) {
                    String y = n.getOutput(0), other = fusion.addNode.getInput(0).equals(y)
                            ? fusion.addNode.getInput(1) : fusion.addNode.getInput(0);
                    fusion.bias = consts.get(slot.get(other));
                }
                fusion.transposeNode = nextTranspose(nodes, ni, uses);
                Op op = Compiler.compile(n.getOpType(), label, attrs, cv, given, want, opset, precision, dir, fusion);
                pending = op;
                List<String> outs = new ArrayList<>(n.getOutputList());
                if (fusion.absorbedAdd) {
                    int addIndex = indexOf(nodes, fusion.addNode, ni);
                    absorbed[addIndex] = true;
                    outs = List.of(fusion.addNode.getOutput(0));
                }
                if (fusion.absorbedTranspose) {
                    absorbed[indexOf(nodes, fusion.transposeNode, ni)] = true;
                    outs.set(0, fusion.transposeNode.getOutput(0));
                }
                int[] out = new int[outs.size()];
                Value[] folded = null;
                if (allConst && op.foldable()) {
                    try {
                        folded = op.apply(cv);
                    } catch (IllegalArgumentException | IllegalStateException e) {
                        throw new IOException(e.getMessage(), e);
                    }
                }
                for (int k = 0; k < outs.size(); k++) {
                    String s = outs.get(k);
                    if (s.isEmpty()) {
                        out[k] = -1;
                        continue;
                    }
                    if (slot.containsKey(s)) throw new IOException(label + " writes " + s + ", which is already defined");
                    slot.put(s, consts.size());
                    out[k] = consts.size();
                    consts.add(folded != null && k < folded.length ? folded[k] : null);
                }
                report.add(new NodeReport(n.getName(), n.getOpType(), folded != null ? "constant (computed at load)"
                        : op.describe(), null));
                pending = null;
                if (folded == null) steps.add(new Step(op, in, out));
                else op.close();
            } catch (IOException e) {
                if (pending != null) pending.close();
                if (!lenient) {
                    closeAll(steps);
                    throw new IOException(where + ": " + e.getMessage(), e);
                }
                if (first == null) first = e;
                report.add(new NodeReport(n.getName(), n.getOpType(), null, e.getMessage()));
                // its outputs stay unknown: give them slots so later nodes still compile and report
                for (String s : n.getOutputList()) {
                    if (!s.isEmpty() && !slot.containsKey(s)) {
                        slot.put(s, consts.size());
                        consts.add(null);
                    }
                }
            } catch (RuntimeException e) {
                if (pending != null) pending.close();
                closeAll(steps);
                throw e;
            }
        }
        List<Port> outs = new ArrayList<>();
        int[] outSlots = new int[g.getOutputCount()];
        for (int k = 0; k < outSlots.length; k++) {
            ValueInfoProto vi = g.getOutput(k);
            Integer id = slot.get(vi.getName());
            if (id == null) {
                closeAll(steps);
                throw new IOException(where + ": graph output " + vi.getName() + " is not computed by any node");
            }
            outSlots[k] = id;
            outs.add(lenientPort(vi));
        }
        int[] inArr = inSlots.stream().mapToInt(Integer::intValue).toArray();
        return new Graph(List.copyOf(ins), List.copyOf(outs), inArr, outSlots, consts.toArray(new Value[0]),
                List.copyOf(steps), List.copyOf(report), opset);
    }

    /** The Add right after a MatMul that reads only its output (MatMul + Add = Linear with bias). */
    private static NodeProto nextAdd(List<NodeProto> nodes, int ni, Map<String, Integer> uses, Map<String, Integer> slot,
            List<Value> consts) {
        NodeProto n = nodes.get(ni);
        if (!n.getOpType().equals("MatMul") || n.getOutputCount() != 1) return null;
        String y = n.getOutput(0);
        if (uses.getOrDefault(y, 0) != 1) return null;
        for (int k = ni + 1; k < nodes.size(); k++) {
            NodeProto a = nodes.get(k);
            if (!a.getInputList().contains(y)) continue;
            if (!a.getOpType().equals("Add") || a.getInputCount() != 2 || a.getOutputCount() != 1
                    || a.getOutput(0).isEmpty() || !a.getDomain().isEmpty()) {
                return null;
            }
            String other = a.getInput(0).equals(y) ? a.getInput(1) : a.getInput(0);
            Integer id = slot.get(other);
            if (id == null || consts.get(id) == null) return null;
            return a;
        }
        return null;
    }

    /**
     * The Transpose(perm 0,2,1,3) that alone reads a recurrent node's Y: [T,D,B,H] → [T,B,D,H], jrnn's own output
     * layout, so the two together cost no copy (PyTorch's exporter writes this after every bidirectional layer).
     */
    private static NodeProto nextTranspose(List<NodeProto> nodes, int ni, Map<String, Integer> uses) {
        NodeProto n = nodes.get(ni);
        if (!List.of("LSTM", "GRU", "RNN").contains(n.getOpType()) || n.getOutputCount() < 1) return null;
        String y = n.getOutput(0);
        if (y.isEmpty() || uses.getOrDefault(y, 0) != 1) return null;
        for (int k = ni + 1; k < nodes.size(); k++) {
            NodeProto t = nodes.get(k);
            if (!t.getInputList().contains(y)) continue;
            if (!t.getOpType().equals("Transpose") || !t.getDomain().isEmpty() || t.getInputCount() != 1
                    || t.getOutputCount() != 1 || t.getOutput(0).isEmpty()) {
                return null;
            }
            for (var a : t.getAttributeList()) {
                if (a.getName().equals("perm") && a.getIntsList().equals(List.of(0L, 2L, 1L, 3L))
                        && t.getAttributeCount() == 1) {
                    return t;
                }
            }
            return null;
        }
        return null;
    }

    private static int indexOf(List<NodeProto> nodes, NodeProto n, int from) {
        for (int k = from + 1; k < nodes.size(); k++) if (nodes.get(k) == n) return k;
        throw new IllegalStateException("fused node not found");
    }

    /** What the compiler did with the Add offered to it. */
    static final class Fusion {
        boolean absorbedAdd;
        NodeProto addNode;
        Value bias;
        boolean absorbedTranspose;
        NodeProto transposeNode;
    }

    private static Port port(ValueInfoProto vi, String where) throws IOException {
        if (!vi.hasType() || !vi.getType().hasTensorType()) throw new IOException(where + " is not a tensor");
        TypeProto.Tensor t = vi.getType().getTensorType();
        if (!Tensors.isSupported(t.getElemType())) {
            throw new IOException(where + " has element type " + Tensors.typeName(t.getElemType()));
        }
        return new Port(vi.getName(), t.getElemType(), dims(t));
    }

    private static Port lenientPort(ValueInfoProto vi) {
        TypeProto.Tensor t = vi.getType().getTensorType();
        return new Port(vi.getName(), t.getElemType() == 0 ? Tensors.FLOAT : t.getElemType(), dims(t));
    }

    private static int[] dims(TypeProto.Tensor t) {
        if (!t.hasShape()) return null;
        int[] s = new int[t.getShape().getDimCount()];
        for (int k = 0; k < s.length; k++) {
            var d = t.getShape().getDim(k);
            s[k] = d.hasDimValue() && d.getDimValue() >= 0 && d.getDimValue() <= Integer.MAX_VALUE
                    ? (int) d.getDimValue() : -1;
        }
        return s;
    }

    public List<Port> inputs() {
        return inputs;
    }

    public List<Port> outputs() {
        return outputs;
    }

    public List<NodeReport> report() {
        return report;
    }

    public long opset() {
        return opset;
    }

    /**
     * Runs the graph on values for every input (by name); returns every output by name, in graph order. Missing,
     * unknown or mis-shaped inputs are {@link IllegalArgumentException}s. Native tensors the layers make are added
     * to {@code arena}: the caller closes them (or keeps those it hands out).
     */
    public Map<String, Value> run(Map<String, Value> feeds, List<io.jrnn.Tensor> arena) {
        List<io.jrnn.Tensor> previous = Value.ARENA.get();
        Value.ARENA.set(arena);
        try {
            return runSteps(feeds);
        } finally {
            if (previous == null) Value.ARENA.remove(); else Value.ARENA.set(previous);
        }
    }

    private Map<String, Value> runSteps(Map<String, Value> feeds) {
        Value[] env = constants.clone();
        for (String name : feeds.keySet()) {
            if (inputs.stream().noneMatch(p -> p.name.equals(name))) {
                throw new IllegalArgumentException("the model has no input " + name + "; its inputs: " + inputs);
            }
        }
        for (int k = 0; k < inputs.size(); k++) {
            Port p = inputs.get(k);
            Value v = feeds.get(p.name);
            if (v == null) throw new IllegalArgumentException("input " + p + " is missing");
            if (p.shape != null) {
                boolean ok = v.rank() == p.shape.length;
                for (int d = 0; ok && d < p.shape.length; d++) ok = p.shape[d] < 0 || p.shape[d] == v.shape[d];
                if (!ok) throw new IllegalArgumentException("input " + p + " got shape " + Arrays.toString(v.shape));
            }
            env[inputSlots[k]] = v;
        }
        for (Step s : steps) {
            Value[] in = new Value[s.in.length];
            for (int k = 0; k < in.length; k++) {
                if (s.in[k] < 0) continue;
                in[k] = env[s.in[k]];
                if (in[k] == null) throw new IllegalStateException(s.op.node + ": input " + k + " was not computed");
            }
            Value[] out = s.op.apply(in);
            for (int k = 0; k < s.out.length; k++) {
                if (s.out[k] >= 0) env[s.out[k]] = k < out.length ? out[k] : null;
            }
        }
        Map<String, Value> res = new LinkedHashMap<>();
        for (int k = 0; k < outputs.size(); k++) {
            Value v = env[outputSlots[k]];
            if (v == null) throw new IllegalStateException("output " + outputs.get(k).name + " was not computed");
            res.put(outputs.get(k).name, v);
        }
        return res;
    }

    private static void closeAll(List<Step> steps) {
        for (Step s : steps) s.op.close();
    }

    @Override
    public void close() {
        closeAll(steps);
    }

    int slotCount() {
        return slots;
    }
}
