package io.jrnn.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes float32 tensors as a safetensors file, laid out as {@code safetensors.torch.save_file} does: an 8-byte
 * little-endian header length, the JSON header padded with spaces to a multiple of 8, then the tensors' bytes in
 * the order added. Names and metadata are plain ASCII here (the cases' own names), so no JSON escaping is needed.
 */
final class SafetensorsOut {
    private record Item(String name, float[] data, int[] shape) {}

    private final List<Item> items = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    SafetensorsOut f32(String name, float[] data, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n != data.length) throw new IllegalArgumentException(name + ": shape holds " + n + ", data " + data.length);
        items.add(new Item(name, data, shape.clone()));
        return this;
    }

    SafetensorsOut meta(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Writes to a temporary file beside {@code file}, then moves it in place (forks may race to write it). */
    void write(Path file) throws IOException {
        StringBuilder h = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            h.append("\"__metadata__\":{");
            String sep = "";
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                h.append(sep).append('"').append(e.getKey()).append("\":\"").append(e.getValue()).append('"');
                sep = ",";
            }
            h.append("},");
        }
        long offset = 0;
        String sep = "";
        for (Item t : items) {
            long end = offset + 4L * t.data.length;
            h.append(sep).append('"').append(t.name).append("\":{\"dtype\":\"F32\",\"shape\":[");
            for (int i = 0; i < t.shape.length; i++) h.append(i > 0 ? "," : "").append(t.shape[i]);
            h.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
            sep = ",";
        }
        if (items.isEmpty() && h.charAt(h.length() - 1) == ',') h.setLength(h.length() - 1);
        byte[] header = h.append('}').toString().getBytes(StandardCharsets.US_ASCII);
        int padded = (header.length + 7) / 8 * 8;

        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(prefix.array());
            out.write(header);
            for (int i = header.length; i < padded; i++) out.write(' ');
            for (Item t : items) {
                ByteBuffer b = ByteBuffer.allocate(4 * t.data.length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(t.data);
                out.write(b.array());
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
