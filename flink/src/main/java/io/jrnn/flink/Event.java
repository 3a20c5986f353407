package io.jrnn.flink;

import java.util.Arrays;
import java.util.Objects;

import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One input event of a keyed sequence: the key (a user, device, session), its position {@code seq} in that key's
 * sequence (carried through to the output, so a sink can recognise a replayed output), and the model's input at
 * this step: {@code features} ({@code input_size} floats) for a model reading float features, or the token
 * {@code id} for a model that starts with an embedding.
 *
 * <p>Public fields and a no-argument constructor; Flink (de)serializes it with {@link EventSerializer}. Not
 * thread-safe; Flink hands each object to one operator.
 */
@TypeInfo(EventSerializer.Factory.class)
public class Event {
    public String key;
    public long seq;
    public float[] features;
    public int id;

    public Event() {}

    /** A float-feature event. */
    public Event(String key, long seq, float[] features) {
        this.key = key;
        this.seq = seq;
        this.features = features;
    }

    /** A token-id event. */
    public Event(String key, long seq, int id) {
        this.key = key;
        this.seq = seq;
        this.id = id;
    }

    public String getKey() {
        return key;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Event e && seq == e.seq && id == e.id && Objects.equals(key, e.key)
                && Arrays.equals(features, e.features);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, seq, id) * 31 + Arrays.hashCode(features);
    }

    @Override
    public String toString() {
        return "Event(" + key + " #" + seq + (features != null ? " " + Arrays.toString(features) : " id " + id) + ")";
    }
}
