package io.jrnn;

/** The nonlinearity of an Elman {@link Rnn} ({@code torch.nn.RNN(nonlinearity=...)}). Immutable. */
public enum Activation {
    TANH,
    RELU
}
