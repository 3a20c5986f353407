package io.jrnn.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import io.jrnn.bench.Cases.Case;
import io.jrnn.bench.Cases.Weights;

/**
 * Builds, byte by byte, the ONNX model of a case: one LSTM / GRU ({@code linear_before_reset=1}, PyTorch's GRU) /
 * RNN (tanh) node, opset 14, with the case's weights as initializers. No ONNX library: the protobuf messages are
 * encoded with {@link ProtoWriter}, field numbers from {@code onnx.proto}.
 *
 * <p>Graph: {@code X[T,B,I]} in; {@code Y[T,1,B,H]}, {@code Y_h[1,B,H]} (and {@code Y_c[1,B,H]} for the LSTM) out.
 * ONNX stacks the gates in its own order, so PyTorch's blocks are reordered: LSTM i,f,g,o → i,o,f,c; GRU r,z,n →
 * z,r,h; and the bias is one tensor {@code B = [W_b ‖ R_b]}.
 *
 * <p>{@link #buildDynamicQuantizeLstm} writes the int8 version of an LSTM case for ONNX Runtime's contrib op
 * {@code com.microsoft.DynamicQuantizeLSTM}.
 */
final class OnnxModels {
    private OnnxModels() {}

    static final int OPSET = 14;
    static final int IR_VERSION = 8;

    // onnx.proto field numbers
    private static final int MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8;
    private static final int OPSET_DOMAIN = 1, OPSET_VERSION = 2;
    private static final int GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12;
    private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5,
            NODE_DOMAIN = 7;
    private static final int ATTR_NAME = 1, ATTR_I = 3, ATTR_TYPE = 20, ATTR_TYPE_INT = 2;
    private static final int TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9;
    private static final int VALUE_INFO_NAME = 1, VALUE_INFO_TYPE = 2;
    private static final int TYPE_TENSOR_TYPE = 1, TYPE_TENSOR_ELEM_TYPE = 1, TYPE_TENSOR_SHAPE = 2;
    private static final int SHAPE_DIM = 1, DIM_VALUE = 1;
    private static final int FLOAT = 1, INT8 = 3; // TensorProto.DataType
    /** ONNX Runtime's contrib operators' domain, and the version of it that has DynamicQuantizeLSTM. */
    static final String MS_DOMAIN = "com.microsoft";
    static final int MS_OPSET = 1;

    /** The model's bytes (also saved as {@code target/bench/onnx/<case>.onnx} for inspection). */
    static byte[] model(Case c, Weights w) {
        return save(c.name() + ".onnx", build(c, w));
    }

    /**
     * The case's LSTM as ONNX Runtime's int8 {@code com.microsoft.DynamicQuantizeLSTM} (also saved as
     * {@code target/bench/onnx/<case>-dqlstm.onnx}); see {@link #buildDynamicQuantizeLstm}.
     */
    static byte[] dynamicQuantizeLstmModel(Case c, Weights w) {
        return save(c.name() + "-dqlstm.onnx", buildDynamicQuantizeLstm(c, w));
    }

    private static byte[] save(String name, byte[] bytes) {
        Path f = Cases.workDir().resolve("onnx").resolve(name);
        try {
            Files.createDirectories(f.getParent());
            Files.write(f, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + f, e);
        }
        return bytes;
    }

    static byte[] build(Case c, Weights w) {
        return build(c, w, c.steps(), c.batch(), false);
    }

    /**
     * One step of one stream with its state passed in and out, as a service without batching runs it: X[1,1,I],
     * initial_h[1,1,H] (and initial_c for an LSTM) in; Y, Y_h (, Y_c) out.
     */
    static byte[] stepModel(Case c, Weights w) {
        return build(c, w, 1, 1, true);
    }

    /** The gate blocks in ONNX's order: PyTorch block {@code order[j]} goes to ONNX position j. */
    static int[] onnxGateOrder(Cases.Cell cell) {
        return switch (cell) {
            case LSTM -> new int[] {0, 3, 1, 2}; // i,f,g,o -> i,o,f,c
            case GRU -> new int[] {1, 0, 2};     // r,z,n -> z,r,h
            case RNN -> new int[] {0};
        };
    }

    private static byte[] build(Case c, Weights w, int T, int B, boolean stateInputs) {
        final int G = c.cell().gates, H = c.hidden(), I = c.input();
        int[] order = onnxGateOrder(c.cell());
        float[] wOnnx = reorder(w.wIh(), H * I, order);
        float[] rOnnx = reorder(w.wHh(), H * H, order);
        float[] bOnnx = new float[2 * G * H];
        System.arraycopy(reorder(w.bIh(), H, order), 0, bOnnx, 0, G * H);
        System.arraycopy(reorder(w.bHh(), H, order), 0, bOnnx, G * H, G * H);

        String op = switch (c.cell()) {
            case LSTM -> "LSTM";
            case GRU -> "GRU";
            case RNN -> "RNN";
        };
        ProtoWriter node = new ProtoWriter()
                .string(NODE_INPUT, "X").string(NODE_INPUT, "W").string(NODE_INPUT, "R").string(NODE_INPUT, "B")
                .string(NODE_OUTPUT, "Y").string(NODE_OUTPUT, "Y_h");
        if (stateInputs) {
            node.string(NODE_INPUT, "").string(NODE_INPUT, "initial_h");  // "": no sequence_lens
            if (c.cell() == Cases.Cell.LSTM) node.string(NODE_INPUT, "initial_c");
        }
        if (c.cell() == Cases.Cell.LSTM) node.string(NODE_OUTPUT, "Y_c");
        node.string(NODE_NAME, "rnn").string(NODE_OP_TYPE, op).message(NODE_ATTRIBUTE, intAttribute("hidden_size", H));
        if (c.cell() == Cases.Cell.GRU) node.message(NODE_ATTRIBUTE, intAttribute("linear_before_reset", 1));
        // activations and direction stay at their defaults: sigmoid/tanh(/tanh), tanh for the RNN, forward

        ProtoWriter graph = new ProtoWriter()
                .message(GRAPH_NODE, node)
                .string(GRAPH_NAME, c.name())
                .message(GRAPH_INITIALIZER, tensor("W", wOnnx, 1, G * H, I))
                .message(GRAPH_INITIALIZER, tensor("R", rOnnx, 1, G * H, H))
                .message(GRAPH_INITIALIZER, tensor("B", bOnnx, 1, 2 * G * H))
                .message(GRAPH_INPUT, valueInfo("X", T, B, I))
                .message(GRAPH_OUTPUT, valueInfo("Y", T, 1, B, H))
                .message(GRAPH_OUTPUT, valueInfo("Y_h", 1, B, H));
        if (stateInputs) {
            graph.message(GRAPH_INPUT, valueInfo("initial_h", 1, B, H));
            if (c.cell() == Cases.Cell.LSTM) graph.message(GRAPH_INPUT, valueInfo("initial_c", 1, B, H));
        }
        if (c.cell() == Cases.Cell.LSTM) graph.message(GRAPH_OUTPUT, valueInfo("Y_c", 1, B, H));

        return new ProtoWriter()
                .varint(MODEL_IR_VERSION, IR_VERSION)
                .string(MODEL_PRODUCER_NAME, "jrnn-bench")
                .message(MODEL_GRAPH, graph)
                .message(MODEL_OPSET_IMPORT, new ProtoWriter().string(OPSET_DOMAIN, "").varint(OPSET_VERSION, OPSET))
                .toByteArray();
    }

    /**
     * One {@code com.microsoft.DynamicQuantizeLSTM} node (ONNX Runtime's int8 LSTM, what its quantization tool
     * makes of an LSTM) with the case's weights: the LSTM op's inputs, but W and R int8 and transposed against it,
     * {@code W[1, I, 4H]} and {@code R[1, H, 4H]} (gate blocks i,o,f,c along the last axis), each column (output
     * channel) quantized symmetrically to ±127 with its own scale {@code max|w| / 127} and zero point 0 ({@code
     * W_scale}, {@code R_scale} float {@code [1, 4H]}, zero points int8 {@code [1, 4H]}); {@code B[1, 8H]} float.
     * The op quantizes X and h to uint8 per step itself. Inputs in the schema's order: X, W, R, B, sequence_lens,
     * initial_h, initial_c, P (the four optional ones empty), W_scale, W_zero_point, R_scale, R_zero_point. Opsets
     * "" 14 and "com.microsoft" 1.
     */
    static byte[] buildDynamicQuantizeLstm(Case c, Weights w) {
        if (c.cell() != Cases.Cell.LSTM) throw new IllegalArgumentException(c.name() + " is not an LSTM");
        final int H = c.hidden(), I = c.input(), T = c.steps(), B = c.batch(), G4 = 4 * H;
        int[] order = onnxGateOrder(c.cell());
        Quantized wq = quantizeColumns(reorder(w.wIh(), H * I, order), G4, I);
        Quantized rq = quantizeColumns(reorder(w.wHh(), H * H, order), G4, H);
        float[] bOnnx = new float[2 * G4];
        System.arraycopy(reorder(w.bIh(), H, order), 0, bOnnx, 0, G4);
        System.arraycopy(reorder(w.bHh(), H, order), 0, bOnnx, G4, G4);
        byte[] zeroPoints = new byte[G4];

        ProtoWriter node = new ProtoWriter();
        for (String in : new String[] {"X", "W", "R", "B", "", "", "", "", "W_scale", "W_zero_point", "R_scale",
                "R_zero_point"}) {
            node.string(NODE_INPUT, in);
        }
        node.string(NODE_OUTPUT, "Y").string(NODE_OUTPUT, "Y_h").string(NODE_OUTPUT, "Y_c")
                .string(NODE_NAME, "rnn").string(NODE_OP_TYPE, "DynamicQuantizeLSTM")
                .message(NODE_ATTRIBUTE, intAttribute("hidden_size", H))
                .string(NODE_DOMAIN, MS_DOMAIN);

        ProtoWriter graph = new ProtoWriter()
                .message(GRAPH_NODE, node)
                .string(GRAPH_NAME, c.name() + "-dqlstm")
                .message(GRAPH_INITIALIZER, tensor("W", INT8, wq.values, 1, I, G4))
                .message(GRAPH_INITIALIZER, tensor("R", INT8, rq.values, 1, H, G4))
                .message(GRAPH_INITIALIZER, tensor("B", bOnnx, 1, 2 * G4))
                .message(GRAPH_INITIALIZER, tensor("W_scale", wq.scales, 1, G4))
                .message(GRAPH_INITIALIZER, tensor("W_zero_point", INT8, zeroPoints, 1, G4))
                .message(GRAPH_INITIALIZER, tensor("R_scale", rq.scales, 1, G4))
                .message(GRAPH_INITIALIZER, tensor("R_zero_point", INT8, zeroPoints, 1, G4))
                .message(GRAPH_INPUT, valueInfo("X", T, B, I))
                .message(GRAPH_OUTPUT, valueInfo("Y", T, 1, B, H))
                .message(GRAPH_OUTPUT, valueInfo("Y_h", 1, B, H))
                .message(GRAPH_OUTPUT, valueInfo("Y_c", 1, B, H));

        return new ProtoWriter()
                .varint(MODEL_IR_VERSION, IR_VERSION)
                .string(MODEL_PRODUCER_NAME, "jrnn-bench")
                .message(MODEL_GRAPH, graph)
                .message(MODEL_OPSET_IMPORT, new ProtoWriter().string(OPSET_DOMAIN, "").varint(OPSET_VERSION, OPSET))
                .message(MODEL_OPSET_IMPORT, new ProtoWriter().string(OPSET_DOMAIN, MS_DOMAIN)
                        .varint(OPSET_VERSION, MS_OPSET))
                .toByteArray();
    }

    /** int8 values {@code [cols, rows]} (the transpose of the input) and one scale per input row. */
    record Quantized(byte[] values, float[] scales) {}

    /**
     * Transposes {@code m[rows, cols]} to {@code [cols, rows]} and quantizes each of its columns (a row of m, one
     * output channel) symmetrically: scale = max|m[r,:]| / 127 (1 for an all-zero row), q = round-half-even(m /
     * scale) in [-127, 127].
     */
    static Quantized quantizeColumns(float[] m, int rows, int cols) {
        if (m.length != rows * cols) throw new IllegalArgumentException("size mismatch");
        byte[] q = new byte[rows * cols];
        float[] scales = new float[rows];
        for (int r = 0; r < rows; r++) {
            float max = 0;
            for (int k = 0; k < cols; k++) max = Math.max(max, Math.abs(m[r * cols + k]));
            float scale = max > 0 ? max / 127f : 1f;
            scales[r] = scale;
            for (int k = 0; k < cols; k++) {
                long v = (long) Math.rint(m[r * cols + k] / scale);
                q[k * rows + r] = (byte) Math.max(-127, Math.min(127, v));
            }
        }
        return new Quantized(q, scales);
    }

    /** Moves blocks of {@code blockSize} floats: block j of the result is block {@code order[j]} of src. */
    static float[] reorder(float[] src, int blockSize, int[] order) {
        if (src.length != blockSize * order.length) throw new IllegalArgumentException("size mismatch");
        float[] dst = new float[src.length];
        for (int j = 0; j < order.length; j++) {
            System.arraycopy(src, order[j] * blockSize, dst, j * blockSize, blockSize);
        }
        return dst;
    }

    private static ProtoWriter intAttribute(String name, long value) {
        return new ProtoWriter().string(ATTR_NAME, name).varint(ATTR_I, value).varint(ATTR_TYPE, ATTR_TYPE_INT);
    }

    private static ProtoWriter tensor(String name, float[] data, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(data);
        return tensor(name, FLOAT, raw.array(), dims);
    }

    /** A tensor of the given TensorProto data type from its little-endian bytes ({@code raw_data}). */
    private static ProtoWriter tensor(String name, int dataType, byte[] raw, long... dims) {
        return new ProtoWriter()
                .packedVarints(TENSOR_DIMS, dims)
                .varint(TENSOR_DATA_TYPE, dataType)
                .string(TENSOR_NAME, name)
                .bytes(TENSOR_RAW_DATA, raw);
    }

    private static ProtoWriter valueInfo(String name, long... dims) {
        ProtoWriter shape = new ProtoWriter();
        for (long d : dims) shape.message(SHAPE_DIM, new ProtoWriter().varint(DIM_VALUE, d));
        ProtoWriter tensorType = new ProtoWriter()
                .varint(TYPE_TENSOR_ELEM_TYPE, FLOAT)
                .message(TYPE_TENSOR_SHAPE, shape);
        return new ProtoWriter()
                .string(VALUE_INFO_NAME, name)
                .message(VALUE_INFO_TYPE, new ProtoWriter().message(TYPE_TENSOR_TYPE, tensorType));
    }
}
