package io.jrnn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;

import io.jrnn.internal.Json;

/**
 * Makes model files for the loader fuzz tests ({@link LoadFuzzTest}): a valid seq2seq file, either one of the
 * golden models or one generated from a random config (every tensor the config needs, random values with NaN and
 * infinities now and then, dtypes F32/F16/BF16/F64), then zero or more structured edits: tensor dtypes, shapes,
 * offsets, names and entry types; the {@code jrnn.config} JSON (values, types, missing keys, invalid JSON);
 * NaN/Inf weights; and file-level damage (truncation, bad length prefix, flipped header bytes, text edits).
 *
 * <p>Editing the header as a JSON tree reaches further than flipping bytes: most edits leave the JSON valid, so
 * the loader's checks past the parser (tiling, dtypes, config, tensor shapes) and the decoder run on them.
 *
 * <p>Every decision comes from a {@link Choices}: Jazzer's {@link FuzzedDataProvider} when fuzzing, a seeded
 * {@link Random} in the CI budget run. Not thread-safe.
 */
final class ModelFileMutator {

    /** Where decisions come from. */
    interface Choices {
        /** An int in [min, max]. */
        int intIn(int min, int max);

        long anyLong();

        boolean bool();

        default <T> T pick(List<T> items) {
            return items.get(intIn(0, items.size() - 1));
        }

        @SuppressWarnings("unchecked")
        default <T> T pick(T... items) {
            return items[intIn(0, items.length - 1)];
        }

        /** True with probability about 1/n. */
        default boolean oneIn(int n) {
            return intIn(0, n - 1) == 0;
        }
    }

    /** Decisions from Jazzer's input: coverage feedback steers them. */
    static Choices from(FuzzedDataProvider d) {
        return new Choices() {
            @Override
            public int intIn(int min, int max) {
                return d.consumeInt(min, max);
            }

            @Override
            public long anyLong() {
                return d.consumeLong();
            }

            @Override
            public boolean bool() {
                return d.consumeBoolean();
            }
        };
    }

    /** Decisions from a seeded generator: reproducible from the seed. */
    static Choices from(Random r) {
        return new Choices() {
            @Override
            public int intIn(int min, int max) {
                return min + (int) Math.floorMod(r.nextLong(), (long) max - min + 1);
            }

            @Override
            public long anyLong() {
                return r.nextLong();
            }

            @Override
            public boolean bool() {
                return r.nextBoolean();
            }
        };
    }

    private static final List<String> DTYPES = List.of("F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8",
            "U16", "U32", "U64", "BOOL", "C64", "F8_E4M3", "F4", "F6_E2M3", "f32", "F128", "", "F32 ");
    private static final List<String> CELLS = List.of("lstm", "gru", "rnn_tanh", "rnn_relu");
    private static final List<String> ATTENTIONS = List.of("bahdanau", "luong_dot", "luong_general", "luong_concat",
            "none");
    private static final List<String> CONFIG_KEYS = List.of("format", "src_vocab_size", "tgt_vocab_size", "pad_id",
            "bos_id", "eos_id", "encoder", "decoder", "src_tokens", "tgt_tokens", "tokenizer", "cell", "embed_dim",
            "hidden_size", "num_layers", "bidirectional", "attention", "attention_dim", "input_feeding", "bridge");
    private static final long[] LONGS = {0, 1, 2, 3, 4, 7, 8, -1, -8, 255, 256, 65535, 65536, 65537, 1L << 31,
            (1L << 31) - 1, 1L << 32, 1L << 53, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, 100_000_000, 100_000_008};

    /** A file under construction: the header as a JSON tree (tensor entries and __metadata__) and the data. */
    static final class Draft {
        final Map<String, Object> header;
        byte[] data;

        Draft(Map<String, Object> header, byte[] data) {
            this.header = header;
            this.data = data;
        }
    }

    private final List<byte[]> models, others;

    /**
     * @param models valid seq2seq files to start from, besides generated ones
     * @param others other valid safetensors files (recurrent layers, integer tensors), started from less often
     */
    ModelFileMutator(List<byte[]> models, List<byte[]> others) {
        this.models = models;
        this.others = others;
    }

    /** A new file: a valid one (generated half the time, else a seed), then {@code 0..4} edits. */
    byte[] make(Choices c) {
        int from = c.intIn(0, 7);
        Draft d = from < 4 || models.isEmpty() ? generate(c)
                : parse(from < 7 || others.isEmpty() ? c.pick(models) : c.pick(others));
        int edits = c.intIn(0, 4);
        for (int i = 0; i < edits; i++) edit(c, d);
        byte[] file = serialize(d);
        if (c.oneIn(6)) file = damage(c, file);
        return file;
    }

    // ---- valid models ----

    /** Splits a safetensors file into its header tree and data section. */
    @SuppressWarnings("unchecked")
    static Draft parse(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) b.getLong(0);
        try {
            Map<String, Object> header = (Map<String, Object>) Json.parse(
                    new String(file, 8, n, StandardCharsets.UTF_8));
            return new Draft(header, Arrays.copyOfRange(file, 8 + n, file.length));
        } catch (IOException e) {
            throw new IllegalStateException("seed is not a safetensors file", e);
        }
    }

    /** A valid model of a random small config: every tensor SPEC §1.3 names, with random values. */
    static Draft generate(Choices c) {
        Map<String, Object> cfg = randomConfig(c);
        Seq2SeqConfig parsed;
        try {
            parsed = Seq2SeqConfig.parse(toJson(cfg), "generated");
        } catch (IOException e) {
            throw new IllegalStateException("the generator made an invalid config: " + toJson(cfg), e);
        }
        Map<String, int[]> tensors = Seq2Seq.expectedTensors(parsed, c.intIn(0, 3) > 0, c.intIn(0, 3) > 0);
        Map<String, Object> header = new LinkedHashMap<>();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("jrnn.config", toJson(cfg));
        header.put("__metadata__", meta);
        Random values = new Random(c.anyLong());
        float scale = c.pick(0.5f, 1f, 3f, 30f);
        int special = c.oneIn(4) ? c.intIn(1, 3) : 0; // NaN / +inf / -inf sprinkled in
        String dtype = c.oneIn(3) ? c.pick("F16", "BF16", "F64") : "F32";
        ByteArrayBuilder data = new ByteArrayBuilder();
        for (Map.Entry<String, int[]> t : tensors.entrySet()) {
            String dt = c.oneIn(8) ? c.pick("F32", "F16", "BF16", "F64") : dtype;
            long n = 1;
            for (int s : t.getValue()) n *= s;
            long begin = data.size();
            for (long i = 0; i < n; i++) {
                float v = (values.nextFloat() * 2 - 1) * scale;
                if (special > 0 && values.nextInt(64) == 0) {
                    v = special == 1 ? Float.NaN : special == 2 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                }
                data.put(dt, v);
            }
            header.put(t.getKey(), entry(dt, t.getValue(), begin, data.size()));
        }
        return new Draft(header, data.toArray());
    }

    private static Map<String, Object> entry(String dtype, int[] shape, long begin, long end) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("dtype", dtype);
        List<Object> s = new ArrayList<>();
        for (int d : shape) s.add((long) d);
        e.put("shape", s);
        e.put("data_offsets", new ArrayList<>(List.of(begin, end)));
        return e;
    }

    /** A config the parser accepts: small sizes, every cell, attention, bridge and tokenizer combination. */
    private static Map<String, Object> randomConfig(Choices c) {
        int vs = c.intIn(1, 12), vt = c.intIn(3, 12);
        int[] special = {0, 1, 2};
        if (c.oneIn(4)) { // three distinct ids anywhere in the vocabulary (no retry loop: choices may run dry)
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < vt; i++) ids.add(i);
            for (int k = 0; k < 3; k++) special[k] = ids.remove(c.intIn(0, ids.size() - 1));
        }
        Map<String, Object> enc = new LinkedHashMap<>();
        enc.put("cell", c.pick(CELLS));
        enc.put("embed_dim", (long) c.intIn(1, 8));
        enc.put("hidden_size", (long) c.intIn(1, 8));
        enc.put("num_layers", (long) c.intIn(1, 3));
        enc.put("bidirectional", c.bool());
        long dm = (Long) enc.get("hidden_size") * ((Boolean) enc.get("bidirectional") ? 2 : 1);

        Map<String, Object> dec = new LinkedHashMap<>();
        String attention = c.pick(ATTENTIONS);
        String bridge = c.pick("zeros", "linear_tanh");
        dec.put("cell", c.pick(CELLS));
        dec.put("embed_dim", (long) c.intIn(1, 8));
        dec.put("hidden_size", attention.equals("luong_dot") ? dm : (long) c.intIn(1, 8));
        dec.put("num_layers", bridge.equals("linear_tanh") ? enc.get("num_layers") : (Object) (long) c.intIn(1, 3));
        dec.put("attention", attention);
        dec.put("attention_dim", (long) c.intIn(1, 8));
        dec.put("input_feeding", c.bool());
        dec.put("bridge", bridge);

        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("format", Seq2SeqConfig.FORMAT);
        cfg.put("src_vocab_size", (long) vs);
        cfg.put("tgt_vocab_size", (long) vt);
        cfg.put("pad_id", (long) special[0]);
        cfg.put("bos_id", (long) special[1]);
        cfg.put("eos_id", (long) special[2]);
        cfg.put("encoder", enc);
        cfg.put("decoder", dec);
        if (c.bool()) {
            boolean words = c.bool();
            cfg.put("src_tokens", tokens(c, vs, words));
            cfg.put("tgt_tokens", tokens(c, vt, words));
            cfg.put("tokenizer", words ? "word" : "char");
        }
        return cfg;
    }

    private static final List<String> CHARS = List.of("a", "b", "<", ">", "/", " ", "\t", "\u00e9", "\u6708",
            "\ud83d\ude00", "u", "n", "k");

    /** A vocabulary: single characters (some repeated, some outside the BMP) or words. */
    private static List<Object> tokens(Choices c, int n, boolean words) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (i == 3 && c.bool()) out.add("<unk>");
            else if (words) out.add(c.oneIn(8) ? c.pick("<unk>", "w0", "") : "w" + i);
            else out.add(c.pick(CHARS));
        }
        return out;
    }

    // ---- edits ----

    /**
     * Edits of tensor entries, weights and metadata but not the config (kinds 0-7 of {@link #edit}), then sometimes
     * file-level damage: for files of any format (the whole-model files of ModelFuzzTest).
     */
    static byte[] mutateTensors(Choices c, byte[] valid, int edits) {
        Draft d = parse(valid);
        for (int i = 0; i < edits; i++) edit(c, d, c.intIn(0, 7));
        byte[] file = serialize(d);
        return c.oneIn(6) ? damage(c, file) : file;
    }

    private static void edit(Choices c, Draft d) {
        edit(c, d, c.intIn(0, 11));
    }

    @SuppressWarnings("unchecked")
    private static void edit(Choices c, Draft d, int kindChosen) {
        List<String> names = new ArrayList<>(d.header.keySet());
        names.remove("__metadata__");
        int kind = kindChosen;
        if (kind <= 6 && names.isEmpty()) kind = 7;
        String name = names.isEmpty() ? null : c.pick(names);
        Object value = name == null ? null : d.header.get(name);
        Map<String, Object> e = value instanceof Map ? (Map<String, Object>) value : null;
        switch (kind) {
            case 0: // dtype
                if (e != null) e.put("dtype", c.pick(DTYPES));
                break;
            case 1: // shape
                if (e != null) e.put("shape", editList(c, e.get("shape")));
                break;
            case 2: // offsets
                if (e != null) e.put("data_offsets", editList(c, e.get("data_offsets")));
                break;
            case 3: // a missing tensor
                d.header.remove(name);
                break;
            case 4: { // a renamed tensor: an unexpected name, or one the loader reads another way
                String to = c.pick(name + "x", name.replace("_l0", "_l1"), name.replace("_l0", "_l0_reverse"),
                        name.replace("weight", "bias"), name.replace("_ih", "_hr"), "", "__metadata__x",
                        name.substring(0, name.length() / 2));
                d.header.remove(name);
                d.header.put(to, value);
                break;
            }
            case 5: // the entry's type or keys
                if (e != null && c.bool()) {
                    if (c.bool()) e.remove(c.pick("dtype", "shape", "data_offsets"));
                    else e.put(c.pick("dtype", "shape", "data_offsets", "extra"), jsonValue(c));
                } else {
                    d.header.put(name, jsonValue(c));
                }
                break;
            case 6: // NaN, infinities or random bits over some weights
                poison(c, d);
                break;
            case 7: // metadata
                editMetadata(c, d);
                break;
            default: // the config, most often: that is where the model's meaning is
                editConfig(c, d);
        }
    }

    /** Edits a JSON list of integers (shape, offsets): one value changed, added or removed, or another type. */
    private static Object editList(Choices c, Object list) {
        if (!(list instanceof List) || c.oneIn(8)) return jsonValue(c);
        List<Object> l = new ArrayList<>((List<?>) list);
        int action = c.intIn(0, 4);
        if (l.isEmpty() || action == 0) {
            l.add(c.intIn(0, l.size()), interestingLong(c));
        } else if (action == 1) {
            l.remove(c.intIn(0, l.size() - 1));
        } else {
            int i = c.intIn(0, l.size() - 1);
            Object old = l.get(i);
            long v = old instanceof Long ? (Long) old : 0;
            l.set(i, action == 2 ? (Object) (v + c.intIn(-9, 9)) : action == 3 ? interestingLong(c) : jsonValue(c));
        }
        return l;
    }

    private static void poison(Choices c, Draft d) {
        if (d.data.length < 4) return;
        int n = c.intIn(1, 8);
        byte[] data = d.data.clone();
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            int at = c.intIn(0, data.length / 4 - 1) * 4;
            float v = c.pick(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE,
                    Float.MIN_VALUE, Float.intBitsToFloat((int) c.anyLong()));
            b.putFloat(at, v);
        }
        if (c.oneIn(3)) { // a whole weight region: all NaN or all -inf (every logit -inf, every score -inf)
            float v = c.pick(Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            int from = c.intIn(0, data.length / 4 - 1) * 4;
            int to = Math.min(data.length / 4 * 4, from + 4 * c.intIn(1, 512));
            for (int at = from; at < to; at += 4) b.putFloat(at, v);
        }
        d.data = data;
    }

    @SuppressWarnings("unchecked")
    private static void editMetadata(Choices c, Draft d) {
        Object m = d.header.get("__metadata__");
        switch (c.intIn(0, 4)) {
            case 0:
                d.header.remove("__metadata__");
                break;
            case 1:
                d.header.put("__metadata__", jsonValue(c));
                break;
            case 2:
                if (m instanceof Map) ((Map<String, Object>) m).put(c.pick("jrnn.config", "format", "x"), jsonValue(c));
                break;
            case 3:
                if (m instanceof Map) ((Map<String, Object>) m).remove("jrnn.config");
                break;
            default:
                if (m instanceof Map) ((Map<String, Object>) m).put("extra", "value");
        }
    }

    /** Edits the jrnn.config JSON: a value, a type, a missing key, or the text itself. */
    @SuppressWarnings("unchecked")
    private static void editConfig(Choices c, Draft d) {
        Object m = d.header.get("__metadata__");
        if (!(m instanceof Map) || !(((Map<String, Object>) m).get("jrnn.config") instanceof String)) return;
        Map<String, Object> meta = (Map<String, Object>) m;
        String text = (String) meta.get("jrnn.config");
        if (c.oneIn(6)) { // invalid JSON, or JSON of another shape
            meta.put("jrnn.config", textEdit(c, text));
            return;
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (IOException e) {
            return; // an earlier edit broke it already
        }
        if (!(root instanceof Map)) return;
        Map<String, Object> cfg = (Map<String, Object>) root;
        Map<String, Object> target = cfg;
        int where = c.intIn(0, 2);
        if (where == 1 && cfg.get("encoder") instanceof Map) target = (Map<String, Object>) cfg.get("encoder");
        if (where == 2 && cfg.get("decoder") instanceof Map) target = (Map<String, Object>) cfg.get("decoder");
        String key = c.pick(CONFIG_KEYS);
        Object old = target.get(key);
        switch (c.intIn(0, 5)) {
            case 0:
                target.remove(key);
                break;
            case 1:
                target.put(key, jsonValue(c));
                break;
            case 2: // a nearby integer: sizes that disagree with the tensors by one
                target.put(key, (old instanceof Long ? (Long) old : 0L) + c.intIn(-2, 2));
                break;
            case 3:
                target.put(key, interestingLong(c));
                break;
            case 4: // another valid choice: a config that no longer matches the tensors
                target.put(key, c.pick("lstm", "gru", "rnn_tanh", "rnn_relu", "bahdanau", "luong_dot",
                        "luong_general", "luong_concat", "none", "zeros", "linear_tanh", "char", "word", true, false));
                break;
            default: // vocabularies: the wrong length, a non-string, duplicates
                List<Object> toks = new ArrayList<>();
                int n = c.intIn(0, 14);
                for (int i = 0; i < n; i++) toks.add(c.oneIn(10) ? jsonValue(c) : c.pick("a", "b", "<unk>", " ", ""));
                target.put(c.pick("src_tokens", "tgt_tokens"), toks);
                if (c.bool()) target.put("tokenizer", c.pick("char", "word"));
        }
        meta.put("jrnn.config", toJson(cfg));
    }

    /** File-level damage, past the JSON tree: truncation, the length prefix, bytes in the header. */
    private static byte[] damage(Choices c, byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) Math.min(b.getLong(0), file.length - 8);
        switch (c.intIn(0, 4)) {
            case 0:
                return Arrays.copyOf(file, c.intIn(0, file.length - 1));
            case 1:
                b.putLong(0, c.oneIn(2) ? interestingLong(c) : b.getLong(0) + c.intIn(-16, 16));
                return file;
            case 2: {
                int n = c.intIn(1, 4);
                for (int i = 0; i < n && headerLength > 0; i++) {
                    file[8 + c.intIn(0, headerLength - 1)] = (byte) c.intIn(0, 255);
                }
                return file;
            }
            case 3: {
                String header = new String(file, 8, headerLength, StandardCharsets.UTF_8);
                byte[] h = textEdit(c, header).getBytes(StandardCharsets.UTF_8);
                ByteBuffer out = ByteBuffer.allocate(8 + h.length + file.length - 8 - headerLength)
                        .order(ByteOrder.LITTLE_ENDIAN);
                out.putLong(h.length).put(h).put(file, 8 + headerLength, file.length - 8 - headerLength);
                return out.array();
            }
            default: {
                byte[] longer = Arrays.copyOf(file, file.length + c.intIn(1, 16));
                return longer;
            }
        }
    }

    /** A text edit that mostly breaks JSON: a cut, an inserted token, a deleted range. */
    static String textEdit(Choices c, String s) {
        int at = s.isEmpty() ? 0 : c.intIn(0, s.length());
        switch (c.intIn(0, 3)) {
            case 0:
                return s.substring(0, at);
            case 1: {
                String token = c.pick("{", "}", "[", "]", ",", ":", "\"", "\\", "\\u12", "\ud800", "\u0000", "1e999",
                        "-0", "01", "NaN", "null", "true", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                        "\"__metadata__\":{},", "9223372036854775808", " ");
                return s.substring(0, at) + token + s.substring(at);
            }
            case 2: {
                int to = Math.min(s.length(), at + c.intIn(1, 16));
                return s.substring(0, at) + s.substring(to);
            }
            default:
                return s.isEmpty() ? s : s.substring(0, at) + s.substring(at).replaceFirst("\\d", "" + c.intIn(0, 9));
        }
    }

    private static long interestingLong(Choices c) {
        return c.oneIn(4) ? c.anyLong() : LONGS[c.intIn(0, LONGS.length - 1)];
    }

    /** A JSON value of any type. */
    static Object jsonValue(Choices c) {
        switch (c.intIn(0, 7)) {
            case 0:
                return interestingLong(c);
            case 1:
                return c.pick(0.5, -0.0, 1e300, 3.0);
            case 2:
                return c.pick("", "F32", "lstm", "x");
            case 3:
                return c.bool();
            case 4:
                return null;
            case 5:
                return new ArrayList<>(List.of(1L, 2L));
            case 6:
                return new ArrayList<>();
            default:
                return new LinkedHashMap<>();
        }
    }

    // ---- writing ----

    /** The file: 8-byte length, the header JSON padded with spaces to a multiple of 8, the data. */
    static byte[] serialize(Draft d) {
        byte[] h = toJson(d.header).getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + d.data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) b.put((byte) ' ');
        return b.put(d.data).array();
    }

    /** JSON text of what {@link Json#parse} returns (NaN and infinities are written as is: invalid JSON). */
    static String toJson(Object v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
        if (v instanceof Map) {
            sb.append('{');
            String sep = "";
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                sb.append(sep).append(SafetensorsWriter.json((String) e.getKey())).append(':');
                write(sb, e.getValue());
                sep = ",";
            }
            sb.append('}');
        } else if (v instanceof List) {
            sb.append('[');
            String sep = "";
            for (Object o : (List<?>) v) {
                sb.append(sep);
                write(sb, o);
                sep = ",";
            }
            sb.append(']');
        } else if (v instanceof String) {
            sb.append(SafetensorsWriter.json((String) v));
        } else {
            sb.append(v); // Long, Double, Boolean, null
        }
    }

    /** Little-endian tensor data in any of the float dtypes. */
    private static final class ByteArrayBuilder {
        private ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);

        void put(String dtype, float v) {
            if (b.remaining() < 8) {
                ByteBuffer bigger = ByteBuffer.allocate(b.capacity() * 2).order(ByteOrder.LITTLE_ENDIAN);
                b.flip();
                b = bigger.put(b);
            }
            switch (dtype) {
                case "F64" -> b.putDouble(v);
                case "BF16" -> b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                case "F16" -> b.putShort(toHalf(v));
                default -> b.putFloat(v);
            }
        }

        long size() {
            return b.position();
        }

        byte[] toArray() {
            return Arrays.copyOf(b.array(), b.position());
        }

        /** float32 to binary16, truncating the mantissa (exactness does not matter here, NaN and inf do). */
        private static short toHalf(float v) {
            int bits = Float.floatToRawIntBits(v);
            int sign = (bits >>> 16) & 0x8000;
            if (Float.isNaN(v)) return (short) (sign | 0x7E00);
            int exp = ((bits >>> 23) & 0xFF) - 127 + 15;
            if (exp >= 0x1F) return (short) (sign | 0x7C00);
            if (exp <= 0) return (short) sign;
            return (short) (sign | (exp << 10) | ((bits >>> 13) & 0x3FF));
        }
    }
}
