package io.jrnn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * ONNX-style options of a recurrent layer beyond {@code torch.nn}'s: a reverse-only direction, a clip bound, LSTM's
 * coupled input and forget gates and ONNX's activation functions. {@link #defaults()} is PyTorch's behaviour.
 * Peepholes are not an option but weights: an {@link Lstm} has them when its state dict holds
 * {@code weight_p_l<k>} (see {@link Lstm}).
 *
 * <p>Semantics (as ONNX Runtime's CPU kernels compute them):
 * <ul>
 *   <li>{@link Builder#reverse}: a unidirectional layer that runs from each sequence's last valid step to its first
 *       (ONNX {@code direction="reverse"}); with lengths, step {@code len-1} first, outputs at {@code t >= len} are
 *       0 and the final state is the one after step 0, as the reverse direction of a bidirectional PyTorch layer.
 *       Illegal with bidirectional weights; a reverse layer cannot {@link RecurrentLayer#stream stream}.
 *   <li>{@link Builder#clip}: every gate's activation input (after biases and peepholes) is bounded to
 *       {@code [-clip, clip]}: LSTM i, f, g, o; GRU z, r and the candidate (the whole sum, the reset product
 *       included); RNN's pre-activation. The LSTM cell state c and the input of h(c) are not clipped.
 *   <li>{@link Builder#inputForget}: LSTM only; {@code f = 1 - i} (the forget gate's weights are then unused).
 *   <li>{@link Builder#activations}: ONNX's order and count, LSTM f, g, h; GRU f, g; RNN f; a bidirectional layer
 *       takes twice as many (the forward direction's, then the reverse's). Empty: the cell's defaults (sigmoid,
 *       tanh, tanh; RNN tanh, or the activation its {@code load} names).
 * </ul>
 *
 * <p>Thread safety: immutable; share freely.
 */
public final class RecurrentOptions {

    /** The activation functions of ONNX's recurrent operators (declared in the native ABI's order). */
    public enum Kind {
        /** {@code 1 / (1 + e^-x)} */
        SIGMOID,
        /** {@code tanh(x)} */
        TANH,
        /** {@code max(0, x)} */
        RELU,
        /** {@code min(max(alpha*x + beta, 0), 1)} */
        HARD_SIGMOID,
        /** {@code x >= 0 ? x : alpha*(e^x - 1)} */
        ELU,
        /** {@code x / (1 + |x|)} */
        SOFTSIGN,
        /** {@code log(1 + e^x)} */
        SOFTPLUS,
        /** {@code alpha*x + beta} */
        AFFINE,
        /** {@code x >= 0 ? x : alpha*x} */
        LEAKY_RELU,
        /** {@code x > alpha ? x : 0} */
        THRESHOLDED_RELU,
        /** {@code alpha * tanh(beta*x)} */
        SCALED_TANH
    }

    /**
     * One activation function with its parameters (unused ones are 0 in the factories). The factories without
     * arguments take the ONNX operators' defaults: HardSigmoid 0.2, 0.5; Elu 1.0; LeakyRelu 0.01; ThresholdedRelu
     * 1.0; Affine 1.0, 0.0. ScaledTanh has no defaults in ONNX and takes both. (ONNX Runtime fills a missing
     * {@code activation_alpha/beta} of Affine, ThresholdedRelu and ScaledTanh with 0 instead; an importer passes
     * the values it reads.) Immutable.
     *
     * @param kind  the function
     * @param alpha its alpha (finite)
     * @param beta  its beta (finite)
     */
    public record Fn(Kind kind, float alpha, float beta) {
        public Fn {
            if (kind == null) throw new IllegalArgumentException("activation kind must not be null");
            if (!Float.isFinite(alpha) || !Float.isFinite(beta)) {
                throw new IllegalArgumentException("activation " + kind + " needs finite alpha and beta, got alpha "
                        + alpha + ", beta " + beta);
            }
        }

        public static Fn sigmoid() {
            return new Fn(Kind.SIGMOID, 0f, 0f);
        }

        public static Fn tanh() {
            return new Fn(Kind.TANH, 0f, 0f);
        }

        public static Fn relu() {
            return new Fn(Kind.RELU, 0f, 0f);
        }

        public static Fn hardSigmoid() {
            return hardSigmoid(0.2f, 0.5f);
        }

        public static Fn hardSigmoid(float alpha, float beta) {
            return new Fn(Kind.HARD_SIGMOID, alpha, beta);
        }

        public static Fn elu() {
            return elu(1.0f);
        }

        public static Fn elu(float alpha) {
            return new Fn(Kind.ELU, alpha, 0f);
        }

        public static Fn softsign() {
            return new Fn(Kind.SOFTSIGN, 0f, 0f);
        }

        public static Fn softplus() {
            return new Fn(Kind.SOFTPLUS, 0f, 0f);
        }

        public static Fn affine() {
            return affine(1.0f, 0.0f);
        }

        public static Fn affine(float alpha, float beta) {
            return new Fn(Kind.AFFINE, alpha, beta);
        }

        public static Fn leakyRelu() {
            return leakyRelu(0.01f);
        }

        public static Fn leakyRelu(float alpha) {
            return new Fn(Kind.LEAKY_RELU, alpha, 0f);
        }

        public static Fn thresholdedRelu() {
            return thresholdedRelu(1.0f);
        }

        public static Fn thresholdedRelu(float alpha) {
            return new Fn(Kind.THRESHOLDED_RELU, alpha, 0f);
        }

        public static Fn scaledTanh(float alpha, float beta) {
            return new Fn(Kind.SCALED_TANH, alpha, beta);
        }
    }

    private static final RecurrentOptions DEFAULTS = new RecurrentOptions(false, 0f, false, List.of());

    private final boolean reverse;
    private final float clip;
    private final boolean inputForget;
    private final List<Fn> activations;

    private RecurrentOptions(boolean reverse, float clip, boolean inputForget, List<Fn> activations) {
        this.reverse = reverse;
        this.clip = clip;
        this.inputForget = inputForget;
        this.activations = activations;
    }

    /** PyTorch's behaviour: forward direction, no clip, separate forget gate, the cell's default activations. */
    public static RecurrentOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link RecurrentOptions}; not thread-safe (use from one thread, then share what it builds). */
    public static final class Builder {
        private boolean reverse;
        private float clip;
        private boolean inputForget;
        private List<Fn> activations = List.of();

        private Builder() {}

        /** ONNX {@code direction="reverse"} (see {@link RecurrentOptions}). */
        public Builder reverse(boolean r) {
            this.reverse = r;
            return this;
        }

        /** ONNX {@code clip}: a finite threshold > 0 (see {@link RecurrentOptions} for where it applies). */
        public Builder clip(float threshold) {
            if (!(threshold > 0f) || !Float.isFinite(threshold)) {
                throw new IllegalArgumentException("clip must be a finite threshold > 0, got " + threshold);
            }
            this.clip = threshold;
            return this;
        }

        /** ONNX {@code input_forget=1}, LSTM only: f = 1 - i. */
        public Builder inputForget(boolean on) {
            this.inputForget = on;
            return this;
        }

        /** ONNX {@code activations} in its order and count (checked against the cell at load); none = defaults. */
        public Builder activations(Fn... fns) {
            if (fns == null) throw new IllegalArgumentException("activations must not be null (pass none for defaults)");
            List<Fn> l = new ArrayList<>(fns.length);
            for (int i = 0; i < fns.length; i++) {
                if (fns[i] == null) throw new IllegalArgumentException("activations[" + i + "] is null");
                l.add(fns[i]);
            }
            this.activations = Collections.unmodifiableList(l);
            return this;
        }

        public RecurrentOptions build() {
            if (!reverse && clip == 0f && !inputForget && activations.isEmpty()) return DEFAULTS;
            return new RecurrentOptions(reverse, clip, inputForget, activations);
        }
    }

    /** True for ONNX {@code direction="reverse"}. */
    public boolean reverse() {
        return reverse;
    }

    /** The clip threshold, 0 for none. */
    public float clip() {
        return clip;
    }

    /** True for ONNX {@code input_forget=1}. */
    public boolean inputForget() {
        return inputForget;
    }

    /** The activation functions in ONNX order; empty = the cell's defaults. */
    public List<Fn> activations() {
        return activations;
    }

    /** True when these are PyTorch's behaviour ({@link #defaults()}). */
    boolean isDefault() {
        return !reverse && clip == 0f && !inputForget && activations.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecurrentOptions r && r.reverse == reverse && Float.compare(r.clip, clip) == 0
                && r.inputForget == inputForget && r.activations.equals(activations);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[] {reverse, clip, inputForget, activations});
    }

    @Override
    public String toString() {
        return "RecurrentOptions(reverse=" + reverse + ", clip=" + clip + ", inputForget=" + inputForget
                + ", activations=" + activations + ")";
    }
}
