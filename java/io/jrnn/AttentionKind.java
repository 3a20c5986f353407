package io.jrnn;

/** The attention of a seq2seq decoder (SPEC §1.2, §1.3), named as the config names it. Immutable. */
public enum AttentionKind {
    /** Additive, before the RNN: {@code e_j = v · tanh(W_q q + W_k h_j)}. */
    BAHDANAU("bahdanau"),
    /** {@code e_j = q · h_j}, after the RNN. */
    LUONG_DOT("luong_dot"),
    /** {@code e_j = q · (W_a h_j)}, after the RNN. */
    LUONG_GENERAL("luong_general"),
    /** {@code e_j = v · tanh(W_a [q; h_j])}, after the RNN. */
    LUONG_CONCAT("luong_concat"),
    /** No attention. */
    NONE("none");

    private final String configName;

    AttentionKind(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    /** Luong attention (computed after the RNN step, with the combine layer). */
    public boolean luong() {
        return this == LUONG_DOT || this == LUONG_GENERAL || this == LUONG_CONCAT;
    }

    /** Whether it has its own size A ({@code attention_dim}). */
    public boolean hasDim() {
        return this == BAHDANAU || this == LUONG_CONCAT;
    }

    /** The kind of a config name; IllegalArgumentException listing the names otherwise. */
    public static AttentionKind fromConfig(String name) {
        for (AttentionKind k : values()) if (k.configName.equals(name)) return k;
        throw new IllegalArgumentException("attention must be one of bahdanau, luong_dot, luong_general, luong_concat, "
                + "none, got \"" + name + "\"");
    }

    @Override
    public String toString() {
        return configName;
    }
}
