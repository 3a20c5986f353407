package io.jrnn.internal.onnx;

import java.util.Arrays;

/**
 * The glue ops of an imported graph, on {@link Value}s in Java: shape arithmetic and data movement that exporters
 * put around the recurrent and linear layers. Shape errors are {@link IllegalArgumentException}s naming the node.
 *
 * <p>Thread safety: stateless.
 */
final class Ops {
    private Ops() {
    }

    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int k = shape.length - 1; k >= 0; k--) {
            s[k] = acc;
            acc *= shape[k];
        }
        return s;
    }

    static int axis(long axis, int rank, String node) {
        if (axis < -rank || axis >= rank) {
            throw new IllegalArgumentException(node + ": axis " + axis + " out of range for rank " + rank);
        }
        return (int) (axis < 0 ? axis + rank : axis);
    }

    static int toInt(long v, String node, String what) {
        if (v < 0 || v > Integer.MAX_VALUE) throw new IllegalArgumentException(node + ": " + what + " " + v + " out of range");
        return (int) v;
    }

    static Value transpose(Value v, int[] perm, String node) {
        int r = v.rank();
        if (perm.length != r) {
            throw new IllegalArgumentException(node + ": perm " + Arrays.toString(perm) + " does not fit rank " + r);
        }
        boolean[] seen = new boolean[r];
        for (int p : perm) {
            if (p < 0 || p >= r || seen[p]) throw new IllegalArgumentException(node + ": perm " + Arrays.toString(perm)
                    + " is not a permutation of 0.." + (r - 1));
            seen[p] = true;
        }
        int[] out = new int[r];
        for (int k = 0; k < r; k++) out[k] = v.shape[perm[k]];
        int[] inStr = strides(v.shape);
        int[] src = new int[r]; // stride in the input of each output axis
        for (int k = 0; k < r; k++) src[k] = inStr[perm[k]];
        int n = v.size();
        int[] idx = new int[r];
        boolean isF = v.isFloat();
        float[] fo = isF ? new float[n] : null;
        long[] lo = isF ? null : new long[n];
        int off = 0;
        for (int o = 0; o < n; o++) {
            if (isF) fo[o] = v.fl()[off]; else lo[o] = v.i[off];
            for (int k = r - 1; k >= 0; k--) {
                if (++idx[k] < out[k]) {
                    off += src[k];
                    break;
                }
                off -= src[k] * (out[k] - 1);
                idx[k] = 0;
            }
        }
        return isF ? Value.floats(out, fo) : Value.ints(out, lo);
    }

    static int[] broadcast(int[] a, int[] b, String node) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int k = 0; k < r; k++) {
            int da = k - (r - a.length) >= 0 ? a[k - (r - a.length)] : 1;
            int db = k - (r - b.length) >= 0 ? b[k - (r - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(node + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast");
            }
            out[k] = da == 1 ? db : da;
        }
        return out;
    }

    /** Per output element, the offset in an input of shape {@code in} broadcast to {@code out}. */
    static int[] broadcastIndex(int[] in, int[] out) {
        int n = Value.size(out), r = out.length;
        int[] st = strides(in);
        int[] step = new int[r];
        for (int k = 0; k < r; k++) {
            int ik = k - (r - in.length);
            step[k] = ik >= 0 && in[ik] != 1 ? st[ik] : 0;
        }
        int[] map = new int[n];
        int[] idx = new int[r];
        int off = 0;
        for (int o = 0; o < n; o++) {
            map[o] = off;
            for (int k = r - 1; k >= 0; k--) {
                if (++idx[k] < out[k]) {
                    off += step[k];
                    break;
                }
                off -= step[k] * (out[k] - 1);
                idx[k] = 0;
            }
        }
        return map;
    }

    static Value add(Value a, Value b, String node) {
        if (a.isFloat() != b.isFloat()) {
            throw new IllegalArgumentException(node + ": Add of a float and an integer tensor");
        }
        int[] out = broadcast(a.shape, b.shape, node);
        int n = Value.size(out);
        if (Arrays.equals(a.shape, out) && Arrays.equals(b.shape, out)) {
            if (a.isFloat()) {
                float[] y = new float[n];
                for (int k = 0; k < n; k++) y[k] = a.fl()[k] + b.fl()[k];
                return Value.floats(out, y);
            }
            long[] y = new long[n];
            for (int k = 0; k < n; k++) y[k] = a.i[k] + b.i[k];
            return Value.ints(out, y);
        }
        int[] ma = broadcastIndex(a.shape, out), mb = broadcastIndex(b.shape, out);
        if (a.isFloat()) {
            float[] y = new float[n];
            for (int k = 0; k < n; k++) y[k] = a.fl()[ma[k]] + b.fl()[mb[k]];
            return Value.floats(out, y);
        }
        long[] y = new long[n];
        for (int k = 0; k < n; k++) y[k] = a.i[ma[k]] + b.i[mb[k]];
        return Value.ints(out, y);
    }

    static Value expand(Value v, long[] shape, String node) {
        int[] s = new int[shape.length];
        for (int k = 0; k < s.length; k++) s[k] = toInt(shape[k], node, "Expand size");
        int[] out = broadcast(v.shape, s, node);
        checkGrowth(out, node);
        int[] m = broadcastIndex(v.shape, out);
        int n = m.length;
        if (v.isFloat()) {
            float[] y = new float[n];
            for (int k = 0; k < n; k++) y[k] = v.fl()[m[k]];
            return Value.floats(out, y);
        }
        long[] y = new long[n];
        for (int k = 0; k < n; k++) y[k] = v.i[m[k]];
        return Value.ints(out, y);
    }

    /** Elements an op may create from a shape alone (Expand, ConstantOfShape): 2^28, a 1 GiB float tensor. */
    static final int MAX_MADE = 1 << 28;

    static void checkGrowth(int[] shape, String node) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n > MAX_MADE) throw new IllegalArgumentException(node + ": output shape " + Arrays.toString(shape)
                + " holds " + n + " elements, more than the " + MAX_MADE + " this importer makes from a shape");
    }

    static Value gather(Value data, Value indices, long axisAttr, String node) {
        if (indices.isFloat()) throw new IllegalArgumentException(node + ": Gather indices must be integers");
        int r = data.rank();
        if (r == 0) throw new IllegalArgumentException(node + ": Gather of a scalar");
        int axis = axis(axisAttr, r, node);
        int dim = data.shape[axis];
        int outer = 1, inner = 1;
        for (int k = 0; k < axis; k++) outer *= data.shape[k];
        for (int k = axis + 1; k < r; k++) inner *= data.shape[k];
        int[] out = new int[r - 1 + indices.rank()];
        System.arraycopy(data.shape, 0, out, 0, axis);
        System.arraycopy(indices.shape, 0, out, axis, indices.rank());
        System.arraycopy(data.shape, axis + 1, out, axis + indices.rank(), r - axis - 1);
        int m = indices.size();
        int[] idx = new int[m];
        for (int k = 0; k < m; k++) {
            long ix = indices.i[k];
            if (ix < -dim || ix >= dim) {
                throw new IllegalArgumentException(node + ": Gather index " + ix + " out of range [" + -dim + ", " + dim
                        + ") (axis " + axis + " of " + Arrays.toString(data.shape) + ")");
            }
            idx[k] = (int) (ix < 0 ? ix + dim : ix);
        }
        int n = Value.size(out);
        float[] fo = data.isFloat() ? new float[n] : null;
        long[] lo = data.isFloat() ? null : new long[n];
        int o = 0;
        for (int a = 0; a < outer; a++) {
            for (int k = 0; k < m; k++) {
                int src = (a * dim + idx[k]) * inner;
                if (fo != null) System.arraycopy(data.fl(), src, fo, o, inner); else System.arraycopy(data.i, src, lo, o, inner);
                o += inner;
            }
        }
        return fo != null ? Value.floats(out, fo) : Value.ints(out, lo);
    }

    static Value slice(Value v, long[] starts, long[] ends, long[] axes, long[] steps, String node) {
        int r = v.rank();
        if (ends.length != starts.length || (axes != null && axes.length != starts.length)
                || (steps != null && steps.length != starts.length)) {
            throw new IllegalArgumentException(node + ": Slice starts, ends, axes and steps must have equal lengths");
        }
        int[] st = new int[r], step = new int[r], cnt = v.shape.clone();
        Arrays.fill(step, 1);
        boolean[] seen = new boolean[r];
        for (int k = 0; k < starts.length; k++) {
            int ax = axis(axes == null ? k : axes[k], r, node);
            if (seen[ax]) throw new IllegalArgumentException(node + ": Slice repeats axis " + ax);
            seen[ax] = true;
            long d = v.shape[ax];
            long s = steps == null ? 1 : steps[k];
            if (s == 0) throw new IllegalArgumentException(node + ": Slice step must not be 0");
            long b = starts[k], e = ends[k];
            if (b < 0) b += d;
            if (e < 0) e += d;
            long c;
            if (s > 0) {
                b = Math.max(0, Math.min(b, d));
                e = Math.max(0, Math.min(e, d));
                c = e > b ? (e - b + s - 1) / s : 0;
            } else {
                b = Math.max(-1, Math.min(b, d - 1));
                e = Math.max(-1, Math.min(e, d - 1));
                c = b > e ? (b - e + (-s) - 1) / (-s) : 0;
            }
            if (Math.abs(s) > Integer.MAX_VALUE) s = s > 0 ? Integer.MAX_VALUE : -Integer.MAX_VALUE;
            st[ax] = (int) Math.max(b, 0);
            step[ax] = (int) s;
            cnt[ax] = (int) c;
        }
        int n = Value.size(cnt);
        int[] inStr = strides(v.shape);
        float[] fo = v.isFloat() ? new float[n] : null;
        long[] lo = v.isFloat() ? null : new long[n];
        int[] idx = new int[r];
        for (int o = 0; o < n; o++) {
            int off = 0;
            for (int k = 0; k < r; k++) off += (st[k] + idx[k] * step[k]) * inStr[k];
            if (fo != null) fo[o] = v.fl()[off]; else lo[o] = v.i[off];
            for (int k = r - 1; k >= 0; k--) {
                if (++idx[k] < cnt[k]) break;
                idx[k] = 0;
            }
        }
        return fo != null ? Value.floats(cnt, fo) : Value.ints(cnt, lo);
    }

    static Value concat(Value[] vs, long axisAttr, String node) {
        int r = vs[0].rank();
        if (r == 0) throw new IllegalArgumentException(node + ": Concat of scalars");
        int axis = axis(axisAttr, r, node);
        boolean isF = vs[0].isFloat();
        int[] out = vs[0].shape.clone();
        out[axis] = 0;
        for (Value v : vs) {
            if (v.isFloat() != isF) throw new IllegalArgumentException(node + ": Concat of float and integer tensors");
            if (v.rank() != r) throw new IllegalArgumentException(node + ": Concat inputs of ranks " + r + " and " + v.rank());
            for (int k = 0; k < r; k++) {
                if (k != axis && v.shape[k] != out[k]) {
                    throw new IllegalArgumentException(node + ": Concat of " + Arrays.toString(vs[0].shape) + " and "
                            + Arrays.toString(v.shape) + " on axis " + axis);
                }
            }
            long s = (long) out[axis] + v.shape[axis];
            if (s > Integer.MAX_VALUE) throw new IllegalArgumentException(node + ": Concat too large");
            out[axis] = (int) s;
        }
        int outer = 1;
        for (int k = 0; k < axis; k++) outer *= out[k];
        int inner = 1;
        for (int k = axis + 1; k < r; k++) inner *= out[k];
        int n = Value.size(out);
        float[] fo = isF ? new float[n] : null;
        long[] lo = isF ? null : new long[n];
        int o = 0;
        for (int a = 0; a < outer; a++) {
            for (Value v : vs) {
                int len = v.shape[axis] * inner;
                if (isF) System.arraycopy(v.fl(), a * len, fo, o, len); else System.arraycopy(v.i, a * len, lo, o, len);
                o += len;
            }
        }
        return isF ? Value.floats(out, fo) : Value.ints(out, lo);
    }

    static Value reshape(Value v, long[] shape, boolean allowZero, String node) {
        int[] out = new int[shape.length];
        int infer = -1;
        long known = 1;
        for (int k = 0; k < shape.length; k++) {
            long d = shape[k];
            if (d == -1) {
                if (infer >= 0) throw new IllegalArgumentException(node + ": Reshape with two -1 sizes");
                infer = k;
                continue;
            }
            if (d == 0 && !allowZero) {
                if (k >= v.rank()) throw new IllegalArgumentException(node + ": Reshape copies dimension " + k
                        + " of a rank-" + v.rank() + " input");
                d = v.shape[k];
            }
            if (d < 0 || d > Integer.MAX_VALUE) throw new IllegalArgumentException(node + ": Reshape size " + d);
            out[k] = (int) d;
            known *= d;
        }
        int n = v.size();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) throw new IllegalArgumentException(node + ": cannot reshape "
                    + Arrays.toString(v.shape) + " to " + Arrays.toString(shape));
            out[infer] = (int) (n / known);
            known = n;
        }
        if (known != n) {
            throw new IllegalArgumentException(node + ": cannot reshape " + Arrays.toString(v.shape) + " ("
                    + n + " values) to " + Arrays.toString(shape));
        }
        return v.reshape(out);
    }

    static Value squeeze(Value v, long[] axes, String node) {
        int r = v.rank();
        boolean[] drop = new boolean[r];
        if (axes == null) {
            for (int k = 0; k < r; k++) drop[k] = v.shape[k] == 1;
        } else {
            for (long a : axes) {
                int ax = axis(a, r, node);
                if (v.shape[ax] != 1) throw new IllegalArgumentException(node + ": Squeeze axis " + a + " of "
                        + Arrays.toString(v.shape) + " is not 1");
                drop[ax] = true;
            }
        }
        int[] out = new int[r];
        int o = 0;
        for (int k = 0; k < r; k++) if (!drop[k]) out[o++] = v.shape[k];
        return v.reshape(Arrays.copyOf(out, o));
    }

    static Value unsqueeze(Value v, long[] axes, String node) {
        int r = v.rank() + axes.length;
        boolean[] add = new boolean[r];
        for (long a : axes) {
            int ax = axis(a, r, node);
            if (add[ax]) throw new IllegalArgumentException(node + ": Unsqueeze repeats axis " + a);
            add[ax] = true;
        }
        int[] out = new int[r];
        int src = 0;
        for (int k = 0; k < r; k++) out[k] = add[k] ? 1 : v.shape[src++];
        return v.reshape(out);
    }

    /** Batched matrix product with numpy's rules (1-D operands promoted and the added axis removed). */
    static Value matmul(Value a, Value b, String node) {
        if (!a.isFloat() || !b.isFloat()) throw new IllegalArgumentException(node + ": MatMul of integer tensors");
        if (a.rank() == 0 || b.rank() == 0) throw new IllegalArgumentException(node + ": MatMul of a scalar");
        int[] as = a.rank() == 1 ? new int[] {1, a.shape[0]} : a.shape;
        int[] bs = b.rank() == 1 ? new int[] {b.shape[0], 1} : b.shape;
        int m = as[as.length - 2], k = as[as.length - 1], k2 = bs[bs.length - 2], n = bs[bs.length - 1];
        if (k != k2) throw new IllegalArgumentException(node + ": MatMul of " + Arrays.toString(a.shape) + " and "
                + Arrays.toString(b.shape) + " (inner sizes " + k + " and " + k2 + ")");
        int[] batch = broadcast(Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2), node);
        int[] ma = broadcastIndex(Arrays.copyOf(as, as.length - 2), batch);
        int[] mb = broadcastIndex(Arrays.copyOf(bs, bs.length - 2), batch);
        int nb = ma.length;
        float[] y = new float[Value.size(batch) * m * n];
        for (int q = 0; q < nb; q++) {
            int ao = ma[q] * m * k, bo = mb[q] * k * n, yo = q * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double) a.fl()[ao + i * k + p] * b.fl()[bo + p * n + j];
                    y[yo + i * n + j] = (float) s;
                }
            }
        }
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = m;
        out[batch.length + 1] = n;
        Value v = Value.floats(out, y);
        if (a.rank() == 1) v = squeeze(v, new long[] {batch.length}, node);
        if (b.rank() == 1) v = squeeze(v, new long[] {v.rank() - 1}, node);
        return v;
    }

    /**
     * Softmax or LogSoftmax along {@code axis}; {@code coerce} is the opset &lt; 13 rule (the input seen as 2-D
     * [prod(shape[:axis]), prod(shape[axis:])]).
     */
    static Value softmax(Value v, long axisAttr, boolean coerce, boolean log, String node) {
        if (!v.isFloat()) throw new IllegalArgumentException(node + ": softmax of an integer tensor");
        int r = v.rank();
        if (r == 0) return Value.floats(new int[0], new float[] {log ? 0f : 1f});
        int axis = axis(axisAttr, r, node);
        int outer = 1, len = 1, inner = 1;
        if (coerce) {
            for (int k = 0; k < axis; k++) outer *= v.shape[k];
            for (int k = axis; k < r; k++) len *= v.shape[k];
        } else {
            for (int k = 0; k < axis; k++) outer *= v.shape[k];
            len = v.shape[axis];
            for (int k = axis + 1; k < r; k++) inner *= v.shape[k];
        }
        float[] y = new float[v.size()];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * len * inner + in;
                float max = Float.NEGATIVE_INFINITY;
                for (int k = 0; k < len; k++) max = Math.max(max, v.fl()[base + k * inner]);
                double sum = 0;
                for (int k = 0; k < len; k++) sum += Math.exp(v.fl()[base + k * inner] - max);
                double lse = Math.log(sum);
                for (int k = 0; k < len; k++) {
                    double d = v.fl()[base + k * inner] - max;
                    y[base + k * inner] = (float) (log ? d - lse : Math.exp(d) / sum);
                }
            }
        }
        return Value.floats(v.shape, y);
    }

    static Value unary(Value v, String op, String node) {
        if (!v.isFloat()) throw new IllegalArgumentException(node + ": " + op + " of an integer tensor");
        float[] y = new float[v.size()];
        for (int k = 0; k < y.length; k++) {
            float x = v.fl()[k];
            switch (op) {
                case "Tanh": y[k] = (float) Math.tanh(x); break;
                case "Relu": y[k] = x > 0 ? x : (x == x ? 0f : x); break;
                default: y[k] = (float) (1.0 / (1.0 + Math.exp(-x))); // Sigmoid
            }
        }
        return Value.floats(v.shape, y);
    }
}
