package io.jrnn.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.CheckpointOptions;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.memory.MemCheckpointStreamFactory;
import org.apache.flink.streaming.api.operators.OperatorSnapshotFinalizer;
import org.apache.flink.streaming.api.operators.OperatorSnapshotFutures;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import io.jrnn.flink.example.SensorReadings;

/**
 * The operator alone in Flink's test harness (one subtask, processing time and state TTL time set by hand): bundles
 * flush when full, on the timer, before a checkpoint barrier and on a watermark; a key repeated in a bundle steps in
 * order; outputs equal the single-JVM loop bit for bit (batch-invariant); state survives a snapshot and restore,
 * also when the states were stepped in place while the heap backend's asynchronous snapshot was still unwritten;
 * TTL drops a quiet key's state; the state serializer is versioned and refuses another model's state size.
 */
class JrnnScoringOperatorTest {

    /** A harness whose TTL clock the test sets. */
    private static final class Harness extends KeyedOneInputStreamOperatorTestHarness<String, Event, Scored> {
        Harness(JrnnScoring cfg) throws Exception {
            super(cfg.operator(), Event::getKey, Types.STRING);
        }

        void ttlTime(long t) {
            ttlTimeProvider.setCurrentTimestamp(t);
        }
    }

    private static JrnnScoring cfg(int maxBundle, Duration ttl) {
        return JrnnScoring.model(Fixtures.model().toString()).maxBundle(maxBundle).maxDelay(Duration.ofMillis(10))
                .stateTtl(ttl).build();
    }

    @Test
    void bundlesFlushWhenFullOnTheTimerBeforeBarriersAndWatermarksInArrivalOrder() throws Exception {
        // device 1 occurs up to three times in one bundle, device 2 twice
        Event[] ev = {SensorReadings.event(1, 0), SensorReadings.event(1, 1), SensorReadings.event(2, 0),
                SensorReadings.event(1, 2), SensorReadings.event(3, 0), SensorReadings.event(2, 1),
                SensorReadings.event(3, 1), SensorReadings.event(1, 3), SensorReadings.event(2, 2)};
        Map<String, float[]> want = Fixtures.reference(ev);
        try (Harness h = new Harness(cfg(4, null))) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 0; i < 3; i++) h.processElement(new StreamRecord<>(ev[i], 100 + i));
            assertTrue(h.extractOutputValues().isEmpty(), "3 of 4: waiting");
            h.processElement(new StreamRecord<>(ev[3], 103));
            assertEquals(4, h.extractOutputValues().size(), "full bundle flushed");
            h.processElement(new StreamRecord<>(ev[4], 104));
            h.setProcessingTime(9);
            assertEquals(4, h.extractOutputValues().size(), "before maxDelay");
            h.setProcessingTime(10);
            assertEquals(5, h.extractOutputValues().size(), "flushed by the timer");
            h.processElement(new StreamRecord<>(ev[5], 105));
            h.processWatermark(new Watermark(200));
            List<Object> raw = List.copyOf(h.getOutput());
            assertTrue(raw.get(raw.size() - 1) instanceof Watermark && raw.get(raw.size() - 2) instanceof StreamRecord,
                    "the watermark follows the output it flushed: " + raw);
            h.processElement(new StreamRecord<>(ev[6], 106));
            h.prepareSnapshotPreBarrier(1); // what the task calls before a barrier (the harness's snapshot does not)
            h.snapshot(1, 300);
            assertEquals(7, h.extractOutputValues().size(), "flushed before the barrier");
            h.processElement(new StreamRecord<>(ev[7], 107));
            h.processElement(new StreamRecord<>(ev[8], 108));
            h.getOperator().finish();
            List<StreamRecord<? extends Scored>> out = h.extractOutputStreamRecords();
            assertEquals(ev.length, out.size(), "end of input flushed");
            for (int i = 0; i < ev.length; i++) {
                Scored s = out.get(i).getValue();
                assertEquals(ev[i].key, s.key, "arrival order");
                assertEquals(ev[i].seq, s.seq, "arrival order");
                assertEquals(100 + i, out.get(i).getTimestamp(), "the input's timestamp");
                assertArrayEquals(want.get(Fixtures.id(s.key, s.seq)), s.output, "output of " + ev[i]);
            }
        }
    }

    @Test
    void stateSurvivesSnapshotAndRestore() throws Exception {
        Event[] ev = Fixtures.events(5, 60, 3);
        Map<String, float[]> want = Fixtures.reference(ev);
        OperatorSubtaskState snap;
        try (Harness h = new Harness(cfg(8, null))) {
            h.open();
            for (int i = 0; i < 30; i++) h.processElement(new StreamRecord<>(ev[i], i));
            h.prepareSnapshotPreBarrier(1);
            snap = h.snapshot(1, 1);
        }
        replaysFromSnapshot(snap, ev, 30, want);
    }

    // Restores snap with another bundle size (the same bits), feeds ev[from..] and checks every output against want.
    private static void replaysFromSnapshot(OperatorSubtaskState snap, Event[] ev, int from, Map<String, float[]> want)
            throws Exception {
        try (Harness h = new Harness(cfg(3, null))) {
            h.initializeState(snap);
            h.open();
            for (int i = from; i < ev.length; i++) h.processElement(new StreamRecord<>(ev[i], i));
            h.getOperator().finish();
            List<Scored> out = h.extractOutputValues();
            assertEquals(ev.length - from, out.size());
            for (Scored s : out) assertArrayEquals(want.get(Fixtures.id(s.key, s.seq)), s.output, s.toString());
        }
    }

    /**
     * The heap backend's snapshot is written asynchronously, after the task has moved on: the states the operator
     * steps in place meanwhile must not leak into it (its copy-on-write map copies an entry a running snapshot still
     * holds before handing it out). Here the snapshot's asynchronous part runs only after 30 more events stepped the
     * same keys; restoring it must replay those 30 events exactly.
     */
    @Test
    void statesSteppedInPlaceDoNotLeakIntoARunningSnapshot() throws Exception {
        Event[] ev = Fixtures.events(5, 60, 3);
        Map<String, float[]> want = Fixtures.reference(ev);
        OperatorSubtaskState snap;
        try (Harness h = new Harness(cfg(8, null))) {
            h.open();
            for (int i = 0; i < 30; i++) h.processElement(new StreamRecord<>(ev[i], i));
            h.prepareSnapshotPreBarrier(1);
            OperatorSnapshotFutures pending = h.getOperator().snapshotState(1, 1,
                    CheckpointOptions.forCheckpointWithDefaultLocation(), new MemCheckpointStreamFactory(1 << 20));
            for (int i = 30; i < ev.length; i++) h.processElement(new StreamRecord<>(ev[i], i));
            h.getOperator().finish();
            assertEquals(60, h.extractOutputValues().size());
            snap = OperatorSnapshotFinalizer.create(pending).getJobManagerOwnedState(); // written only now
        }
        replaysFromSnapshot(snap, ev, 30, want);
    }

    @Test
    void ttlDropsTheStateOfAQuietKey() throws Exception {
        Event a0 = SensorReadings.event(7, 0), a1 = SensorReadings.event(7, 1), b0 = SensorReadings.event(8, 0);
        Map<String, float[]> want = Fixtures.reference(new Event[] {a0, a1});
        Map<String, float[]> fresh = Fixtures.reference(new Event[] {new Event(a0.key, 1, a1.features)});
        try (Harness h = new Harness(cfg(1, Duration.ofMillis(100)))) {
            h.open();
            h.ttlTime(0);
            h.processElement(new StreamRecord<>(a0));
            h.ttlTime(50);
            h.processElement(new StreamRecord<>(a1)); // within the TTL: continues the state
            h.ttlTime(120);
            h.processElement(new StreamRecord<>(b0)); // another key: a's state is 70 ms old, kept
            assertEquals(2, h.numKeyedStateEntries());
            h.ttlTime(151);
            h.processElement(new StreamRecord<>(new Event(a0.key, 2, a1.features))); // 101 ms quiet: starts again
            List<Scored> out = h.extractOutputValues();
            assertArrayEquals(want.get(Fixtures.id(a1.key, 1)), out.get(1).output, "continued state");
            assertArrayEquals(fresh.get(Fixtures.id(a0.key, 1)), out.get(3).output, "expired: from zeros");
            assertFalse(java.util.Arrays.equals(out.get(1).output, out.get(3).output));
        }
    }

    @Test
    void aBadEventFailsNamingIt() throws Exception {
        try (Harness h = new Harness(cfg(4, null))) {
            h.open();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> h.processElement(new StreamRecord<>(new Event("dev", 5, new float[2]))));
            assertTrue(e.getMessage().contains("dev #5") && e.getMessage().contains("3"), e.getMessage());
        }
    }

    @Test
    void stateSerializerIsVersionedExactAndRefusesAnotherStateSize() throws Exception {
        RecurrentStateSerializer ser = new RecurrentStateSerializer(3);
        float[] v = {1.5f, Float.intBitsToFloat(0x7fc00123), -0.0f}; // a NaN payload and -0 kept bit for bit
        DataOutputSerializer out = new DataOutputSerializer(32);
        ser.serialize(v, out);
        float[] back = ser.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        for (int i = 0; i < 3; i++) assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(back[i]));
        assertEquals(1, ser.snapshotConfiguration().getCurrentVersion());

        DataOutputSerializer snap = new DataOutputSerializer(16);
        ser.snapshotConfiguration().writeSnapshot(snap);
        RecurrentStateSerializer.Snapshot restored = new RecurrentStateSerializer.Snapshot();
        restored.readSnapshot(1, new DataInputDeserializer(snap.getCopyOfBuffer()), getClass().getClassLoader());
        assertEquals(ser, restored.restoreSerializer());
        TypeSerializerSchemaCompatibility<float[]> same =
                ser.snapshotConfiguration().resolveSchemaCompatibility(restored);
        assertTrue(same.isCompatibleAsIs());
        assertTrue(new RecurrentStateSerializer(4).snapshotConfiguration().resolveSchemaCompatibility(restored)
                .isIncompatible(), "another model's state size");
        assertThrows(java.io.IOException.class, () -> new RecurrentStateSerializer.Snapshot().readSnapshot(2,
                new DataInputDeserializer(snap.getCopyOfBuffer()), getClass().getClassLoader()), "unknown version");
        assertThrows(java.io.IOException.class, () -> new RecurrentStateSerializer(4).deserialize(
                new DataInputDeserializer(out.getCopyOfBuffer())), "3 floats stored, 4 expected");
    }
}
