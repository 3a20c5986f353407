package io.jrnn.flink;

import java.util.Arrays;
import java.util.Objects;

import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * The model's output for one {@link Event}: its key and {@code seq}, and the head's output after that key's state
 * advanced by the event ({@code output_size} floats, e.g. an anomaly probability or next-event scores).
 *
 * <p>Public fields and a no-argument constructor; Flink (de)serializes it with {@link ScoredSerializer}. Not
 * thread-safe.
 */
@TypeInfo(ScoredSerializer.Factory.class)
public class Scored {
    public String key;
    public long seq;
    public float[] output;

    public Scored() {}

    public Scored(String key, long seq, float[] output) {
        this.key = key;
        this.seq = seq;
        this.output = output;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Scored s && seq == s.seq && Objects.equals(key, s.key) && Arrays.equals(output, s.output);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, seq) * 31 + Arrays.hashCode(output);
    }

    @Override
    public String toString() {
        return "Scored(" + key + " #" + seq + " " + Arrays.toString(output) + ")";
    }
}
