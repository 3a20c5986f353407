package io.jrnn.flink;

import java.io.IOException;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * How the jrnn-flink serializers write a float array: its length (an int; -1 for null where a record allows it),
 * then each element's raw bits (so NaN payloads and -0 survive). Shared by the record serializers and the recurrent
 * state's.
 */
final class FloatArrays {
    private FloatArrays() {}

    static void writeElements(float[] v, DataOutputView out) throws IOException {
        for (float f : v) out.writeInt(Float.floatToRawIntBits(f));
    }

    static float[] readElements(int n, DataInputView in) throws IOException {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = Float.intBitsToFloat(in.readInt());
        return v;
    }

    /** The length, -1 for null, then the elements. */
    static void write(float[] v, DataOutputView out) throws IOException {
        if (v == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(v.length);
        writeElements(v, out);
    }

    static float[] read(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < -1) throw new IOException("corrupt record: float array of length " + n);
        return n == -1 ? null : readElements(n, in);
    }

    /** One array as {@link #write} wrote it, from in to out without decoding its elements. */
    static void copy(DataInputView in, DataOutputView out) throws IOException {
        int n = in.readInt();
        out.writeInt(n);
        if (n > 0) out.write(in, 4 * n);
    }
}
