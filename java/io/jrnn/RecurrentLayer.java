package io.jrnn;

/**
 * A stack of recurrent layers ({@link Lstm}, {@link Gru}, {@link Rnn}) with PyTorch semantics.
 *
 * <p>Shapes are time-major: {@code x[T,B,I]} (T steps, B sequences, I features), as PyTorch's default
 * {@code batch_first=False}; for a model trained with {@code batch_first=True} pass {@code x[B,T,I]} to
 * {@link #forwardBatchFirst} (no copy on the Java side). A batch-first tensor given to {@link #forward} is not
 * detectable without lengths: it runs as T = B, B = T. D = 2 for bidirectional
 * layers, else 1; L = {@link #numLayers()}; Hout = {@link #outputSize()} (the projection size for an LSTM with
 * {@code proj_size > 0}, else the hidden size).
 *
 * <p>Thread safety: a loaded layer is immutable; {@code forward} and streams may run on any number of threads at
 * once. {@link #close()} waits for calls in flight and makes later calls throw {@link IllegalStateException}.
 */
public interface RecurrentLayer extends AutoCloseable {

    /**
     * Runs the whole sequence.
     *
     * @param x       input {@code [T,B,I]}
     * @param lengths per-sequence lengths {@code [B]}, each in {@code [0, T]}, any order, or {@code null} for all T.
     *                Packed-sequence semantics: outputs at {@code t >= len} are 0, final states are those after
     *                the last valid step, the reverse direction starts at {@code len-1}, and a length of 0 returns
     *                the initial state.
     * @param h0      initial hidden state {@code [L*D,B,Hout]} or {@code null} for zeros
     * @param c0      initial cell state {@code [L*D,B,H]} (LSTM only) or {@code null} for zeros
     * @return new tensors the caller owns: output {@code [T,B,D*Hout]}, hn {@code [L*D,B,Hout]}, cn (LSTM)
     */
    RecurrentOutput forward(Tensor x, int[] lengths, Tensor h0, Tensor c0);

    /** {@link #forward(Tensor, int[], Tensor, Tensor)} without lengths or initial states. */
    default RecurrentOutput forward(Tensor x) {
        return forward(x, null, null, null);
    }

    /**
     * Runs the whole sequence into caller-provided tensors (no allocation per call): {@code output[T,B,D*Hout]},
     * {@code hn[L*D,B,Hout]} or null, {@code cn[L*D,B,H]} or null (LSTM only).
     */
    void forward(Tensor x, int[] lengths, Tensor h0, Tensor c0, Tensor output, Tensor hn, Tensor cn);

    /**
     * {@link #forward(Tensor, int[], Tensor, Tensor)} for batch-first input, as {@code batch_first=True} in PyTorch:
     * {@code x[B,T,I]} in, {@code output[B,T,D*Hout]} out; lengths {@code [B]}; states stay {@code [L*D,B,*]}
     * (PyTorch's batch_first does not change them either). The native side swaps the layout around the
     * time-major forward in its own per-thread buffer.
     */
    RecurrentOutput forwardBatchFirst(Tensor x, int[] lengths, Tensor h0, Tensor c0);

    /** {@link #forwardBatchFirst(Tensor, int[], Tensor, Tensor)} into caller-provided tensors: output[B,T,D*Hout]. */
    void forwardBatchFirst(Tensor x, int[] lengths, Tensor h0, Tensor c0, Tensor output, Tensor hn, Tensor cn);

    /**
     * Starts a stateful stream for online inference, one time step per {@link RecurrentStream#step} call (equal to
     * {@link #forward}). Unidirectional layers only. The stream belongs to one thread at a time.
     *
     * @param batch the batch size B of every step
     * @param h0    {@code [L,B,Hout]} or null for zeros
     * @param c0    {@code [L,B,H]} (LSTM only) or null for zeros
     */
    RecurrentStream stream(int batch, Tensor h0, Tensor c0);

    /** Input features I. */
    int inputSize();

    /** Hidden size H. */
    int hiddenSize();

    /** The precision of the weight matrices (FP32 unless loaded with another; SPEC §1.5). */
    Precision precision();

    /** Bytes of weights this layer holds natively, packed in its precision (scales, row sums and biases included). */
    long weightBytes();

    /** Size of each direction's output and hidden state: proj_size when set, else H. */
    int outputSize();

    /** Number of stacked layers L. */
    int numLayers();

    boolean bidirectional();

    /** Frees the native weights; idempotent. */
    @Override
    void close();
}
