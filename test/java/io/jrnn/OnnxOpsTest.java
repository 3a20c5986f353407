package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jrnn.internal.onnx.OnnxIr.AttributeProto;
import io.jrnn.internal.onnx.OnnxIr.GraphProto;
import io.jrnn.internal.onnx.OnnxIr.ModelProto;
import io.jrnn.internal.onnx.OnnxIr.NodeProto;
import io.jrnn.internal.onnx.OnnxIr.OperatorSetIdProto;
import io.jrnn.internal.onnx.OnnxIr.TensorProto;
import io.jrnn.internal.onnx.OnnxIr.TensorShapeProto;
import io.jrnn.internal.onnx.OnnxIr.TypeProto;
import io.jrnn.internal.onnx.OnnxIr.ValueInfoProto;

/**
 * The glue ops the golden models do not exercise (Cast, Dropout, Expand, Identity, Tanh/Relu/Sigmoid, general
 * MatMul and Gemm, Softmax on an inner axis, the opset &lt; 13 forms of Squeeze/Unsqueeze/Slice/Softmax), each on a
 * one-node graph with values worked out by hand.
 */
class OnnxOpsTest {
    @TempDir
    Path tmp;

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    private static AttributeProto i(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto f(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    private static ValueInfoProto viAny(String name, int type) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(type))).build();
    }

    private static TensorProto floats(String name, float[] v, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1);
        for (long d : dims) t.addDims(d);
        for (float x : v) t.addFloatData(x);
        return t.build();
    }

    /** One node reading x (and initializers), writing y; returns y for the given x. */
    private float[] run1(int opset, NodeProto node, float[] x, int[] xShape, int[] yShape, TensorProto... inits)
            throws IOException {
        GraphProto.Builder g = GraphProto.newBuilder().setName("t").addNode(node).addInput(viAny("x", 1))
                .addOutput(viAny("y", 1));
        for (TensorProto t : inits) g.addInitializer(t);
        Path p = tmp.resolve("m" + System.nanoTime() + ".onnx");
        Files.write(p, ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).build().toByteArray());
        try (OnnxModel m = OnnxModel.load(p); Tensor xt = Tensor.of(x, xShape);
             OnnxModel.Result r = m.run(Map.of("x", xt))) {
            assertArrayEquals(yShape, r.get("y").shape());
            return r.get("y").toArray();
        }
    }

    private static NodeProto node(String op, String[] in, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase()).addOutput("y");
        for (String s : in) n.addInput(s);
        for (AttributeProto a : attrs) n.addAttribute(a);
        return n.build();
    }

    @Test
    void elementwise() throws IOException {
        float[] x = {-1f, 0f, 2f};
        assertArrayEquals(new float[] {0f, 0f, 2f}, run1(14, node("Relu", new String[] {"x"}), x, new int[] {3},
                new int[] {3}));
        assertArrayEquals(new float[] {(float) Math.tanh(-1), 0f, (float) Math.tanh(2)},
                run1(14, node("Tanh", new String[] {"x"}), x, new int[] {3}, new int[] {3}), 1e-7f);
        assertArrayEquals(new float[] {(float) (1 / (1 + Math.E)), 0.5f, (float) (1 / (1 + Math.exp(-2)))},
                run1(14, node("Sigmoid", new String[] {"x"}), x, new int[] {3}, new int[] {3}), 1e-7f);
        assertArrayEquals(x, run1(14, node("Identity", new String[] {"x"}), x, new int[] {3}, new int[] {3}));
        assertArrayEquals(x, run1(13, node("Dropout", new String[] {"x"}), x, new int[] {3}, new int[] {3}));
        // Cast to int32 truncates toward zero, then back: the output is the graph's float view of the ints
        assertArrayEquals(new float[] {-1f, 0f, 2f, -2f}, run1(14, node("Cast", new String[] {"x"}, i("to", 6)),
                new float[] {-1.7f, 0.2f, 2.9f, -2.2f}, new int[] {4}, new int[] {4}));
    }

    @Test
    void shapes() throws IOException {
        float[] x = {1, 2, 3, 4, 5, 6};
        TensorProto shape = TensorProto.newBuilder().setName("s").setDataType(7).addDims(3).addInt64Data(2)
                .addInt64Data(2).addInt64Data(3).build();
        TensorProto shape2 = TensorProto.newBuilder().setName("s").setDataType(7).addDims(3).addInt64Data(2)
                .addInt64Data(1).addInt64Data(3).build();
        // Expand [1,3] → [2,1,3] broadcast to [2,2,3]
        float[] e = run1(14, node("Expand", new String[] {"x", "s"}), new float[] {1, 2, 3}, new int[] {1, 3},
                new int[] {2, 2, 3}, shape);
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}, e);
        assertEquals(6, run1(14, node("Expand", new String[] {"x", "s"}), x, new int[] {2, 3}, new int[] {2, 2, 3},
                shape2).length / 2);
        // opset 11 forms: attributes
        assertArrayEquals(x, run1(11, node("Unsqueeze", new String[] {"x"}, ints("axes", 0, 3)), x, new int[] {2, 3},
                new int[] {1, 2, 3, 1}));
        assertArrayEquals(x, run1(11, node("Squeeze", new String[] {"x"}, ints("axes", 1)), x, new int[] {2, 1, 3},
                new int[] {2, 3}));
        assertArrayEquals(new float[] {2, 5}, run1(9, node("Slice", new String[] {"x"}, ints("starts", 1),
                ints("ends", 2), ints("axes", 1)), x, new int[] {2, 3}, new int[] {2, 1}));
        // Slice with a negative step (opset 13: inputs)
        TensorProto st = TensorProto.newBuilder().setName("st").setDataType(7).addDims(1).addInt64Data(-1).build();
        TensorProto en = TensorProto.newBuilder().setName("en").setDataType(7).addDims(1).addInt64Data(Long.MIN_VALUE)
                .build();
        TensorProto ax = TensorProto.newBuilder().setName("ax").setDataType(7).addDims(1).addInt64Data(1).build();
        TensorProto sp = TensorProto.newBuilder().setName("sp").setDataType(7).addDims(1).addInt64Data(-1).build();
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, run1(13, node("Slice", new String[] {"x", "st", "en", "ax",
                "sp"}), x, new int[] {2, 3}, new int[] {2, 3}, st, en, ax, sp));
        // Transpose without perm reverses the axes
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, run1(14, node("Transpose", new String[] {"x"}), x,
                new int[] {2, 3}, new int[] {3, 2}));
    }

    @Test
    void products() throws IOException {
        float[] x = {1, 2, 3, 4, 5, 6};                          // [2,3]
        TensorProto w = floats("w", new float[] {1, 0, 0, 1, 1, 1}, 3, 2); // [3,2]
        assertArrayEquals(new float[] {4, 5, 10, 11}, run1(14, node("MatMul", new String[] {"x", "w"}), x,
                new int[] {2, 3}, new int[] {2, 2}, w));
        // MatMul of two graph values (x · x^T is not expressible with one input; use a constant A and input B)
        TensorProto a = floats("a", new float[] {1, 1}, 1, 2);   // [1,2] · x[2,3]
        assertArrayEquals(new float[] {5, 7, 9}, run1(14, node("MatMul", new String[] {"a", "x"}), x,
                new int[] {2, 3}, new int[] {1, 3}, a));
        // Gemm: alpha·x·w^T (transB) + beta·c
        TensorProto wt = floats("wt", new float[] {1, 0, 1, 0, 1, 1}, 2, 3);
        TensorProto c = floats("c", new float[] {1, -1}, 2);
        assertArrayEquals(new float[] {2 * 4 + 3, 2 * 5 - 3, 2 * 10 + 3, 2 * 11 - 3}, run1(14, node("Gemm",
                new String[] {"x", "wt", "c"}, i("transB", 1), f("alpha", 2f), f("beta", 3f)), x, new int[] {2, 3},
                new int[] {2, 2}, wt, c));
        // Gemm with transA on the Linear path: x^T [3,2] · w2 [2,1]
        TensorProto w2 = floats("w2", new float[] {1, 10}, 2, 1);
        assertArrayEquals(new float[] {41, 52, 63}, run1(14, node("Gemm", new String[] {"x", "w2"}, i("transA", 1)),
                x, new int[] {2, 3}, new int[] {3, 1}, w2));
    }

    @Test
    void softmaxAxes() throws IOException {
        float[] x = {0, 0, 1, 1};
        // opset 13, axis 0 of [2,2]: columns
        float[] y = run1(13, node("Softmax", new String[] {"x"}, i("axis", 0)), x, new int[] {2, 2}, new int[] {2, 2});
        float p = (float) (1 / (1 + Math.E));
        assertArrayEquals(new float[] {p, p, 1 - p, 1 - p}, y, 1e-6f);
        // opset 11, axis 0: the whole tensor is one row
        float[] z = run1(11, node("Softmax", new String[] {"x"}, i("axis", 0)), x, new int[] {2, 2}, new int[] {2, 2});
        float q = (float) (1 / (2 + 2 * Math.E));
        assertArrayEquals(new float[] {q, q, (float) (Math.E * q), (float) (Math.E * q)}, z, 1e-6f);
        float[] l = run1(13, node("LogSoftmax", new String[] {"x"}), x, new int[] {2, 2}, new int[] {2, 2});
        assertArrayEquals(new float[] {(float) -Math.log(2), (float) -Math.log(2), (float) -Math.log(2),
                (float) -Math.log(2)}, l, 1e-6f);
    }

    @Test
    void refusals() {
        IOException e = assertThrows(IOException.class, () -> run1(13, node("Dropout", new String[] {"x", "", "tm"}),
                new float[] {1}, new int[] {1}, new int[] {1}, TensorProto.newBuilder().setName("tm").setDataType(9)
                        .addInt32Data(1).build()));
        assertTrue(e.getMessage().contains("training_mode"), e.getMessage());
        IOException g = assertThrows(IOException.class, () -> run1(14, node("LSTM", new String[] {"x", "w"},
                i("hidden_size", 2)), new float[] {1}, new int[] {1, 1, 1}, new int[] {1}, floats("w", new float[8], 1,
                8, 1)));
        assertTrue(g.getMessage().contains("needs inputs X, W and R"), g.getMessage());
        IOException act = assertThrows(IOException.class, () -> {
            AttributeProto acts = AttributeProto.newBuilder().setName("activations")
                    .setType(AttributeProto.AttributeType.STRINGS)
                    .addStrings(com.google.protobuf.ByteString.copyFromUtf8("Gelu")).build();
            run1(14, node("RNN", new String[] {"x", "w", "r"}, i("hidden_size", 1), acts), new float[] {1},
                    new int[] {1, 1, 1}, new int[] {1}, floats("w", new float[] {1}, 1, 1, 1),
                    floats("r", new float[] {1}, 1, 1, 1));
        });
        assertTrue(act.getMessage().contains("Gelu") && act.getMessage().contains("ScaledTanh"), act.getMessage());
    }
}
