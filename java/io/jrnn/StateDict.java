package io.jrnn;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.jrnn.internal.SafetensorsHeader;
import io.jrnn.internal.SafetensorsHeader.Dtype;
import io.jrnn.internal.SafetensorsHeader.Entry;

/**
 * The tensors of a safetensors file (a PyTorch {@code state_dict} saved with {@code safetensors.torch.save_file}),
 * read on demand and converted on access.
 *
 * <pre>{@code
 * try (StateDict sd = StateDict.load(Path.of("model.safetensors"));
 *      Tensor w = sd.tensor("rnn.weight_ih_l0")) {
 *     int[] shape = w.shape();
 * }
 * }</pre>
 *
 * <p>Element types: {@link #tensor} reads F32, F16, BF16 and F64 as float32 (F16 and BF16 exactly; F64 rounded to
 * nearest, values beyond the float range become ±infinity). {@link #ints} reads I32 and I64 (the ones PyTorch
 * writes for integer buffers) and also I8, U8, I16, U16, U32, U64 and BOOL (as 0/1), failing on values outside
 * the int range. The other dtypes of the format (C64, the 8-, 6- and 4-bit floats) are accepted at load, so such a
 * file opens, but reading one of those tensors throws {@link IllegalArgumentException}; a dtype string that is not
 * in the safetensors format at all makes the file malformed ({@link IOException} at load).
 *
 * <p>{@link #load} validates the whole header (see {@link SafetensorsHeader}): any malformed file is an
 * {@link IOException} naming the file and the problem, before anything the file claims is allocated. Files up to
 * 1 MiB are read into memory; larger ones are memory-mapped (whole when under 2 GiB, otherwise one tensor at a
 * time on access), so loading a large file reads only its header; each access converts straight into a new native
 * tensor. The file must not be truncated or rewritten while the state dict is open.
 *
 * <p>Ownership: each {@link #tensor} call returns a new {@link Tensor} that the caller owns and must close; it
 * stays valid after the state dict is closed. {@link #close()} releases the file (idempotent); any later call
 * throws {@link IllegalStateException}.
 *
 * <p>Thread safety: a state dict is immutable; any number of threads may read tensors from it concurrently.
 * Closing it while other threads read makes those reads fail with {@link IllegalStateException}, never crash.
 * (For files past 2 GiB, which are mapped per access, a thread interrupted while it maps gets an
 * {@link UncheckedIOException}; the other threads are unaffected.)
 */
public final class StateDict implements AutoCloseable {
    /** Files above this size are memory-mapped rather than read into the heap. */
    static final long MAP_THRESHOLD = 1L << 20;
    /** The largest byte region mapped or converted in one piece (a multiple of 8, so elements never straddle). */
    static final int MAX_REGION = Integer.MAX_VALUE & ~7;
    /** Elements converted per batch for the dtypes that need a conversion (bounds the scratch arrays). */
    private static final int BATCH = 8192;
    /** How many names a "no such tensor" message lists. */
    private static final int NAMES_SHOWN = 10;

    private final String source;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final Set<String> names;
    private final int maxRegion;
    private volatile Data data; // null once closed

    private StateDict(String source, SafetensorsHeader header, Data data, int maxRegion) {
        this.source = source;
        this.entries = header.entries();
        this.metadata = header.metadata();
        this.names = Collections.unmodifiableSet(new TreeSet<>(entries.keySet()));
        this.data = data;
        this.maxRegion = maxRegion;
    }

    /**
     * Opens and validates a safetensors file. A file that does not exist or cannot be opened is an
     * {@link IOException} naming it.
     */
    public static StateDict load(Path file) throws IOException {
        return load(file, MAP_THRESHOLD, MAX_REGION);
    }

    /**
     * A state dict of tensors made in memory (e.g. converted from another format), for the loaders that take one.
     * The tensors are copied (as float32): the caller keeps owning and closing the map's tensors.
     */
    public static StateDict of(Map<String, Tensor> tensors) {
        return of(tensors, Map.of());
    }

    /** {@link #of(Map)} with metadata (e.g. a model's {@code jrnn.config}). */
    public static StateDict of(Map<String, Tensor> tensors, Map<String, String> metadata) {
        if (tensors == null) throw new IllegalArgumentException("tensors must not be null");
        if (metadata == null) throw new IllegalArgumentException("metadata must not be null");
        StringBuilder json = new StringBuilder("{\"__metadata__\":{");
        boolean first = true;
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(metadata).entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("metadata keys and values must not be null");
            }
            json.append(first ? "" : ",").append(jsonString(e.getKey())).append(':').append(jsonString(e.getValue()));
            first = false;
        }
        json.append('}');
        List<String> names = new ArrayList<>(new TreeSet<>(tensors.keySet()));
        long offset = 0;
        for (String name : names) {
            Tensor t = tensors.get(name);
            if (name == null || name.isEmpty() || name.equals("__metadata__")) {
                throw new IllegalArgumentException("tensor names must be non-empty and not \"__metadata__\", got "
                        + (name == null ? "null" : "\"" + name + "\""));
            }
            if (t == null) throw new IllegalArgumentException("tensor " + name + " is null");
            if (t.isClosed()) throw new IllegalStateException("tensor " + name + " is closed");
            long bytes = 4 * t.size();
            json.append(',').append(jsonString(name)).append(":{\"dtype\":\"F32\",\"shape\":")
                    .append(java.util.Arrays.toString(t.shape()).replace(" ", "")).append(",\"data_offsets\":[")
                    .append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        json.append('}');
        byte[] header = json.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int padded = (header.length + 7) & ~7;
        long total = SafetensorsHeader.PREFIX_BYTES + padded + offset;
        if (total > MAX_REGION) throw new IllegalArgumentException("tensors too large for one in-memory state dict: "
                + total + " bytes");
        ByteBuffer whole = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        whole.putLong(padded).put(header);
        while (whole.position() < SafetensorsHeader.PREFIX_BYTES + padded) whole.put((byte) ' ');
        for (String name : names) {
            float[] v = tensors.get(name).toArray();
            whole.asFloatBuffer().put(v);
            whole.position(whole.position() + 4 * v.length);
        }
        String source = "in-memory state dict";
        try {
            SafetensorsHeader parsed = SafetensorsHeader.parse(whole.slice(SafetensorsHeader.PREFIX_BYTES, padded),
                    offset, source);
            return new StateDict(source, parsed, new Whole(whole, SafetensorsHeader.PREFIX_BYTES + padded), MAX_REGION);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e); // names or shapes the format cannot hold
        }
    }

    private static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /**
     * {@link #load(Path)} with the I/O limits as parameters (package-private: tests take the mapped and the
     * per-tensor paths with small files). {@code maxRegion} is rounded down to a multiple of 8.
     */
    static StateDict load(Path file, long mapThreshold, int maxRegion) throws IOException {
        if (file == null) throw new IllegalArgumentException("file must not be null");
        int region = maxRegion & ~7;
        if (region <= 0) throw new IllegalArgumentException("maxRegion must be at least 8, got " + maxRegion);
        String source = file.toString();
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new java.nio.file.NoSuchFileException(source, null, "no such file: cannot load a state dict from it");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new java.nio.file.AccessDeniedException(source, null, "permission denied: cannot read it");
        }
        boolean keepOpen = false;
        try {
            long size = channel.size();
            if (size < SafetensorsHeader.PREFIX_BYTES) {
                throw new IOException(source + ": file is " + size + " bytes long, too short for a safetensors file"
                        + " (expected at least the 8-byte header length)");
            }
            ByteBuffer prefix = ByteBuffer.allocate(SafetensorsHeader.PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, prefix, 0, source);
            int headerLength = SafetensorsHeader.headerLength(prefix.getLong(0), size, source);
            long dataStart = SafetensorsHeader.PREFIX_BYTES + (long) headerLength;

            Data data;
            ByteBuffer header;
            if (size <= Math.max(mapThreshold, region)) {
                ByteBuffer whole;
                if (size <= Math.min(mapThreshold, region)) {
                    whole = ByteBuffer.allocate((int) size);
                    readFully(channel, whole, 0, source);
                } else {
                    whole = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
                }
                header = whole.slice(SafetensorsHeader.PREFIX_BYTES, headerLength);
                data = new Whole(whole, dataStart);
            } else {
                header = ByteBuffer.allocate(headerLength); // checked against the limit and the file size above
                readFully(channel, header, SafetensorsHeader.PREFIX_BYTES, source);
                header.flip();
                data = new PerRegion(file, channel, dataStart);
            }
            SafetensorsHeader parsed = SafetensorsHeader.parse(header, size - dataStart, source);
            keepOpen = data instanceof PerRegion; // the others hold no file handle once loaded
            return new StateDict(source, parsed, data, region);
        } catch (RuntimeException e) {
            // the checks above are meant to catch every bad file; this keeps "bad file => IOException" regardless
            throw new IOException(source + ": cannot read safetensors file (" + e + ")", e);
        } finally {
            if (!keepOpen) channel.close();
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer dst, long position, String source)
            throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, at);
            if (n < 0) throw new EOFException(source + ": file ended at byte " + at + " while reading it");
            at += n;
        }
    }

    /** Names of all tensors, sorted (unmodifiable). */
    public Set<String> names() {
        live();
        return names;
    }

    /** Whether the file has a tensor with this name. */
    public boolean contains(String name) {
        live();
        return entries.containsKey(name);
    }

    /** The tensor's shape as stored. */
    public int[] shape(String name) {
        return intShape(entry(name));
    }

    /** The tensor's safetensors dtype as stored: "F32", "F16", "BF16", "F64", "I64", "I32", ... */
    public String dtype(String name) {
        return entry(name).dtype().name();
    }

    /** The file's {@code __metadata__} strings (unmodifiable; empty when the file has none). */
    public Map<String, String> metadata() {
        live();
        return metadata;
    }

    /**
     * A new float32 tensor holding the named floating-point tensor (F32, F16, BF16 or F64), with its shape. The
     * caller owns it and must close it.
     *
     * @throws IllegalArgumentException if there is no such tensor (the message lists the nearby names), or its
     *     dtype is not one of those four
     * @throws IllegalStateException if this state dict is closed
     */
    public Tensor tensor(String name) {
        Entry e = entry(name);
        if (!isFloat(e.dtype())) throw wrongReader(e, true);
        int[] shape = intShape(e);
        if (e.elements() > Tensor.MAX_SIZE) {
            throw new IllegalArgumentException("tensor '" + e.name() + "' " + e.shapeString() + " has " + e.elements()
                    + " elements; a Tensor holds at most " + Tensor.MAX_SIZE);
        }
        Tensor t = Tensor.uninitialized(shape);
        try {
            FloatBuffer dst = t.buffer();
            for (long off = 0; off < e.byteSize(); off += maxRegion) {
                ByteBuffer src = region(e.begin() + off, (int) Math.min(maxRegion, e.byteSize() - off));
                readFloats(e.dtype(), src, dst);
            }
            return t;
        } catch (RuntimeException | Error x) {
            t.close();
            throw x;
        }
    }

    /**
     * The named integer tensor (I64, I32, and the other integer dtypes and BOOL), flattened row-major; its shape is
     * {@link #shape(String)}.
     *
     * @throws IllegalArgumentException if there is no such tensor, it is not an integer tensor, or a value is
     *     outside the int range (the message names the element and its value)
     * @throws IllegalStateException if this state dict is closed
     */
    public int[] ints(String name) {
        Entry e = entry(name);
        if (!isInt(e.dtype())) throw wrongReader(e, false);
        intShape(e); // the same shape check as everywhere
        if (e.elements() > Tensor.MAX_SIZE) {
            throw new IllegalArgumentException("tensor '" + e.name() + "' " + e.shapeString() + " has " + e.elements()
                    + " elements; an int[] holds at most " + Tensor.MAX_SIZE);
        }
        int[] out = new int[(int) e.elements()];
        int at = 0;
        for (long off = 0; off < e.byteSize(); off += maxRegion) {
            ByteBuffer src = region(e.begin() + off, (int) Math.min(maxRegion, e.byteSize() - off));
            at = readInts(e, src, out, at);
        }
        return out;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return data == null;
    }

    /** Releases the file. Idempotent; tensors already returned stay valid. */
    @Override
    public synchronized void close() {
        Data d = data;
        data = null;
        if (d != null) d.close();
    }

    @Override
    public String toString() {
        return "StateDict[" + source + ", " + entries.size() + " tensors" + (isClosed() ? ", closed]" : "]");
    }

    // ---- lookups and checks ----

    private Data live() {
        Data d = data;
        if (d == null) throw new IllegalStateException("state dict " + source + " is closed");
        return d;
    }

    private Entry entry(String name) {
        live();
        Entry e = name == null ? null : entries.get(name);
        if (e == null) throw new IllegalArgumentException(missing(name));
        return e;
    }

    /** "no tensor 'x'", listing the sorted names around where x would sort, so that typos show their neighbours. */
    private String missing(String name) {
        StringBuilder sb = new StringBuilder("no tensor '").append(name).append("' in ").append(source);
        if (names.isEmpty()) return sb.append(" (the file has no tensors)").toString();
        List<String> sorted = new ArrayList<>(names);
        int at = name == null ? 0 : -Collections.binarySearch(sorted, name) - 1;
        int from = Math.max(0, Math.min(at - NAMES_SHOWN / 2, sorted.size() - NAMES_SHOWN));
        int to = Math.min(sorted.size(), from + NAMES_SHOWN);
        sb.append(" (").append(sorted.size()).append(" tensors; ").append(to - from < sorted.size() ? "nearby: " : "")
                .append(from > 0 ? "..., " : "").append(String.join(", ", sorted.subList(from, to)))
                .append(to < sorted.size() ? ", ...)" : ")");
        return sb.toString();
    }

    /** The dtypes {@link #tensor} reads. */
    private static boolean isFloat(Dtype d) {
        return switch (d) {
            case F32, F16, BF16, F64 -> true;
            default -> false;
        };
    }

    /** The dtypes {@link #ints} reads. */
    private static boolean isInt(Dtype d) {
        return switch (d) {
            case I64, I32, I16, I8, U64, U32, U16, U8, BOOL -> true;
            default -> false;
        };
    }

    private static IllegalArgumentException wrongReader(Entry e, boolean wantedFloat) {
        String msg;
        if (wantedFloat && isInt(e.dtype())) {
            msg = "tensor '" + e.name() + "' is an integer tensor (" + e.dtype() + "); read it with ints(name)";
        } else if (!wantedFloat && isFloat(e.dtype())) {
            msg = "tensor '" + e.name() + "' is a floating-point tensor (" + e.dtype() + "); read it with tensor(name)";
        } else {
            msg = "tensor '" + e.name() + "' has dtype " + e.dtype() + ", which jrnn does not read (expected F32, F16,"
                    + " BF16 or F64 for tensor(name); I64, I32, I16, I8, U64, U32, U16, U8 or BOOL for ints(name))";
        }
        return new IllegalArgumentException(msg);
    }

    private static int[] intShape(Entry e) {
        long[] s = e.shape();
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            if (s[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor '" + e.name() + "' has shape " + e.shapeString()
                        + "; dimensions above " + Integer.MAX_VALUE + " are not supported");
            }
            out[i] = (int) s[i];
        }
        return out;
    }

    /** Little-endian bytes [offset, offset + length) of the data section; a fresh buffer per call. */
    private ByteBuffer region(long offset, int length) {
        Data d = live();
        try {
            return d.region(offset, length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (ClosedByInterruptException x) {
            throw new UncheckedIOException(source + ": interrupted while mapping tensor data", x);
        } catch (ClosedChannelException closedMeanwhile) {
            throw new IllegalStateException("state dict " + source + " is closed", closedMeanwhile);
        } catch (IOException x) {
            throw new UncheckedIOException(source + ": cannot read tensor data", x);
        }
    }

    // ---- conversions (src: little-endian bytes of whole elements; dst: appended at its position) ----

    private static void readFloats(Dtype dtype, ByteBuffer src, FloatBuffer dst) {
        switch (dtype) {
            case F32:
                dst.put(src.asFloatBuffer()); // a plain copy: both sides are little-endian float32
                return;
            case F64: {
                DoubleBuffer in = src.asDoubleBuffer();
                double[] batch = new double[Math.min(BATCH, in.remaining())];
                float[] out = new float[batch.length];
                while (in.hasRemaining()) {
                    int n = Math.min(batch.length, in.remaining());
                    in.get(batch, 0, n);
                    for (int i = 0; i < n; i++) out[i] = (float) batch[i];
                    dst.put(out, 0, n);
                }
                return;
            }
            case F16:
            case BF16: {
                ShortBuffer in = src.asShortBuffer();
                short[] batch = new short[Math.min(BATCH, in.remaining())];
                float[] out = new float[batch.length];
                boolean half = dtype == Dtype.F16;
                while (in.hasRemaining()) {
                    int n = Math.min(batch.length, in.remaining());
                    in.get(batch, 0, n);
                    for (int i = 0; i < n; i++) out[i] = half ? halfToFloat(batch[i]) : bfloat16ToFloat(batch[i]);
                    dst.put(out, 0, n);
                }
                return;
            }
            default:
                throw new AssertionError(dtype);
        }
    }

    /** Converts src's elements into out starting at {@code at}; returns the index after the last one written. */
    private static int readInts(Entry e, ByteBuffer src, int[] out, int at) {
        switch (e.dtype()) {
            case I32: {
                IntBuffer in = src.asIntBuffer();
                int n = in.remaining();
                in.get(out, at, n);
                return at + n;
            }
            case U32: {
                IntBuffer in = src.asIntBuffer();
                int n = in.remaining();
                in.get(out, at, n);
                for (int i = at; i < at + n; i++) {
                    if (out[i] < 0) throw outOfIntRange(e, i, Integer.toUnsignedString(out[i]));
                }
                return at + n;
            }
            case I64:
            case U64: {
                LongBuffer in = src.asLongBuffer();
                long[] batch = new long[Math.min(BATCH, in.remaining())];
                boolean unsigned = e.dtype() == Dtype.U64;
                while (in.hasRemaining()) {
                    int n = Math.min(batch.length, in.remaining());
                    in.get(batch, 0, n);
                    for (int i = 0; i < n; i++) {
                        long v = batch[i];
                        if (v != (int) v || (unsigned && v < 0)) {
                            throw outOfIntRange(e, at + i, unsigned ? Long.toUnsignedString(v) : Long.toString(v));
                        }
                        out[at + i] = (int) v;
                    }
                    at += n;
                }
                return at;
            }
            case I16:
            case U16: {
                ShortBuffer in = src.asShortBuffer();
                boolean unsigned = e.dtype() == Dtype.U16;
                for (int i = 0, n = in.remaining(); i < n; i++) {
                    short v = in.get(i);
                    out[at++] = unsigned ? v & 0xFFFF : v;
                }
                return at;
            }
            case I8:
            case U8:
            case BOOL: {
                for (int i = 0, n = src.remaining(); i < n; i++) {
                    byte v = src.get(i);
                    out[at++] = switch (e.dtype()) {
                        case I8 -> v;
                        case U8 -> v & 0xFF;
                        default -> v != 0 ? 1 : 0;
                    };
                }
                return at;
            }
            default:
                throw new AssertionError(e.dtype());
        }
    }

    private static IllegalArgumentException outOfIntRange(Entry e, long index, String value) {
        return new IllegalArgumentException("tensor '" + e.name() + "' (" + e.dtype() + "): element " + index + " is "
                + value + ", outside the int range [" + Integer.MIN_VALUE + ", " + Integer.MAX_VALUE + "]");
    }

    /** IEEE 754 binary16 to float32, exact for every input (subnormals, ±0, ±inf, NaN with its payload). */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) { // inf or NaN: all-ones exponent, mantissa (NaN payload) moved to the top
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent != 0) { // normal: rebias the exponent from 15 to 127
            return Float.intBitsToFloat(sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13));
        }
        // zero or subnormal: mantissa × 2^-24, exact in float32 (normal there)
        float magnitude = mantissa * 0x1p-24f;
        return sign != 0 ? -magnitude : magnitude;
    }

    /** bfloat16 is the top half of a float32. */
    static float bfloat16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    // ---- where the bytes live ----

    private interface Data extends Closeable {
        /** Bytes [offset, offset + length) of the data section, in a buffer of its own (any byte order). */
        ByteBuffer region(long offset, int length) throws IOException;

        @Override
        void close();
    }

    /** The whole file in one buffer (heap or mapped); slices never touch its position, so threads can share it. */
    private static final class Whole implements Data {
        private final ByteBuffer file;
        private final long dataStart;

        Whole(ByteBuffer file, long dataStart) {
            this.file = file;
            this.dataStart = dataStart;
        }

        @Override
        public ByteBuffer region(long offset, int length) {
            return file.slice(Math.toIntExact(dataStart + offset), length);
        }

        @Override
        public void close() {
            // nothing to release: a mapping is unmapped by the GC once unreachable; unmapping it here could
            // crash a thread still reading it
        }
    }

    /**
     * Files past 2 GiB: each access maps just the region it reads (FileChannel is safe for concurrent use). An
     * interrupt during {@code map} closes a FileChannel for every thread, so the channel is reopened for the others
     * and only the interrupted read fails.
     */
    private static final class PerRegion implements Data {
        private final Path file;
        private final long dataStart;
        private FileChannel channel; // guarded by this
        private boolean closed; // guarded by this

        PerRegion(Path file, FileChannel channel, long dataStart) {
            this.file = file;
            this.channel = channel;
            this.dataStart = dataStart;
        }

        @Override
        public ByteBuffer region(long offset, int length) throws IOException {
            for (int attempt = 0; ; attempt++) {
                FileChannel ch = channel();
                try {
                    return ch.map(FileChannel.MapMode.READ_ONLY, dataStart + offset, length);
                } catch (ClosedByInterruptException e) {
                    reopen(ch);
                    throw e;
                } catch (ClosedChannelException e) {
                    // closed under us, by close() or by another thread's interrupt: try once more if still open
                    if (attempt > 0) throw e;
                    reopen(ch);
                }
            }
        }

        private synchronized FileChannel channel() throws ClosedChannelException {
            if (closed) throw new ClosedChannelException();
            return channel;
        }

        private synchronized void reopen(FileChannel dead) throws IOException {
            if (!closed && channel == dead && !dead.isOpen()) channel = FileChannel.open(file, StandardOpenOption.READ);
        }

        @Override
        public synchronized void close() {
            closed = true;
            try {
                channel.close();
            } catch (IOException ignored) {
                // read-only channel: nothing was written that a failed close could lose
            }
        }
    }
}
