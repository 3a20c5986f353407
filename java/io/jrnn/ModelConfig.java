package io.jrnn;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.jrnn.internal.Json;

/**
 * The {@code jrnn.config} of a {@link SequenceModel} file, format {@code jrnn.model.v1} (docs/MODEL-FORMAT.md).
 * Sizes written in the config are optional and, when present, checked against the tensors. Immutable.
 */
record ModelConfig(Integer numEmbeddings, Integer embeddingDim, Cell cell, boolean sigmoidCandidate,
                   boolean resetBefore, Map<String, Integer> rnnSizes, Boolean bidirectional, boolean batchFirst,
                   SequenceModel.Readout readout, List<Head> heads, SequenceModel.Output output, List<String> tokens) {

    static final String FORMAT = "jrnn.model.v1";
    static final String KEY = "jrnn.config";
    private static final int MAX = 1 << 24;

    /** One Linear + activation of the head; sizes null when the config leaves them to the tensors. */
    record Head(Integer inFeatures, Integer outFeatures, Boolean bias, SequenceModel.Activation activation) {}

    static ModelConfig parse(String json, String where) throws IOException {
        Object root;
        try {
            root = Json.parse(json);
        } catch (IOException e) {
            throw new IOException(where + ": " + KEY + " is not valid JSON: " + e.getMessage(), e);
        }
        ConfigReader r = new ConfigReader(where + ": " + KEY);
        Map<String, Object> m = r.object(root, "");
        r.onlyKeys(m, "", Set.of("format", "embedding", "rnn", "readout", "head", "output", "tokens"));
        String format = r.string(m, "format");
        if (!FORMAT.equals(format)) r.fail("format", "\"" + FORMAT + "\"", "\"" + format + "\"");

        Integer vocab = null, dim = null;
        if (m.get("embedding") != null) {
            Map<String, Object> e = r.object(m.get("embedding"), "embedding");
            r.onlyKeys(e, "embedding", Set.of("num_embeddings", "embedding_dim"));
            vocab = optInt(r, e, "embedding.", "num_embeddings");
            dim = optInt(r, e, "embedding.", "embedding_dim");
        }

        Map<String, Object> n = r.object(m.get("rnn"), "rnn");
        r.onlyKeys(n, "rnn", Set.of("cell", "input_size", "hidden_size", "num_layers", "bidirectional", "proj_size",
                "bias", "batch_first", "lstm_candidate", "gru_reset", "dropout"));
        Cell cell = Cell.fromConfig(r.choice(n, "rnn.cell", "cell", Set.of("rnn_tanh", "rnn_relu", "lstm", "gru")));
        boolean sigmoid = n.containsKey("lstm_candidate")
                && r.choice(n, "rnn.lstm_candidate", "lstm_candidate", Set.of("tanh", "sigmoid")).equals("sigmoid");
        boolean before = n.containsKey("gru_reset")
                && r.choice(n, "rnn.gru_reset", "gru_reset", Set.of("after", "before")).equals("before");
        if (sigmoid && cell != Cell.LSTM) r.fail("rnn.lstm_candidate", "absent for a " + cell.configName(), "\"sigmoid\"");
        if (before && cell != Cell.GRU) r.fail("rnn.gru_reset", "absent for a " + cell.configName(), "\"before\"");
        Map<String, Integer> sizes = new java.util.LinkedHashMap<>();
        for (String k : List.of("input_size", "hidden_size", "num_layers", "proj_size")) {
            Integer v = optInt(r, n, "rnn.", k);
            if (v != null) sizes.put(k, v);
        }
        Boolean bidi = n.containsKey("bidirectional") ? r.bool(n, "rnn.bidirectional", "bidirectional", false) : null;
        boolean batchFirst = r.bool(n, "rnn.batch_first", "batch_first", false);

        SequenceModel.Readout readout = SequenceModel.Readout.fromConfig(r.choice(m, "readout", "readout",
                Set.of("all_steps", "last", "final_state", "mean")));

        List<Head> heads = new ArrayList<>();
        Object h = m.get("head");
        if (h != null) {
            if (!(h instanceof List)) r.fail("head", "a list of layers", ConfigReader.describe(h));
            List<?> list = (List<?>) h;
            for (int i = 0; i < list.size(); i++) {
                String key = "head[" + i + "]";
                Map<String, Object> e = r.object(list.get(i), key);
                r.onlyKeys(e, key, Set.of("in_features", "out_features", "bias", "activation"));
                Integer in = optInt(r, e, key + ".", "in_features"), out = optInt(r, e, key + ".", "out_features");
                Boolean bias = e.containsKey("bias") ? r.bool(e, key + ".bias", "bias", true) : null;
                SequenceModel.Activation act = e.containsKey("activation")
                        ? SequenceModel.Activation.fromConfig(r.choice(e, key + ".activation", "activation",
                                Set.of("none", "tanh", "relu", "sigmoid")))
                        : SequenceModel.Activation.NONE;
                heads.add(new Head(in, out, bias, act));
            }
        }
        SequenceModel.Output output = m.containsKey("output")
                ? SequenceModel.Output.fromConfig(r.choice(m, "output", "output", Set.of("none", "softmax", "log_softmax")))
                : SequenceModel.Output.NONE;
        List<String> tokens = null;
        if (m.get("tokens") != null) {
            Object t = m.get("tokens");
            if (!(t instanceof List)) r.fail("tokens", "a list of strings", ConfigReader.describe(t));
            tokens = r.tokens(m, "tokens", ((List<?>) t).size());
            if (vocab != null && tokens.size() != vocab) {
                r.fail("tokens", "a list of " + vocab + " tokens (embedding.num_embeddings)", tokens.size() + " tokens");
            }
        }
        return new ModelConfig(vocab, dim, cell, sigmoid, before, Collections.unmodifiableMap(sizes), bidi, batchFirst,
                readout, Collections.unmodifiableList(heads), output, tokens);
    }

    private static Integer optInt(ConfigReader r, Map<String, Object> m, String path, String key) throws IOException {
        if (!m.containsKey(key)) return null;
        return r.integer(m, path + key, key, key.equals("proj_size") ? 0 : 1, MAX);
    }
}
