package io.jrnn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * Small model files for the validation, robustness, concurrency and soak tests: seq2seq models of any config (every
 * tensor SPEC §1.3 names, random weights, or values a function chooses) and recurrent stacks. Stateless.
 */
final class TestModels {
    private TestModels() {}

    /** Source and target vocabulary of {@link #CHAR_CONFIG}: specials, then a, b, c (ids 3, 4, 5). */
    static final String TOKENS = "[\"<pad>\", \"<s>\", \"</s>\", \"a\", \"b\", \"c\"]";

    /** A char-tokenized bahdanau model: LSTM 2x8 bidirectional encoder, GRU 2x8 decoder, linear_tanh bridge. */
    static final String CHAR_CONFIG = "{\"format\": \"jrnn.seq2seq.v1\", \"src_vocab_size\": 6, \"tgt_vocab_size\": 6,"
            + " \"pad_id\": 0, \"bos_id\": 1, \"eos_id\": 2,"
            + " \"encoder\": {\"cell\": \"lstm\", \"embed_dim\": 5, \"hidden_size\": 8, \"num_layers\": 2,"
            + " \"bidirectional\": true},"
            + " \"decoder\": {\"cell\": \"gru\", \"embed_dim\": 4, \"hidden_size\": 8, \"num_layers\": 2,"
            + " \"attention\": \"bahdanau\", \"attention_dim\": 6, \"bridge\": \"linear_tanh\"},"
            + " \"src_tokens\": " + TOKENS + ", \"tgt_tokens\": " + TOKENS + ", \"tokenizer\": \"char\"}";

    /** A config of the given attention, cells and sizes, without vocabularies. */
    static String config(String encCell, String decCell, String attention, int vocab, int hidden, int layers) {
        return "{\"format\": \"jrnn.seq2seq.v1\", \"src_vocab_size\": " + vocab + ", \"tgt_vocab_size\": " + vocab
                + ", \"pad_id\": 0, \"bos_id\": 1, \"eos_id\": 2,"
                + " \"encoder\": {\"cell\": \"" + encCell + "\", \"embed_dim\": 6, \"hidden_size\": " + hidden
                + ", \"num_layers\": " + layers + ", \"bidirectional\": false},"
                + " \"decoder\": {\"cell\": \"" + decCell + "\", \"embed_dim\": 6, \"hidden_size\": " + hidden
                + ", \"num_layers\": " + layers + ", \"attention\": \"" + attention + "\", \"attention_dim\": 7,"
                + " \"input_feeding\": true, \"bridge\": \"linear_tanh\"}}";
    }

    /** A model file of this config with weights uniform in [-scale, scale) from a seeded generator. */
    static Path seq2seq(Path file, String configJson, long seed, float scale) {
        Random r = new Random(seed);
        return seq2seq(file, configJson, (name, i) -> (r.nextFloat() * 2 - 1) * scale);
    }

    /** A model file of this config; {@code value.apply(tensorName, index)} gives each weight. */
    static Path seq2seq(Path file, String configJson, BiFunction<String, Integer, Float> value) {
        Seq2SeqConfig cfg;
        try {
            cfg = Seq2SeqConfig.parse(configJson, "test config");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SafetensorsWriter w = new SafetensorsWriter().meta("jrnn.config", configJson);
        for (Map.Entry<String, int[]> t : Seq2Seq.expectedTensors(cfg, true, true).entrySet()) {
            int n = 1;
            for (int d : t.getValue()) n *= d;
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = value.apply(t.getKey(), i);
            w.f32(t.getKey(), v, t.getValue());
        }
        return w.write(file);
    }

    /** A recurrent stack under prefix "rnn" (gates 4 LSTM, 3 GRU, 1 RNN), weights uniform in [-0.5, 0.5). */
    static Path recurrent(Path file, int gates, int layers, boolean bidirectional, int input, int hidden, long seed) {
        Random r = new Random(seed);
        SafetensorsWriter w = new SafetensorsWriter();
        RecurrentValidationTest.shapes(gates, layers, bidirectional, input, hidden, 0, true).forEach((n, shape) -> {
            int count = 1;
            for (int d : shape) count *= d;
            float[] v = new float[count];
            for (int i = 0; i < count; i++) v[i] = r.nextFloat() - 0.5f;
            w.f32(n, v, shape);
        });
        return w.write(file);
    }
}
