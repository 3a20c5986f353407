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
 * The serializer of {@link Event} (see {@link RecordTypeInfo} for why it is not Flink's POJO serializer). Format,
 * version 1: the key (Flink's string format, null allowed), {@code seq} (long), {@code id} (int), then the number of
 * features (int, -1 for none) and each feature (float). Stateless.
 */
public final class EventSerializer extends TypeSerializerSingleton<Event> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public Event createInstance() {
        return new Event();
    }

    @Override
    public Event copy(Event from) {
        Event e = new Event();
        e.key = from.key;
        e.seq = from.seq;
        e.id = from.id;
        e.features = from.features == null ? null : from.features.clone();
        return e;
    }

    @Override
    public Event copy(Event from, Event reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(Event e, DataOutputView out) throws IOException {
        StringValue.writeString(e.key, out);
        out.writeLong(e.seq);
        out.writeInt(e.id);
        FloatArrays.write(e.features, out);
    }

    @Override
    public Event deserialize(DataInputView in) throws IOException {
        Event e = new Event();
        e.key = StringValue.readString(in);
        e.seq = in.readLong();
        e.id = in.readInt();
        e.features = FloatArrays.read(in);
        return e;
    }

    @Override
    public Event deserialize(Event reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        StringValue.copyString(in, out);
        out.writeLong(in.readLong());
        out.writeInt(in.readInt());
        FloatArrays.copy(in, out);
    }

    @Override
    public TypeSerializerSnapshot<Event> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Version 1 of the format above; no configuration. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Event> {
        public Snapshot() {
            super(EventSerializer::new);
        }
    }

    /** What {@code @TypeInfo} on {@link Event} names. */
    public static final class Factory extends TypeInfoFactory<Event> {
        @Override
        public TypeInformation<Event> createTypeInfo(Type t, Map<String, TypeInformation<?>> generics) {
            return RecordTypeInfo.events();
        }
    }
}
