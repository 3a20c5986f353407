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

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import io.jrnn.internal.JrnnNative;

/**
 * Many callers, one batch: serves concurrent callers of one recurrent layer ({@link Lstm}, {@link Gru}, {@link Rnn})
 * by running their pending work as one batched native call.
 *
 * <ul>
 *   <li>{@link #open()} gives a {@link Session}: a live stream with its own state, kept in a slot of the batcher's
 *       native state arena. Its {@link Session#step step(x)} waits until {@code maxBatch} sessions (or every open
 *       session) have a step pending, or {@code maxDelay} has passed since the oldest one, then all of them advance
 *       in one
 *       {@code step} call of batch B — in place in the arena when their slots are consecutive (single-layer stacks),
 *       else through a gather and scatter of their rows.
 *   <li>{@link #forward(Tensor)} runs a whole sequence; sequences of different lengths queued together run as one
 *       batched {@code forward} with per-sequence lengths.
 * </ul>
 *
 * <p><b>Results do not depend on the batch</b> (the default, {@link Builder#batchInvariant}): a session's outputs
 * and states are bit-identical whatever else shares its batches and wherever its row sits, and equal to the same
 * steps on a {@link RecurrentStream} of batch 1, and a {@code forward} here equals the layer's own forward of that
 * sequence alone. Without it, the AVX2 product sums in an order chosen by the batch size (the last bits then vary
 * with the traffic); {@code bench/} measures what invariance costs.
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
 * <p>Thread safety: thread-safe; every method may be called from any thread. The batcher does not own the layer:
 * close the batcher first.
 */
public final class StreamBatcher implements AutoCloseable {

    /** Settings of a {@link StreamBatcher}; every setter validates its value at once. Not thread-safe. */
    public static final class Builder {
        private final NativeRecurrent layer;
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

    public static Builder builder(RecurrentLayer layer) {
        return new Builder(layer);
    }

    private final NativeRecurrent layer;
    private final int L, I, H, Hout, S, maxBatch;
    private final boolean lstm, streams;
    private final int options;
    private final Duration timeout;

    // the state arena h[L, S, Hout], c[L, S, H] (LSTM); slots guarded by `slots`
    private final Tensor arenaH, arenaC;
    private final BitSet slots = new BitSet();
    private final java.util.concurrent.atomic.AtomicInteger openSessions = new java.util.concurrent.atomic.AtomicInteger();
    private boolean closed;  // guarded by slots

    // buffers of the step worker only
    private final Tensor xBuf, yBuf, gatherH, gatherC;
    private final IntPointer ids;
    private final float[] row, xRows, yRows;

    private final BatchQueue<StepRequest> steps;
    private final BatchQueue<ForwardRequest> forwards;

    private StreamBatcher(Builder b) {
        layer = b.layer;
        layer.ensureOpen();
        L = layer.numLayers;
        I = layer.inputSize;
        H = layer.hiddenSize;
        Hout = layer.outputSize;
        S = b.maxSessions;
        maxBatch = b.maxBatch;
        lstm = layer.isLstm();
        streams = layer.numDirections == 1;
        options = b.batchInvariant ? JrnnNative.RUN_BATCH_INVARIANT : 0;
        timeout = b.timeout;
        final int R = Math.min(maxBatch, S);
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
        xRows = new float[R * I];
        yRows = new float[R * Hout];
        // a step batch is full once every open session has a step queued: no other step can arrive
        steps = new BatchQueue<>("jrnn StreamBatcher steps", R, b.maxDelay, b.queueCapacity, openSessions::get,
                this::runSteps);
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
     * {@code c0[L*H]}; null: zeros.
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
            for (int l = 0; l < L; l++) {
                writeRow(arenaH, (long) (l * S + slot) * Hout, h0, l * Hout, Hout);
                if (lstm) writeRow(arenaC, (long) (l * S + slot) * H, c0, l * H, H);
            }
        }
        return new Session(slot);
    }

    private static void writeRow(Tensor t, long offset, float[] src, int from, int n) {
        FloatPointer p = at(t.pointer(), offset);
        if (src == null) {
            for (int i = 0; i < n; i++) p.put(i, 0f);
        } else {
            p.put(src, from, n);
        }
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
        private int inFlight;       // guarded by slots: steps queued or running
        private boolean sessionClosed;  // guarded by slots

        private Session(int slot) {
            this.slot = slot;
        }

        /** Blocking form of {@link #stepAsync(float[])}: {@code stepAsync(x).join()}. */
        public float[] step(float[] x) {
            return stepAsync(x).join();
        }

        /** Queues one step with the batcher's default timeout: {@code x[I]} in, the top layer's {@code h_t[Hout]} out. */
        public CompletableFuture<float[]> stepAsync(float[] x) {
            return stepAsync(x, timeout);
        }

        /**
         * Queues one step: {@code x[I]} (copied now) in, the top layer's {@code h_t[Hout]} out.
         *
         * @param timeout how long the step may wait to start (null: no limit)
         * @throws IllegalArgumentException when x does not have input_size values
         * @throws IllegalStateException when this session or the batcher is closed
         * @throws RejectedExecutionException when the queue is full
         */
        public CompletableFuture<float[]> stepAsync(float[] x, Duration timeout) {
            if (x == null) throw new IllegalArgumentException("x must not be null");
            if (x.length != I) {
                throw new IllegalArgumentException("x must have input_size " + I + " values (" + layer
                        + "), got " + x.length);
            }
            StepRequest r = new StepRequest(this, x.clone(), timeout);
            synchronized (slots) {
                if (sessionClosed) throw new IllegalStateException("session is closed");
                inFlight++;
            }
            try {
                steps.submit(r);
            } catch (RuntimeException e) {
                done();
                throw e;
            }
            return r;
        }

        private void done() {
            synchronized (slots) {
                if (--inFlight == 0 && sessionClosed) slots.clear(slot);
            }
        }

        /** A copy of the hidden state {@code [L*Hout]} (layer-major). */
        public float[] hn() {
            return state(arenaH, Hout);
        }

        /** A copy of the cell state {@code [L*H]} for an LSTM; null otherwise. */
        public float[] cn() {
            return lstm ? state(arenaC, H) : null;
        }

        private float[] state(Tensor arena, int n) {
            synchronized (slots) {
                if (sessionClosed) throw new IllegalStateException("session is closed");
                if (closed) throw new IllegalStateException("StreamBatcher is closed");
                if (inFlight > 0) {
                    throw new IllegalStateException("a step of this session is pending: read its state once it completed");
                }
                float[] out = new float[L * n];
                for (int l = 0; l < L; l++) at(arena.pointer(), (long) (l * S + slot) * n).get(out, l * n, n);
                return out;
            }
        }

        /**
         * Closes the session: its queued steps are cancelled (they had no effect), a running one finishes, then the
         * slot is free for another session. Idempotent.
         */
        @Override
        public void close() {
            synchronized (slots) {
                if (sessionClosed) return;
                sessionClosed = true;
                openSessions.decrementAndGet();
            }
            steps.withdrawKey(this, r -> r.fail(new CancellationException("session closed before this step ran")));
            synchronized (slots) {
                if (inFlight == 0) slots.clear(slot);
            }
        }
    }

    private final class StepRequest extends BatchQueue.Request<float[]> {
        final Session session;
        final float[] x;

        StepRequest(Session session, float[] x, Duration timeout) {
            super(steps, session, timeout);
            this.session = session;
            this.x = x;
        }

        @Override
        void onDone() {
            session.done();
        }
    }

    // The step worker: one native step for the whole batch.
    private void runSteps(List<StepRequest> batch) {
        batch.sort(Comparator.comparingInt(r -> r.session.slot));
        final int B = batch.size();
        final FloatPointer x = xBuf.pointer(), y = yBuf.pointer();
        boolean consecutive = L == 1;
        for (int b = 0; b < B; b++) {
            StepRequest r = batch.get(b);
            System.arraycopy(r.x, 0, xRows, b * I, I);
            consecutive &= r.session.slot == batch.get(0).session.slot + b;
        }
        x.put(xRows, 0, B * I);  // one copy into native memory for the batch
        final int s0 = batch.get(0).session.slot;
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
        y.get(yRows, 0, B * Hout);
        for (int b = 0; b < B; b++) batch.get(b).finish(Arrays.copyOfRange(yRows, b * Hout, (b + 1) * Hout));
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
     * @throws IllegalStateException after {@link #close}
     * @throws RejectedExecutionException when the queue is full
     */
    public CompletableFuture<RecurrentOutput> forwardAsync(Tensor x, Duration timeout) {
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
            if (arenaH.isClosed()) return;
            arenaH.close();
            if (arenaC != null) arenaC.close();
            xBuf.close();
            yBuf.close();
            gatherH.close();
            if (gatherC != null) gatherC.close();
            ids.close();
        }
    }
}
