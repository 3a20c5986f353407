package io.jrnn;

import io.jrnn.internal.JrnnNative;

/**
 * A stack of LSTM layers computing what {@code torch.nn.LSTM} computes (gate order i, f, g, o):
 * {@code i,f,o = σ(·)}, {@code g = tanh(·)}, {@code c_t = f∘c_{t-1} + i∘g}, {@code h_t = o∘tanh(c_t)}, and with
 * {@code proj_size > 0} {@code h_t = W_hr (o∘tanh(c_t))}.
 *
 * <p>Sizes, layer count, direction and proj_size are read from the PyTorch tensor names and shapes under a prefix
 * ({@code rnn.weight_ih_l0}, {@code rnn.weight_hh_l0_reverse}, {@code rnn.weight_hr_l0}, ...). Biases are optional
 * ({@code bias=False}).
 *
 * <p>Peepholes (ONNX's {@code P}): when the state dict holds {@code weight_p_l<k>} (and {@code weight_p_l<k>_reverse}),
 * each of shape {@code [3*hidden_size]} in jrnn's gate order (i, f, o) — ONNX stacks them (i, o, f) — then
 * {@code i = σ(… + p_i∘c_{t-1})}, {@code f = σ(… + p_f∘c_{t-1})}, {@code o = σ(… + p_o∘c_t)}. Not with proj_size.
 *
 * <p>Thread safety: immutable once loaded; share one instance across threads (see {@link RecurrentLayer}).
 */
public final class Lstm extends NativeRecurrent {

    /** The candidate activation g. */
    public enum Candidate {
        /** {@code g = tanh(W_ig x + b_ig + W_hg h + b_hg)}: PyTorch, cuDNN, ONNX. */
        TANH,
        /** {@code g = σ(W_ig x + b_ig + W_hg h + b_hg)}: the formula of the course notes this project grew from. */
        SIGMOID
    }

    private final Candidate candidate;

    private Lstm(StateDict sd, String prefix, Candidate candidate, RecurrentOptions options, Precision precision) {
        super(sd, prefix, Cell.LSTM,
                candidate == Candidate.SIGMOID ? JrnnNative.LSTM_SIGMOID_CANDIDATE : 0, options, precision);
        this.candidate = candidate;
    }

    /** Loads a PyTorch LSTM from the tensors under {@code prefix} (e.g. "rnn"; "" for none). */
    public static Lstm load(StateDict sd, String prefix) {
        return load(sd, prefix, Candidate.TANH);
    }

    /** Loads an LSTM with the given candidate activation. */
    public static Lstm load(StateDict sd, String prefix, Candidate candidate) {
        return load(sd, prefix, candidate, Precision.FP32);
    }

    /** Loads a PyTorch LSTM with its weight matrices in the given precision (SPEC §1.5). */
    public static Lstm load(StateDict sd, String prefix, Precision precision) {
        return load(sd, prefix, Candidate.TANH, precision);
    }

    /** Loads an LSTM with the given candidate activation and weight precision. */
    public static Lstm load(StateDict sd, String prefix, Candidate candidate, Precision precision) {
        if (candidate == null) throw new IllegalArgumentException("candidate must not be null");
        return new Lstm(sd, prefix, candidate, RecurrentOptions.defaults(), precision);
    }

    /**
     * Loads an LSTM with ONNX-style options (reverse, clip, input_forget, activations f, g, h; see
     * {@link RecurrentOptions}), applied to every layer, with its weight matrices in the given precision. The
     * candidate is tanh unless the options' activations say otherwise.
     */
    public static Lstm load(StateDict sd, String prefix, RecurrentOptions options, Precision precision) {
        return new Lstm(sd, prefix, Candidate.TANH, options, precision);
    }

    /** proj_size (0 when the LSTM has no projection). */
    public int projSize() {
        return projSize;
    }

    public Candidate candidate() {
        return candidate;
    }
}
