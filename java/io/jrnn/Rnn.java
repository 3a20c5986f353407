package io.jrnn;

import java.util.List;

/**
 * A stack of Elman RNN layers computing what {@code torch.nn.RNN} computes:
 * {@code h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)}, act = tanh or relu.
 *
 * <p>Sizes, layer count and direction are read from the PyTorch tensor names and shapes under a prefix.
 *
 * <p>Thread safety: immutable once loaded; share one instance across threads (see {@link RecurrentLayer}).
 */
public final class Rnn extends NativeRecurrent {
    private final Activation activation;

    private Rnn(StateDict sd, String prefix, Activation activation, RecurrentOptions options, Precision precision) {
        super(sd, prefix, activation == Activation.RELU ? Cell.RNN_RELU : Cell.RNN_TANH, 0, options, precision);
        this.activation = activation;
    }

    /** Loads a PyTorch RNN from the tensors under {@code prefix} (e.g. "rnn"; "" for none). */
    public static Rnn load(StateDict sd, String prefix, Activation activation) {
        return load(sd, prefix, activation, Precision.FP32);
    }

    /** Loads a PyTorch RNN with the given activation and its weight matrices in the given precision (SPEC §1.5). */
    public static Rnn load(StateDict sd, String prefix, Activation activation, Precision precision) {
        if (activation == null) throw new IllegalArgumentException("activation must not be null");
        return new Rnn(sd, prefix, activation, RecurrentOptions.defaults(), precision);
    }

    /**
     * Loads an RNN with ONNX-style options (reverse, clip, activation f; see {@link RecurrentOptions}), applied to
     * every layer, in the given precision. f is the options' activation (per direction), tanh when they give none.
     */
    public static Rnn load(StateDict sd, String prefix, RecurrentOptions options, Precision precision) {
        if (options == null) throw new IllegalArgumentException("options must not be null");
        List<RecurrentOptions.Fn> a = options.activations();
        boolean allRelu = !a.isEmpty() && a.stream().allMatch(f -> f.kind() == RecurrentOptions.Kind.RELU);
        return new Rnn(sd, prefix, allRelu ? Activation.RELU : Activation.TANH, options, precision);
    }

    /** Loads a tanh RNN (PyTorch's default). */
    public static Rnn load(StateDict sd, String prefix) {
        return load(sd, prefix, Activation.TANH);
    }

    /**
     * TANH or RELU as loaded; an RNN loaded with {@link RecurrentOptions} reports RELU when every direction's f is
     * ReLU, else TANH (its {@link #options()} hold the functions).
     */
    public Activation activation() {
        return activation;
    }
}
