package io.jrnn;

import java.util.Arrays;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import io.jrnn.internal.JrnnNative;

/**
 * An embedding table as {@code torch.nn.Embedding} holds it: {@code weight[num_embeddings, embedding_dim]}; a
 * lookup copies row {@code ids[i]} to row i of the output ({@code padding_idx} only matters for training: its row
 * is whatever the state dict holds).
 *
 * <pre>{@code
 * try (Embedding emb = Embedding.load(sd, "embedding");   // embedding.weight [V,E]
 *      Tensor x = emb.forward(new int[] {3, 1, 4})) {     // [3,E]
 * }
 * }</pre>
 *
 * <p>Thread safety: immutable once loaded; any number of threads may look up at once. {@link #close()}
 * (idempotent) waits for lookups in flight; later calls throw {@link IllegalStateException}.
 */
public final class Embedding implements AutoCloseable {
    private static final ThreadLocal<IntPointer> IDS = new ThreadLocal<>();

    private final int vocab, dim;
    private final String source;
    private final NativeHandle<Tensor> table;

    private Embedding(Tensor weight, String source) {
        this.vocab = weight.dim(0);
        this.dim = weight.dim(1);
        this.source = source;
        this.table = new NativeHandle<>(weight, Tensor::close, "embedding");
    }

    /** Loads {@code prefix.weight [num_embeddings, embedding_dim]}. */
    public static Embedding load(StateDict sd, String prefix) {
        if (sd == null) throw new IllegalArgumentException("state dict must not be null");
        if (prefix == null) throw new IllegalArgumentException("prefix must not be null (use \"\" for none)");
        String name = Weights.dot(prefix) + "weight";
        int[] s = Weights.floatShape(sd, name, "an Embedding's weight [num_embeddings, embedding_dim]");
        if (s.length != 2 || s[0] < 1 || s[1] < 1) {
            throw new IllegalArgumentException(name + " must be [num_embeddings, embedding_dim] with both >= 1, got "
                    + Arrays.toString(s));
        }
        return new Embedding(sd.tensor(name), name);
    }

    /** The rows of {@code ids} → a new tensor {@code [ids.length, embedding_dim]} the caller owns. */
    public Tensor forward(int[] ids) {
        checkIds(ids, 0, ids == null ? 0 : ids.length);
        if (ids.length == 0) throw new IllegalArgumentException("ids must not be empty");
        Tensor out = Tensor.uninitialized(ids.length, dim);
        try {
            gather(ids, 0, ids.length, out.pointer());
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** The rows of {@code ids} into {@code out[ids.length, embedding_dim]} (allocation-free). */
    public void forward(int[] ids, Tensor out) {
        checkIds(ids, 0, ids == null ? 0 : ids.length);
        if (out == null) throw new IllegalArgumentException("out must not be null");
        if (!out.hasShape(ids.length, dim)) {
            throw new IllegalArgumentException("out must be [" + ids.length + ", " + dim + "] (ids.length, embedding_dim "
                    + dim + " from " + source + "), got " + Arrays.toString(out.shape()));
        }
        NativeRecurrent.requireOpen("out", out);
        if (ids.length > 0) gather(ids, 0, ids.length, out.pointer());
    }

    /** Checks ids[from, from+n) are in [0, num_embeddings); allocation-free unless it throws. */
    void checkIds(int[] ids, int from, int n) {
        if (ids == null) throw new IllegalArgumentException("ids must not be null");
        for (int i = from; i < from + n; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("ids[" + i + "] must be in [0, " + vocab + ") (num_embeddings from "
                        + source + "), got " + ids[i]);
            }
        }
    }

    /** out[n, E] = weight[ids[from + i]] (ids already checked). */
    void gather(int[] ids, int from, int n, FloatPointer out) {
        IntPointer p = IDS.get();
        if (p == null || p.capacity() < n) {
            if (p != null) p.deallocate();
            p = new IntPointer(Math.max(64, n));
            IDS.set(p);
        }
        p.position(0).put(ids, from, n);
        Tensor w = table.acquire();
        try {
            int rc = JrnnNative.jrnn_gather_rows_f32(w.pointer(), vocab, dim, p, n, out);
            if (rc != JrnnNative.OK) throw new IllegalStateException("embedding lookup failed (status " + rc + ")");
        } finally {
            table.release();
        }
    }

    public int numEmbeddings() {
        return vocab;
    }

    public int embeddingDim() {
        return dim;
    }

    /** Frees the table after the lookups in flight; idempotent. */
    @Override
    public void close() {
        table.close();
    }

    @Override
    public String toString() {
        return "Embedding(" + vocab + ", " + dim + ")";
    }
}
