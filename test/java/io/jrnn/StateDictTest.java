package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDictTest {
    @TempDir
    Path dir;

    // ---- a test-only safetensors writer ----

    /** Tensors in the order given, contiguous from offset 0; header padded with spaces to 8 bytes as safetensors does. */
    static final class Writer {
        private final List<Object[]> tensors = new ArrayList<>(); // name, dtype, shape, data
        private final Map<String, String> metadata = new LinkedHashMap<>();

        Writer add(String name, String dtype, byte[] data, long... shape) {
            tensors.add(new Object[] {name, dtype, shape, data});
            return this;
        }

        Writer f32(String name, float[] v, long... shape) {
            ByteBuffer b = le(4 * v.length);
            for (float f : v) b.putFloat(f);
            return add(name, "F32", b.array(), shape);
        }

        Writer meta(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        String header() {
            StringBuilder sb = new StringBuilder("{");
            if (!metadata.isEmpty()) {
                sb.append("\"__metadata__\":{");
                metadata.forEach((k, v) -> sb.append(str(k)).append(':').append(str(v)).append(','));
                sb.setLength(sb.length() - 1);
                sb.append("},");
            }
            long offset = 0;
            for (Object[] t : tensors) {
                long end = offset + ((byte[]) t[3]).length;
                sb.append(str((String) t[0])).append(":{\"dtype\":").append(str((String) t[1]))
                        .append(",\"shape\":").append(Arrays.toString((long[]) t[2]).replace(" ", ""))
                        .append(",\"data_offsets\":[").append(offset).append(',').append(end).append("]},");
                offset = end;
            }
            if (sb.length() > 1) sb.setLength(sb.length() - 1);
            return sb.append('}').toString();
        }

        byte[] data() {
            ByteBuffer b = ByteBuffer.allocate(tensors.stream().mapToInt(t -> ((byte[]) t[3]).length).sum());
            for (Object[] t : tensors) b.put((byte[]) t[3]);
            return b.array();
        }

        byte[] bytes() {
            return file(header(), data());
        }
    }

    /** A file from a header (padded with spaces to a multiple of 8) and data bytes. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = le(8 + padded + data.length);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) b.put((byte) ' ');
        return b.put(data).array();
    }

    /** A file with an arbitrary length prefix followed by the given bytes. */
    static byte[] rawFile(long headerLength, byte[] rest) {
        return le(8 + rest.length).putLong(headerLength).put(rest).array();
    }

    static String str(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    static byte[] shorts(int... v) {
        ByteBuffer b = le(2 * v.length);
        for (int x : v) b.putShort((short) x);
        return b.array();
    }

    static byte[] doubles(double... v) {
        ByteBuffer b = le(8 * v.length);
        for (double x : v) b.putDouble(x);
        return b.array();
    }

    static byte[] longs(long... v) {
        ByteBuffer b = le(8 * v.length);
        for (long x : v) b.putLong(x);
        return b.array();
    }

    static byte[] ints(int... v) {
        ByteBuffer b = le(4 * v.length);
        for (int x : v) b.putInt(x);
        return b.array();
    }

    static byte[] bytes(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (byte) v[i];
        return out;
    }

    private Path write(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    private static float[] read(StateDict sd, String name) {
        try (Tensor t = sd.tensor(name)) {
            return t.toArray();
        }
    }

    private static void assertBits(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            int e = Float.floatToRawIntBits(expected[i]);
            int a = Float.floatToRawIntBits(actual[i]);
            if (e != a) fail("element " + i + ": expected " + expected[i] + " (0x" + Integer.toHexString(e) + "), got "
                    + actual[i] + " (0x" + Integer.toHexString(a) + ")");
        }
    }

    // ---- reading ----

    @Test
    void readsF32WithShapeNamesAndMetadata() throws IOException {
        float[] w = {1, 2, 3, 4, 5, 6};
        Path p = write("m.safetensors", new Writer()
                .meta("format", "pt").meta("jrnn.config", "{\"a\": 1}")
                .f32("rnn.weight_ih_l0", w, 2, 3)
                .f32("rnn.bias_ih_l0", new float[] {-1.5f, 0.25f}, 2)
                .bytes());
        try (StateDict sd = StateDict.load(p)) {
            assertEquals(List.of("rnn.bias_ih_l0", "rnn.weight_ih_l0"), List.copyOf(sd.names()));
            assertTrue(sd.contains("rnn.weight_ih_l0"));
            assertFalse(sd.contains("rnn.weight_hh_l0"));
            assertArrayEquals(new int[] {2, 3}, sd.shape("rnn.weight_ih_l0"));
            assertEquals("F32", sd.dtype("rnn.weight_ih_l0"));
            assertEquals(Map.of("format", "pt", "jrnn.config", "{\"a\": 1}"), sd.metadata());
            assertThrows(UnsupportedOperationException.class, () -> sd.metadata().put("x", "y"));
            assertThrows(UnsupportedOperationException.class, () -> sd.names().clear());
            try (Tensor t = sd.tensor("rnn.weight_ih_l0")) {
                assertArrayEquals(new int[] {2, 3}, t.shape());
                assertArrayEquals(w, t.toArray());
            }
            assertArrayEquals(new float[] {-1.5f, 0.25f}, read(sd, "rnn.bias_ih_l0"));
        }
    }

    @Test
    void readsTheFormatDocumentationsExample() throws IOException {
        // the byte string of the safetensors crate's docs: length '<' (60), an unpadded header, 16 zero bytes
        String header = "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
        byte[] content = ("<\0\0\0\0\0\0\0" + header + "\0".repeat(16)).getBytes(StandardCharsets.US_ASCII);
        try (StateDict sd = StateDict.load(write("doc.safetensors", content))) {
            assertEquals("I32", sd.dtype("test"));
            assertArrayEquals(new int[] {2, 2}, sd.shape("test"));
            assertArrayEquals(new int[4], sd.ints("test"));
        }
    }

    @Test
    void scalarsEmptyTensorsAndNoMetadata() throws IOException {
        Path p = write("s.safetensors", new Writer()
                .f32("scalar", new float[] {7}) // shape []
                .f32("empty", new float[0], 0, 3)
                .add("no_ints", "I64", new byte[0], 0)
                .bytes());
        try (StateDict sd = StateDict.load(p)) {
            assertEquals(Map.of(), sd.metadata());
            try (Tensor t = sd.tensor("scalar")) {
                assertEquals(0, t.rank());
                assertArrayEquals(new float[] {7}, t.toArray());
            }
            try (Tensor t = sd.tensor("empty")) {
                assertArrayEquals(new int[] {0, 3}, t.shape());
                assertEquals(0, t.size());
            }
            assertArrayEquals(new int[0], sd.ints("no_ints"));
        }
    }

    @Test
    void emptyFileOfTensorsLoads() throws IOException {
        try (StateDict sd = StateDict.load(write("e.safetensors", new Writer().bytes()))) {
            assertTrue(sd.names().isEmpty());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sd.tensor("x"));
            assertTrue(e.getMessage().contains("no tensors"), e.getMessage());
        }
    }

    @Test
    void convertsF16IncludingSubnormalsInfinitiesNaNAndNegativeZero() throws IOException {
        int[] half = {
            0x3C00, 0xC000, 0x3555, 0x7BFF, 0xFBFF, // 1, -2, 0.333..., ±max 65504
            0x0400, 0x03FF, 0x0001, 0x8001, // smallest normal, largest and smallest subnormal, negative subnormal
            0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE00, // ±0, ±inf, NaNs (quiet, signalling, negative)
        };
        float[] expected = {
            1f, -2f, 0.333251953125f, 65504f, -65504f,
            0x1p-14f, 0x3FFp-24f, 0x1p-24f, -0x1p-24f,
            0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.intBitsToFloat(0x7FC00000), Float.intBitsToFloat(0x7F802000), Float.intBitsToFloat(0xFFC00000),
        };
        Path p = write("h.safetensors", new Writer().add("h", "F16", shorts(half), 4, 4).bytes());
        try (StateDict sd = StateDict.load(p)) {
            assertEquals("F16", sd.dtype("h"));
            assertArrayEquals(new int[] {4, 4}, sd.shape("h"));
            assertBits(expected, read(sd, "h"));
        }
    }

    @Test
    void halfToFloatIsExactForAllInputs() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int sign = bits >>> 15;
            int exponent = (bits >>> 10) & 0x1F;
            int mantissa = bits & 0x3FF;
            float actual = StateDict.halfToFloat((short) bits);
            if (exponent == 0x1F && mantissa != 0) {
                // NaN: the payload is kept, moved to the top of the float mantissa
                assertEquals((sign << 31) | 0x7F800000 | (mantissa << 13), Float.floatToRawIntBits(actual));
                continue;
            }
            double magnitude = exponent == 0x1F ? Double.POSITIVE_INFINITY
                    : exponent == 0 ? mantissa * Math.pow(2, -24)
                    : (1024 + mantissa) * Math.pow(2, exponent - 25);
            float expected = (float) (sign == 1 ? -magnitude : magnitude);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                    "half 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void convertsBF16() throws IOException {
        float[] expected = {1f, -2.5f, 0x1.FEp127f, 0x1p-133f, -0f, Float.POSITIVE_INFINITY,
            Float.intBitsToFloat(0x7FC10000)};
        int[] bf = new int[expected.length];
        for (int i = 0; i < bf.length; i++) bf[i] = Float.floatToRawIntBits(expected[i]) >>> 16;
        Path p = write("b.safetensors", new Writer().add("b", "BF16", shorts(bf), bf.length).bytes());
        try (StateDict sd = StateDict.load(p)) {
            assertBits(expected, read(sd, "b"));
        }
    }

    @Test
    void convertsF64RoundingToNearestFloat() throws IOException {
        double[] v = {0.1, -1e-3, 1e300, -1e300, 1e-50, -0.0, Double.NaN, 16777217.0};
        float[] expected = {0.1f, -1e-3f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.NaN,
            16777216f};
        Path p = write("d.safetensors", new Writer().add("d", "F64", doubles(v), 2, 4).bytes());
        try (StateDict sd = StateDict.load(p)) {
            assertBits(expected, read(sd, "d"));
        }
    }

    @Test
    void readsIntegerTensors() throws IOException {
        Path p = write("i.safetensors", new Writer()
                .add("i64", "I64", longs(0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 42, 7), 2, 3)
                .add("i32", "I32", ints(5, -6, Integer.MIN_VALUE), 3)
                .add("i16", "I16", shorts(-32768, 32767, -1), 3)
                .add("u16", "U16", shorts(0xFFFF, 1, 0), 3)
                .add("i8", "I8", bytes(-128, 127, -1), 3)
                .add("u8", "U8", bytes(255, 0, 1), 3)
                .add("bool", "BOOL", bytes(1, 0, 1), 3)
                .add("u32", "U32", ints(0, Integer.MAX_VALUE), 2)
                .add("u64", "U64", longs(3, Integer.MAX_VALUE), 2)
                .bytes());
        try (StateDict sd = StateDict.load(p)) {
            assertArrayEquals(new int[] {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 42, 7}, sd.ints("i64"));
            assertArrayEquals(new int[] {2, 3}, sd.shape("i64"));
            assertArrayEquals(new int[] {5, -6, Integer.MIN_VALUE}, sd.ints("i32"));
            assertArrayEquals(new int[] {-32768, 32767, -1}, sd.ints("i16"));
            assertArrayEquals(new int[] {65535, 1, 0}, sd.ints("u16"));
            assertArrayEquals(new int[] {-128, 127, -1}, sd.ints("i8"));
            assertArrayEquals(new int[] {255, 0, 1}, sd.ints("u8"));
            assertArrayEquals(new int[] {1, 0, 1}, sd.ints("bool"));
            assertArrayEquals(new int[] {0, Integer.MAX_VALUE}, sd.ints("u32"));
            assertArrayEquals(new int[] {3, Integer.MAX_VALUE}, sd.ints("u64"));
        }
    }

    @Test
    void integersOutsideTheIntRangeNameTheTensorAndValue() throws IOException {
        Path p = write("r.safetensors", new Writer()
                .add("steps", "I64", longs(1, 2, 1L << 32), 3)
                .add("neg", "I64", longs(Integer.MIN_VALUE - 1L), 1)
                .add("big_u32", "U32", ints(-1), 1)
                .add("big_u64", "U64", longs(-1), 1)
                .bytes());
        try (StateDict sd = StateDict.load(p)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sd.ints("steps"));
            assertTrue(e.getMessage().contains("'steps'") && e.getMessage().contains("element 2 is 4294967296"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> sd.ints("neg"));
            assertTrue(e.getMessage().contains("-2147483649"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> sd.ints("big_u32"));
            assertTrue(e.getMessage().contains("4294967295"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> sd.ints("big_u64"));
            assertTrue(e.getMessage().contains("18446744073709551615"), e.getMessage());
        }
    }

    @Test
    void wrongReaderForTheDtypeSaysWhichToUse() throws IOException {
        Path p = write("w.safetensors", new Writer()
                .add("ids", "I64", longs(1), 1)
                .f32("w", new float[] {1}, 1)
                .add("fp8", "F8_E4M3", bytes(1, 2), 2)
                .add("c", "C64", new byte[8], 1)
                .bytes());
        try (StateDict sd = StateDict.load(p)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sd.tensor("ids"));
            assertTrue(e.getMessage().contains("integer tensor (I64)") && e.getMessage().contains("ints(name)"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> sd.ints("w"));
            assertTrue(e.getMessage().contains("floating-point tensor (F32)") && e.getMessage().contains("tensor(name)"),
                    e.getMessage());
            // the format's other dtypes load, and fail only when read
            assertEquals("F8_E4M3", sd.dtype("fp8"));
            assertArrayEquals(new int[] {2}, sd.shape("fp8"));
            e = assertThrows(IllegalArgumentException.class, () -> sd.tensor("fp8"));
            assertTrue(e.getMessage().contains("dtype F8_E4M3, which jrnn does not read"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> sd.ints("c"));
            assertTrue(e.getMessage().contains("C64"), e.getMessage());
        }
    }

    @Test
    void missingNameListsTheSortedNeighbours() throws IOException {
        Writer w = new Writer();
        for (int i = 0; i < 30; i++) w.f32(String.format("layer%02d.weight", i), new float[] {i}, 1);
        try (StateDict sd = StateDict.load(write("n.safetensors", w.bytes()))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sd.tensor("layer17.wieght"));
            String m = e.getMessage();
            assertTrue(m.contains("no tensor 'layer17.wieght'") && m.contains("30 tensors"), m);
            assertTrue(m.contains("layer17.weight") && m.contains("layer18.weight") && m.contains("..."), m);
            assertFalse(m.contains("layer00.weight") || m.contains("layer29.weight"), m);
            assertThrows(IllegalArgumentException.class, () -> sd.ints("zzz"));
            assertThrows(IllegalArgumentException.class, () -> sd.shape("nope"));
            assertThrows(IllegalArgumentException.class, () -> sd.dtype(null));
        }
    }

    @Test
    void dimensionsBeyondIntLoadButCannotBeRead() throws IOException {
        Path p = write("big.safetensors", new Writer().add("huge_empty", "F32", new byte[0], 0, 3_000_000_000L).bytes());
        try (StateDict sd = StateDict.load(p)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sd.shape("huge_empty"));
            assertTrue(e.getMessage().contains("3000000000"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> sd.tensor("huge_empty"));
        }
    }

    @Test
    void eachCallReturnsANewTensorThatOutlivesTheStateDict() throws IOException {
        Path p = write("o.safetensors", new Writer().f32("w", new float[] {1, 2}, 2).bytes());
        Tensor a;
        Tensor b;
        try (StateDict sd = StateDict.load(p)) {
            a = sd.tensor("w");
            b = sd.tensor("w");
        }
        try (a; b) {
            a.close();
            assertArrayEquals(new float[] {1, 2}, b.toArray());
        }
    }

    @Test
    void closeIsIdempotentAndLaterAccessFails() throws IOException {
        Path p = write("c.safetensors", new Writer().f32("w", new float[] {1}, 1).meta("k", "v").bytes());
        StateDict sd = StateDict.load(p);
        assertFalse(sd.isClosed());
        sd.close();
        sd.close();
        assertTrue(sd.isClosed());
        for (Runnable r : List.<Runnable>of(() -> sd.tensor("w"), () -> sd.ints("w"), sd::names, sd::metadata,
                () -> sd.contains("w"), () -> sd.shape("w"), () -> sd.dtype("w"))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, r::run);
            assertTrue(e.getMessage().contains("state dict") && e.getMessage().contains("is closed"), e.getMessage());
        }
        assertTrue(sd.toString().contains("closed"));
    }

    @Test
    void paddedHeaderAndEntriesOutOfOffsetOrder() throws IOException {
        // tensor "a" is written second in the data but first in the header; the header ends in spaces
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":\"ignored\"}}      \n ";
        byte[] data = le(8).putFloat(2f).putFloat(1f).array();
        try (StateDict sd = StateDict.load(write("p.safetensors", file(header, data)))) {
            assertArrayEquals(new float[] {1f}, read(sd, "a"));
            assertArrayEquals(new float[] {2f}, read(sd, "b"));
        }
    }

    @Test
    void largeFilesAreMappedAndFilesPastTheRegionLimitAreReadPerRegion() throws IOException {
        Random rnd = new Random(1);
        float[] big = new float[300_000]; // 1.2 MB: past the 1 MiB threshold, so the file is mapped
        for (int i = 0; i < big.length; i++) big[i] = rnd.nextFloat() - 0.5f;
        int[] half = new int[10_001];
        float[] halfExpected = new float[half.length];
        for (int i = 0; i < half.length; i++) {
            half[i] = rnd.nextInt(0x10000);
            halfExpected[i] = StateDict.halfToFloat((short) half[i]);
        }
        long[] ids = new long[5_003];
        int[] idsExpected = new int[ids.length];
        for (int i = 0; i < ids.length; i++) idsExpected[i] = (int) (ids[i] = rnd.nextInt());
        Path p = write("big.safetensors", new Writer()
                .f32("big", big, 600, 500)
                .add("half", "F16", shorts(half), half.length)
                .add("ids", "I64", longs(ids), ids.length)
                .bytes());
        assertTrue(Files.size(p) > StateDict.MAP_THRESHOLD);
        // default: mapped whole; then 4 KiB regions, so every tensor spans many of them
        for (StateDict sd : List.of(StateDict.load(p), StateDict.load(p, 0, 4096), StateDict.load(p, 0, 1000))) {
            try (sd) {
                assertArrayEquals(big, read(sd, "big"));
                assertBits(halfExpected, read(sd, "half"));
                assertArrayEquals(idsExpected, sd.ints("ids"));
            }
        }
        // reading the whole file into memory gives the same
        try (StateDict sd = StateDict.load(p, Long.MAX_VALUE, StateDict.MAX_REGION)) {
            assertArrayEquals(big, read(sd, "big"));
        }
    }

    @Test
    void filesPastTwoGibibytesAreReadPerTensor() throws IOException {
        // a sparse file: 2.2 GB of never-written zeros, then a real tensor at the end
        long padBytes = 2_200_000_000L;
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[2,1100000000],\"data_offsets\":[0," + padBytes + "]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[" + padBytes + "," + (padBytes + 12) + "]}}";
        byte[] head = file(header, new byte[0]);
        Path p = dir.resolve("sparse.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(head);
            f.seek(head.length + padBytes);
            f.write(le(12).putFloat(1f).putFloat(-2f).putFloat(3.5f).array());
        }
        try (StateDict sd = StateDict.load(p)) {
            assertArrayEquals(new float[] {1f, -2f, 3.5f}, read(sd, "w"));
            assertArrayEquals(new int[] {2, 1_100_000_000}, sd.shape("pad"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sd.ints("pad"));
            assertTrue(e.getMessage().contains("2200000000 elements"), e.getMessage());
        }
    }

    @Test
    void concurrentReadersSeeTheSameData() throws Exception {
        Random rnd = new Random(2);
        float[] w = new float[50_000];
        for (int i = 0; i < w.length; i++) w[i] = rnd.nextFloat();
        Path p = write("t.safetensors", new Writer().f32("w", w, w.length).add("ids", "I32", ints(1, 2, 3), 3).bytes());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (StateDict sd : List.of(StateDict.load(p), StateDict.load(p, 0, 1024))) {
                try (sd) {
                    List<Future<?>> futures = new ArrayList<>();
                    for (int t = 0; t < 8; t++) {
                        futures.add(pool.submit(() -> {
                            for (int k = 0; k < 20; k++) {
                                assertArrayEquals(w, read(sd, "w"));
                                assertArrayEquals(new int[] {1, 2, 3}, sd.ints("ids"));
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : futures) f.get();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anInterruptFailsOnlyTheInterruptedReadOfAPerRegionFile() throws IOException {
        float[] w = new float[1000];
        Arrays.fill(w, 0.5f);
        Path p = write("i.safetensors", new Writer().f32("w", w, w.length).bytes());
        try (StateDict sd = StateDict.load(p, 0, 1024)) { // per-region mapping, as for files past 2 GiB
            Thread.currentThread().interrupt();
            try {
                assertThrows(java.io.UncheckedIOException.class, () -> sd.tensor("w"));
            } finally {
                Thread.interrupted();
            }
            assertArrayEquals(w, read(sd, "w"));
            assertFalse(sd.isClosed());
        }
    }

    @Test
    void missingFileAndNullPath() {
        assertThrows(NoSuchFileException.class, () -> StateDict.load(dir.resolve("absent.safetensors")));
        assertThrows(IllegalArgumentException.class, () -> StateDict.load(null));
    }

    // ---- malformed files: one per kind, each an IOException naming the file and the problem ----

    private void assertMalformed(byte[] content, String... fragments) throws IOException {
        Path p = write("bad.safetensors", content);
        IOException e = assertThrows(IOException.class, () -> StateDict.load(p).close());
        String m = e.getMessage();
        assertTrue(m.contains(p.toString()), () -> "no file name in: " + m);
        for (String f : fragments) assertTrue(m.contains(f), () -> "expected '" + f + "' in: " + m);
    }

    /** A one-tensor header with the given entry JSON and 8 data bytes. */
    private void assertBadEntry(String entry, String... fragments) throws IOException {
        assertMalformed(file("{\"t\":" + entry + "}", new byte[8]), fragments);
    }

    private static final String GOOD_ENTRY = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    @Test
    void malformedSizesAndPrefix() throws IOException {
        assertMalformed(new byte[5], "5 bytes", "too short");
        assertMalformed(new byte[0], "0 bytes", "too short");
        assertMalformed(rawFile(1000, "{}".getBytes(StandardCharsets.UTF_8)), "header length 1000",
                "past the end of the file", "expected at most 2");
        assertMalformed(rawFile(200_000_000L, new byte[16]), "header length 200000000", "limit of 100000000");
        assertMalformed(rawFile(-1L, new byte[16]), "header length 18446744073709551615", "limit");
    }

    @Test
    void malformedEncodingAndJson() throws IOException {
        byte[] f = file("{\"t\":1}", new byte[0]);
        f[10] = (byte) 0xC3; // lead byte of a 2-byte sequence followed by ':' (an ASCII byte)
        f[11] = (byte) ':';
        assertMalformed(f, "not valid UTF-8", "byte 10");
        assertMalformed(file("{\"a\":", new byte[0]), "not valid JSON", "end of input", "byte 16"); // after the padding
        assertMalformed(file("{\"é\":1,}", new byte[0]), "not valid JSON", "expected a string key", "byte 16");
        assertMalformed(file("", new byte[0]), "not valid JSON", "end of input", "byte 8");
        assertMalformed(file("{}\u0000", new byte[0]), "not valid JSON", "U+0000", "byte 10");
        assertMalformed(file("[]", new byte[0]), "header must be a JSON object, found a list");
        assertMalformed(file("\"x\"", new byte[0]), "header must be a JSON object, found string");
        assertMalformed(file("{\"t\":" + GOOD_ENTRY + ",\"t\":" + GOOD_ENTRY + "}", new byte[8]),
                "duplicate key \"t\"");
    }

    @Test
    void malformedEntries() throws IOException {
        assertBadEntry("[1]", "tensor 't'", "expected an object", "found a list");
        assertBadEntry("{\"shape\":[2],\"data_offsets\":[0,8]}", "tensor 't'", "missing \"dtype\"");
        assertBadEntry("{\"dtype\":\"F32\",\"data_offsets\":[0,8]}", "missing \"shape\"");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[2]}", "missing \"data_offsets\"");
        assertBadEntry("{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}", "\"dtype\" must be a string",
                "number 32");
        assertBadEntry("{\"dtype\":\"float32\",\"shape\":[2],\"data_offsets\":[0,8]}", "unknown dtype \"float32\"",
                "F32");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}", "\"shape\" must be a list",
                "number 2");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}", "shape[0]",
                "non-negative integer", "number -2");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[1,2.0],\"data_offsets\":[0,8]}", "shape[1]", "number 2.0");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}", "shape[0]", "string \"2\"");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}", "[begin, end]",
                "list of 3 values");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,null]}", "data_offsets[1]", "null");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}", "[8, 0]", "reversed");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}", "[0, 16]",
                "past the end of the data section", "expected end <= 8");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}", "shape [3] of F32 needs 12 bytes",
                "span 8");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}",
                "overflows 64 bits");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1e1]}", "data_offsets[1]",
                "number 10.0");
        assertBadEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999]}",
                "data_offsets[1]", "non-negative integer");
        assertMalformed(file("{\"t\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,1]}}", new byte[1]),
                "3 elements of F4", "whole number of bytes");
    }

    @Test
    void malformedLayoutOfTheDataSection() throws IOException {
        String a = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        assertMalformed(file("{" + a + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                new byte[12]), "tensor 'b'", "[4, 12] overlap tensor 'a' at [0, 8]");
        assertMalformed(file("{" + a + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}",
                new byte[16]), "bytes [8, 12) belong to no tensor", "tensor 'b' to start at 8");
        assertMalformed(file("{" + a + "}", new byte[10]), "bytes [8, 10) belong to no tensor", "cover 8");
        assertMalformed(file("{}", new byte[3]), "bytes [0, 3) belong to no tensor");
        // a zero-size tensor inside another one is an overlap too
        assertMalformed(file("{" + a + ",\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}",
                new byte[8]), "tensor 'z'", "overlap tensor 'a'");
    }

    @Test
    void malformedMetadata() throws IOException {
        assertMalformed(file("{\"__metadata__\":[\"a\"]}", new byte[0]), "\"__metadata__\" must be an object",
                "found a list");
        assertMalformed(file("{\"__metadata__\":{\"epochs\":3}}", new byte[0]), "key 'epochs' must be a string",
                "number 3");
        assertMalformed(file("{\"__metadata__\":{\"a\":null}}", new byte[0]), "key 'a'", "found null");
        assertMalformed(file("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", new byte[0]), "duplicate key \"a\"");
    }

    /** Random corruptions of a valid file: load and read either work or fail the documented way, never otherwise. */
    @Test
    void corruptedFilesFailCleanly() throws IOException {
        byte[] good = new Writer()
                .meta("format", "pt")
                .f32("w", new float[] {1, 2, 3, 4}, 2, 2)
                .add("h", "F16", shorts(0x3C00, 0x7C00), 2)
                .add("ids", "I64", longs(5, 6), 2)
                .add("b", "BF16", shorts(0x3F80), 1)
                .bytes();
        Random rnd = new Random(3);
        int loaded = 0;
        for (int iter = 0; iter < 3000; iter++) {
            byte[] bad = good.clone();
            switch (iter % 3) {
                case 0 -> { // flip bytes anywhere, mostly in the prefix and header
                    for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                        int at = rnd.nextInt(rnd.nextBoolean() ? Math.min(bad.length, 200) : bad.length);
                        bad[at] = (byte) rnd.nextInt(256);
                    }
                }
                case 1 -> bad = Arrays.copyOf(bad, rnd.nextInt(bad.length + 16)); // truncate or extend
                default -> { // replace a header byte with JSON punctuation or digits
                    byte[] pick = "{}[]\",:0123456789-.e \\".getBytes(StandardCharsets.US_ASCII);
                    bad[8 + rnd.nextInt(100)] = pick[rnd.nextInt(pick.length)];
                }
            }
            Path p = write("fuzz.safetensors", bad);
            StateDict sd;
            try {
                sd = StateDict.load(p);
            } catch (IOException expected) {
                // a RuntimeException wrapped by the backstop would mean a check is missing
                if (expected.getCause() instanceof RuntimeException) {
                    throw new AssertionError("iteration " + iter + ": unchecked failure inside load", expected);
                }
                continue;
            } catch (Throwable t) {
                throw new AssertionError("iteration " + iter + ": load threw " + t, t);
            }
            loaded++;
            try (sd) {
                for (String name : sd.names()) {
                    try {
                        if (sd.dtype(name).startsWith("I") || sd.dtype(name).startsWith("U")
                                || sd.dtype(name).equals("BOOL")) {
                            sd.ints(name);
                        } else {
                            read(sd, name);
                        }
                    } catch (IllegalArgumentException expected) {
                        // unreadable dtype or an int out of range: documented
                    }
                }
            } catch (Throwable t) {
                throw new AssertionError("iteration " + iter + ": reading threw " + t, t);
            }
        }
        assertTrue(loaded > 0, "some corruptions (in the data bytes) should still load");
    }
}
