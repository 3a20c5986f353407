package io.jrnn;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import io.jrnn.internal.JrnnNative;

/**
 * Many callers, one batch: serves concurrent callers of one recurrent layer ({@link Lstm}, {@link Gru}, {@link Rnn})
 * or one {@link SequenceModel} (embedding, recurrent stack, heads, softmax) by running their pending work as one
 * batched native call.
 *
 * <ul>
 *   <li>{@link #open()} gives a {@link Session}: a live stream with its own state, kept in a slot of the batcher's
 *       state arena. Its {@link Session#step step(x)} (or {@link Session#step(int) step(id)} for a model with an
 *       embedding) waits until {@code maxBatch} sessions (or every open session) have a step pending, or
 *       {@code maxDelay} has passed since the oldest one, then all of them advance in one batched step call of
 *       batch B — in place in the arena when their slots are consecutive (for a layer: single-layer stacks), else
 *       through a gather and scatter of their rows. A layer's step returns the top layer's {@code h_t}; a model's
 *       returns what a {@link SequenceStream} step gives (the head's output, after any softmax), through
 *       {@link SequenceModel#rowStepper}.
 *   <li>{@link #forward(Tensor)} (layers only) runs a whole sequence; sequences of different lengths queued
 *       together run as one batched {@code forward} with per-sequence lengths.
 * </ul>
 *
 * <p><b>Results do not depend on the batch</b> (the default, {@link Builder#batchInvariant}): a session's outputs
 * and states are bit-identical whatever else shares its batches and wherever its row sits, and equal to the same
 * steps on a {@link RecurrentStream} (a model: a {@link SequenceStream}) of batch 1, and a {@code forward} here
 * equals the layer's own forward of that sequence alone. Without it, the AVX2 product sums in an order chosen by the
 * batch size (the last bits then vary with the traffic); {@code bench/} measures what invariance costs. For a model
 * the bit-identity holds for FP32 weights (BF16 and INT8 products pick routes by batch size).
 *
 * <p><b>Requests</b> are {@link CompletableFuture}s completing exactly once. A request can be withdrawn (its
 * {@code cancel}, or a timeout from {@link Builder#timeout} or the per-call argument) only while it is queued: it then
 * had no effect (a withdrawn step does not advance its session) and completes with {@link CancellationException} or
 * {@link java.util.concurrent.TimeoutException}. Once its batch has started it runs to the end and delivers its
 * result. A session's steps run in submission order, one per batch. When {@code queueCapacity} requests are waiting,
 * a new one is rejected at once with {@link RejectedExecutionException}. A failure that belongs to one request (a
 * forward whose input tensor was closed before it ran) fails that request only.
 *
 * <p>Dependent actions attached with non-async {@code then...} methods run on the batcher's thread and delay the
 * next batch; use the {@code ...Async} forms for slow work.
 *
 * <p>Thread safety: thread-safe; every method may be called from any thread, sessions included. The batcher does not
 * own the layer or model: close the batcher first (a batch run after the model was closed fails its requests with
 * {@link IllegalStateException}).
 */
public final class StreamBatcher implements AutoCloseable {

    /** Settings of a {@link StreamBatcher}; every setter validates its value at once. Not thread-safe. */
    public static final class Builder {
        private final NativeRecurrent layer;
        private final SequenceModel model;
        private int maxBatch = 64;
        private Duration maxDelay = Duration.ofMillis(1);
        private int queueCapacity = 4096;
        private int maxSessions = 1024;
        private Duration timeout;
        private boolean batchInvariant = true;

        private Builder(RecurrentLayer layer) {
            if (layer == null) throw new IllegalArgumentException("layer must not be null");
            if (!(layer instanceof NativeRecurrent)) {
                throw new IllegalArgumentException("layer must be an Lstm, Gru or Rnn, got " + layer.getClass().getName());
            }
            this.layer = (NativeRecurrent) layer;
            this.model = null;
        }

        private Builder(SequenceModel model) {
            if (model == null) throw new IllegalArgumentException("model must not be null");
            if (model.bidirectional()) {
                throw new IllegalArgumentException("a StreamBatcher needs a unidirectional model (the reverse direction "
                        + "reads the future); " + model + " is bidirectional: use SequenceModel.forward");
            }
            if (model.readout() == SequenceModel.Readout.MEAN) {
                throw new IllegalArgumentException("the mean readout cannot step (it averages the whole sequence); "
                        + model + ": use SequenceModel.forward");
            }
            this.layer = null;
            this.model = model;
        }

        /** Most rows of one batched call (default 64). */
        public Builder maxBatch(int n) {
            if (n < 1) throw new IllegalArgumentException("maxBatch must be >= 1, got " + n);
            maxBatch = n;
            return this;
        }

        /** Longest wait for a fuller batch after the oldest pending request arrived (default 1 ms; 0: never wait). */
        public Builder maxDelay(Duration d) {
            if (d == null || d.isNegative()) throw new IllegalArgumentException("maxDelay must be >= 0, got " + d);
            maxDelay = d;
            return this;
        }

        /** Most requests waiting (steps and forwards each); more are rejected (default 4096). */
        public Builder queueCapacity(int n) {
            if (n < 1) throw new IllegalArgumentException("queueCapacity must be >= 1, got " + n);
            queueCapacity = n;
            return this;
        }

        /** Most sessions open at once: the slots of the state arena, allocated up front (default 1024). */
        public Builder maxSessions(int n) {
            if (n < 1) throw new IllegalArgumentException("maxSessions must be >= 1, got " + n);
            maxSessions = n;
            return this;
        }

        /** Default timeout of every request: how long it may wait to start (default none; null: none). */
        public Builder timeout(Duration d) {
            if (d != null && (d.isNegative() || d.isZero())) {
                throw new IllegalArgumentException("timeout must be > 0 or null, got " + d);
            }
            timeout = d;
            return this;
        }

        /** Whether results are bit-identical whatever the batch (default true). */
        public Builder batchInvariant(boolean on) {
            batchInvariant = on;
            return this;
        }

        public StreamBatcher build() {
            return new StreamBatcher(this);
        }
    }

    /** A batcher of one recurrent layer's steps and whole sequences. */
    public static Builder builder(RecurrentLayer layer) {
        return new Builder(layer);
    }

    /**
     * A batcher of one model's steps (sessions only; {@link #forward} is for layers).
     *
     * @throws IllegalArgumentException when model is null, bidirectional, or has the mean readout (it cannot step)
     */
    public static Builder builder(SequenceModel model) {
        return new Builder(model);
    }

    private final NativeRecurrent layer;  // the layer, or the model's recurrent stack
    private final SequenceModel model;    // null: a layer batcher
    private final int L, I, H, Hout, N, S, maxBatch, vocab;
    private final boolean lstm, streams;
    private final int options;
    private final Duration timeout;

    private final BitSet slots = new BitSet();  // the arena's slots in use; guards `closed`, `freed` and state reads
    private final AtomicInteger openSessions = new AtomicInteger();
    private boolean closed;  // guarded by slots
    private boolean freed;   // guarded by slots

    private final Steps engine;
    private final BatchQueue<StepRequest> steps;
    private final BatchQueue<ForwardRequest> forwards;

    private StreamBatcher(Builder b) {
        model = b.model;
        layer = model == null ? b.layer : model.rnn;
        layer.ensureOpen();
        L = layer.numLayers;
        I = layer.inputSize;
        H = layer.hiddenSize;
        Hout = layer.outputSize;
        N = model == null ? Hout : model.outputSize();
        vocab = model == null ? 0 : model.vocabSize();
        S = b.maxSessions;
        maxBatch = b.maxBatch;
        lstm = layer.isLstm();
        streams = layer.numDirections == 1;
        options = b.batchInvariant ? JrnnNative.RUN_BATCH_INVARIANT : 0;
        timeout = b.timeout;
        final int R = Math.min(maxBatch, S);
        engine = model == null ? new LayerSteps(R) : new ModelSteps(R, b.batchInvariant);
        // a step batch is full once every open session has a step queued: no other step can arrive
        steps = new BatchQueue<>("jrnn StreamBatcher steps", R, b.maxDelay, b.queueCapacity, openSessions::get,
                engine::run);
        forwards = new BatchQueue<>("jrnn StreamBatcher forwards", maxBatch, b.maxDelay, b.queueCapacity, this::runForwards);
    }

    private static <T extends AutoCloseable> T keep(List<AutoCloseable> made, T t) {
        made.add(t);
        return t;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing native buffers does not throw
        }
    }

    // ---- sessions ----

    /** Opens a session with zero initial state. */
    public Session open() {
        return open(null, null);
    }

    /**
     * Opens a session with initial states {@code h0[L*Hout]} (layer-major, as {@code [L,1,Hout]}) and, for an LSTM,
     * {@code c0[L*H]}; null: zeros. For a model, L, H and Hout are those of its recurrent stack.
     *
     * @throws IllegalArgumentException for a bidirectional layer (a stream cannot read the future) or bad sizes
     * @throws IllegalStateException when {@code maxSessions} sessions are open, or after {@link #close}
     */
    public Session open(float[] h0, float[] c0) {
        if (!streams) {
            throw new IllegalArgumentException("sessions need a unidirectional layer (the reverse direction reads the "
                    + "future); this one is bidirectional: use forward");
        }
        if (h0 != null && h0.length != L * Hout) {
            throw new IllegalArgumentException("h0 must have num_layers * output_size = " + L + " * " + Hout + " = "
                    + L * Hout + " values, got " + h0.length);
        }
        if (c0 != null && !lstm) throw new IllegalArgumentException("c0 is an LSTM cell state; pass null");
        if (c0 != null && c0.length != L * H) {
            throw new IllegalArgumentException("c0 must have num_layers * hidden_size = " + L + " * " + H + " = "
                    + L * H + " values, got " + c0.length);
        }
        int slot;
        synchronized (slots) {
            if (closed) throw new IllegalStateException("StreamBatcher is closed");
            slot = slots.nextClearBit(0);
            if (slot >= S) {
                throw new IllegalStateException("all " + S + " sessions are open (maxSessions " + S
                        + "); close one or raise maxSessions");
            }
            slots.set(slot);
            openSessions.incrementAndGet();
            // the slot is ours alone from here: no batch touches it
            engine.init(slot, h0, c0);
        }
        return new Session(slot);
    }

    /** A view of base from element offset on (base itself is never repositioned: other threads use it too). */
    private static FloatPointer at(FloatPointer base, long offset) {
        return new FloatPointer(base).position(base.position() + offset);
    }

    /**
     * One caller's live stream: its state lives in a slot of the batcher's arena until {@link #close()}.
     *
     * <p>Thread safety: thread-safe; steps submitted from several threads run in submission order.
     */
    public final class Session implements AutoCloseable {
        private final int slot;
        private final BatchQueue.Key key = new BatchQueue.Key();
        // CLOSED | READING | IN_FLIGHT * (steps queued or running), without a lock: two monitor entries a step on the
        // batcher's thread contended by every client thread cost more than the step's Java work on 2 cores
        private final AtomicInteger use = new AtomicInteger();

        private Session(int slot) {
            this.slot = slot;
        }

        /** Blocking form of {@link #stepAsync(float[])}: {@code stepAsync(x).join()}. */
        public float[] step(float[] x) {
            return stepAsync(x).join();
        }

        /** Queues one step with the batcher's default timeout (see {@link #stepAsync(float[], Duration)}). */
        public CompletableFuture<float[]> stepAsync(float[] x) {
            return stepAsync(x, timeout);
        }

        /**
         * Queues one step: {@code x[I]} (copied now) in; out the top layer's {@code h_t[Hout]} (a layer), or the
         * model's output row {@code [N]} (a model without an embedding: N = {@link SequenceModel#outputSize()}).
         *
         * @param timeout how long the step may wait to start (null: no limit)
         * @throws IllegalArgumentException when x does not have input_size values, or the model takes token ids
         * @throws IllegalStateException when this session or the batcher is closed
         * @throws RejectedExecutionException when the queue is full
         */
        public CompletableFuture<float[]> stepAsync(float[] x, Duration timeout) {
            if (vocab > 0) {
                throw new IllegalArgumentException("this model starts with an embedding: step with token ids (step(int))");
            }
            if (x == null) throw new IllegalArgumentException("x must not be null");
            if (x.length != I) {
                throw new IllegalArgumentException("x must have input_size " + I + " values ("
                        + (model == null ? layer : model) + "), got " + x.length);
            }
            return submit(new StepRequest(this, x.clone(), -1, timeout));
        }

        /** Blocking form of {@link #stepAsync(int)}: {@code stepAsync(id).join()}. */
        public float[] step(int id) {
            return stepAsync(id).join();
        }

        /** Queues one step with the batcher's default timeout (see {@link #stepAsync(int, Duration)}). */
        public CompletableFuture<float[]> stepAsync(int id) {
            return stepAsync(id, timeout);
        }

        /**
         * Queues one step of a model with an embedding: token {@code id} in, the model's output row {@code [N]} out
         * (N = {@link SequenceModel#outputSize()}), what a {@link SequenceStream} step gives.
         *
         * @param timeout how long the step may wait to start (null: no limit)
         * @throws IllegalArgumentException when id is outside {@code [0, vocabSize)}, or what is wrapped takes floats
         * @throws IllegalStateException when this session or the batcher is closed
         * @throws RejectedExecutionException when the queue is full
         */
        public CompletableFuture<float[]> stepAsync(int id, Duration timeout) {
            if (vocab == 0) {
                throw new IllegalArgumentException((model == null ? "this batcher wraps a recurrent layer"
                        : "this model has no embedding") + ": step with float features x[" + I + "]");
            }
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id must be in [0, " + vocab + ") (the model's vocabulary), got "
                        + id);
            }
            return submit(new StepRequest(this, null, id, timeout));
        }

        private CompletableFuture<float[]> submit(StepRequest r) {
            for (;;) {
                int u = use.get();
                if ((u & CLOSED) != 0) throw new IllegalStateException("session is closed");
                if ((u & READING) != 0) {  // hn()/cn() copying the slot: a 1-4 KB copy
                    Thread.onSpinWait();
                    continue;
                }
                if (use.compareAndSet(u, u + IN_FLIGHT)) break;
            }
            try {
                steps.submit(r);
            } catch (RuntimeException e) {
                done();
                throw e;
            }
            return r;
        }

        // The last step of a closed session frees its slot.
        private void done() {
            if (use.addAndGet(-IN_FLIGHT) == CLOSED) freeSlot();
        }

        private void freeSlot() {
            synchronized (slots) {
                slots.clear(slot);
            }
        }

        /** A copy of the hidden state {@code [L*Hout]} (layer-major). */
        public float[] hn() {
            return state(false);
        }

        /** A copy of the cell state {@code [L*H]} for an LSTM; null otherwise. */
        public float[] cn() {
            return lstm ? state(true) : null;
        }

        private float[] state(boolean cell) {
            synchronized (slots) {
                if ((use.get() & CLOSED) != 0) throw new IllegalStateException("session is closed");
                if (closed) throw new IllegalStateException("StreamBatcher is closed");
                // no step may start, and the session not close, while the slot is read
                if (!use.compareAndSet(0, READING)) {
                    if ((use.get() & CLOSED) != 0) throw new IllegalStateException("session is closed");
                    throw new IllegalStateException("a step of this session is pending: read its state once it completed");
                }
                try {
                    return engine.read(slot, cell);
                } finally {
                    use.addAndGet(-READING);
                }
            }
        }

        /**
         * Closes the session: its queued steps are cancelled (they had no effect), a running one finishes, then the
         * slot is free for another session. Idempotent.
         */
        @Override
        public void close() {
            int u;
            do {
                u = use.get();
                if ((u & CLOSED) != 0) return;
            } while ((u & READING) != 0 || !use.compareAndSet(u, u | CLOSED));
            openSessions.decrementAndGet();
            // none in flight when it closed: no step can come any more, so nobody else frees the slot
            if (u == 0) freeSlot();
            else steps.withdrawKey(key, r -> r.fail(new CancellationException("session closed before this step ran")));
        }
    }

    private static final int CLOSED = 1, READING = 2, IN_FLIGHT = 4;

    private static final Comparator<StepRequest> BY_SLOT = Comparator.comparingInt(r -> r.session.slot);

    private final class StepRequest extends BatchQueue.Request<float[]> {
        final Session session;
        final float[] x;  // null: a token id
        final int id;

        StepRequest(Session session, float[] x, int id, Duration timeout) {
            super(steps, session.key, timeout);
            this.session = session;
            this.x = x;
            this.id = id;
        }

        @Override
        void onDone() {
            session.done();
        }
    }

    /**
     * The batched step of what the batcher wraps, over the arena slots of its sessions. {@code init} and
     * {@code read} run under {@code slots} on a slot no batch touches; {@code run} on the step worker only;
     * {@code free} once the worker has stopped.
     */
    private interface Steps {
        /** Sets a slot's state to h0, c0 (null: zeros). */
        void init(int slot, float[] h0, float[] c0);

        /** A copy of a slot's h {@code [L*Hout]} or c {@code [L*H]}. */
        float[] read(int slot, boolean cell);

        /** One batched step: completes every request (the batch sorted by slot here). */
        void run(List<StepRequest> batch);

        void free();
    }

    /** A layer's steps: the arena h[L, S, Hout], c[L, S, H] (LSTM) in native memory. */
    private final class LayerSteps implements Steps {
        private final Tensor arenaH, arenaC, xBuf, yBuf, gatherH, gatherC;
        private final IntPointer ids;
        private final float[] row;
        private final java.nio.FloatBuffer xs, ys;  // views of xBuf, yBuf: each request's row copied once each way

        LayerSteps(int R) {
            List<AutoCloseable> made = new ArrayList<>();
            try {
                arenaH = keep(made, Tensor.zeros(L, S, Hout));
                arenaC = lstm ? keep(made, Tensor.zeros(L, S, H)) : null;
                xBuf = keep(made, Tensor.zeros(R, I));
                yBuf = keep(made, Tensor.zeros(R, Hout));
                gatherH = keep(made, Tensor.zeros(L, R, Hout));
                gatherC = lstm ? keep(made, Tensor.zeros(L, R, H)) : null;
                ids = keep(made, new IntPointer(R));
            } catch (RuntimeException | Error e) {
                for (AutoCloseable c : made) closeQuietly(c);
                throw e;
            }
            row = new float[Math.max(Hout, H)];
            xs = xBuf.pointer().asBuffer();
            ys = yBuf.pointer().asBuffer();
        }

        @Override
        public void init(int slot, float[] h0, float[] c0) {
            for (int l = 0; l < L; l++) {
                writeRow(arenaH, (long) (l * S + slot) * Hout, h0, l * Hout, Hout);
                if (lstm) writeRow(arenaC, (long) (l * S + slot) * H, c0, l * H, H);
            }
        }

        private void writeRow(Tensor t, long offset, float[] src, int from, int n) {
            FloatPointer p = at(t.pointer(), offset);
            if (src == null) {
                for (int i = 0; i < n; i++) p.put(i, 0f);
            } else {
                p.put(src, from, n);
            }
        }

        @Override
        public float[] read(int slot, boolean cell) {
            Tensor arena = cell ? arenaC : arenaH;
            int n = cell ? H : Hout;
            float[] out = new float[L * n];
            for (int l = 0; l < L; l++) at(arena.pointer(), (long) (l * S + slot) * n).get(out, l * n, n);
            return out;
        }

        // One native step for the whole batch.
        @Override
        public void run(List<StepRequest> batch) {
            batch.sort(BY_SLOT);
            final int B = batch.size(), s0 = batch.get(0).session.slot;
            boolean consecutive = L == 1;
            for (int b = 0; b < B; b++) {
                StepRequest r = batch.get(b);
                xs.put(b * I, r.x, 0, I);  // straight into native memory
                consecutive &= r.session.slot == s0 + b;
            }
            final FloatPointer x = xBuf.pointer(), y = yBuf.pointer();
            if (consecutive) {  // the rows are a [1, B, *] block of the arena: step in place
                layer.stepRaw(B, x, at(arenaH.pointer(), (long) s0 * Hout), lstm ? at(arenaC.pointer(), (long) s0 * H) : null,
                        y, options);
            } else {
                for (int b = 0; b < B; b++) ids.put(b, batch.get(b).session.slot);
                gather(arenaH, gatherH, Hout, B);
                if (lstm) gather(arenaC, gatherC, H, B);
                layer.stepRaw(B, x, gatherH.pointer(), lstm ? gatherC.pointer() : null, y, options);
                scatter(gatherH, arenaH, Hout, batch);
                if (lstm) scatter(gatherC, arenaC, H, batch);
            }
            for (int b = 0; b < B; b++) {
                float[] out = new float[Hout];
                ys.get(b * Hout, out, 0, Hout);
                batch.get(b).finish(out);
            }
        }

        // g[l, b, :] = arena[l, ids[b], :]
        private void gather(Tensor arena, Tensor g, int n, int B) {
            for (int l = 0; l < L; l++) {
                int rc = JrnnNative.jrnn_gather_rows_f32(at(arena.pointer(), (long) l * S * n), S, n, ids, B,
                        at(g.pointer(), (long) l * B * n));
                if (rc != JrnnNative.OK) throw new IllegalStateException("gathering session states failed (status " + rc + ")");
            }
        }

        // arena[l, slot of b, :] = g[l, b, :]
        private void scatter(Tensor g, Tensor arena, int n, List<StepRequest> batch) {
            final int B = batch.size();
            for (int l = 0; l < L; l++) {
                for (int b = 0; b < B; b++) {
                    at(g.pointer(), (long) (l * B + b) * n).get(row, 0, n);
                    at(arena.pointer(), (long) (l * S + batch.get(b).session.slot) * n).put(row, 0, n);
                }
            }
        }

        @Override
        public void free() {
            arenaH.close();
            if (arenaC != null) arenaC.close();
            xBuf.close();
            yBuf.close();
            gatherH.close();
            if (gatherC != null) gatherC.close();
            ids.close();
        }
    }

    /**
     * A model's steps through one {@link RowStepper}: the arena is {@code float[S * stateSize]}, slot s at
     * {@code s * stateSize} in {@link SequenceModel#stateSize()}'s layout (every layer's h, then every layer's c).
     * A batch of consecutive slots steps in place; otherwise its rows are gathered into one block and scattered
     * back (a copy of B * stateSize floats each way).
     */
    private final class ModelSteps implements Steps {
        private final RowStepper stepper;
        private final int SS;
        private final float[] arena, gathered, xRows, out;
        private final int[] ids;

        ModelSteps(int R, boolean batchInvariant) {
            SS = model.stateSize();
            arena = new float[Math.multiplyExact(S, SS)];
            gathered = new float[R * SS];
            xRows = vocab > 0 ? null : new float[R * I];
            ids = vocab > 0 ? new int[R] : null;
            out = new float[R * N];
            stepper = model.rowStepper(R, batchInvariant);
        }

        @Override
        public void init(int slot, float[] h0, float[] c0) {
            int at = slot * SS;
            if (h0 == null) Arrays.fill(arena, at, at + L * Hout, 0f);
            else System.arraycopy(h0, 0, arena, at, L * Hout);
            if (lstm) {
                if (c0 == null) Arrays.fill(arena, at + L * Hout, at + SS, 0f);
                else System.arraycopy(c0, 0, arena, at + L * Hout, L * H);
            }
        }

        @Override
        public float[] read(int slot, boolean cell) {
            int from = slot * SS + (cell ? L * Hout : 0);
            return Arrays.copyOfRange(arena, from, from + (cell ? L * H : L * Hout));
        }

        @Override
        public void run(List<StepRequest> batch) {
            batch.sort(BY_SLOT);
            final int B = batch.size(), s0 = batch.get(0).session.slot;
            boolean consecutive = true;
            for (int b = 0; b < B; b++) {
                StepRequest r = batch.get(b);
                if (ids != null) ids[b] = r.id;
                else System.arraycopy(r.x, 0, xRows, b * I, I);
                consecutive &= r.session.slot == s0 + b;
            }
            if (consecutive) {  // the rows are one block of the arena: step in place
                step(B, arena, s0 * SS);
            } else {
                for (int b = 0; b < B; b++) System.arraycopy(arena, batch.get(b).session.slot * SS, gathered, b * SS, SS);
                try {
                    step(B, gathered, 0);
                } finally {  // the stepper advanced the states even when it then threw (a softmax over -inf only)
                    for (int b = 0; b < B; b++) {
                        System.arraycopy(gathered, b * SS, arena, batch.get(b).session.slot * SS, SS);
                    }
                }
            }
            for (int b = 0; b < B; b++) batch.get(b).finish(Arrays.copyOfRange(out, b * N, (b + 1) * N));
        }

        private void step(int B, float[] states, int off) {
            if (ids != null) stepper.step(B, ids, states, off, out);
            else stepper.step(B, xRows, states, off, out);
        }

        @Override
        public void free() {
            stepper.close();
        }
    }

    // ---- whole sequences ----

    /** Blocking form of {@link #forwardAsync(Tensor)}: {@code forwardAsync(x).join()}. */
    public RecurrentOutput forward(Tensor x) {
        return forwardAsync(x).join();
    }

    /** {@link #forwardAsync(Tensor, Duration)} with the batcher's default timeout. */
    public CompletableFuture<RecurrentOutput> forwardAsync(Tensor x) {
        return forwardAsync(x, timeout);
    }

    /**
     * Queues a whole sequence {@code x[T,1,I]} from zero states; completes with what {@code layer.forward(x)} returns
     * ({@code output[T,1,D*Hout]}, {@code hn[L*D,1,Hout]}, {@code cn}; the caller closes it). x is read when its batch
     * runs: keep it open and unchanged until the future completes (a closed x fails this request only).
     *
     * @param timeout how long the request may wait to start (null: no limit)
     * @throws IllegalArgumentException when x is not {@code [T,1,I]}
     * @throws UnsupportedOperationException when the batcher wraps a {@link SequenceModel}
     * @throws IllegalStateException after {@link #close}
     * @throws RejectedExecutionException when the queue is full
     */
    public CompletableFuture<RecurrentOutput> forwardAsync(Tensor x, Duration timeout) {
        if (model != null) {
            throw new UnsupportedOperationException("forward batches a recurrent layer's sequences; this batcher wraps "
                    + "a SequenceModel: use its sessions, or SequenceModel.forward");
        }
        layer.checkInput(x);
        if (x.dim(1) != 1) {
            throw new IllegalArgumentException("x must be one sequence [T,1," + I + "], got " + Arrays.toString(x.shape())
                    + " (queue the sequences of a batch one by one: the batcher forms the batches)");
        }
        ForwardRequest r = new ForwardRequest(x, timeout);
        forwards.submit(r);
        return r;
    }

    private final class ForwardRequest extends BatchQueue.Request<RecurrentOutput> {
        final Tensor x;
        final int T;
        float[] data;

        ForwardRequest(Tensor x, Duration timeout) {
            super(forwards, null, timeout);
            this.x = x;
            this.T = x.dim(0);
        }
    }

    // The forward worker: reads each request's input (a failure fails that request only), then one forward with
    // lengths over all of them.
    private void runForwards(List<ForwardRequest> batch) {
        List<ForwardRequest> ready = new ArrayList<>(batch.size());
        int T = 0;
        for (ForwardRequest r : batch) {
            try {
                r.data = r.x.toArray();
                ready.add(r);
                T = Math.max(T, r.T);
            } catch (RuntimeException e) {
                r.fail(e);
            }
        }
        if (ready.isEmpty()) return;
        final int B = ready.size(), LD = L * layer.numDirections, DH = layer.numDirections * Hout;
        float[] xs = new float[T * B * I];
        int[] lengths = new int[B];
        for (int b = 0; b < B; b++) {
            ForwardRequest r = ready.get(b);
            lengths[b] = r.T;
            for (int t = 0; t < r.T; t++) System.arraycopy(r.data, t * I, xs, (t * B + b) * I, I);
            r.data = null;
        }
        float[] ys, hs, cs;
        try (Tensor xt = Tensor.of(xs, T, B, I);
             Tensor yt = Tensor.uninitialized(T, B, DH);
             Tensor hn = Tensor.uninitialized(LD, B, Hout);
             Tensor cn = lstm ? Tensor.uninitialized(LD, B, H) : null;
             IntPointer lp = new IntPointer(B)) {
            lp.put(lengths);
            layer.forwardRaw(T, B, xt.pointer(), lp, null, null, yt.pointer(), hn.pointer(),
                    cn == null ? null : cn.pointer(), options);
            ys = yt.toArray();
            hs = hn.toArray();
            cs = cn == null ? null : cn.toArray();
        }
        for (int b = 0; b < B; b++) {
            ForwardRequest r = ready.get(b);
            try {
                float[] y = new float[r.T * DH], h = new float[LD * Hout], c = cs == null ? null : new float[LD * H];
                for (int t = 0; t < r.T; t++) System.arraycopy(ys, (t * B + b) * DH, y, t * DH, DH);
                for (int i = 0; i < LD; i++) {
                    System.arraycopy(hs, (i * B + b) * Hout, h, i * Hout, Hout);
                    if (c != null) System.arraycopy(cs, (i * B + b) * H, c, i * H, H);
                }
                r.finish(result(y, r.T, DH, h, LD, c));
            } catch (RuntimeException | Error e) {
                r.fail(e);
            }
        }
    }

    private RecurrentOutput result(float[] y, int T, int DH, float[] h, int LD, float[] c) {
        Tensor yt = Tensor.of(y, T, 1, DH), ht = null;
        try {
            ht = Tensor.of(h, LD, 1, Hout);
            return new RecurrentOutput(yt, ht, c == null ? null : Tensor.of(c, LD, 1, H));
        } catch (RuntimeException | Error e) {
            yt.close();
            if (ht != null) ht.close();
            throw e;
        }
    }

    // ---- lifecycle ----

    /** Requests waiting to start (steps and forwards). */
    public int queued() {
        return steps.queued() + forwards.queued();
    }

    /**
     * Stops taking requests, runs every queued one, waits for them, then frees the state arena (sessions are then
     * closed). Idempotent.
     */
    @Override
    public void close() {
        shutdown(true);
    }

    /**
     * Stops taking requests; the queued ones are cancelled ({@link CancellationException}: they had no effect); waits
     * for the running batches, then frees the state arena. Idempotent.
     */
    public void closeNow() {
        shutdown(false);
    }

    private void shutdown(boolean drain) {
        steps.requireNotWorker();
        forwards.requireNotWorker();
        synchronized (slots) {
            closed = true;
        }
        steps.close(drain);
        forwards.close(drain);
        synchronized (slots) {
            if (freed) return;
            freed = true;
            engine.free();
        }
    }
}
