package io.jrnn.internal.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import com.google.protobuf.ByteString;

import io.jrnn.internal.onnx.OnnxIr.StringStringEntryProto;
import io.jrnn.internal.onnx.OnnxIr.TensorProto;

/**
 * ONNX {@code TensorProto} → {@link Value}: the data types, raw and typed storage, and external data files (paths
 * relative to the model's folder; one that leaves the folder is rejected).
 *
 * <p>Thread safety: stateless.
 */
public final class Tensors {
    // TensorProto.DataType numbers (ONNX IR)
    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7, STRING = 8,
            BOOL = 9, FLOAT16 = 10, DOUBLE = 11, UINT32 = 12, UINT64 = 13, BFLOAT16 = 16;

    private Tensors() {
    }

    /** The name of an ONNX data type, for messages. */
    public static String typeName(int t) {
        switch (t) {
            case FLOAT: return "float";
            case UINT8: return "uint8";
            case INT8: return "int8";
            case UINT16: return "uint16";
            case INT16: return "int16";
            case INT32: return "int32";
            case INT64: return "int64";
            case STRING: return "string";
            case BOOL: return "bool";
            case FLOAT16: return "float16";
            case DOUBLE: return "double";
            case UINT32: return "uint32";
            case UINT64: return "uint64";
            case BFLOAT16: return "bfloat16";
            default: return "type " + t;
        }
    }

    static boolean isFloatType(int t) {
        return t == FLOAT || t == DOUBLE || t == FLOAT16 || t == BFLOAT16;
    }

    static boolean isSupported(int t) {
        return isFloatType(t) || t == UINT8 || t == INT8 || t == UINT16 || t == INT16 || t == INT32 || t == INT64
                || t == BOOL || t == UINT32 || t == UINT64;
    }

    private static int width(int t) {
        switch (t) {
            case UINT8: case INT8: case BOOL: return 1;
            case UINT16: case INT16: case FLOAT16: case BFLOAT16: return 2;
            case FLOAT: case INT32: case UINT32: return 4;
            default: return 8;
        }
    }

    /**
     * Converts a tensor; {@code where} names it in messages ("initializer W", "attribute value of node n").
     * {@code dir} is the model's folder, for external data (null when the model came from memory).
     */
    public static Value read(TensorProto t, String where, Path dir) throws IOException {
        int type = t.getDataType();
        if (!isSupported(type)) {
            throw new IOException(where + " has data type " + typeName(type) + "; supported: float, double, float16, "
                    + "bfloat16 and the integer and bool types");
        }
        int[] shape = new int[t.getDimsCount()];
        long n = 1;
        for (int k = 0; k < shape.length; k++) {
            long d = t.getDims(k);
            if (d < 0 || d > Integer.MAX_VALUE) throw new IOException(where + " has dimension " + k + " = " + d);
            shape[k] = (int) d;
            n *= d;
            if (n > Integer.MAX_VALUE - 16L) {
                throw new IOException(where + " has shape " + t.getDimsList() + ", more than 2^31-16 elements");
            }
        }
        int count = (int) n;
        ByteBuffer raw = null;
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            raw = external(t, where, dir, (long) count * width(type));
        } else if (t.hasRawData()) {
            ByteString bs = t.getRawData();
            if (bs.size() != (long) count * width(type)) {
                throw new IOException(where + " holds " + bs.size() + " bytes of raw data; shape " + Arrays.toString(shape)
                        + " of " + typeName(type) + " needs " + (long) count * width(type));
            }
            raw = bs.asReadOnlyByteBuffer();
        }
        if (raw != null) {
            raw.order(ByteOrder.LITTLE_ENDIAN);
            return fromRaw(raw, type, shape, count);
        }
        return fromTyped(t, type, shape, count, where);
    }

    private static Value fromRaw(ByteBuffer b, int type, int[] shape, int n) {
        if (isFloatType(type)) {
            float[] f = new float[n];
            switch (type) {
                case FLOAT: b.asFloatBuffer().get(f); break;
                case DOUBLE: for (int k = 0; k < n; k++) f[k] = (float) b.getDouble(); break;
                case FLOAT16: for (int k = 0; k < n; k++) f[k] = half(b.getShort()); break;
                default: for (int k = 0; k < n; k++) f[k] = Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
            }
            return Value.floats(shape, f);
        }
        long[] v = new long[n];
        for (int k = 0; k < n; k++) {
            switch (type) {
                case UINT8: v[k] = b.get() & 0xff; break;
                case INT8: v[k] = b.get(); break;
                case BOOL: v[k] = b.get() != 0 ? 1 : 0; break;
                case UINT16: v[k] = b.getShort() & 0xffff; break;
                case INT16: v[k] = b.getShort(); break;
                case INT32: v[k] = b.getInt(); break;
                case UINT32: v[k] = b.getInt() & 0xffffffffL; break;
                default: v[k] = b.getLong();
            }
        }
        return Value.ints(shape, v);
    }

    private static Value fromTyped(TensorProto t, int type, int[] shape, int n, String where) throws IOException {
        int have;
        switch (type) {
            case FLOAT: have = t.getFloatDataCount(); break;
            case DOUBLE: have = t.getDoubleDataCount(); break;
            case INT64: have = t.getInt64DataCount(); break;
            case UINT32: case UINT64: have = t.getUint64DataCount(); break;
            default: have = t.getInt32DataCount(); // int8/16/32, uint8/16, bool, float16, bfloat16
        }
        if (have != n) {
            throw new IOException(where + " holds " + have + " values; shape " + Arrays.toString(shape) + " needs " + n);
        }
        if (isFloatType(type)) {
            float[] f = new float[n];
            for (int k = 0; k < n; k++) {
                switch (type) {
                    case FLOAT: f[k] = t.getFloatData(k); break;
                    case DOUBLE: f[k] = (float) t.getDoubleData(k); break;
                    case FLOAT16: f[k] = half((short) t.getInt32Data(k)); break;
                    default: f[k] = Float.intBitsToFloat((t.getInt32Data(k) & 0xffff) << 16);
                }
            }
            return Value.floats(shape, f);
        }
        long[] v = new long[n];
        for (int k = 0; k < n; k++) {
            switch (type) {
                case INT64: v[k] = t.getInt64Data(k); break;
                case UINT32: case UINT64: v[k] = t.getUint64Data(k); break;
                case BOOL: v[k] = t.getInt32Data(k) != 0 ? 1 : 0; break;
                default: v[k] = t.getInt32Data(k);
            }
        }
        return Value.ints(shape, v);
    }

    /** IEEE binary16 → float. */
    static float half(short h) {
        int s = (h >> 15) & 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
        float v;
        if (e == 0) v = m * 0x1p-24f;
        else if (e == 31) v = m == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        else v = Float.intBitsToFloat(((e + 112) << 23) | (m << 13));
        return s == 0 ? v : -v;
    }

    private static ByteBuffer external(TensorProto t, String where, Path dir, long bytes) throws IOException {
        String location = null;
        long offset = 0, length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            try {
                switch (e.getKey()) {
                    case "location": location = e.getValue(); break;
                    case "offset": offset = Long.parseLong(e.getValue()); break;
                    case "length": length = Long.parseLong(e.getValue()); break;
                    default: // checksum and others: not needed to read the data
                }
            } catch (NumberFormatException x) {
                throw new IOException(where + ": external data " + e.getKey() + " must be an integer, got \""
                        + e.getValue() + "\"");
            }
        }
        if (location == null || location.isEmpty()) throw new IOException(where + ": external data has no location");
        if (dir == null) throw new IOException(where + ": external data needs the model's folder (load from a file)");
        if (offset < 0) throw new IOException(where + ": external data offset must be >= 0, got " + offset);
        if (length >= 0 && length != bytes) {
            throw new IOException(where + ": external data length " + length + " but the shape needs " + bytes + " bytes");
        }
        Path base = dir.toAbsolutePath().normalize();
        Path file;
        try {
            file = base.resolve(location).normalize();
        } catch (java.nio.file.InvalidPathException x) {
            throw new IOException(where + ": external data location \"" + location + "\" is not a path");
        }
        if (Path.of(location).isAbsolute() || !file.startsWith(base)) {
            throw new IOException(where + ": external data location \"" + location + "\" is outside the model's folder "
                    + "(only relative paths inside it are read)");
        }
        if (!Files.isRegularFile(file)) throw new IOException(where + ": external data file " + file + " not found");
        Path real = file.toRealPath(), realBase = base.toRealPath(LinkOption.NOFOLLOW_LINKS).toRealPath();
        if (!real.startsWith(realBase)) {
            throw new IOException(where + ": external data location \"" + location + "\" links outside the model's folder");
        }
        try (FileChannel ch = FileChannel.open(real, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset + bytes > size) {
                throw new IOException(where + ": external data " + location + " has " + size + " bytes; offset " + offset
                        + " + " + bytes + " bytes is past its end");
            }
            ByteBuffer b = ByteBuffer.allocate((int) bytes);
            while (b.hasRemaining()) {
                if (ch.read(b, offset + b.position()) < 0) throw new IOException(where + ": " + location + " ended early");
            }
            b.flip();
            return b;
        }
    }
}
