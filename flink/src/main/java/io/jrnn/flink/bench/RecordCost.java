package io.jrnn.flink.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoField;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import io.jrnn.flink.Event;
import io.jrnn.flink.Scored;
import io.jrnn.flink.example.SensorReadings;

/**
 * What the record types cost per event outside the scorer, one thread, no Flink job: an {@link Event} serialized
 * and deserialized (the {@code keyBy} shuffle) and a {@link Scored} copied twice (the two chained operators of the
 * {@link Throughput} job behind the scorer copy each output), with the serializers the types carry against Flink's
 * reflective POJO serializer of the same fields. Rounds alternate the two (A, B, A, B, ...); prints the median
 * CPU nanoseconds per event of each.
 *
 * <pre>mvn -f flink/pom.xml -Djavacpp.platform=linux-x86_64 exec:exec -Dexec.mainClass=io.jrnn.flink.bench.RecordCost</pre>
 */
public final class RecordCost {
    private RecordCost() {}

    public static void main(String[] args) throws Exception {
        SerializerConfigImpl cfg = new SerializerConfigImpl();
        TypeSerializer<Event> ev = TypeInformation.of(Event.class).createSerializer(cfg);
        TypeSerializer<Scored> sc = TypeInformation.of(Scored.class).createSerializer(cfg);
        TypeSerializer<Event> evPojo = pojo(Event.class, List.of(
                field(Event.class, "key", BasicTypeInfo.STRING_TYPE_INFO),
                field(Event.class, "seq", BasicTypeInfo.LONG_TYPE_INFO),
                field(Event.class, "features", PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO),
                field(Event.class, "id", BasicTypeInfo.INT_TYPE_INFO))).createSerializer(cfg);
        TypeSerializer<Scored> scPojo = pojo(Scored.class, List.of(
                field(Scored.class, "key", BasicTypeInfo.STRING_TYPE_INFO),
                field(Scored.class, "seq", BasicTypeInfo.LONG_TYPE_INFO),
                field(Scored.class, "output", PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO)))
                .createSerializer(cfg);
        int n = 4096;
        Event[] events = new Event[n];
        for (int i = 0; i < n; i++) {
            events[i] = new Event("device-" + (i * 37 % 100_000), i, SensorReadings.features(i, 0));
        }
        int rounds = 15;
        double[] own = new double[rounds], pojo = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            own[r] = perEvent(ev, sc, events);
            pojo[r] = perEvent(evPojo, scPojo, events);
        }
        java.util.Arrays.sort(own);
        java.util.Arrays.sort(pojo);
        System.out.printf("| records' serializers | CPU ns per event (median of %d) |%n|---|---|%n", rounds);
        System.out.printf("| EventSerializer + ScoredSerializer | %.0f |%n", own[rounds / 2]);
        System.out.printf("| Flink POJO serializers | %.0f |%n", pojo[rounds / 2]);
    }

    /**
     * Passes over the events for at least 0.3 s of this thread's CPU time (not wall time: the machine this was written
     * on was shared): serialize, deserialize, build the output, copy it twice. CPU nanoseconds per event.
     */
    private static double perEvent(TypeSerializer<Event> ev, TypeSerializer<Scored> sc, Event[] events)
            throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(1 << 16);
        DataInputDeserializer in = new DataInputDeserializer();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long count = 0, sink = 0, t0 = threads.getCurrentThreadCpuTime();
        while (threads.getCurrentThreadCpuTime() - t0 < 300_000_000L) {
            for (Event e : events) {
                out.clear();
                ev.serialize(e, out);
                in.setBuffer(out.getSharedBuffer(), 0, out.length());
                Event back = ev.deserialize(in);
                Scored s = sc.copy(sc.copy(new Scored(back.key, back.seq, new float[] {back.features[0]})));
                sink += s.seq;
            }
            count += events.length;
        }
        if (sink == 42) System.out.print(""); // keeps the work
        return (threads.getCurrentThreadCpuTime() - t0) / (double) count;
    }

    private static <T> PojoTypeInfo<T> pojo(Class<T> type, List<PojoField> fields) {
        return new PojoTypeInfo<>(type, fields);
    }

    private static PojoField field(Class<?> type, String name, TypeInformation<?> info) throws Exception {
        return new PojoField(type.getField(name), info);
    }
}
