package io.jrnn.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The validated header of a safetensors file: one {@link Entry} per tensor and the optional string metadata.
 *
 * <p>File layout: an 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON (an object mapping
 * tensor names to {@code {"dtype", "shape", "data_offsets": [begin, end]}} plus an optional {@code "__metadata__"}
 * object of strings; may be padded with trailing spaces), then the data section. Offsets are relative to the
 * data section.
 *
 * <p>Validation follows the reference implementation (huggingface/safetensors): header at most
 * {@value #MAX_HEADER_BYTES} bytes, dtype from the format's list, byte size equal to elements × dtype size, and
 * the tensors, sorted by offset, must tile the data section exactly (no overlap, no gap, nothing left over).
 * Keys of a tensor entry other than the three above are ignored, as the reference does. Every problem is an
 * {@link IOException} naming the file and saying what was expected and what was found.
 *
 * <p>Thread safety: immutable once built.
 */
public final class SafetensorsHeader {
    /** The largest header accepted (the reference implementation's limit), so a bad length cannot exhaust memory. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** The length prefix before the JSON header. */
    public static final int PREFIX_BYTES = 8;

    private static final String METADATA_KEY = "__metadata__";

    /** The element types of the safetensors format (all of them: unknown strings are rejected at load). */
    public enum Dtype {
        BOOL(8), U8(8), I8(8), I16(16), U16(16), I32(32), U32(32), I64(64), U64(64),
        F16(16), BF16(16), F32(32), F64(64), C64(64),
        F8_E5M2(8), F8_E4M3(8), F8_E8M0(8), F8_E4M3FNUZ(8), F8_E5M2FNUZ(8),
        F4(4), F6_E2M3(6), F6_E3M2(6);

        private final int bits;

        Dtype(int bits) {
            this.bits = bits;
        }

        /** Bits per element (4 and 6 for the packed sub-byte floats). */
        public int bits() {
            return bits;
        }

        static Dtype parse(String name) {
            for (Dtype d : values()) {
                if (d.name().equals(name)) return d;
            }
            return null;
        }
    }

    /**
     * One tensor: its dtype, shape (as written; dimensions may exceed the int range), element count, and the byte
     * range {@code [begin, end)} relative to the start of the data section.
     */
    public record Entry(String name, Dtype dtype, long[] shape, long elements, long begin, long end) {
        /** A copy: entries stay immutable. */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Byte size of the data. */
        public long byteSize() {
            return end - begin;
        }

        /** The shape as written, e.g. "[2, 3]". */
        public String shapeString() {
            return Arrays.toString(shape);
        }
    }

    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsHeader(Map<String, Entry> entries, Map<String, String> metadata) {
        this.entries = entries;
        this.metadata = metadata;
    }

    /** The tensors by name, in name order (unmodifiable). */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The {@code __metadata__} strings, in file order (unmodifiable; empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Checks the length prefix (read as a signed long from the first 8 bytes) against the limit and the file size;
     * returns the header length N, so the data section starts at 8 + N.
     */
    public static int headerLength(long rawLength, long fileSize, String source) throws IOException {
        if (rawLength < 0 || rawLength > MAX_HEADER_BYTES) {
            throw new IOException(source + ": header length " + Long.toUnsignedString(rawLength)
                    + " (first 8 bytes, little-endian) exceeds the limit of " + MAX_HEADER_BYTES
                    + " bytes; not a safetensors file?");
        }
        if (rawLength > fileSize - PREFIX_BYTES) {
            throw new IOException(source + ": header length " + rawLength + " runs past the end of the file"
                    + " (expected at most " + (fileSize - PREFIX_BYTES) + ": the file has " + fileSize
                    + " bytes, 8 of them the length prefix)");
        }
        return (int) rawLength;
    }

    /**
     * Parses and validates the header bytes (from position to limit of {@code header}, not modified) for a data
     * section of {@code dataBytes} bytes.
     */
    public static SafetensorsHeader parse(ByteBuffer header, long dataBytes, String source) throws IOException {
        try {
            return parseChecked(header.duplicate(), dataBytes, source);
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException e) {
            // validation is meant to catch everything; this is the backstop that keeps "bad file => IOException"
            throw new IOException(source + ": malformed safetensors header (" + e + ")", e);
        }
    }

    private static SafetensorsHeader parseChecked(ByteBuffer header, long dataBytes, String source)
            throws IOException {
        String json = decodeUtf8(header, source);
        Object root;
        try {
            root = Json.parse(json);
        } catch (Json.SyntaxException e) {
            long byteAt = PREFIX_BYTES
                    + json.substring(0, Math.min(e.offset(), json.length())).getBytes(StandardCharsets.UTF_8).length;
            throw new IOException(source + ": header is not valid JSON: " + e.reason() + " at byte " + byteAt
                    + " of the file", e);
        }
        if (!(root instanceof Map)) {
            throw new IOException(source + ": header must be a JSON object, found " + describe(root));
        }
        Map<String, String> metadata = Collections.emptyMap();
        Map<String, Entry> byName = new TreeMap<>();
        for (Map.Entry<String, Object> kv : asMap(root).entrySet()) {
            if (kv.getKey().equals(METADATA_KEY)) {
                metadata = metadata(kv.getValue(), source);
            } else {
                byName.put(kv.getKey(), entry(kv.getKey(), kv.getValue(), dataBytes, source));
            }
        }
        checkTiling(byName, dataBytes, source);
        return new SafetensorsHeader(Collections.unmodifiableMap(new LinkedHashMap<>(byName)), metadata);
    }

    private static String decodeUtf8(ByteBuffer header, String source) throws IOException {
        int start = header.position();
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer out = CharBuffer.allocate(header.remaining()); // UTF-8 never has fewer bytes than UTF-16 chars
        CoderResult r = decoder.decode(header, out, true);
        if (r.isUnderflow()) r = decoder.flush(out);
        if (r.isError()) {
            throw new IOException(source + ": header is not valid UTF-8: malformed byte sequence at byte "
                    + (PREFIX_BYTES + header.position() - start) + " of the file");
        }
        return out.flip().toString();
    }

    private static Map<String, String> metadata(Object value, String source) throws IOException {
        if (!(value instanceof Map)) {
            throw new IOException(source + ": \"" + METADATA_KEY + "\" must be an object of strings, found "
                    + describe(value));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> kv : asMap(value).entrySet()) {
            if (!(kv.getValue() instanceof String)) {
                throw new IOException(source + ": \"" + METADATA_KEY + "\" value for key '" + kv.getKey()
                        + "' must be a string, found " + describe(kv.getValue()));
            }
            out.put(kv.getKey(), (String) kv.getValue());
        }
        return Collections.unmodifiableMap(out);
    }

    private static Entry entry(String name, Object value, long dataBytes, String source) throws IOException {
        String where = source + ": tensor '" + name + "'";
        if (!(value instanceof Map)) {
            throw new IOException(where + ": expected an object with dtype, shape and data_offsets, found "
                    + describe(value));
        }
        Map<String, Object> info = asMap(value);

        Object dtypeValue = required(info, "dtype", where);
        if (!(dtypeValue instanceof String)) {
            throw new IOException(where + ": \"dtype\" must be a string, found " + describe(dtypeValue));
        }
        Dtype dtype = Dtype.parse((String) dtypeValue);
        if (dtype == null) {
            throw new IOException(where + ": unknown dtype \"" + dtypeValue + "\" (expected one of "
                    + Arrays.toString(Dtype.values()) + ")");
        }

        long[] shape = integers(required(info, "shape", where), "shape", where);
        long[] offsets = integers(required(info, "data_offsets", where), "data_offsets", where);
        if (offsets.length != 2) {
            throw new IOException(where + ": \"data_offsets\" must be [begin, end], found a list of "
                    + offsets.length + " values");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new IOException(where + ": data_offsets [" + begin + ", " + end + "] are reversed (begin > end)");
        }
        if (end > dataBytes) {
            throw new IOException(where + ": data_offsets [" + begin + ", " + end + "] reach past the end of the"
                    + " data section (expected end <= " + dataBytes + ", the data section's size)");
        }

        long elements = 1;
        long bytes;
        try {
            for (long d : shape) elements = Math.multiplyExact(elements, d);
            long bits = Math.multiplyExact(elements, (long) dtype.bits());
            if (bits % 8 != 0) {
                throw new IOException(where + ": " + elements + " elements of " + dtype + " (" + dtype.bits()
                        + " bits each) do not fill a whole number of bytes");
            }
            bytes = bits / 8;
        } catch (ArithmeticException e) {
            throw new IOException(where + ": shape " + Arrays.toString(shape) + " of " + dtype
                    + " has a size that overflows 64 bits");
        }
        if (bytes != end - begin) {
            throw new IOException(where + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes
                    + " bytes, but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
        }
        return new Entry(name, dtype, shape, elements, begin, end);
    }

    /** The tensors sorted by offset must cover [0, dataBytes) exactly, each starting where the previous ended. */
    private static void checkTiling(Map<String, Entry> byName, long dataBytes, String source) throws IOException {
        List<Entry> sorted = new ArrayList<>(byName.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry last = null; // the entry that ends at `covered`
        for (Entry e : sorted) {
            if (e.begin() < covered) {
                throw new IOException(source + ": tensor '" + e.name() + "' data_offsets [" + e.begin() + ", "
                        + e.end() + "] overlap tensor '" + last.name() + "' at [" + last.begin() + ", " + last.end()
                        + "]");
            }
            if (e.begin() > covered) {
                throw new IOException(source + ": data section bytes [" + covered + ", " + e.begin()
                        + ") belong to no tensor (expected tensor '" + e.name() + "' to start at " + covered
                        + ", found " + e.begin() + ")");
            }
            covered = e.end();
            last = e;
        }
        if (covered != dataBytes) {
            throw new IOException(source + ": data section bytes [" + covered + ", " + dataBytes
                    + ") belong to no tensor (expected the tensors to cover all " + dataBytes + " bytes after the"
                    + " header, they cover " + covered + ")");
        }
    }

    private static Object required(Map<String, Object> info, String key, String where) throws IOException {
        if (!info.containsKey(key)) {
            throw new IOException(where + ": missing \"" + key + "\" (expected keys dtype, shape, data_offsets,"
                    + " found " + info.keySet() + ")");
        }
        return info.get(key);
    }

    private static long[] integers(Object value, String key, String where) throws IOException {
        if (!(value instanceof List)) {
            throw new IOException(where + ": \"" + key + "\" must be a list of non-negative integers, found "
                    + describe(value));
        }
        List<?> list = (List<?>) value;
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = list.get(i);
            if (!(v instanceof Long) || (Long) v < 0) {
                throw new IOException(where + ": " + key + "[" + i + "] must be a non-negative integer, found "
                        + describe(v));
            }
            out[i] = (Long) v;
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return (Map<String, Object>) o;
    }

    private static String describe(Object v) {
        if (v == null) return "null";
        if (v instanceof Map) return "an object";
        if (v instanceof List) return "a list";
        if (v instanceof String) {
            String s = (String) v;
            return "string \"" + (s.length() > 40 ? s.substring(0, 37) + "..." : s) + "\"";
        }
        if (v instanceof Boolean) return "boolean " + v;
        return "number " + v;
    }
}
