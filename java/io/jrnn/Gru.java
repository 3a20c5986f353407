package io.jrnn;

import io.jrnn.internal.JrnnNative;

/**
 * A stack of GRU layers computing what {@code torch.nn.GRU} computes (gate order r, z, n):
 * {@code n_t = tanh(W_in x_t + b_in + r_t∘(W_hn h_{t-1} + b_hn))}, {@code h_t = (1−z_t)∘n_t + z_t∘h_{t-1}}.
 *
 * <p>Sizes, layer count and direction are read from the PyTorch tensor names and shapes under a prefix.
 *
 * <p>Thread safety: immutable once loaded; share one instance across threads (see {@link RecurrentLayer}).
 */
public final class Gru extends NativeRecurrent {

    /** Where the reset gate applies in the candidate. */
    public enum Reset {
        /** After the matmul, {@code r∘(W_hn h + b_hn)}: PyTorch, cuDNN, Keras reset_after=True, ONNX linear_before_reset=1. */
        AFTER,
        /** Before the matmul, {@code W_hn (r∘h) + b_hn}: Cho et al. 2014, Keras reset_after=False, the ONNX default. */
        BEFORE
    }

    private final Reset reset;

    private Gru(StateDict sd, String prefix, Reset reset, RecurrentOptions options, Precision precision) {
        super(sd, prefix, Cell.GRU, reset == Reset.BEFORE ? JrnnNative.GRU_RESET_BEFORE : 0, options, precision);
        this.reset = reset;
    }

    /** Loads a PyTorch GRU from the tensors under {@code prefix} (e.g. "rnn"; "" for none). */
    public static Gru load(StateDict sd, String prefix) {
        return load(sd, prefix, Reset.AFTER);
    }

    /** Loads a GRU with the given reset placement. */
    public static Gru load(StateDict sd, String prefix, Reset reset) {
        return load(sd, prefix, reset, Precision.FP32);
    }

    /** Loads a PyTorch GRU (reset after the matmul) with its weight matrices in the given precision (SPEC §1.5). */
    public static Gru load(StateDict sd, String prefix, Precision precision) {
        return load(sd, prefix, Reset.AFTER, precision);
    }

    /** Loads a GRU with the given reset placement and weight precision. */
    public static Gru load(StateDict sd, String prefix, Reset reset, Precision precision) {
        return load(sd, prefix, reset, RecurrentOptions.defaults(), precision);
    }

    /**
     * Loads a GRU with the given reset placement and ONNX-style options (reverse, clip, activations f, g; see
     * {@link RecurrentOptions}; inputForget is LSTM-only), applied to every layer, in the given precision.
     */
    public static Gru load(StateDict sd, String prefix, Reset reset, RecurrentOptions options, Precision precision) {
        if (reset == null) throw new IllegalArgumentException("reset must not be null");
        return new Gru(sd, prefix, reset, options, precision);
    }

    public Reset reset() {
        return reset;
    }
}
