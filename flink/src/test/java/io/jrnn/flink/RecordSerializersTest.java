package io.jrnn.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * {@link EventSerializer} and {@link ScoredSerializer}: Flink's type extraction picks them for the two record types;
 * a record survives serialization, the stream-to-stream copy and {@code copy} bit for bit (null key, no features,
 * NaN payloads, -0); a copy shares no array with its original; a corrupt length fails; the snapshot restores.
 */
class RecordSerializersTest {
    private static final float[] ODD = {1.5f, Float.intBitsToFloat(0x7fc00123), -0.0f, Float.MIN_VALUE};

    @Test
    void typeExtractionUsesTheFieldSerializers() {
        TypeSerializer<Event> e = TypeInformation.of(Event.class).createSerializer(new SerializerConfigImpl());
        TypeSerializer<Scored> s = TypeInformation.of(Scored.class).createSerializer(new SerializerConfigImpl());
        assertInstanceOf(EventSerializer.class, e);
        assertInstanceOf(ScoredSerializer.class, s);
    }

    @Test
    void eventsRoundTripExactly() throws Exception {
        EventSerializer ser = new EventSerializer();
        for (Event e : new Event[] {new Event("device-7", 42, ODD), new Event("tok", -3, 17), new Event(null, 0, 5),
                new Event("ü-é", Long.MAX_VALUE, new float[0])}) {
            Event back = roundTrip(ser, e);
            assertEquals(e, back);
            if (e.features != null) assertBits(e.features, back.features);
            Event c = ser.copy(e);
            assertEquals(e, c);
            if (e.features != null) assertNotSame(e.features, c.features);
        }
    }

    @Test
    void scoredRoundTripExactly() throws Exception {
        ScoredSerializer ser = new ScoredSerializer();
        for (Scored s : new Scored[] {new Scored("device-7", 42, ODD), new Scored(null, 1, null)}) {
            Scored back = roundTrip(ser, s);
            assertEquals(s, back);
            if (s.output != null) assertBits(s.output, back.output);
            Scored c = ser.copy(s);
            assertEquals(s, c);
            if (s.output != null) assertNotSame(s.output, c.output);
        }
    }

    @Test
    void aCorruptLengthFails() throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        new EventSerializer().serialize(new Event("k", 1, ODD), out);
        byte[] b = out.getCopyOfBuffer();
        int len = b.length - 4 * ODD.length - 4; // where the feature count is
        b[len] = (byte) 0xff; // -16777212
        assertThrows(java.io.IOException.class, () -> new EventSerializer().deserialize(new DataInputDeserializer(b)));
    }

    @Test
    void snapshotsRestoreTheSerializer() throws Exception {
        checkSnapshot(new EventSerializer());
        checkSnapshot(new ScoredSerializer());
    }

    private static <T> void checkSnapshot(TypeSerializer<T> ser) throws Exception {
        TypeSerializerSnapshot<T> snap = ser.snapshotConfiguration();
        DataOutputSerializer out = new DataOutputSerializer(16);
        snap.writeSnapshot(out);
        TypeSerializerSnapshot<T> back = ser.snapshotConfiguration();
        back.readSnapshot(snap.getCurrentVersion(), new DataInputDeserializer(out.getCopyOfBuffer()),
                RecordSerializersTest.class.getClassLoader());
        assertEquals(ser, back.restoreSerializer());
        assertTrue(snap.resolveSchemaCompatibility(back).isCompatibleAsIs());
    }

    /** Serializes, copies the bytes stream to stream (the path of a network shuffle's spilling), deserializes. */
    private static <T> T roundTrip(TypeSerializer<T> ser, T v) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        ser.serialize(v, out);
        DataOutputSerializer copied = new DataOutputSerializer(64);
        ser.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
        assertArrayEquals(out.getCopyOfBuffer(), copied.getCopyOfBuffer());
        DataInputDeserializer in = new DataInputDeserializer(copied.getCopyOfBuffer());
        T back = ser.deserialize(in);
        assertEquals(0, in.available(), "every byte read");
        return back;
    }

    private static void assertBits(float[] want, float[] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "float " + i);
        }
    }
}
