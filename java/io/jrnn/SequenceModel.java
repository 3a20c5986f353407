package io.jrnn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

import org.bytedeco.javacpp.FloatPointer;

import io.jrnn.decode.Sampler;
import io.jrnn.internal.JrnnNative;

/**
 * A whole model as PyTorch users build them, from one {@code .safetensors} file (format {@code jrnn.model.v1},
 * docs/MODEL-FORMAT.md): optional {@code Embedding} → recurrent stack (any cell and option) → a readout →
 * zero or more {@code Linear} + activation → optional softmax / log-softmax.
 *
 * <pre>{@code
 * try (SequenceModel m = SequenceModel.load(Path.of("tagger.safetensors"));
 *      Tensor y = m.forward(new int[][] {{5, 3, 9}, {4, 2}})) {   // ragged sequences, lengths from them
 *     ...                                                          // [T,B,N] all_steps, [B,N] otherwise
 * }
 * }</pre>
 *
 * <p>Layout: time-major ({@code [T,B,...]}) unless the config says {@code "batch_first": true}, as the PyTorch
 * module did; then inputs are {@code [B,T,...]} and so is an {@code all_steps} output. Readouts over lengths
 * follow {@code pack_padded_sequence} semantics: {@code all_steps} outputs at padded steps are the head applied
 * to zeros (what {@code pad_packed_sequence} then a Linear give).
 *
 * <p>Thread safety: immutable once loaded; {@code forward} and {@code generate} may run on any number of threads
 * at once, each {@link SequenceStream} and {@link RowStepper} belongs to one thread. {@link #close()} (idempotent)
 * frees the weights; later calls throw {@link IllegalStateException}.
 */
public final class SequenceModel implements AutoCloseable {

    /** What the head sees of the recurrent output. */
    public enum Readout {
        /** Every step: {@code output[T,B,D*Hout]} (taggers, language models). */
        ALL_STEPS("all_steps"),
        /** The output at the last valid step of each sequence ({@code lengths[b] - 1}): {@code [B,D*Hout]}. */
        LAST("last"),
        /** The top layer's final hidden state, both directions concatenated (fwd‖bwd): {@code [B,D*Hout]}. */
        FINAL_STATE("final_state"),
        /** The mean of the outputs over the valid steps: {@code [B,D*Hout]}. */
        MEAN("mean");

        private final String name;

        Readout(String name) {
            this.name = name;
        }

        public String configName() {
            return name;
        }

        static Readout fromConfig(String s) {
            for (Readout r : values()) if (r.name.equals(s)) return r;
            throw new IllegalArgumentException("unknown readout " + s);
        }
    }

    /** The activation after a head layer. */
    public enum Activation {
        NONE("none"), TANH("tanh"), RELU("relu"), SIGMOID("sigmoid");

        private final String name;

        Activation(String name) {
            this.name = name;
        }

        public String configName() {
            return name;
        }

        static Activation fromConfig(String s) {
            for (Activation a : values()) if (a.name.equals(s)) return a;
            throw new IllegalArgumentException("unknown activation " + s);
        }
    }

    /** The model's final function over the last axis. */
    public enum Output {
        NONE("none"), SOFTMAX("softmax"), LOG_SOFTMAX("log_softmax");

        private final String name;

        Output(String name) {
            this.name = name;
        }

        public String configName() {
            return name;
        }

        static Output fromConfig(String s) {
            for (Output o : values()) if (o.name.equals(s)) return o;
            throw new IllegalArgumentException("unknown output " + s);
        }
    }

    final Embedding embedding;    // null: float input
    final NativeRecurrent rnn;
    final Linear[] heads;
    final Activation[] activations;
    final Readout readout;
    final Output output;
    final boolean batchFirst;
    private final List<String> tokens, labels;
    final int featureSize;        // D*Hout, what the readout gives
    final int outputSize;         // the last head's out_features, or featureSize
    final NativeHandle<JrnnNative.SeqStepHandle> stepper; // one native call per stream step; null: cannot stream

    private SequenceModel(ModelConfig cfg, Embedding embedding, NativeRecurrent rnn, Linear[] heads) {
        this.embedding = embedding;
        this.rnn = rnn;
        this.heads = heads;
        this.activations = new Activation[heads.length];
        for (int i = 0; i < heads.length; i++) activations[i] = cfg.heads().get(i).activation();
        this.readout = cfg.readout();
        this.output = cfg.output();
        this.batchFirst = cfg.batchFirst();
        this.tokens = cfg.tokens();
        this.labels = cfg.labels();
        this.featureSize = rnn.numDirections * rnn.outputSize;
        this.outputSize = heads.length == 0 ? featureSize : heads[heads.length - 1].n;
        this.stepper = rnn.numDirections == 1 && readout != Readout.MEAN ? createStepper() : null;
    }

    /** The native step over the parts (it points at them; they stay owned here). */
    private NativeHandle<JrnnNative.SeqStepHandle> createStepper() {
        JrnnNative.SeqStepHandle s;
        Tensor table = embedding == null ? null : embedding.acquire();
        JrnnNative.RnnHandle r = rnn.acquire();
        try {
            s = JrnnNative.jrnn_seqstep_create(r, rnn.inputSize, rnn.outputSize, table == null ? null : table.pointer(),
                    embedding == null ? 0 : embedding.numEmbeddings(), heads.length, OUTPUT_CODES[output.ordinal()]);
            if (s == null || s.isNull()) throw new OutOfMemoryError("cannot allocate a model step");
            for (int i = 0; i < heads.length; i++) {
                JrnnNative.LinearHandle lin = heads[i].acquire();
                try {
                    check(JrnnNative.jrnn_seqstep_set_head(s, i, lin, heads[i].n, heads[i].k,
                            ACTIVATION_CODES[activations[i].ordinal()]), "model step head " + i);
                } finally {
                    heads[i].release();
                }
            }
        } finally {
            rnn.release();
            if (embedding != null) embedding.release();
        }
        return new NativeHandle<>(s, JrnnNative::jrnn_seqstep_destroy, "model");
    }

    private static final int[] ACTIVATION_CODES = {JrnnNative.ACT_NONE, JrnnNative.ACT_TANH, JrnnNative.ACT_RELU,
            JrnnNative.ACT_SIGMOID};
    private static final int[] OUTPUT_CODES = {JrnnNative.OUT_NONE, JrnnNative.OUT_SOFTMAX, JrnnNative.OUT_LOG_SOFTMAX};

    /** Loads a model file; a malformed config or a tensor that does not fit it is an {@link IOException} naming it. */
    public static SequenceModel load(Path file) throws IOException {
        return load(file, Precision.FP32);
    }

    /**
     * Loads a model file with the recurrent stack's and the heads' weights stored in the given precision (SPEC
     * §1.5; the embedding stays float32: it is a lookup, not a product).
     *
     * @throws IllegalArgumentException when file or precision is null
     */
    public static SequenceModel load(Path file, Precision precision) throws IOException {
        if (file == null) throw new IllegalArgumentException("file must not be null");
        if (precision == null) throw new IllegalArgumentException("precision must not be null");
        try (StateDict sd = StateDict.load(file)) {
            return load(sd, file.toString(), precision);
        }
    }

    /** Loads from an open state dict whose metadata holds {@code jrnn.config} (e.g. {@link StateDict#of}). */
    public static SequenceModel load(StateDict sd) throws IOException {
        return load(sd, Precision.FP32);
    }

    /** {@link #load(StateDict)} with the weights in the given precision (see {@link #load(Path, Precision)}). */
    public static SequenceModel load(StateDict sd, Precision precision) throws IOException {
        if (sd == null) throw new IllegalArgumentException("state dict must not be null");
        if (precision == null) throw new IllegalArgumentException("precision must not be null");
        return load(sd, sd.toString(), precision);
    }

    private static SequenceModel load(StateDict sd, String where, Precision precision) throws IOException {
        String json = sd.metadata().get(ModelConfig.KEY);
        if (json == null) {
            throw new IOException(where + ": no \"" + ModelConfig.KEY + "\" metadata: not a jrnn model (metadata keys: "
                    + sd.metadata().keySet() + ")");
        }
        ModelConfig cfg = ModelConfig.parse(json, where);
        List<AutoCloseable> made = new ArrayList<>();
        try {
            return build(sd, cfg, where, made, precision);
        } catch (IllegalArgumentException e) {
            closeAll(made);
            throw new IOException(where + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException | Error e) {
            closeAll(made);
            throw e;
        }
    }

    private static SequenceModel build(StateDict sd, ModelConfig cfg, String where, List<AutoCloseable> made,
                                       Precision precision) throws IOException {
        Embedding emb = null;
        if (cfg.numEmbeddings() != null || cfg.embeddingDim() != null || sd.contains("embedding.weight")) {
            if (cfg.numEmbeddings() == null && cfg.embeddingDim() == null) {
                throw new IOException(where + ": tensor embedding.weight is present but the config has no \"embedding\"");
            }
            emb = Embedding.load(sd, "embedding");
            made.add(emb);
            expect(where, "embedding.num_embeddings", cfg.numEmbeddings(), emb.numEmbeddings(), "embedding.weight");
            expect(where, "embedding.embedding_dim", cfg.embeddingDim(), emb.embeddingDim(), "embedding.weight");
        }
        NativeRecurrent rnn = switch (cfg.cell()) {
            case LSTM -> Lstm.load(sd, "rnn", cfg.sigmoidCandidate() ? Lstm.Candidate.SIGMOID : Lstm.Candidate.TANH,
                    precision);
            case GRU -> Gru.load(sd, "rnn", cfg.resetBefore() ? Gru.Reset.BEFORE : Gru.Reset.AFTER, precision);
            case RNN_TANH -> Rnn.load(sd, "rnn", io.jrnn.Activation.TANH, precision);
            case RNN_RELU -> Rnn.load(sd, "rnn", io.jrnn.Activation.RELU, precision);
        };
        made.add(rnn);
        Map<String, Integer> sizes = cfg.rnnSizes();
        expect(where, "rnn.input_size", sizes.get("input_size"), rnn.inputSize, "rnn.weight_ih_l0");
        expect(where, "rnn.hidden_size", sizes.get("hidden_size"), rnn.hiddenSize, "rnn.weight_ih_l0");
        expect(where, "rnn.num_layers", sizes.get("num_layers"), rnn.numLayers, "the rnn.weight_ih_l* tensors");
        expect(where, "rnn.proj_size", sizes.get("proj_size"), rnn.projSize, "rnn.weight_hr_l0");
        if (cfg.bidirectional() != null && cfg.bidirectional() != (rnn.numDirections == 2)) {
            throw new IOException(where + ": rnn.bidirectional is " + cfg.bidirectional() + " but the tensors "
                    + (rnn.numDirections == 2 ? "have" : "have no") + " rnn.weight_ih_l0_reverse");
        }
        if (emb != null && emb.embeddingDim() != rnn.inputSize) {
            throw new IOException(where + ": rnn.weight_ih_l0 takes input_size " + rnn.inputSize
                    + " but embedding.weight gives embedding_dim " + emb.embeddingDim());
        }
        int width = rnn.numDirections * rnn.outputSize;
        Linear[] heads = new Linear[cfg.heads().size()];
        for (int i = 0; i < heads.length; i++) {
            ModelConfig.Head h = cfg.heads().get(i);
            String p = "head." + i;
            Linear lin = Linear.load(sd, p, precision);
            made.add(lin);
            heads[i] = lin;
            expect(where, "head[" + i + "].in_features", h.inFeatures(), lin.k, p + ".weight");
            expect(where, "head[" + i + "].out_features", h.outFeatures(), lin.n, p + ".weight");
            if (h.bias() != null && h.bias() != sd.contains(p + ".bias")) {
                throw new IOException(where + ": head[" + i + "].bias is " + h.bias() + " but tensor " + p + ".bias is "
                        + (h.bias() ? "missing" : "present"));
            }
            if (lin.k != width) {
                throw new IOException(where + ": " + p + ".weight must take in_features " + width + " ("
                        + (i == 0 ? "the readout's D*Hout" : "head." + (i - 1) + "'s out_features") + "), got " + lin.k);
            }
            width = lin.n;
        }
        rejectUnknown(sd, where, heads.length, emb != null);
        if (cfg.labels() != null && cfg.labels().size() != width) {
            throw new IOException(where + ": labels must name the " + width + " outputs, got " + cfg.labels().size());
        }
        if (cfg.tokens() != null && emb == null) {
            throw new IOException(where + ": tokens need an embedding (the model reads float features)");
        }
        return new SequenceModel(cfg, emb, rnn, heads);
    }

    private static void expect(String where, String key, Integer configured, int actual, String from) throws IOException {
        if (configured != null && configured != actual) {
            throw new IOException(where + ": " + key + " is " + configured + " but " + from + " gives " + actual);
        }
    }

    /** Tensors outside the schema are an error (a prefix typo must not leave a layer silently out). */
    private static void rejectUnknown(StateDict sd, String where, int heads, boolean embedding) throws IOException {
        List<String> unknown = new ArrayList<>();
        for (String name : sd.names()) {
            if (name.startsWith("rnn.")) continue; // the recurrent loader rejected its strays already
            if (embedding && name.equals("embedding.weight")) continue;
            if (name.startsWith("head.")) {
                String rest = name.substring(5);
                int dot = rest.indexOf('.');
                if (dot > 0 && rest.substring(0, dot).matches("\\d{1,6}") && Integer.parseInt(rest.substring(0, dot)) < heads
                        && (rest.endsWith(".weight") || rest.endsWith(".bias")) && rest.indexOf('.', dot + 1) < 0) {
                    continue;
                }
            }
            unknown.add(name);
        }
        if (!unknown.isEmpty()) {
            throw new IOException(where + ": tensors " + unknown + " are not part of the model the config describes "
                    + "(embedding.weight, rnn.*, head.<i>.weight/bias for " + heads + " head layer" + (heads == 1 ? "" : "s")
                    + ")");
        }
    }

    private static void closeAll(List<AutoCloseable> made) {
        for (AutoCloseable c : made) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing our own native owners does not throw
            }
        }
    }

    // ---- whole sequences ----

    /**
     * Float input: {@code x[T,B,I]} (or {@code [B,T,I]} for a batch-first model), lengths {@code [B]} or null for
     * all T. Returns a new tensor the caller owns: {@code [T,B,N]} (batch-first {@code [B,T,N]}) for
     * {@code all_steps}, else {@code [B,N]}; N = {@link #outputSize()}.
     */
    public Tensor forward(Tensor x, int[] lengths) {
        if (embedding != null) {
            throw new IllegalArgumentException("this model starts with an embedding: pass token ids, not a float tensor");
        }
        rnn.checkInput(x, batchFirst);
        int T = x.dim(batchFirst ? 1 : 0), B = x.dim(batchFirst ? 0 : 1);
        return run(x, T, B, lengths);
    }

    /**
     * Token ids laid out as the model's layout says: {@code ids[T*B]} time-major ({@code ids[t*B + b]}) or
     * batch-first ({@code ids[b*T + t]}); lengths {@code [B]} or null. Returns what {@link #forward(Tensor, int[])}
     * returns.
     */
    public Tensor forward(int[] ids, int batch, int[] lengths) {
        requireEmbedding();
        if (ids == null) throw new IllegalArgumentException("ids must not be null");
        if (batch < 1 || ids.length == 0 || ids.length % batch != 0) {
            throw new IllegalArgumentException("ids must hold T*B ids with T >= 1 (batch B = " + batch + "), got "
                    + ids.length);
        }
        embedding.checkIds(ids, 0, ids.length);
        int T = ids.length / batch;
        try (Tensor x = batchFirst ? Tensor.uninitialized(batch, T, embedding.embeddingDim())
                : Tensor.uninitialized(T, batch, embedding.embeddingDim())) {
            embedding.gather(ids, 0, ids.length, x.pointer());
            return run(x, T, batch, lengths);
        }
    }

    /**
     * Ragged sequences of token ids, one row per sequence (each non-empty): padded to the longest, lengths taken
     * from the rows. Returns what {@link #forward(Tensor, int[])} returns, in the model's layout.
     */
    public Tensor forward(int[][] sequences) {
        requireEmbedding();
        if (sequences == null || sequences.length == 0) {
            throw new IllegalArgumentException("sequences must hold at least one sequence");
        }
        int B = sequences.length, T = 0;
        int[] lengths = new int[B];
        for (int b = 0; b < B; b++) {
            if (sequences[b] == null || sequences[b].length == 0) {
                throw new IllegalArgumentException("sequences[" + b + "] must hold at least one id");
            }
            embedding.checkIds(sequences[b], 0, sequences[b].length);
            lengths[b] = sequences[b].length;
            T = Math.max(T, lengths[b]);
        }
        int[] ids = new int[T * B]; // padding id 0: masked by the lengths, its row is never read into a state
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < lengths[b]; t++) ids[batchFirst ? b * T + t : t * B + b] = sequences[b][t];
        }
        return forward(ids, B, lengths);
    }

    private void requireEmbedding() {
        if (embedding == null) {
            throw new IllegalArgumentException("this model has no embedding: pass float features x[" + (batchFirst ? "B,T," : "T,B,")
                    + rnn.inputSize + "]");
        }
    }

    private Tensor run(Tensor x, int T, int B, int[] lengths) {
        NativeRecurrent.checkLengths(lengths, T, B, batchFirst);
        if (lengths != null && (readout == Readout.LAST || readout == Readout.MEAN)) {
            for (int b = 0; b < B; b++) {
                if (lengths[b] < 1) {
                    throw new IllegalArgumentException("lengths[" + b + "] must be >= 1 for the " + readout.configName()
                            + " readout (an empty sequence has no " + (readout == Readout.LAST ? "last step" : "mean")
                            + "), got 0");
                }
            }
        }
        final int rows = readout == Readout.ALL_STEPS ? T * B : B;
        final int LD = rnn.numLayers * rnn.numDirections;
        List<Tensor> temps = new ArrayList<>();
        Tensor result = null;
        try {
            // The recurrent output in the model's layout for all_steps, else time-major (the readouts index it so).
            boolean bf = batchFirst && readout == Readout.ALL_STEPS;
            Tensor y = keep(temps, bf ? Tensor.uninitialized(B, T, featureSize) : Tensor.uninitialized(T, B, featureSize));
            Tensor hn = readout == Readout.FINAL_STATE ? keep(temps, Tensor.uninitialized(LD, B, rnn.outputSize)) : null;
            if (batchFirst && !bf) {
                // time-major output wanted from batch-first input: swap x natively first
                Tensor xt = keep(temps, Tensor.uninitialized(T, B, rnn.inputSize));
                check(JrnnNative.jrnn_swap01_f32(B, T, rnn.inputSize, x.pointer(), xt.pointer()), "layout swap");
                rnn.forwardRaw(false, T, B, xt.pointer(), lengths, null, null, y.pointer(), NativeRecurrent.ptr(hn), null);
            } else {
                rnn.forwardRaw(bf, T, B, x.pointer(), lengths, null, null, y.pointer(), NativeRecurrent.ptr(hn), null);
            }
            Tensor features = readout == Readout.ALL_STEPS ? y : keep(temps, Tensor.uninitialized(B, featureSize));
            switch (readout) {
                case ALL_STEPS -> { }
                case LAST -> {
                    int[] idx = new int[B];
                    for (int b = 0; b < B; b++) idx[b] = ((lengths == null ? T : lengths[b]) - 1) * B + b;
                    gatherRows(y.pointer(), T * B, featureSize, idx, features.pointer());
                }
                case FINAL_STATE -> {
                    int D = rnn.numDirections;
                    int[] idx = new int[B * D]; // hn[(L-1)*D + d, b, :] for b, then d: [B, D*Hout]
                    for (int b = 0; b < B; b++) {
                        for (int d = 0; d < D; d++) idx[b * D + d] = ((rnn.numLayers - 1) * D + d) * B + b;
                    }
                    gatherRows(hn.pointer(), LD * B, rnn.outputSize, idx, features.pointer());
                }
                case MEAN -> check(JrnnNative.jrnn_mean_steps_f32(T, B, featureSize, y.pointer(),
                        lengths == null ? null : NativeIds.of(lengths), features.pointer()), "mean readout");
            }
            int[] shape = readout == Readout.ALL_STEPS ? (batchFirst ? new int[] {B, T, outputSize}
                    : new int[] {T, B, outputSize}) : new int[] {B, outputSize};
            if (heads.length == 0) {
                temps.remove(features); // already the output: [T,B,F] / [B,T,F] or [B,F]
                result = features;
            } else {
                FloatPointer in = features.pointer();
                for (int i = 0; i < heads.length; i++) {
                    Tensor out = i == heads.length - 1 ? (result = Tensor.uninitialized(shape))
                            : keep(temps, Tensor.uninitialized(rows, heads[i].n));
                    heads[i].forward(rows, in, heads[i].k, out.pointer(), heads[i].n);
                    activate(activations[i], out.pointer(), (long) rows * heads[i].n);
                    in = out.pointer();
                }
            }
            if (output != Output.NONE) SoftmaxRows.rows(output == Output.LOG_SOFTMAX, rows, outputSize, result.pointer(),
                    result.pointer());
            Tensor r = result;
            result = null;
            return r;
        } finally {
            if (result != null) result.close();
            for (Tensor t : temps) t.close();
        }
    }

    private static Tensor keep(List<Tensor> temps, Tensor t) {
        temps.add(t);
        return t;
    }

    static void activate(Activation a, FloatPointer p, long n) {
        switch (a) {
            case NONE -> { }
            case TANH -> JrnnNative.jrnn_tanh_f32(p, p, n);
            case SIGMOID -> JrnnNative.jrnn_sigmoid_f32(p, p, n);
            case RELU -> JrnnNative.jrnn_relu_f32(p, p, n);
        }
    }

    private static void gatherRows(FloatPointer table, int rows, int cols, int[] idx, FloatPointer out) {
        check(JrnnNative.jrnn_gather_rows_f32(table, rows, cols, NativeIds.of(idx), idx.length, out), "readout");
    }

    static void check(int rc, String what) {
        if (rc == JrnnNative.ERR_NOMEM) throw new OutOfMemoryError(what + ": native allocation failed");
        if (rc != JrnnNative.OK) throw new IllegalStateException(what + " failed (status " + rc + ")");
    }

    // ---- streams and generation ----

    /**
     * A stateful stream over {@code batch} sequences: each {@link SequenceStream#step} feeds one step and returns
     * the head's output for it. Needs a unidirectional stack and a readout other than {@code mean} (each step's
     * output is then what {@code all_steps}, {@code last} and {@code final_state} give for the prefix so far).
     */
    public SequenceStream stream(int batch) {
        if (rnn.numDirections != 1) {
            throw new IllegalArgumentException("streaming needs a unidirectional recurrent stack (the reverse direction "
                    + "reads the future); this one is bidirectional");
        }
        if (readout == Readout.MEAN) {
            throw new IllegalArgumentException("the mean readout cannot stream (it averages the whole sequence); "
                    + "use forward");
        }
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        rnn.ensureOpen();
        return new SequenceStream(this, batch);
    }

    // ---- steps over states the caller keeps ----

    /**
     * Floats of one sequence's recurrent state as {@link RowStepper#step} reads and writes it: every layer's h
     * ({@code num_layers * Hout}, layer 0 first; Hout = proj_size when set, else hidden_size), then for an LSTM every
     * layer's c ({@code num_layers * hidden_size}). A zero-filled row is the state before the first step (as
     * PyTorch's default h0/c0).
     *
     * @throws IllegalStateException when the model cannot step (bidirectional, or the mean readout)
     */
    public int stateSize() {
        requireStepping();
        return rnn.numLayers * rnn.outputSize + (rnn.isLstm() ? rnn.numLayers * rnn.hiddenSize : 0);
    }

    /**
     * A stepper over caller-kept states of up to {@code maxRows} sequences per call, batch-invariant (see
     * {@link #rowStepper(int, boolean)}).
     */
    public RowStepper rowStepper(int maxRows) {
        return rowStepper(maxRows, true);
    }

    /**
     * A stepper that advances sequences whose states the caller keeps (e.g. a stream processor's per-key state):
     * each {@link RowStepper#step} call takes one input per row and that row's state, and runs them as one batched
     * native step. With {@code batchInvariant} (FP32 weights), each row's new state and output are bit-identical
     * whatever the other rows are and however many there are, so they equal a {@link SequenceStream} of batch 1
     * fed the same inputs to the last bit; without it, the products may sum in an order chosen by the batch size
     * (within rounding, a little faster on AVX2).
     *
     * @throws IllegalStateException when the model cannot step (bidirectional, or the mean readout), or is closed
     * @throws IllegalArgumentException when maxRows &lt; 1
     */
    public RowStepper rowStepper(int maxRows, boolean batchInvariant) {
        requireStepping();
        if (maxRows < 1) throw new IllegalArgumentException("maxRows must be >= 1, got " + maxRows);
        rnn.ensureOpen();
        return new RowStepper(this, maxRows, batchInvariant);
    }

    private void requireStepping() {
        if (rnn.numDirections != 1) {
            throw new IllegalStateException("stepping needs a unidirectional recurrent stack (the reverse direction "
                    + "reads the future); this one is bidirectional");
        }
        if (readout == Readout.MEAN) {
            throw new IllegalStateException("the mean readout cannot step (it averages the whole sequence); use forward");
        }
    }

    /**
     * Generates up to {@code maxNew} tokens after {@code promptIds} (a language model: an embedding, a
     * unidirectional stack, and a head whose output size is the vocabulary): feeds the prompt, then repeatedly
     * samples the next id from the head's scores before any softmax ({@link Sampler}) and feeds it back. Each id
     * goes to {@code onToken} (may be null) as soon as it is chosen. The same sampler state (seed) gives the same
     * ids. Returns the generated ids.
     */
    public int[] generate(int[] promptIds, int maxNew, Sampler sampler, IntConsumer onToken) {
        requireEmbedding();
        if (promptIds == null || promptIds.length == 0) {
            throw new IllegalArgumentException("promptIds must hold at least one id (e.g. a start token)");
        }
        embedding.checkIds(promptIds, 0, promptIds.length);
        if (maxNew < 0) throw new IllegalArgumentException("maxNew must be >= 0, got " + maxNew);
        if (sampler == null) throw new IllegalArgumentException("sampler must not be null");
        if (outputSize != embedding.numEmbeddings()) {
            throw new IllegalArgumentException("generation feeds the sampled id back, so the output size must be the "
                    + "vocabulary size " + embedding.numEmbeddings() + " (num_embeddings), got " + outputSize);
        }
        int[] out = new int[maxNew];
        try (SequenceStream s = stream(1)) {
            float[] scores = new float[outputSize];
            int[] one = new int[1];
            for (int i = 0; i < promptIds.length - 1; i++) {
                one[0] = promptIds[i];
                s.advance(one);
            }
            int next = promptIds[promptIds.length - 1];
            for (int i = 0; i < maxNew; i++) {
                one[0] = next;
                s.scores(one, scores);
                next = sampler.sample(scores);
                if (next < 0 || next >= outputSize) {
                    throw new IllegalStateException("sampler returned id " + next + " outside [0, " + outputSize + ")");
                }
                out[i] = next;
                if (onToken != null) onToken.accept(next);
            }
        }
        return out;
    }

    // ---- description ----

    /** N: the size of the last axis of the output. */
    public int outputSize() {
        return outputSize;
    }

    /** The vocabulary size when the model starts with an embedding, else 0. */
    public int vocabSize() {
        return embedding == null ? 0 : embedding.numEmbeddings();
    }

    /** The float input size I (the embedding dimension for a model with an embedding). */
    public int inputSize() {
        return rnn.inputSize;
    }

    /** Whether the recurrent stack is bidirectional (then it cannot stream). */
    public boolean bidirectional() {
        return rnn.numDirections == 2;
    }

    public boolean hasEmbedding() {
        return embedding != null;
    }

    public boolean batchFirst() {
        return batchFirst;
    }

    public Readout readout() {
        return readout;
    }

    public Output output() {
        return output;
    }

    public Cell cell() {
        return rnn.cell;
    }

    /** The precision the recurrent stack's and the heads' weights are stored in. */
    public Precision precision() {
        return rnn.precision();
    }

    /** Bytes of weights this model holds: the recurrent stack, the heads and the embedding table. */
    public long weightBytes() {
        long b = rnn.weightBytes();
        for (Linear h : heads) b += h.weightBytes();
        if (embedding != null) b += 4L * embedding.numEmbeddings() * embedding.embeddingDim();
        return b;
    }

    /** The vocabulary of the config ({@code tokens}), or null. */
    public List<String> tokens() {
        return tokens;
    }

    /** The names of the N outputs ({@code labels} in the config, e.g. a classifier's classes), or null. */
    public List<String> labels() {
        return labels;
    }

    /** Frees every part; idempotent. Later calls throw {@link IllegalStateException}. */
    @Override
    public void close() {
        if (stepper != null) stepper.close(); // first: it points at the parts
        if (embedding != null) embedding.close();
        rnn.close();
        for (Linear h : heads) h.close();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("SequenceModel(");
        if (embedding != null) b.append(embedding).append(" -> ");
        b.append(rnn).append(" -> ").append(readout.configName());
        for (int i = 0; i < heads.length; i++) {
            b.append(" -> ").append(heads[i]);
            if (activations[i] != Activation.NONE) b.append(" -> ").append(activations[i].configName());
        }
        if (output != Output.NONE) b.append(" -> ").append(output.configName());
        return b.append(batchFirst ? ", batch_first)" : ")").toString();
    }
}
