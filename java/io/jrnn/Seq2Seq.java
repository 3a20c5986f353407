package io.jrnn;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import io.jrnn.decode.BeamSearch;
import io.jrnn.decode.Decoding;
import io.jrnn.decode.Greedy;
import io.jrnn.decode.Hypothesis;
import io.jrnn.internal.JrnnNative;

/**
 * An encoder–decoder (seq2seq) model with optional attention, loaded from one {@code .safetensors} file whose
 * {@code jrnn.config} metadata describes it (SPEC §1.3), decoded greedily or with beam search (SPEC §1.4).
 *
 * <p>The pieces are separate: the encoder is a {@link RecurrentLayer}, the attention a score function, the decoder
 * a step function ({@code DecoderSession}), and the strategies ({@link Greedy}, {@link BeamSearch}) only see
 * log-probabilities. A decoder step (the reorder of the beam's states, embedding, recurrent stack, attention,
 * output projection, log-softmax) is one native call over the parts; encoding a sentence is another.
 *
 * <p>Thread safety: a loaded model is immutable; any number of threads may decode with it at once (each call owns
 * its buffers, and results do not depend on how many threads decode). {@link #close()} waits for calls in flight;
 * any call after it throws {@link IllegalStateException}.
 *
 * <p>Memory: the weights live in native memory until {@link #close()} (idempotent). A model that is never closed
 * is freed once it is garbage collected (a {@link Cleaner} backstop), but only then: close models you are done with.
 */
public final class Seq2Seq implements AutoCloseable {
    /** Upper bounds that catch absurd arguments before anything is allocated. */
    public static final int MAX_LEN = 100_000, MAX_BEAM = 1_000;

    private final Seq2SeqConfig config;
    private final String name;
    private final Tensor srcEmbedding, tgtEmbedding;
    private final NativeRecurrent encoder, decoderRnn;
    private final Linear bridge, combine, out;
    private final Attention attention;
    private final Map<String, Integer> srcIndex;
    final JrnnNative.S2SHandle decoder; // the native step over the parts above (it points at them; they stay owned here)
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed; // written under the write lock; read without it by the pure-Java calls
    private final Cleaner.Cleanable cleanable;

    /** Frees what a model that was never closed still holds, once it is unreachable. */
    private static final Cleaner CLEANER = Cleaner.create();

    private Seq2Seq(Seq2SeqConfig config, String name, Tensor srcEmbedding, Tensor tgtEmbedding,
                    NativeRecurrent encoder, NativeRecurrent decoderRnn, Linear bridge, Attention attention,
                    Linear combine, Linear out, JrnnNative.S2SHandle decoder) {
        this.config = config;
        this.name = name;
        this.srcEmbedding = srcEmbedding;
        this.tgtEmbedding = tgtEmbedding;
        this.encoder = encoder;
        this.decoderRnn = decoderRnn;
        this.bridge = bridge;
        this.attention = attention;
        this.combine = combine;
        this.out = out;
        this.decoder = decoder;
        Map<String, Integer> idx = null;
        if (config.srcTokens() != null) {
            idx = new HashMap<>();
            for (int i = 0; i < config.srcTokens().size(); i++) idx.putIfAbsent(config.srcTokens().get(i), i);
        }
        this.srcIndex = idx;
        // the action holds the parts, never the model, so that the model can become unreachable
        List<AutoCloseable> parts = new ArrayList<>(List.of(() -> JrnnNative.jrnn_s2s_destroy(decoder), srcEmbedding,
                tgtEmbedding, encoder, decoderRnn, out));
        for (AutoCloseable p : new AutoCloseable[] {bridge, attention, combine}) if (p != null) parts.add(p);
        this.cleanable = CLEANER.register(this, () -> closeAll(parts));
    }

    /**
     * Loads a model file. Every tensor is checked against the config (name, shape, float dtype); a missing,
     * misshapen or unexpected tensor, or a malformed config, is an {@link IOException} naming it.
     */
    public static Seq2Seq load(Path file) throws IOException {
        return load(file, Precision.FP32);
    }

    /**
     * Loads a model file with every weight matrix (recurrent weights, bridge, attention, combine and output
     * projections) in the given precision (SPEC §1.5); embeddings and biases stay float32.
     */
    public static Seq2Seq load(Path file, Precision precision) throws IOException {
        if (file == null) throw new IllegalArgumentException("file must not be null");
        if (precision == null) throw new IllegalArgumentException("precision must not be null");
        final String where = file.toString();
        try (StateDict sd = StateDict.load(file)) {
            String json = sd.metadata().get("jrnn.config");
            if (json == null) {
                throw new IOException(where + ": no \"jrnn.config\" metadata: not a jrnn seq2seq model (metadata keys: "
                        + sd.metadata().keySet() + ")");
            }
            Seq2SeqConfig cfg = Seq2SeqConfig.parse(json, where);
            checkTensors(sd, cfg, where);
            return build(sd, cfg, where, precision);
        }
    }

    /** The tensors SPEC §1.3 names for this config, with their shapes. */
    static Map<String, int[]> expectedTensors(Seq2SeqConfig c, boolean encBias, boolean decBias) {
        Map<String, int[]> t = new LinkedHashMap<>();
        Seq2SeqConfig.Encoder e = c.encoder();
        Seq2SeqConfig.Decoder d = c.decoder();
        final int Dm = e.outputSize(), Hd = d.hiddenSize();
        t.put("encoder.embedding.weight", new int[] {c.srcVocabSize(), e.embedDim()});
        recurrent(t, "encoder.rnn", e.cell(), e.embedDim(), e.hiddenSize(), e.numLayers(), e.numDirections(), encBias);
        t.put("decoder.embedding.weight", new int[] {c.tgtVocabSize(), d.embedDim()});
        recurrent(t, "decoder.rnn", d.cell(), c.decoderInputSize(), Hd, d.numLayers(), 1, decBias);
        if (d.bridge().equals("linear_tanh")) {
            t.put("decoder.bridge.weight", new int[] {Hd, Dm});
            t.put("decoder.bridge.bias", new int[] {Hd});
        }
        switch (d.attention()) {
            case BAHDANAU:
                t.put("decoder.attention.query.weight", new int[] {d.attentionDim(), Hd});
                t.put("decoder.attention.key.weight", new int[] {d.attentionDim(), Dm});
                t.put("decoder.attention.v.weight", new int[] {1, d.attentionDim()});
                break;
            case LUONG_GENERAL:
                t.put("decoder.attention.W.weight", new int[] {Hd, Dm});
                break;
            case LUONG_CONCAT:
                t.put("decoder.attention.W.weight", new int[] {d.attentionDim(), Hd + Dm});
                t.put("decoder.attention.v.weight", new int[] {1, d.attentionDim()});
                break;
            default:
                break;
        }
        if (d.luong()) t.put("decoder.combine.weight", new int[] {Hd, Dm + Hd});
        t.put("decoder.out.weight", new int[] {c.tgtVocabSize(), c.outputInputSize()});
        t.put("decoder.out.bias", new int[] {c.tgtVocabSize()});
        return t;
    }

    private static void recurrent(Map<String, int[]> t, String prefix, Cell cell, int in, int H, int L, int D,
                                  boolean bias) {
        final int G = cell.gates();
        for (int l = 0; l < L; l++) {
            for (int dir = 0; dir < D; dir++) {
                t.put(Weights.recurrent(prefix, "weight_ih", l, dir), new int[] {G * H, l == 0 ? in : D * H});
                t.put(Weights.recurrent(prefix, "weight_hh", l, dir), new int[] {G * H, H});
                if (bias) {
                    t.put(Weights.recurrent(prefix, "bias_ih", l, dir), new int[] {G * H});
                    t.put(Weights.recurrent(prefix, "bias_hh", l, dir), new int[] {G * H});
                }
            }
        }
    }

    private static void checkTensors(StateDict sd, Seq2SeqConfig cfg, String where) throws IOException {
        Map<String, int[]> want = expectedTensors(cfg, sd.contains("encoder.rnn.bias_ih_l0"),
                sd.contains("decoder.rnn.bias_ih_l0"));
        for (Map.Entry<String, int[]> w : want.entrySet()) {
            String n = w.getKey();
            if (!sd.contains(n)) {
                throw new IOException(where + ": missing tensor " + n + " " + Arrays.toString(w.getValue())
                        + " (the config says " + describe(cfg) + ")");
            }
            int[] s;
            try {
                s = sd.shape(n);
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": tensor " + n + ": " + e.getMessage(), e);
            }
            if (!Arrays.equals(s, w.getValue())) {
                throw new IOException(where + ": tensor " + n + " must be " + Arrays.toString(w.getValue())
                        + " for this config (" + describe(cfg) + "), got " + Arrays.toString(s));
            }
            String dt = sd.dtype(n);
            if (!Weights.FLOAT_DTYPES.contains(dt)) {
                throw new IOException(where + ": tensor " + n + " must be a float tensor (F32, F16, BF16, F64), got " + dt);
            }
        }
        List<String> extra = new ArrayList<>();
        for (String n : sd.names()) if (!want.containsKey(n)) extra.add(n);
        if (!extra.isEmpty()) {
            throw new IOException(where + ": unexpected tensors " + extra + " for this config (" + describe(cfg)
                    + "); a model file holds exactly the tensors its config needs");
        }
    }

    private static String describe(Seq2SeqConfig c) {
        Seq2SeqConfig.Encoder e = c.encoder();
        Seq2SeqConfig.Decoder d = c.decoder();
        return "encoder " + e.cell().configName() + " " + e.numLayers() + "x" + e.hiddenSize() + (e.bidirectional() ? " bidirectional" : "")
                + ", decoder " + d.cell().configName() + " " + d.numLayers() + "x" + d.hiddenSize() + ", attention " + d.attention()
                + ", bridge " + d.bridge();
    }

    private static Seq2Seq build(StateDict sd, Seq2SeqConfig cfg, String where, Precision p) throws IOException {
        List<AutoCloseable> made = new ArrayList<>();
        try {
            Tensor srcEmb = keep(made, sd.tensor("encoder.embedding.weight"));
            Tensor tgtEmb = keep(made, sd.tensor("decoder.embedding.weight"));
            NativeRecurrent enc = keep(made, recurrentLayer(sd, "encoder.rnn", cfg.encoder().cell(), p));
            NativeRecurrent dec = keep(made, recurrentLayer(sd, "decoder.rnn", cfg.decoder().cell(), p));
            Linear bridge = cfg.decoder().bridge().equals("linear_tanh")
                    ? keep(made, linear(sd, "decoder.bridge.weight", "decoder.bridge.bias", p)) : null;
            Attention att = keep(made, attention(sd, cfg, p));
            Linear combine = cfg.decoder().luong() ? keep(made, linear(sd, "decoder.combine.weight", null, p)) : null;
            Linear out = keep(made, linear(sd, "decoder.out.weight", "decoder.out.bias", p));
            JrnnNative.S2SHandle step = nativeDecoder(cfg, srcEmb, tgtEmb, enc, dec, bridge, att, combine, out);
            made.add(() -> JrnnNative.jrnn_s2s_destroy(step));
            return new Seq2Seq(cfg, where, srcEmb, tgtEmb, enc, dec, bridge, att, combine, out, step);
        } catch (IllegalArgumentException e) {
            closeAll(made);
            throw new IOException(where + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            closeAll(made);
            throw e;
        }
    }

    /**
     * The native decoder over the parts: raw pointers to their weights, valid while the model holds the parts (only
     * {@link #close()} frees them, under the write lock, after every decode in flight).
     */
    private static JrnnNative.S2SHandle nativeDecoder(Seq2SeqConfig cfg, Tensor srcEmb, Tensor tgtEmb,
                                                      NativeRecurrent enc, NativeRecurrent dec, Linear bridge,
                                                      Attention att, Linear combine, Linear out) {
        Seq2SeqConfig.Encoder e = cfg.encoder();
        Seq2SeqConfig.Decoder d = cfg.decoder();
        final int flow = d.attention() == AttentionKind.BAHDANAU ? JrnnNative.S2S_FLOW_BAHDANAU
                : d.luong() ? JrnnNative.S2S_FLOW_LUONG : JrnnNative.S2S_FLOW_NONE;
        Linear query = null, key = null, general = null;
        Tensor v = null;
        int score = JrnnNative.S2S_SCORE_DOT;
        if (att instanceof Attention.Additive a) {
            score = JrnnNative.S2S_SCORE_ADDITIVE;
            query = a.query;
            key = a.key;
            v = a.v;
        } else if (att instanceof Attention.Dot dot) {
            general = dot.general;
        }
        JrnnNative.RnnHandle eh = enc.acquire(), dh;
        try {
            dh = dec.acquire();
            dec.release();
        } finally {
            enc.release();
        }
        JrnnNative.S2SHandle h = JrnnNative.jrnn_s2s_create(eh, dh, flow, score, d.feedsInput() ? 1 : 0,
                srcEmb.pointer(), cfg.srcVocabSize(), e.embedDim(), tgtEmb.pointer(), cfg.tgtVocabSize(), d.embedDim(),
                e.numLayers(), e.outputSize(), d.hiddenSize(), d.numLayers(), d.cell() == Cell.LSTM ? 1 : 0,
                query == null ? 0 : query.n, v == null ? null : v.pointer());
        if (h == null || h.isNull()) throw new OutOfMemoryError("cannot allocate the native seq2seq decoder");
        try {
            setLinear(h, JrnnNative.S2S_LIN_BRIDGE, bridge);
            setLinear(h, JrnnNative.S2S_LIN_QUERY, query);
            setLinear(h, JrnnNative.S2S_LIN_KEY, key);
            setLinear(h, JrnnNative.S2S_LIN_GENERAL, general);
            setLinear(h, JrnnNative.S2S_LIN_COMBINE, combine);
            setLinear(h, JrnnNative.S2S_LIN_OUT, out);
        } catch (RuntimeException | Error ex) {
            JrnnNative.jrnn_s2s_destroy(h);
            throw ex;
        }
        return h;
    }

    private static void setLinear(JrnnNative.S2SHandle h, int slot, Linear lin) {
        if (lin == null) return;
        JrnnNative.LinearHandle lh = lin.acquire();
        try {
            int rc = JrnnNative.jrnn_s2s_set_linear(h, slot, lh, lin.n, lin.k);
            if (rc != JrnnNative.OK) {
                throw new IllegalStateException("the native seq2seq decoder refused " + lin + " in slot " + slot
                        + " (status " + rc + ")");
            }
        } finally {
            lin.release();
        }
    }

    private static <T extends AutoCloseable> T keep(List<AutoCloseable> made, T t) {
        if (t != null) made.add(t);
        return t;
    }

    private static void closeAll(List<AutoCloseable> made) {
        for (AutoCloseable c : made) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing native memory does not fail
            }
        }
    }

    private static NativeRecurrent recurrentLayer(StateDict sd, String prefix, Cell cell, Precision p) {
        return switch (cell) {
            case LSTM -> Lstm.load(sd, prefix, p);
            case GRU -> Gru.load(sd, prefix, p);
            case RNN_RELU -> Rnn.load(sd, prefix, Activation.RELU, p);
            case RNN_TANH -> Rnn.load(sd, prefix, Activation.TANH, p);
        };
    }

    private static Linear linear(StateDict sd, String weight, String bias, Precision p) {
        try (Tensor w = sd.tensor(weight); Tensor b = bias == null ? null : sd.tensor(bias)) {
            return Linear.of(w, b, p);
        }
    }

    private static Attention attention(StateDict sd, Seq2SeqConfig cfg, Precision p) {
        final int Hd = cfg.decoder().hiddenSize(), Dm = cfg.encoder().outputSize();
        switch (cfg.decoder().attention()) {
            case BAHDANAU: {
                Linear q = linear(sd, "decoder.attention.query.weight", null, p);
                Linear k = null;
                try {
                    k = linear(sd, "decoder.attention.key.weight", null, p);
                    return new Attention.Additive(q, k, sd.tensor("decoder.attention.v.weight"));
                } catch (RuntimeException e) {
                    q.close();
                    if (k != null) k.close();
                    throw e;
                }
            }
            case LUONG_CONCAT: {
                // v · tanh(W_a [q; h_j]) = v · tanh(W_a[:, :Hd] q + W_a[:, Hd:] h_j): additive with split halves
                final int A = cfg.decoder().attentionDim();
                float[] w;
                try (Tensor wa = sd.tensor("decoder.attention.W.weight")) {
                    w = wa.toArray();
                }
                float[] wq = new float[A * Hd], wk = new float[A * Dm];
                for (int a = 0; a < A; a++) {
                    System.arraycopy(w, a * (Hd + Dm), wq, a * Hd, Hd);
                    System.arraycopy(w, a * (Hd + Dm) + Hd, wk, a * Dm, Dm);
                }
                try (Tensor tq = Tensor.of(wq, A, Hd); Tensor tk = Tensor.of(wk, A, Dm)) {
                    Linear q = Linear.of(tq, null, p), k = Linear.of(tk, null, p);
                    return new Attention.Additive(q, k, sd.tensor("decoder.attention.v.weight"));
                }
            }
            case LUONG_GENERAL:
                return new Attention.Dot(linear(sd, "decoder.attention.W.weight", null, p));
            case LUONG_DOT:
                return new Attention.Dot(null);
            default:
                return null;
        }
    }

    // ---- decoding ----

    /** Greedy decoding of one source sentence (ids in the source vocabulary), at most {@code maxLen} tokens. */
    public Translation greedy(int[] srcIds, int maxLen) {
        checkSource(srcIds, "srcIds");
        checkMaxLen(maxLen);
        return withModel(() -> {
            try (DecoderSession s = new DecoderSession(this, srcIds, 1)) {
                return translation(Greedy.decode(s, config.bosId(), config.eosId(), banned(), maxLen));
            }
        });
    }

    /**
     * Greedy decoding of several sentences, decoded together (one native decoder step a step for all of them):
     * exactly what one call per sentence returns, bit for bit, in order.
     */
    public List<Translation> greedy(List<int[]> srcIds, int maxLen) {
        checkBatch(srcIds);
        checkMaxLen(maxLen);
        List<Decoding<?>> ds = new ArrayList<>(srcIds.size());
        for (int i = 0; i < srcIds.size(); i++) ds.add(greedyDecoding(maxLen));
        decodeTogether(srcIds, ds, 1);
        List<Translation> out = new ArrayList<>(ds.size());
        for (Decoding<?> d : ds) out.add(translation(d));
        return out;
    }

    /** Rows of one batched decoder step at most: the batches {@link #decodeTogether} forms stay within it. */
    static final int MAX_BATCH_ROWS = 256;

    /** {@link #decodeTogether(List, List, int[])} with every decoding asking for at most {@code rowsEach} rows. */
    void decodeTogether(List<int[]> srcs, List<? extends Decoding<?>> ds, int rowsEach) {
        int[] rows = new int[ds.size()];
        Arrays.fill(rows, rowsEach);
        decodeTogether(srcs, ds, rows);
    }

    /** Rows a part must have before {@link #decodeTogether} gives it a core of its own. */
    static final int MIN_PART_ROWS = 8;

    /**
     * Runs decodings of these sources (ids checked by the caller; {@code ds.get(i)} decodes {@code srcs.get(i)} and
     * asks for at most {@code rows[i]} rows a step) to their ends. Consecutive decodings go together, as many as
     * {@link #MAX_BATCH_ROWS} allows, each group's rows scored in one native call a step; with several jrnn threads
     * ({@link Jrnn#threads()}) and enough rows, the sentences are split into that many parts of about equal rows,
     * decoded at the same time, one core each (a small model's batched step gains more from a core of its own than
     * from the pool's split of each product). Every decoding sees exactly the scores it would see alone.
     */
    void decodeTogether(List<int[]> srcs, List<? extends Decoding<?>> ds, int[] rows) {
        if (srcs.size() != ds.size() || rows.length != ds.size()) {
            throw new IllegalArgumentException(srcs.size() + " sources, " + ds.size() + " decodings, " + rows.length
                    + " row counts");
        }
        long sum = 0;
        for (int r : rows) sum += r;
        final long total = sum;
        final int parts = (int) Math.max(1, Math.min(Math.min(Jrnn.threads(), srcs.size()), total / MIN_PART_ROWS));
        withModel(() -> {
            if (parts == 1) {
                decodeGroups(srcs, ds, rows, 0, srcs.size());
                return null;
            }
            // part p: sentences [cut[p], cut[p + 1]), about total / parts rows each
            int[] cut = new int[parts + 1];
            Arrays.fill(cut, 1, parts + 1, srcs.size());
            long taken = 0;
            for (int i = 0, p = 1; i < srcs.size() && p < parts; i++) {
                taken += rows[i];
                while (p < parts && taken * parts >= total * p) cut[p++] = i + 1;
            }
            List<Future<?>> others = new ArrayList<>(parts - 1);
            for (int p = 1; p < parts; p++) {
                final int from = cut[p], to = cut[p + 1];
                if (from < to) others.add(DecodeThreads.POOL.submit(() -> decodeGroups(srcs, ds, rows, from, to)));
            }
            RuntimeException failure = null;
            int was = JrnnNative.jrnn_set_thread_inline(1);
            try {
                decodeGroups(srcs, ds, rows, cut[0], cut[1]);
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                JrnnNative.jrnn_set_thread_inline(was);
            }
            for (Future<?> f : others) {  // every part ends before the model's lock is released
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException re ? re
                                : new IllegalStateException("decoding failed", e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    if (failure == null) failure = new IllegalStateException("interrupted while decoding", e);
                }
            }
            if (failure != null) throw failure;
            return null;
        });
    }

    // Sentences [from, to) in groups of up to MAX_BATCH_ROWS rows, one group after another (the model's lock held).
    private void decodeGroups(List<int[]> srcs, List<? extends Decoding<?>> ds, int[] rows, int from, int to) {
        for (int a = from, b; a < to; a = b) {
            int taken = rows[a];
            for (b = a + 1; b < to && taken + rows[b] <= MAX_BATCH_ROWS; b++) taken += rows[b];
            try (DecoderSession s = new DecoderSession(this, srcs.subList(a, b), taken)) {
                s.decodeAll(ds.subList(a, b));
            }
        }
    }

    /** The threads that decode the other parts of a {@link #decodeTogether}: daemons, each running jrnn inline. */
    private static final class DecodeThreads {
        static final ExecutorService POOL = Executors.newCachedThreadPool(new ThreadFactory() {
            private final AtomicInteger n = new AtomicInteger();

            @Override
            public Thread newThread(Runnable r) {
                Thread t = new Thread(() -> {
                    JrnnNative.jrnn_set_thread_inline(1);
                    r.run();
                }, "jrnn-decode-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            }
        });
    }

    /**
     * Beam search (SPEC §1.4): up to {@code beamSize} finished hypotheses, best first by
     * {@code logProb / ((5 + len) / 6)^lengthPenalty} (0 = raw score).
     */
    public List<Translation> beamSearch(int[] srcIds, int beamSize, int maxLen, float lengthPenalty) {
        checkSource(srcIds, "srcIds");
        checkBeam(beamSize, maxLen, lengthPenalty);
        checkBeamScores(beamSize);
        return withModel(() -> {
            try (DecoderSession s = new DecoderSession(this, srcIds, beamSize)) {
                List<Hypothesis> hs = BeamSearch.decode(s, config.bosId(), config.eosId(), banned(), beamSize, maxLen,
                        lengthPenalty);
                List<Translation> out = new ArrayList<>(hs.size());
                for (Hypothesis h : hs) out.add(translation(h));
                return out;
            }
        });
    }

    /**
     * Beam search of several sentences, decoded together (one native decoder step a step for the live hypotheses of
     * all of them): exactly what one call per sentence returns, bit for bit, in order.
     */
    public List<List<Translation>> beamSearch(List<int[]> srcIds, int beamSize, int maxLen, float lengthPenalty) {
        checkBatch(srcIds);
        checkBeam(beamSize, maxLen, lengthPenalty);
        checkBeamScores(beamSize);
        List<Decoding<?>> ds = new ArrayList<>(srcIds.size());
        for (int i = 0; i < srcIds.size(); i++) ds.add(beamDecoding(beamSize, maxLen, lengthPenalty));
        decodeTogether(srcIds, ds, beamSize);
        List<List<Translation>> out = new ArrayList<>(ds.size());
        for (Decoding<?> d : ds) out.add(translations(d));
        return out;
    }

    /** A beam search of this model's decoder (arguments checked by the caller), for {@link #decodeTogether}. */
    Decoding<List<Hypothesis>> beamDecoding(int beamSize, int maxLen, float lengthPenalty) {
        return BeamSearch.start(config.tgtVocabSize(), config.hasAttention(), config.bosId(), config.eosId(), banned(),
                beamSize, maxLen, lengthPenalty);
    }

    /** A greedy decoding of this model's decoder ({@code maxLen} checked by the caller), for {@link #decodeTogether}. */
    Decoding<Hypothesis> greedyDecoding(int maxLen) {
        return Greedy.start(config.tgtVocabSize(), config.bosId(), config.eosId(), banned(), maxLen);
    }

    /** The translations of a finished greedy or beam decoding of this model. */
    Translation translation(Decoding<?> d) {
        return translation((Hypothesis) d.result());
    }

    List<Translation> translations(Decoding<?> d) {
        @SuppressWarnings("unchecked")
        List<Hypothesis> hs = (List<Hypothesis>) d.result();
        List<Translation> out = new ArrayList<>(hs.size());
        for (Hypothesis h : hs) out.add(translation(h));
        return out;
    }

    /** Translates text with the model's tokenizer and vocabularies, greedily. */
    public String translate(String text) {
        int[] ids = tokenize(text);
        return detokenize(greedy(ids, defaultMaxLen(ids)).tokens());
    }

    /**
     * Translates text with beam search (length penalty 0.6); returns the best hypothesis, or "" when there is none
     * (beam search keeps no hypothesis whose score is NaN, which only a model with NaN weights produces).
     */
    public String translate(String text, int beamSize) {
        int[] ids = tokenize(text);
        List<Translation> best = beamSearch(ids, beamSize, defaultMaxLen(ids), 0.6f);
        return best.isEmpty() ? "" : detokenize(best.get(0).tokens());
    }

    static int defaultMaxLen(int[] ids) {
        return Math.min(MAX_LEN, 2 * ids.length + 10);
    }

    /** Splits text into source ids: characters ("char") or whitespace-separated words ("word"). */
    public int[] tokenize(String text) {
        ensureOpen();
        if (text == null) throw new IllegalArgumentException("text must not be null");
        if (config.tokenizer() == null) {
            throw new IllegalArgumentException("this model has no tokenizer in its config; pass token ids instead");
        }
        List<String> pieces = new ArrayList<>();
        if (config.tokenizer().equals("char")) {
            text.codePoints().forEach(cp -> pieces.add(new String(Character.toChars(cp))));
        } else {
            for (String w : text.trim().split("\\s+")) if (!w.isEmpty()) pieces.add(w);
        }
        if (pieces.isEmpty()) throw new IllegalArgumentException("text has no tokens: \"" + text + "\"");
        Integer unk = srcIndex.get("<unk>");
        int[] ids = new int[pieces.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = srcIndex.get(pieces.get(i));
            if (id == null) {
                if (unk == null) {
                    throw new IllegalArgumentException("token \"" + pieces.get(i) + "\" at position " + i
                            + " is not in the source vocabulary (which has no <unk>)");
                }
                id = unk;
            }
            ids[i] = id;
        }
        return ids;
    }

    /** Joins target ids into text ("" between characters, " " between words). */
    public String detokenize(int[] tgtIds) {
        ensureOpen();
        if (tgtIds == null) throw new IllegalArgumentException("tgtIds must not be null");
        if (config.tgtTokens() == null) throw new IllegalArgumentException("this model has no target vocabulary");
        StringBuilder sb = new StringBuilder();
        String sep = "word".equals(config.tokenizer()) ? " " : "";
        for (int i = 0; i < tgtIds.length; i++) {
            if (tgtIds[i] < 0 || tgtIds[i] >= config.tgtVocabSize()) {
                throw new IllegalArgumentException("target id " + tgtIds[i] + " at position " + i + " is outside [0, "
                        + config.tgtVocabSize() + ")");
            }
            if (i > 0) sb.append(sep);
            sb.append(config.tgtTokens().get(tgtIds[i]));
        }
        return sb.toString();
    }

    private Translation translation(Hypothesis h) {
        return new Translation(h.tokensWithoutEnd(), (float) h.logProb(), h.attention());
    }

    private int[] banned() {
        return new int[] {config.padId(), config.bosId()};
    }

    // ---- validation (TranslationBatcher checks its requests with the same methods) ----

    void checkSource(int[] ids, String what) {
        if (ids == null) throw new IllegalArgumentException(what + " must not be null");
        if (ids.length == 0) throw new IllegalArgumentException(what + " must hold at least one token, got none");
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= config.srcVocabSize()) {
                throw new IllegalArgumentException(what + "[" + i + "] must be a source id in [0, "
                        + config.srcVocabSize() + "), got " + ids[i]);
            }
        }
    }

    private void checkBatch(List<int[]> batch) {
        if (batch == null) throw new IllegalArgumentException("srcIds must not be null");
        for (int i = 0; i < batch.size(); i++) checkSource(batch.get(i), "srcIds.get(" + i + ")");
    }

    static void checkMaxLen(int maxLen) {
        if (maxLen < 1 || maxLen > MAX_LEN) {
            throw new IllegalArgumentException("maxLen must be in [1, " + MAX_LEN + "], got " + maxLen);
        }
    }

    static void checkBeam(int beamSize, int maxLen, float lengthPenalty) {
        if (beamSize < 1 || beamSize > MAX_BEAM) {
            throw new IllegalArgumentException("beamSize must be in [1, " + MAX_BEAM + "], got " + beamSize);
        }
        checkMaxLen(maxLen);
        if (!Float.isFinite(lengthPenalty)) {
            throw new IllegalArgumentException("lengthPenalty must be a finite number, got " + lengthPenalty);
        }
    }

    /** beamSize rows of tgt_vocab_size scores each step: one Java array and one native tensor must hold them. */
    void checkBeamScores(int beamSize) {
        long scores = (long) beamSize * config.tgtVocabSize();
        if (scores > Tensor.MAX_SIZE) {
            throw new IllegalArgumentException("beamSize " + beamSize + " times tgt_vocab_size " + config.tgtVocabSize()
                    + " is " + scores + " scores per step, more than the " + Tensor.MAX_SIZE + " an array holds");
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("seq2seq model " + name + " is closed");
    }

    private <T> T withModel(java.util.function.Supplier<T> call) {
        lock.readLock().lock();
        try {
            ensureOpen();
            return call.get();
        } finally {
            lock.readLock().unlock();
            // the parts run native code during call.get(); the Cleaner must not free them before it returns
            Reference.reachabilityFence(this);
        }
    }

    // ---- facts ----

    /** The precision of the weight matrices (SPEC §1.5), as loaded. */
    public Precision precision() {
        return encoder.precision();
    }

    /**
     * Bytes of weights the model holds natively: every weight matrix in its precision (scales and row sums
     * included), biases and the two embeddings in float32.
     */
    public long weightBytes() {
        long bytes = 4L * srcEmbedding.size() + 4L * tgtEmbedding.size() + encoder.weightBytes() + decoderRnn.weightBytes()
                + out.weightBytes();
        if (bridge != null) bytes += bridge.weightBytes();
        if (combine != null) bytes += combine.weightBytes();
        if (attention != null) bytes += attention.weightBytes();
        return bytes;
    }

    public Seq2SeqConfig config() {
        return config;
    }

    /** Frees the native weights, after the calls in flight return; idempotent. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            cleanable.clean(); // runs the cleaning action now, once; the Cleaner will not run it again
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "Seq2Seq(" + describe(config) + ")";
    }
}
