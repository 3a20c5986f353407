package io.jrnn.flink;

import java.nio.file.Path;
import java.util.Arrays;

import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import io.jrnn.RowStepper;
import io.jrnn.SequenceModel;

/**
 * The keyed operator behind {@link JrnnScoring}: bundles events across keys and advances each key's
 * {@code ValueState<float[]>} through one batched {@link RowStepper} step per bundle (one per round when a key
 * repeats). Runs on a keyed stream (the key selector {@link Event#getKey()}); every method runs on the task's
 * mailbox thread, timers included, so the operator needs no locking. Not final only for tests.
 */
class JrnnScoringOperator extends AbstractStreamOperator<Scored>
        implements OneInputStreamOperator<Event, Scored>, ProcessingTimeCallback {
    private static final long serialVersionUID = 1L;

    private final JrnnScoring cfg;

    private transient SequenceModel model;
    private transient RowStepper stepper;
    private transient ValueState<float[]> state;
    private transient int S, N, I;
    private transient boolean embedded;
    private transient boolean heapInPlace; // heap backend without TTL: a stored array stepped in place needs no update

    // the bundle: events in arrival order, their timestamps, and one slot per distinct key
    private transient Event[] events;
    private transient long[] timestamps;
    private transient boolean[] hasTimestamp;
    private transient int[] slotOfEvent, roundOfEvent;
    private transient int size;
    // the bundle's keys: an open-addressing table of slot + 1 (0: empty) probed linearly, at most half full; a
    // HashMap<String, Integer> allocated a node (and past 127 an Integer) per event, and its put was 11% of the
    // scoring thread's Java samples (JFR, bundles of 64, Zen 5)
    private transient int[] keyTable;
    private transient int[] bucketOfSlot;
    private transient float[][] slotState; // the key's stored array, stepped in place (a new zero array for a new key)
    private transient boolean[] slotStored; // slotState[s] is the array the backend holds
    private transient String[] slotKey;
    private transient int[] slotSteps;
    private transient int slots;
    private transient float[][] outputs;
    // the batched step's rows
    private transient float[][] rowStates;
    private transient float[] rowOut, rowX;
    private transient int[] rowIds, rowEvent;
    private transient boolean timerPending;
    private transient StreamRecord<Scored> reuse;

    JrnnScoringOperator(JrnnScoring cfg) {
        this.cfg = cfg;
    }

    @Override
    public void open() throws Exception {
        super.open();
        Path file = cfg.cacheName != null
                ? getRuntimeContext().getDistributedCache().getFile(cfg.cacheName).toPath()
                : Path.of(cfg.modelPath);
        model = SharedModels.acquire(file, cfg.precision);
        stepper = model.rowStepper(cfg.maxBundle, cfg.batchInvariant);
        S = model.stateSize();
        N = model.outputSize();
        I = model.inputSize();
        embedded = model.hasEmbedding();
        ValueStateDescriptor<float[]> d = new ValueStateDescriptor<>(cfg.stateName, new RecurrentStateSerializer(S));
        if (cfg.stateTtl != null) {
            d.enableTimeToLive(StateTtlConfig.newBuilder(cfg.stateTtl)
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build());
        }
        state = getPartitionedState(d);
        // As Flink's own heap list state adds to the list its table returned without putting it back: the heap
        // table holds the very array value() returned (copied first by its copy-on-write map while a snapshot still
        // reads the old one). RocksDB (a deserialized copy) and TTL (a new write stamp) need the update.
        heapInPlace = cfg.stateTtl == null && getKeyedStateBackend() instanceof HeapKeyedStateBackend;
        int B = cfg.maxBundle;
        events = new Event[B];
        timestamps = new long[B];
        hasTimestamp = new boolean[B];
        slotOfEvent = new int[B];
        roundOfEvent = new int[B];
        keyTable = new int[Integer.highestOneBit(2 * B) << 1];
        bucketOfSlot = new int[B];
        slotState = new float[B][];
        slotStored = new boolean[B];
        slotKey = new String[B];
        slotSteps = new int[B];
        outputs = new float[B][];
        rowStates = new float[B][];
        rowOut = new float[B * N];
        rowX = embedded ? new float[0] : new float[B * I];
        rowIds = new int[B];
        rowEvent = new int[B];
        reuse = new StreamRecord<>(null);
    }

    @Override
    public void processElement(StreamRecord<Event> record) throws Exception {
        Event e = record.getValue();
        check(e);
        int bucket = bucket(e.key);
        int slot = keyTable[bucket] - 1;
        if (slot < 0) {
            float[] stored = state.value(); // the key is the current one here: no setCurrentKey
            if (stored != null) checked(stored, e.key); // before the bundle takes the key
            slot = slots++;
            keyTable[bucket] = slot + 1;
            bucketOfSlot[slot] = bucket;
            slotKey[slot] = e.key;
            slotSteps[slot] = 0;
            slotStored[slot] = stored != null;
            slotState[slot] = stored != null ? stored : new float[S];
        }
        slotOfEvent[size] = slot;
        roundOfEvent[size] = slotSteps[slot]++;
        events[size] = e;
        hasTimestamp[size] = record.hasTimestamp();
        timestamps[size] = record.getTimestamp();
        size++;
        if (size == cfg.maxBundle) {
            flush();
        } else if (!timerPending) {
            timerPending = true;
            getProcessingTimeService().registerTimer(
                    getProcessingTimeService().getCurrentProcessingTime() + cfg.maxDelayMillis, this);
        }
    }

    /** The key's bucket in {@code keyTable}: where its slot is, or the empty bucket it would take. */
    private int bucket(String key) {
        int mask = keyTable.length - 1;
        int h = key.hashCode(); // cached in the string: the key group assignment has computed it
        int b = (h ^ (h >>> 16)) & mask;
        for (int s; (s = keyTable[b]) != 0; b = (b + 1) & mask) {
            if (slotKey[s - 1].equals(key)) return b;
        }
        return b;
    }

    /** A bad event fails here, naming it, before it joins a bundle (validate upstream to drop such events). */
    private void check(Event e) {
        if (e.key == null) throw new IllegalArgumentException("event without a key: " + e);
        if (embedded) {
            if (e.id < 0 || e.id >= model.vocabSize()) {
                throw new IllegalArgumentException("event " + e.key + " #" + e.seq + ": id " + e.id + " outside the "
                        + "model's vocabulary [0, " + model.vocabSize() + ")");
            }
        } else if (e.features == null || e.features.length != I) {
            throw new IllegalArgumentException("event " + e.key + " #" + e.seq + ": features must hold the model's "
                    + "input_size " + I + " floats, got " + (e.features == null ? "null" : e.features.length));
        }
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        timerPending = false;
        flush();
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        flush(); // outputs of events before the watermark leave before it
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush(); // the checkpoint holds every event before the barrier in the keys' states, none in a bundle
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    /**
     * A key's stored state, to be stepped in place: the stored array itself on the heap backend (safe: its
     * copy-on-write state map hands out a copy while a snapshot still holds the entry, through the serializer's
     * {@code copy}), a fresh deserialized one on RocksDB. Stepping in place rather than into a new array per event
     * keeps the 10^5 keys' states (1 KB each for the example) from being reallocated and copied by the young
     * collections event after event (G1 paused 6.7 s of a 30 s run at P=1 before, on the Zen 5).
     */
    private float[] checked(float[] stored, String key) {
        if (stored.length != S) {
            throw new IllegalStateException("state of key " + key + " holds " + stored.length + " floats, the model's "
                    + "state " + S);
        }
        return stored;
    }

    /** Steps the bundle: one batched call per round (round r: the r-th event of each key in it), then emits. */
    private void flush() throws Exception {
        if (size == 0) return;
        int rounds = 0;
        for (int s = 0; s < slots; s++) rounds = Math.max(rounds, slotSteps[s]);
        for (int r = 0; r < rounds; r++) {
            int rows = 0;
            for (int i = 0; i < size; i++) {
                if (roundOfEvent[i] != r) continue;
                Event e = events[i];
                rowStates[rows] = slotState[slotOfEvent[i]];
                if (embedded) rowIds[rows] = e.id;
                else System.arraycopy(e.features, 0, rowX, rows * I, I);
                rowEvent[rows++] = i;
            }
            if (embedded) stepper.stepRows(rows, rowIds, rowStates, rowOut);
            else stepper.stepRows(rows, rowX, rowStates, rowOut);
            for (int j = 0; j < rows; j++) {
                outputs[rowEvent[j]] = Arrays.copyOfRange(rowOut, j * N, (j + 1) * N);
                rowStates[j] = null;
            }
        }
        for (int s = 0; s < slots; s++) {
            if (!(heapInPlace && slotStored[s])) {
                // the key of a bundle of one event (per-event calls) is still the current one
                if (getCurrentKey() != slotKey[s]) setCurrentKey(slotKey[s]);
                state.update(slotState[s]); // RocksDB serializes it; the heap backend keeps it (TTL: a new stamp)
            }
            slotState[s] = null;
            slotKey[s] = null;
        }
        for (int i = 0; i < size; i++) {
            Event e = events[i];
            reuse.replace(new Scored(e.key, e.seq, outputs[i]));
            if (hasTimestamp[i]) reuse.setTimestamp(timestamps[i]);
            else reuse.eraseTimestamp();
            output.collect(reuse);
            events[i] = null;
            outputs[i] = null;
        }
        for (int s = 0; s < slots; s++) keyTable[bucketOfSlot[s]] = 0;
        slots = 0;
        size = 0;
    }

    @Override
    public void close() throws Exception {
        try {
            if (stepper != null) stepper.close();
            if (model != null) SharedModels.release(model);
            stepper = null;
            model = null;
        } finally {
            super.close();
        }
    }
}
