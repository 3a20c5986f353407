package io.jrnn.flink;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;

import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
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

    // the bundle: events in arrival order, their timestamps, and one slot per distinct key
    private transient Event[] events;
    private transient long[] timestamps;
    private transient boolean[] hasTimestamp;
    private transient int[] slotOfEvent, roundOfEvent;
    private transient int size;
    private transient HashMap<String, Integer> slotOfKey;
    private transient float[][] slotState;
    private transient String[] slotKey;
    private transient int[] slotSteps;
    private transient boolean[] slotOwned; // slotState[s] is a new array of this flush (else the stored one, or null)
    private transient int slots;
    private transient float[][] outputs;
    // the batched step's rows
    private transient float[] rowStates, rowOut, rowX;
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
        int B = cfg.maxBundle;
        events = new Event[B];
        timestamps = new long[B];
        hasTimestamp = new boolean[B];
        slotOfEvent = new int[B];
        roundOfEvent = new int[B];
        slotOfKey = new HashMap<>(2 * B);
        slotState = new float[B][];
        slotKey = new String[B];
        slotSteps = new int[B];
        slotOwned = new boolean[B];
        outputs = new float[B][];
        rowStates = new float[B * S];
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

    /** Steps the bundle: one batched call per round (round r: the r-th event of each key in it), then emits. */
    private void flush() throws Exception {
        if (size == 0) return;
        int rounds = 0;
        for (int i = 0; i < size; i++) {
            String key = events[i].key;
            Integer slot = slotOfKey.get(key);
            if (slot == null) {
                slot = slots++;
                slotOfKey.put(key, slot);
                slotKey[slot] = key;
                slotSteps[slot] = 0;
                setCurrentKey(key);
                float[] stored = state.value();
                if (stored != null && stored.length != S) {
                    throw new IllegalStateException("state of key " + key + " holds " + stored.length + " floats, the "
                            + "model's state " + S);
                }
                // read only: the heap backend keeps the stored array (its snapshots may still read it)
                slotState[slot] = stored;
                slotOwned[slot] = false;
            }
            slotOfEvent[i] = slot;
            roundOfEvent[i] = slotSteps[slot]++;
            rounds = Math.max(rounds, roundOfEvent[i] + 1);
        }
        for (int r = 0; r < rounds; r++) {
            int rows = 0;
            for (int i = 0; i < size; i++) {
                if (roundOfEvent[i] != r) continue;
                Event e = events[i];
                float[] st = slotState[slotOfEvent[i]];
                if (st == null) Arrays.fill(rowStates, rows * S, (rows + 1) * S, 0f); // a new key: zeros
                else System.arraycopy(st, 0, rowStates, rows * S, S);
                if (embedded) rowIds[rows] = e.id;
                else System.arraycopy(e.features, 0, rowX, rows * I, I);
                rowEvent[rows++] = i;
            }
            if (embedded) stepper.step(rows, rowIds, rowStates, rowOut);
            else stepper.step(rows, rowX, rowStates, rowOut);
            for (int j = 0; j < rows; j++) {
                int i = rowEvent[j], slot = slotOfEvent[i];
                if (!slotOwned[slot]) {
                    slotState[slot] = new float[S];
                    slotOwned[slot] = true;
                }
                System.arraycopy(rowStates, j * S, slotState[slot], 0, S);
                outputs[i] = Arrays.copyOfRange(rowOut, j * N, (j + 1) * N);
            }
        }
        for (int s = 0; s < slots; s++) {
            setCurrentKey(slotKey[s]);
            state.update(slotState[s]); // handed to the backend: never written again here
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
        slotOfKey.clear();
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
