package io.jrnn;

/**
 * The result of {@link RecurrentLayer#forward}: {@code output[T,B,D*Hout]}, {@code hn[L*D,B,Hout]} and, for an LSTM,
 * {@code cn[L*D,B,H]} (else null). Owns the three tensors: {@link #close()} closes them (idempotent).
 *
 * <p>Thread safety: as for {@link Tensor}.
 */
public final class RecurrentOutput implements AutoCloseable {
    private final Tensor output;
    private final Tensor hn;
    private final Tensor cn;

    RecurrentOutput(Tensor output, Tensor hn, Tensor cn) {
        this.output = output;
        this.hn = hn;
        this.cn = cn;
    }

    /** Outputs of the last layer at every step, both directions concatenated: {@code [T,B,D*Hout]}. */
    public Tensor output() {
        return output;
    }

    /** Final hidden state of every layer and direction: {@code [L*D,B,Hout]}. */
    public Tensor hn() {
        return hn;
    }

    /** Final cell state {@code [L*D,B,H]} for an LSTM; null otherwise. */
    public Tensor cn() {
        return cn;
    }

    @Override
    public void close() {
        output.close();
        hn.close();
        if (cn != null) cn.close();
    }
}
