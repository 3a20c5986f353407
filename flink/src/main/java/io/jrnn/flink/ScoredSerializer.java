package io.jrnn.flink;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;

import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * The serializer of {@link Scored} (see {@link RecordTypeInfo} for why it is not Flink's POJO serializer). Format,
 * version 1: the key (Flink's string format, null allowed), {@code seq} (long), then the number of outputs (int, -1
 * for none) and each output (float). Stateless.
 */
public final class ScoredSerializer extends TypeSerializerSingleton<Scored> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public Scored createInstance() {
        return new Scored();
    }

    @Override
    public Scored copy(Scored from) {
        return new Scored(from.key, from.seq, from.output == null ? null : from.output.clone());
    }

    @Override
    public Scored copy(Scored from, Scored reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(Scored s, DataOutputView out) throws IOException {
        StringValue.writeString(s.key, out);
        out.writeLong(s.seq);
        FloatArrays.write(s.output, out);
    }

    @Override
    public Scored deserialize(DataInputView in) throws IOException {
        String key = StringValue.readString(in);
        long seq = in.readLong();
        return new Scored(key, seq, FloatArrays.read(in));
    }

    @Override
    public Scored deserialize(Scored reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        StringValue.copyString(in, out);
        out.writeLong(in.readLong());
        FloatArrays.copy(in, out);
    }

    @Override
    public TypeSerializerSnapshot<Scored> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Version 1 of the format above; no configuration. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Scored> {
        public Snapshot() {
            super(ScoredSerializer::new);
        }
    }

    /** What {@code @TypeInfo} on {@link Scored} names. */
    public static final class Factory extends TypeInfoFactory<Scored> {
        @Override
        public TypeInformation<Scored> createTypeInfo(Type t, Map<String, TypeInformation<?>> generics) {
            return RecordTypeInfo.scored();
        }
    }
}
