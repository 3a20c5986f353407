package io.jrnn;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.jrnn.internal.Json;

/**
 * The {@code jrnn.config} metadata of a seq2seq model file (SPEC §1.3), parsed and checked.
 *
 * <p>Thread safety: immutable (the token lists are unmodifiable); share it freely.
 *
 * @param srcTokens source vocabulary (id → token) or null
 * @param tgtTokens target vocabulary or null
 * @param tokenizer "char", "word" or null: how {@link Seq2Seq#translate(String)} splits text
 */
public record Seq2SeqConfig(String format, int srcVocabSize, int tgtVocabSize, int padId, int bosId, int eosId,
                            Encoder encoder, Decoder decoder, List<String> srcTokens, List<String> tgtTokens,
                            String tokenizer) {

    public static final String FORMAT = "jrnn.seq2seq.v1";
    static final Set<String> CELLS = configNames(Cell.values());
    static final Set<String> ATTENTIONS = configNames(AttentionKind.values());
    static final Set<String> BRIDGES = Set.of("zeros", "linear_tanh");
    private static final int MAX_VOCAB = 10_000_000, MAX_DIM = 1 << 16, MAX_LAYERS = 64;

    /** The encoder: numDirections() is 2 when bidirectional. */
    public record Encoder(Cell cell, int embedDim, int hiddenSize, int numLayers, boolean bidirectional) {
        public int numDirections() {
            return bidirectional ? 2 : 1;
        }

        /** Size of one encoder output h_j: D·He. */
        public int outputSize() {
            return numDirections() * hiddenSize;
        }
    }

    public record Decoder(Cell cell, int embedDim, int hiddenSize, int numLayers, AttentionKind attention,
                          int attentionDim, boolean inputFeeding, String bridge) {
        public boolean luong() {
            return attention.luong();
        }

        /** input_feeding has a meaning only for luong_* attention. */
        public boolean feedsInput() {
            return inputFeeding && luong();
        }
    }

    /** Decoder RNN input size: Ed, plus D·He (bahdanau context) or Hd (luong input feeding). */
    public int decoderInputSize() {
        int extra = decoder.attention == AttentionKind.BAHDANAU ? encoder.outputSize()
                : decoder.feedsInput() ? decoder.hiddenSize : 0;
        return decoder.embedDim + extra;
    }

    /** K, the input size of the output layer. */
    public int outputInputSize() {
        return decoder.attention == AttentionKind.BAHDANAU ? decoder.hiddenSize + encoder.outputSize() : decoder.hiddenSize;
    }

    public boolean hasAttention() {
        return decoder.attention != AttentionKind.NONE;
    }

    private static Set<String> configNames(Enum<?>[] values) {
        java.util.Set<String> s = new java.util.HashSet<>();
        for (Enum<?> v : values) s.add(v instanceof Cell c ? c.configName() : ((AttentionKind) v).configName());
        return Set.copyOf(s);
    }

    /** Parses and checks the JSON; {@code where} names the file in messages. */
    static Seq2SeqConfig parse(String json, String where) throws IOException {
        Object root;
        try {
            root = Json.parse(json);
        } catch (IOException e) {
            throw new IOException(where + ": jrnn.config is not valid JSON: " + e.getMessage(), e);
        }
        ConfigReader r = new ConfigReader(where + ": jrnn.config");
        Map<String, Object> m = r.object(root, "");
        String format = r.string(m, "format");
        if (!FORMAT.equals(format)) r.fail("format", "\"" + FORMAT + "\"", "\"" + format + "\"");
        int vs = r.integer(m, "src_vocab_size", 1, MAX_VOCAB);
        int vt = r.integer(m, "tgt_vocab_size", 3, MAX_VOCAB);
        int pad = r.integer(m, "pad_id", 0, vt - 1);
        int bos = r.integer(m, "bos_id", 0, vt - 1);
        int eos = r.integer(m, "eos_id", 0, vt - 1);
        if (pad == bos || pad == eos || bos == eos) {
            throw new IOException(r.where + ": pad_id, bos_id and eos_id must differ, got " + pad + ", " + bos + ", " + eos);
        }
        Map<String, Object> e = r.object(m.get("encoder"), "encoder");
        Encoder enc = new Encoder(Cell.fromConfig(r.choice(e, "encoder.cell", "cell", CELLS)), r.integer(e, "encoder.embed_dim", "embed_dim", 1, MAX_DIM),
                r.integer(e, "encoder.hidden_size", "hidden_size", 1, MAX_DIM), r.integer(e, "encoder.num_layers", "num_layers", 1, MAX_LAYERS),
                r.bool(e, "encoder.bidirectional", "bidirectional", false));
        Map<String, Object> d = r.object(m.get("decoder"), "decoder");
        AttentionKind attention = d.containsKey("attention")
                ? AttentionKind.fromConfig(r.choice(d, "decoder.attention", "attention", ATTENTIONS)) : AttentionKind.NONE;
        boolean needsDim = attention.hasDim();
        Decoder dec = new Decoder(Cell.fromConfig(r.choice(d, "decoder.cell", "cell", CELLS)), r.integer(d, "decoder.embed_dim", "embed_dim", 1, MAX_DIM),
                r.integer(d, "decoder.hidden_size", "hidden_size", 1, MAX_DIM), r.integer(d, "decoder.num_layers", "num_layers", 1, MAX_LAYERS),
                attention, needsDim ? r.integer(d, "decoder.attention_dim", "attention_dim", 1, MAX_DIM) : 0,
                r.bool(d, "decoder.input_feeding", "input_feeding", false),
                d.containsKey("bridge") ? r.choice(d, "decoder.bridge", "bridge", BRIDGES) : "zeros");
        if (attention == AttentionKind.LUONG_DOT && dec.hiddenSize != enc.outputSize()) {
            throw new IOException(r.where + ": luong_dot attention needs decoder.hidden_size == encoder output size "
                    + enc.outputSize() + " (D*hidden_size), got " + dec.hiddenSize);
        }
        if (dec.bridge.equals("linear_tanh") && dec.numLayers != enc.numLayers) {
            throw new IOException(r.where + ": bridge linear_tanh needs equal layer counts, got encoder "
                    + enc.numLayers + " and decoder " + dec.numLayers);
        }
        List<String> src = r.tokens(m, "src_tokens", vs);
        List<String> tgt = r.tokens(m, "tgt_tokens", vt);
        String tokenizer = null;
        if (m.containsKey("tokenizer")) {
            tokenizer = r.choice(m, "tokenizer", "tokenizer", Set.of("char", "word"));
            if (src == null || tgt == null) {
                throw new IOException(r.where + ": tokenizer \"" + tokenizer + "\" needs src_tokens and tgt_tokens");
            }
        }
        return new Seq2SeqConfig(format, vs, vt, pad, bos, eos, enc, dec, src, tgt, tokenizer);
    }
}
