package io.jrnn.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.jrnn.SafetensorsWriter;

/**
 * A small seq2seq model file with random weights (SPEC §1.3 names and shapes) and a character vocabulary, for the
 * command-line tests: a bidirectional GRU encoder, a GRU decoder with additive (Bahdanau) attention and a
 * linear_tanh bridge. Source characters: digits, letters, " ,./-" and 년 월 일; no {@code <unk>}, so any other
 * character is a bad input. Targets: digits and '-'. Written with the test {@code io.jrnn.SafetensorsWriter}
 * (package-private there, so reached by reflection).
 *
 * <p>Run {@code main(path)} to write one for trying the tool by hand.
 */
final class TinyModel {
    private TinyModel() {}

    static final int E = 8, H = 8, A = 8;

    static List<String> srcTokens() {
        List<String> t = new ArrayList<>(List.of("<pad>", "<s>", "</s>", " ", ",", ".", "/", "-"));
        for (char c = '0'; c <= '9'; c++) t.add(String.valueOf(c));
        for (char c = 'a'; c <= 'z'; c++) t.add(String.valueOf(c));
        for (char c = 'A'; c <= 'Z'; c++) t.add(String.valueOf(c));
        t.addAll(List.of("년", "월", "일"));
        return t;
    }

    static List<String> tgtTokens() {
        List<String> t = new ArrayList<>(List.of("<pad>", "<s>", "</s>"));
        for (char c = '0'; c <= '9'; c++) t.add(String.valueOf(c));
        t.add("-");
        return t;
    }

    static String config() {
        int vs = srcTokens().size(), vt = tgtTokens().size();
        return "{\"format\": \"jrnn.seq2seq.v1\", \"src_vocab_size\": " + vs + ", \"tgt_vocab_size\": " + vt
                + ", \"pad_id\": 0, \"bos_id\": 1, \"eos_id\": 2,"
                + " \"encoder\": {\"cell\": \"gru\", \"embed_dim\": " + E + ", \"hidden_size\": " + H
                + ", \"num_layers\": 1, \"bidirectional\": true},"
                + " \"decoder\": {\"cell\": \"gru\", \"embed_dim\": " + E + ", \"hidden_size\": " + H
                + ", \"num_layers\": 1, \"attention\": \"bahdanau\", \"attention_dim\": " + A
                + ", \"input_feeding\": false, \"bridge\": \"linear_tanh\"},"
                + " \"tokenizer\": \"char\", \"src_tokens\": " + json(srcTokens()) + ", \"tgt_tokens\": "
                + json(tgtTokens()) + "}";
    }

    /** Writes the model to {@code file}; the weights depend only on {@code seed}. */
    static Path write(Path file, long seed) {
        Random rng = new Random(seed);
        int vs = srcTokens().size(), vt = tgtTokens().size();
        SafetensorsWriter w = new SafetensorsWriter();
        w.f32("encoder.embedding.weight", rand(rng, vs * E, 1f), vs, E);
        for (String sfx : List.of("_l0", "_l0_reverse")) {
            w.f32("encoder.rnn.weight_ih" + sfx, rand(rng, 3 * H * E, 0.5f), 3 * H, E);
            w.f32("encoder.rnn.weight_hh" + sfx, rand(rng, 3 * H * H, 0.5f), 3 * H, H);
            w.f32("encoder.rnn.bias_ih" + sfx, rand(rng, 3 * H, 0.1f), 3 * H);
            w.f32("encoder.rnn.bias_hh" + sfx, rand(rng, 3 * H, 0.1f), 3 * H);
        }
        w.f32("decoder.embedding.weight", rand(rng, vt * E, 1f), vt, E);
        final int in = E + 2 * H;
        w.f32("decoder.rnn.weight_ih_l0", rand(rng, 3 * H * in, 0.5f), 3 * H, in);
        w.f32("decoder.rnn.weight_hh_l0", rand(rng, 3 * H * H, 0.5f), 3 * H, H);
        w.f32("decoder.rnn.bias_ih_l0", rand(rng, 3 * H, 0.1f), 3 * H);
        w.f32("decoder.rnn.bias_hh_l0", rand(rng, 3 * H, 0.1f), 3 * H);
        w.f32("decoder.bridge.weight", rand(rng, H * 2 * H, 0.5f), H, 2 * H);
        w.f32("decoder.bridge.bias", rand(rng, H, 0.1f), H);
        w.f32("decoder.attention.query.weight", rand(rng, A * H, 1f), A, H);
        w.f32("decoder.attention.key.weight", rand(rng, A * 2 * H, 1f), A, 2 * H);
        w.f32("decoder.attention.v.weight", rand(rng, A, 3f), 1, A); // sharp enough to see an alignment
        final int k = H + 2 * H;
        w.f32("decoder.out.weight", rand(rng, vt * k, 1f), vt, k);
        w.f32("decoder.out.bias", rand(rng, vt, 0.5f), vt);
        w.meta("jrnn.config", config());
        return w.write(file);
    }

    public static void main(String[] args) {
        System.out.println(write(Path.of(args[0]), args.length > 1 ? Long.parseLong(args[1]) : 7));
    }

    private static float[] rand(Random rng, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rng.nextFloat() * 2 - 1) * scale;
        return a;
    }

    private static String json(List<String> tokens) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < tokens.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append('"').append(tokens.get(i).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return sb.append(']').toString();
    }
}
