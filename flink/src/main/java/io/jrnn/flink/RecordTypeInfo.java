package io.jrnn.flink;

import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The type information of {@link Event} and {@link Scored}: one field-by-field serializer each
 * ({@link EventSerializer}, {@link ScoredSerializer}) instead of Flink's reflective POJO serializer, chosen through
 * the {@code @TypeInfo} annotation on the classes, so {@code TypeInformation.of(Event.class)} finds it too.
 *
 * <p>Why: every event crosses the {@code keyBy} shuffle (serialized by the source, deserialized by the scorer) and
 * every output is copied by each chained operator behind the scorer; the POJO serializer does each of those through
 * reflective field access with a null flag per field. Those costs are paid per event by the per-event and the
 * bundled scorer alike. Immutable.
 */
final class RecordTypeInfo<T> extends TypeInformation<T> {
    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private final TypeSerializer<T> serializer; // stateless: one instance serves every use

    private RecordTypeInfo(Class<T> type, TypeSerializer<T> serializer) {
        this.type = type;
        this.serializer = serializer;
    }

    static RecordTypeInfo<Event> events() {
        return new RecordTypeInfo<>(Event.class, new EventSerializer());
    }

    static RecordTypeInfo<Scored> scored() {
        return new RecordTypeInfo<>(Scored.class, new ScoredSerializer());
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<T> getTypeClass() {
        return type;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return serializer;
    }

    @Override
    public String toString() {
        return type.getSimpleName();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordTypeInfo<?> r && r.type == type;
    }

    @Override
    public int hashCode() {
        return type.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof RecordTypeInfo;
    }
}
