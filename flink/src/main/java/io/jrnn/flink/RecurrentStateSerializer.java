package io.jrnn.flink;

import java.io.IOException;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The serializer of one key's recurrent state (the {@code float[stateSize]} row that
 * {@link io.jrnn.SequenceModel#stateSize()} describes: every layer's h, then every layer's c for an LSTM).
 *
 * <p>Stored format, version {@value #FORMAT_VERSION}: the number of floats (int), then each float's IEEE-754 bits
 * (int, big-endian), so a restored state is bit-identical to the one checkpointed. The snapshot (written into every
 * checkpoint and savepoint) records the format version and the state size: restoring with a model whose state size
 * differs is refused as incompatible ({@link Snapshot#resolveSchemaCompatibility}) instead of misreading the rows.
 *
 * <p>Thread safety: stateless apart from the size; Flink duplicates it per use anyway.
 */
public final class RecurrentStateSerializer extends TypeSerializer<float[]> {
    private static final long serialVersionUID = 1L;

    /** The version of the stored format (and of the snapshot). */
    public static final int FORMAT_VERSION = 1;

    private final int stateSize;

    public RecurrentStateSerializer(int stateSize) {
        if (stateSize < 1) throw new IllegalArgumentException("stateSize must be >= 1, got " + stateSize);
        this.stateSize = stateSize;
    }

    public int stateSize() {
        return stateSize;
    }

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<float[]> duplicate() {
        return this; // stateless
    }

    @Override
    public float[] createInstance() {
        return new float[stateSize];
    }

    @Override
    public float[] copy(float[] from) {
        return from.clone();
    }

    @Override
    public float[] copy(float[] from, float[] reuse) {
        return from.clone();
    }

    @Override
    public int getLength() {
        return 4 + 4 * stateSize;
    }

    @Override
    public void serialize(float[] v, DataOutputView out) throws IOException {
        if (v.length != stateSize) {
            throw new IOException("a recurrent state must hold " + stateSize + " floats, got " + v.length);
        }
        out.writeInt(v.length);
        FloatArrays.writeElements(v, out);
    }

    @Override
    public float[] deserialize(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n != stateSize) {
            throw new IOException("stored recurrent state holds " + n + " floats, this model's state " + stateSize
                    + " (a checkpoint of another model?)");
        }
        return FloatArrays.readElements(n, in);
    }

    @Override
    public float[] deserialize(float[] reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        FloatArrays.copy(in, out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecurrentStateSerializer s && s.stateSize == stateSize;
    }

    @Override
    public int hashCode() {
        return 31 * stateSize + 7;
    }

    @Override
    public TypeSerializerSnapshot<float[]> snapshotConfiguration() {
        return new Snapshot(stateSize);
    }

    /** What a checkpoint records of the serializer: the format version and the state size. */
    public static final class Snapshot implements TypeSerializerSnapshot<float[]> {
        private int stateSize;

        /** For Flink's reflective restore. */
        public Snapshot() {}

        Snapshot(int stateSize) {
            this.stateSize = stateSize;
        }

        @Override
        public int getCurrentVersion() {
            return FORMAT_VERSION;
        }

        @Override
        public void writeSnapshot(DataOutputView out) throws IOException {
            out.writeInt(stateSize);
        }

        @Override
        public void readSnapshot(int version, DataInputView in, ClassLoader loader) throws IOException {
            if (version != FORMAT_VERSION) {
                throw new IOException("jrnn-flink recurrent state format version " + version + " is not known here "
                        + "(this version reads " + FORMAT_VERSION + ")");
            }
            stateSize = in.readInt();
        }

        @Override
        public TypeSerializer<float[]> restoreSerializer() {
            return new RecurrentStateSerializer(stateSize);
        }

        /** Compatible as is when the restored state has this model's state size; otherwise incompatible. */
        @Override
        public TypeSerializerSchemaCompatibility<float[]> resolveSchemaCompatibility(TypeSerializerSnapshot<float[]> old) {
            if (old instanceof Snapshot s && s.stateSize == stateSize) {
                return TypeSerializerSchemaCompatibility.compatibleAsIs();
            }
            return TypeSerializerSchemaCompatibility.incompatible();
        }
    }
}
