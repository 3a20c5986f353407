package io.jrnn.flink.bench;

import java.nio.file.Path;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import io.jrnn.SequenceModel;
import io.jrnn.Tensor;
import io.jrnn.flink.Event;
import io.jrnn.flink.Scored;

/**
 * The stateless baseline of the throughput harness: what a user without recurrent state does — keep each key's
 * last {@code window} inputs (keyed state) and, for every event, run the model over that whole window
 * ({@link SequenceModel#forward}, one call per event, zero-padded before a key's first events), taking the last
 * step's output. Each instance loads its own model. Not thread-safe (one per subtask, as Flink runs it).
 */
final class WindowRefeed extends KeyedProcessFunction<String, Event, Scored> {
    private static final long serialVersionUID = 1L;
    private final String modelPath;
    private final int window;
    private transient SequenceModel model;
    private transient ValueState<float[]> last;
    private transient int I, N;

    WindowRefeed(String modelPath, int window) {
        this.modelPath = modelPath;
        this.window = window;
    }

    @Override
    public void open(OpenContext ctx) throws Exception {
        model = SequenceModel.load(Path.of(modelPath));
        I = model.inputSize();
        N = model.outputSize();
        last = getRuntimeContext().getState(new ValueStateDescriptor<>("window",
                PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    @Override
    public void processElement(Event e, Context ctx, Collector<Scored> out) throws Exception {
        float[] w = last.value();
        float[] next = new float[window * I];
        if (w != null) System.arraycopy(w, I, next, 0, (window - 1) * I);
        System.arraycopy(e.features, 0, next, (window - 1) * I, I);
        last.update(next);
        try (Tensor x = Tensor.of(next, window, 1, I); Tensor y = model.forward(x, null)) {
            float[] all = y.toArray(); // [window, 1, N]: every step; the last is this event's
            out.collect(new Scored(e.key, e.seq, java.util.Arrays.copyOfRange(all, (window - 1) * N, window * N)));
        }
    }

    @Override
    public void close() {
        if (model != null) model.close();
    }
}
