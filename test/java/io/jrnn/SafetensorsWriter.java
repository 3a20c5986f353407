package io.jrnn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-only writer of safetensors files, as {@code safetensors.torch.save_file} lays them out: an 8-byte
 * little-endian header length, a JSON header (padded with spaces to a multiple of 8) holding {@code __metadata__}
 * and, per tensor, its dtype, shape and {@code data_offsets}, then the little-endian data, tensors contiguous in the
 * order added.
 *
 * <pre>{@code
 * new SafetensorsWriter().f32("rnn.weight_ih_l0", w, 12, 5).i64("lengths", new long[] {3, 1}, 2)
 *         .meta("cell", "lstm").write(dir.resolve("m.safetensors"));
 * }</pre>
 *
 * <p>The one safetensors writer of the tests (public so that tests in other packages use it too). Not thread-safe;
 * one writer per file.
 */
public final class SafetensorsWriter {
    private record Item(String name, String dtype, long[] shape, byte[] data) {}

    private final List<Item> items = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** A float32 tensor; {@code data.length} must equal the product of {@code shape}. */
    public SafetensorsWriter f32(String name, float[] data, int... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer b = le(4L * data.length);
        for (float v : data) b.putFloat(v);
        return add(name, "F32", b.array(), shape);
    }

    /** A float64 tensor (the library converts it to float32 on access). */
    SafetensorsWriter f64(String name, double[] data, int... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer b = le(8L * data.length);
        for (double v : data) b.putDouble(v);
        return add(name, "F64", b.array(), shape);
    }

    /** An int64 tensor (what PyTorch writes for {@code torch.long} buffers such as lengths). */
    SafetensorsWriter i64(String name, long[] data, int... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer b = le(8L * data.length);
        for (long v : data) b.putLong(v);
        return add(name, "I64", b.array(), shape);
    }

    /** An int64 tensor from ints. */
    SafetensorsWriter i64(String name, int[] data, int... shape) {
        return i64(name, Arrays.stream(data).asLongStream().toArray(), shape);
    }

    /** An int32 tensor. */
    SafetensorsWriter i32(String name, int[] data, int... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer b = le(4L * data.length);
        for (int v : data) b.putInt(v);
        return add(name, "I32", b.array(), shape);
    }

    /** A tensor of any dtype from raw little-endian bytes (not checked against the shape: for malformed files). */
    SafetensorsWriter raw(String name, String dtype, byte[] data, int... shape) {
        return add(name, dtype, data.clone(), shape);
    }

    /** A {@code __metadata__} entry (string to string, as the format requires). */
    public SafetensorsWriter meta(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** All metadata entries. */
    SafetensorsWriter meta(Map<String, String> entries) {
        metadata.putAll(entries);
        return this;
    }

    /** The JSON header, unpadded. */
    String header() {
        StringBuilder sb = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            sb.append("\"__metadata__\":{");
            String sep = "";
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                sb.append(sep).append(json(e.getKey())).append(':').append(json(e.getValue()));
                sep = ",";
            }
            sb.append('}');
            if (!items.isEmpty()) sb.append(',');
        }
        long offset = 0;
        String sep = "";
        for (Item t : items) {
            long end = offset + t.data.length;
            sb.append(sep).append(json(t.name)).append(":{\"dtype\":").append(json(t.dtype)).append(",\"shape\":[");
            for (int i = 0; i < t.shape.length; i++) sb.append(i > 0 ? "," : "").append(t.shape[i]);
            sb.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
            sep = ",";
        }
        return sb.append('}').toString();
    }

    /** The whole file. */
    byte[] bytes() {
        byte[] h = header().getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        long dataBytes = items.stream().mapToLong(t -> t.data.length).sum();
        ByteBuffer b = le(8L + padded + dataBytes);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) b.put((byte) ' ');
        for (Item t : items) b.put(t.data);
        return b.array();
    }

    /** Writes the file and returns its path. */
    public Path write(Path file) {
        try {
            return Files.write(file, bytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- helpers ----

    private SafetensorsWriter add(String name, String dtype, byte[] data, int[] shape) {
        if (name == null || items.stream().anyMatch(t -> t.name.equals(name))) {
            throw new IllegalArgumentException("tensor name must be new and non-null: " + name);
        }
        items.add(new Item(name, dtype, Arrays.stream(shape).asLongStream().toArray(), data));
        return this;
    }

    private static void checkCount(String name, int count, int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n != count) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + n
                    + " elements, data has " + count);
        }
    }

    private static ByteBuffer le(long n) {
        return ByteBuffer.allocate(Math.toIntExact(n)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A JSON string literal (escapes quotes, backslashes and control characters). */
    static String json(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
