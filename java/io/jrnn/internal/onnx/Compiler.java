package io.jrnn.internal.onnx;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import io.jrnn.Embedding;
import io.jrnn.Linear;
import io.jrnn.Precision;
import io.jrnn.StateDict;
import io.jrnn.Tensor;

/**
 * One ONNX node → an {@link Op}: its attributes and constant inputs checked (an {@link IOException} naming the node
 * otherwise), native jrnn layers built for the heavy ones.
 *
 * <p>Thread safety: stateless.
 */
final class Compiler {
    private Compiler() {
    }

    static Op compile(String type, String node, Attrs a, Value[] c, boolean[] given, boolean[] want, long opset,
            Precision precision, Path dir, Graph.Fusion fusion) throws IOException {
        switch (type) {
            case "LSTM": return new Recurrent(node, Recurrent.Kind.LSTM, a, c, given, want, precision, fusion);
            case "GRU": return new Recurrent(node, Recurrent.Kind.GRU, a, c, given, want, precision, fusion);
            case "RNN": return new Recurrent(node, Recurrent.Kind.RNN, a, c, given, want, precision, fusion);
            case "Identity":
                need(node, given, 1, 1);
                return Op.of(node, in -> new Value[] {in[0]});
            case "Dropout": return dropout(node, a, c, given, opset);
            case "Cast": return cast(node, a, given);
            case "Constant": return constant(node, a, given, dir);
            case "ConstantOfShape": return constantOfShape(node, a, given, dir);
            case "Shape": {
                need(node, given, 1, 1);
                long start = a.i("start", 0), end = a.i("end", Long.MAX_VALUE);
                return Op.of(node, in -> {
                    int r = in[0].rank();
                    int s = (int) clampAxis(start, r), e = (int) clampAxis(end, r);
                    long[] v = new long[Math.max(0, e - s)];
                    for (int k = 0; k < v.length; k++) v[k] = in[0].shape[s + k];
                    return new Value[] {Value.ints(new int[] {v.length}, v)};
                });
            }
            case "Gather": return gather(node, a, c, given, precision);
            case "Transpose": {
                need(node, given, 1, 1);
                long[] perm = a.ints("perm");
                return Op.of(node, in -> {
                    int r = in[0].rank();
                    int[] p = new int[r];
                    for (int k = 0; k < r; k++) p[k] = perm == null ? r - 1 - k : (int) Math.max(-1, Math.min(perm.length
                            > k ? perm[k] : -1, Integer.MAX_VALUE));
                    if (perm != null && perm.length != r) {
                        throw new IllegalArgumentException(node + ": perm " + Arrays.toString(perm) + " for rank " + r);
                    }
                    return new Value[] {Ops.transpose(in[0], p, node)};
                });
            }
            case "Squeeze": case "Unsqueeze": {
                boolean un = type.equals("Unsqueeze");
                if (opset >= 13) {
                    need(node, given, un ? 2 : 1, 2);
                    return Op.of(node, in -> {
                        long[] axes = in.length > 1 && in[1] != null ? ints(in[1], node, "axes") : null;
                        if (un && axes == null) throw new IllegalArgumentException(node + ": Unsqueeze needs axes");
                        return new Value[] {un ? Ops.unsqueeze(in[0], axes, node) : Ops.squeeze(in[0], axes, node)};
                    });
                }
                need(node, given, 1, 1);
                long[] axes = a.ints("axes");
                if (un && axes == null) throw new IOException(node + ": Unsqueeze needs the axes attribute");
                return Op.of(node, in -> new Value[] {un ? Ops.unsqueeze(in[0], axes, node)
                        : Ops.squeeze(in[0], axes, node)});
            }
            case "Reshape": {
                need(node, given, 2, 2);
                boolean allowZero = a.i("allowzero", 0) != 0;
                return Op.of(node, in -> new Value[] {Ops.reshape(in[0], ints(in[1], node, "shape"), allowZero, node)});
            }
            case "Slice": {
                if (opset < 10) {
                    need(node, given, 1, 1);
                    long[] st = a.ints("starts"), en = a.ints("ends"), ax = a.ints("axes");
                    if (st == null || en == null) throw new IOException(node + ": Slice needs starts and ends");
                    return Op.of(node, in -> new Value[] {Ops.slice(in[0], st, en, ax, null, node)});
                }
                need(node, given, 3, 5);
                return Op.of(node, in -> new Value[] {Ops.slice(in[0], ints(in[1], node, "starts"),
                        ints(in[2], node, "ends"), in.length > 3 && in[3] != null ? ints(in[3], node, "axes") : null,
                        in.length > 4 && in[4] != null ? ints(in[4], node, "steps") : null, node)});
            }
            case "Concat": {
                if (!a.has("axis")) throw new IOException(node + ": Concat needs the axis attribute");
                long axis = a.i("axis", 0);
                if (given.length == 0) throw new IOException(node + ": Concat needs inputs");
                for (boolean g : given) if (!g) throw new IOException(node + ": Concat has an empty input name");
                return Op.of(node, in -> new Value[] {Ops.concat(in, axis, node)});
            }
            case "Expand":
                need(node, given, 2, 2);
                return Op.of(node, in -> new Value[] {Ops.expand(in[0], ints(in[1], node, "shape"), node)});
            case "Add":
                need(node, given, 2, 2);
                return Op.of(node, in -> new Value[] {Ops.add(in[0], in[1], node)});
            case "Tanh": case "Relu": case "Sigmoid":
                need(node, given, 1, 1);
                return Op.of(node, in -> new Value[] {Ops.unary(in[0], type, node)});
            case "Softmax": case "LogSoftmax": {
                need(node, given, 1, 1);
                boolean coerce = opset < 13, log = type.equals("LogSoftmax");
                long axis = a.i("axis", coerce ? 1 : -1);
                return Op.of(node, in -> new Value[] {Ops.softmax(in[0], axis, coerce, log, node)});
            }
            case "MatMul": return matmul(node, c, given, precision, fusion);
            case "Gemm": return gemm(node, a, c, given, precision);
            default:
                throw new IOException(node + " is not supported; the importer maps " + String.join(", ", Graph.SUPPORTED));
        }
    }

    private static long clampAxis(long v, int r) {
        if (v < 0) v += r;
        return Math.max(0, Math.min(v, r));
    }

    private static void need(String node, boolean[] given, int min, int max) throws IOException {
        int n = given.length;
        while (n > 0 && !given[n - 1]) n--;
        if (n > max || given.length > max) throw new IOException(node + " takes at most " + max + " inputs, got " + given.length);
        for (int k = 0; k < min; k++) {
            if (k >= given.length || !given[k]) throw new IOException(node + " needs input " + k + " (it takes " + min
                    + (max > min ? " to " + max : "") + " inputs)");
        }
    }

    static long[] ints(Value v, String node, String what) {
        if (v.isFloat()) throw new IllegalArgumentException(node + ": " + what + " must be an integer tensor, got " + v);
        if (v.rank() > 1) throw new IllegalArgumentException(node + ": " + what + " must be 1-D, got " + v);
        return v.i;
    }

    private static Op dropout(String node, Attrs a, Value[] c, boolean[] given, long opset) throws IOException {
        need(node, given, 1, opset >= 12 ? 3 : 1);
        if (opset < 7 && a.i("is_test", 0) == 0) throw new IOException(node + ": Dropout in training mode");
        if (given.length > 2 && given[2] && c[2] != null && c[2].asLongs().length > 0 && c[2].asLongs()[0] != 0) {
            throw new IOException(node + ": Dropout with training_mode=true (only inference is supported)");
        }
        return Op.of(node, in -> {
            if (in.length > 2 && in[2] != null && in[2].asLongs().length > 0 && in[2].asLongs()[0] != 0) {
                throw new IllegalArgumentException(node + ": Dropout with training_mode=true (only inference)");
            }
            long[] mask = new long[in[0].size()];
            Arrays.fill(mask, 1);
            return new Value[] {in[0], Value.ints(in[0].shape, mask)};
        });
    }

    private static Op cast(String node, Attrs a, boolean[] given) throws IOException {
        need(node, given, 1, 1);
        if (!a.has("to")) throw new IOException(node + ": Cast needs the to attribute");
        int to = (int) a.i("to", 0);
        if (!Tensors.isSupported(to)) throw new IOException(node + ": Cast to " + Tensors.typeName(to) + " is not supported");
        boolean toFloat = Tensors.isFloatType(to), toBool = to == Tensors.BOOL;
        return Op.of(node, in -> {
            Value v = in[0];
            if (toFloat) return new Value[] {v.isFloat() ? v : Value.floats(v.shape, v.asFloats())};
            long[] l = v.isFloat() ? v.asLongs() : v.i.clone();
            if (toBool) {
                if (v.isFloat()) for (int k = 0; k < l.length; k++) l[k] = v.fl()[k] != 0f ? 1 : 0;
                else for (int k = 0; k < l.length; k++) l[k] = l[k] != 0 ? 1 : 0;
            }
            return new Value[] {Value.ints(v.shape, l)};
        });
    }

    private static Op constant(String node, Attrs a, boolean[] given, Path dir) throws IOException {
        need(node, given, 0, 0);
        Value v;
        if (a.has("value")) v = Tensors.read(a.tensor("value"), node + ": attribute value", dir);
        else if (a.has("value_float")) v = Value.floats(new int[0], new float[] {a.f("value_float", 0)});
        else if (a.has("value_int")) v = Value.ints(new int[0], new long[] {a.i("value_int", 0)});
        else if (a.has("value_floats")) {
            float[] f = a.floats("value_floats");
            v = Value.floats(new int[] {f.length}, f);
        } else if (a.has("value_ints")) {
            long[] l = a.ints("value_ints");
            v = Value.ints(new int[] {l.length}, l);
        } else {
            throw new IOException(node + ": Constant needs value, value_float(s) or value_int(s) (sparse and string "
                    + "constants are not supported)");
        }
        Value out = v;
        return Op.of(node, in -> new Value[] {out});
    }

    private static Op constantOfShape(String node, Attrs a, boolean[] given, Path dir) throws IOException {
        need(node, given, 1, 1);
        Value fill = a.has("value") ? Tensors.read(a.tensor("value"), node + ": attribute value", dir)
                : Value.floats(new int[] {1}, new float[] {0f});
        if (fill.size() != 1) throw new IOException(node + ": ConstantOfShape value must hold one element, got " + fill);
        return Op.of(node, in -> {
            long[] s = ints(in[0], node, "shape");
            int[] shape = new int[s.length];
            for (int k = 0; k < s.length; k++) shape[k] = Ops.toInt(s[k], node, "ConstantOfShape size");
            Ops.checkGrowth(shape, node);
            int n = Value.size(shape);
            if (fill.isFloat()) {
                float[] f = new float[n];
                Arrays.fill(f, fill.fl()[0]);
                return new Value[] {Value.floats(shape, f)};
            }
            long[] l = new long[n];
            Arrays.fill(l, fill.i[0]);
            return new Value[] {Value.ints(shape, l)};
        });
    }

    private static Op gather(String node, Attrs a, Value[] c, boolean[] given, Precision precision) throws IOException {
        need(node, given, 2, 2);
        long axis = a.i("axis", 0);
        Value data = c[0];
        if (data == null || !data.isFloat() || data.rank() != 2 || (axis != 0 && axis != -2) || c[1] != null
                || data.shape[0] < 1 || data.shape[1] < 1) {
            return Op.of(node, in -> new Value[] {Ops.gather(in[0], in[1], axis, node)});
        }
        Embedding emb;
        try (Tensor w = Tensor.of(data.fl(), data.shape); StateDict sd = StateDict.of(Map.of("weight", w))) {
            emb = Embedding.load(sd, "");
        }
        int vocab = data.shape[0], dim = data.shape[1];
        return new Op(node) {
            @Override
            Value[] apply(Value[] in) {
                Value ix = in[1];
                if (ix.isFloat()) throw new IllegalArgumentException(node + ": Gather indices must be integers, got " + ix);
                int[] ids = new int[ix.size()];
                for (int k = 0; k < ids.length; k++) {
                    long v = ix.i[k];
                    if (v < -vocab || v >= vocab) {
                        throw new IllegalArgumentException(node + ": index " + v + " out of range [" + -vocab + ", "
                                + vocab + ") (rows of the embedding table)");
                    }
                    ids[k] = (int) (v < 0 ? v + vocab : v);
                }
                int[] shape = Arrays.copyOf(ix.shape, ix.rank() + 1);
                shape[ix.rank()] = dim;
                if (ids.length == 0) return new Value[] {Value.floats(shape, new float[0])};
                return new Value[] {Value.made(shape, emb.forward(ids))};
            }

            @Override
            boolean foldable() {
                return false;
            }

            @Override
            String describe() {
                return "jrnn Embedding(" + vocab + ", " + dim + ")";
            }

            @Override
            public void close() {
                emb.close();
            }
        };
    }

    /** {@code y = x W^T + b} with a constant {@code wt[N, K]} (already transposed) and bias b[N] or null. */
    private static Op linear(String node, float[] wt, int n, int k, float[] bias, Precision precision, String what) {
        Map<String, Tensor> m = new HashMap<>();
        Linear fc;
        try {
            m.put("weight", Tensor.of(wt, n, k));
            if (bias != null) m.put("bias", Tensor.of(bias, n));
            try (StateDict sd = StateDict.of(m)) {
                fc = Linear.load(sd, "", precision);
            }
        } finally {
            for (Tensor t : m.values()) t.close();
        }
        return new Op(node) {
            @Override
            Value[] apply(Value[] in) {
                Value x = in[0];
                if (!x.isFloat() || x.rank() < 1 || x.shape[x.rank() - 1] != k) {
                    throw new IllegalArgumentException(node + ": input must be float [..., " + k + "], got " + x);
                }
                int[] shape = x.shape.clone();
                shape[shape.length - 1] = n;
                if (x.size() == 0) return new Value[] {Value.floats(shape, new float[0])};
                int rows = x.size() / k;
                Tensor given = x.nat != null && !x.nat.isClosed() && x.nat.rank() > 0
                        && x.nat.dim(x.nat.rank() - 1) == k ? x.nat : null; // rows are rows whatever the leading shape
                if (given != null) return new Value[] {Value.made(shape, fc.forward(given))};
                try (Tensor xt = Tensor.of(x.fl(), rows, k)) {
                    return new Value[] {Value.made(shape, fc.forward(xt))};
                }
            }

            @Override
            boolean foldable() {
                return false;
            }

            @Override
            String describe() {
                return "jrnn Linear(" + k + " -> " + n + what + ")";
            }

            @Override
            public void close() {
                fc.close();
            }
        };
    }

    private static float[] transpose2(float[] b, int rows, int cols, float scale) {
        float[] t = new float[rows * cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = b[i * cols + j] * scale;
        return t;
    }

    private static Op matmul(String node, Value[] c, boolean[] given, Precision precision, Graph.Fusion fusion) throws IOException {
        need(node, given, 2, 2);
        Value b = c[1];
        if (c[0] != null || b == null || !b.isFloat() || b.rank() != 2 || b.shape[0] < 1 || b.shape[1] < 1) {
            return Op.of(node, in -> new Value[] {Ops.matmul(in[0], in[1], node)});
        }
        int k = b.shape[0], n = b.shape[1];
        float[] bias = null;
        Value bv = fusion.bias;
        fusion.absorbedAdd = false;
        if (fusion.addNode != null && bv != null && bv.isFloat() && bv.rank() == 1 && bv.shape[0] == n) {
            bias = bv.fl();
            fusion.absorbedAdd = true;
        }
        return linear(node, transpose2(b.fl(), k, n, 1f), n, k, bias, precision, bias != null ? ", with the Add after it"
                : "");
    }

    private static Op gemm(String node, Attrs a, Value[] c, boolean[] given, Precision precision) throws IOException {
        need(node, given, 2, 3);
        float alpha = a.f("alpha", 1f), beta = a.f("beta", 1f);
        boolean transA = a.i("transA", 0) != 0, transB = a.i("transB", 0) != 0;
        Value b = c[1], bc = given.length > 2 && given[2] ? c[2] : null;
        boolean cGiven = given.length > 2 && given[2];
        if (c[0] == null && b != null && b.isFloat() && b.rank() == 2 && b.shape[0] > 0 && b.shape[1] > 0
                && (!cGiven || bc != null && bc.isFloat() && (bc.size() == 1 || bc.size() == (transB ? b.shape[0]
                : b.shape[1])) && bc.rank() <= 2 && (bc.rank() < 2 || bc.shape[0] == 1))) {
            int k = transB ? b.shape[1] : b.shape[0], n = transB ? b.shape[0] : b.shape[1];
            float[] wt = transB ? scale(b.fl(), alpha) : transpose2(b.fl(), k, n, alpha);
            float[] bias = null;
            if (cGiven) {
                bias = new float[n];
                for (int j = 0; j < n; j++) bias[j] = beta * bc.fl()[bc.size() == 1 ? 0 : j];
            }
            Op fc = linear(node, wt, n, k, bias, precision, "");
            return checked2d(fc, node, transA);
        }
        return Op.of(node, in -> {
            if (in[0].rank() != 2 || in[1].rank() != 2) {
                throw new IllegalArgumentException(node + ": Gemm takes 2-D A and B, got " + in[0] + " and " + in[1]);
            }
            Value x = transA ? Ops.transpose(in[0], new int[] {1, 0}, node) : in[0];
            Value w = transB ? Ops.transpose(in[1], new int[] {1, 0}, node) : in[1];
            Value y = Ops.matmul(x, w, node);
            if (alpha != 1f) y = Value.floats(y.shape, scale(y.fl(), alpha));
            if (in.length > 2 && in[2] != null) {
                Value cc = in[2].isFloat() ? in[2] : Value.floats(in[2].shape, in[2].asFloats());
                y = Ops.add(y, Value.floats(cc.shape, scale(cc.fl(), beta)), node);
            }
            return new Value[] {y};
        });
    }

    // The Linear of a Gemm on a constant B: A must be 2-D, and is transposed first when transA is set.
    private static Op checked2d(Op fc, String node, boolean transA) {
        return new Op(node) {
            @Override
            Value[] apply(Value[] in) {
                if (in[0].rank() != 2) throw new IllegalArgumentException(node + ": Gemm A must be 2-D, got " + in[0]);
                return fc.apply(transA ? new Value[] {Ops.transpose(in[0], new int[] {1, 0}, node)} : in);
            }

            @Override
            boolean foldable() {
                return false;
            }

            @Override
            String describe() {
                return fc.describe();
            }

            @Override
            public void close() {
                fc.close();
            }
        };
    }

    private static float[] scale(float[] v, float s) {
        float[] o = v.clone();
        if (s != 1f) for (int k = 0; k < o.length; k++) o[k] *= s;
        return o;
    }
}
