package io.jrnn;

import io.jrnn.internal.JrnnNative;

/**
 * The recurrent cells, named as the configs of model files name them ({@code "rnn_tanh"}, {@code "lstm"}, ...).
 * Immutable.
 */
public enum Cell {
    /** Elman RNN, {@code torch.nn.RNN(nonlinearity="tanh")}. */
    RNN_TANH("rnn_tanh", "RNN", 1, JrnnNative.CELL_RNN_TANH),
    /** Elman RNN, {@code torch.nn.RNN(nonlinearity="relu")}. */
    RNN_RELU("rnn_relu", "RNN", 1, JrnnNative.CELL_RNN_RELU),
    /** {@code torch.nn.LSTM}: 4 gates (i, f, g, o). */
    LSTM("lstm", "LSTM", 4, JrnnNative.CELL_LSTM),
    /** {@code torch.nn.GRU}: 3 gates (r, z, n). */
    GRU("gru", "GRU", 3, JrnnNative.CELL_GRU);

    private final String configName, kind;
    private final int gates, nativeId;

    Cell(String configName, String kind, int gates, int nativeId) {
        this.configName = configName;
        this.kind = kind;
        this.gates = gates;
        this.nativeId = nativeId;
    }

    /** The name in a model file's config: rnn_tanh, rnn_relu, lstm, gru. */
    public String configName() {
        return configName;
    }

    /** The number of gate blocks stacked in {@code weight_ih}/{@code weight_hh} (1, 4, 3). */
    public int gates() {
        return gates;
    }

    /** The cell of a config name; IllegalArgumentException listing the names otherwise. */
    public static Cell fromConfig(String name) {
        for (Cell c : values()) {
            if (c.configName.equals(name)) return c;
        }
        throw new IllegalArgumentException("cell must be one of rnn_tanh, rnn_relu, lstm, gru, got \"" + name + "\"");
    }

    /** "LSTM", "GRU", "RNN" for messages. */
    String kind() {
        return kind;
    }

    int nativeId() {
        return nativeId;
    }

    /** The cell family with this many gates (for messages about weights of another cell), or null. */
    static String kindOfGates(int gates) {
        return gates == 4 ? "LSTM" : gates == 3 ? "GRU" : gates == 1 ? "RNN" : null;
    }
}
