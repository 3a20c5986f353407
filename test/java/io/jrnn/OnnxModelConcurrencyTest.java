package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import io.jrnn.internal.onnx.Value;

/**
 * {@link OnnxModel} shared by threads (each run equal to a lone run, bit for bit), its precision choice reaching the
 * layers, and use after close.
 */
class OnnxModelConcurrencyTest {
    private static Path model(String name) {
        return OnnxModelGoldenTest.folder().resolve(name).resolve("model.onnx");
    }

    private static float[] run(OnnxModel m, Value in, String out) {
        try (Tensor x = Tensor.of(in.asFloats(), in.shape()); OnnxModel.Result r = m.run(Map.of("x", x))) {
            return r.get(out).toArray();
        }
    }

    @Test
    void threadsShareOneModel() throws Exception {
        Path dir = OnnxModelGoldenTest.folder().resolve("torch-lstm-bi-l2-lm");
        Value in = OnnxModelGoldenTest.read(dir, "input_").get(0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (OnnxModel m = OnnxModel.load(model("torch-lstm-bi-l2-lm"))) {
            float[] alone = run(m, in, "logp");
            List<Future<float[]>> fs = new ArrayList<>();
            for (int k = 0; k < 64; k++) fs.add(pool.submit(() -> run(m, in, "logp")));
            for (Future<float[]> f : fs) assertArrayEquals(alone, f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void precisionReachesTheLayers() throws Exception {
        Path dir = OnnxModelGoldenTest.folder().resolve("torch-gru-uni-l2-none");
        Value in = OnnxModelGoldenTest.read(dir, "input_").get(0);
        float[] want = OnnxModelGoldenTest.read(dir, "output_").get(0).asFloats();
        for (Precision p : new Precision[] {Precision.BF16, Precision.INT8}) {
            try (OnnxModel m = OnnxModel.load(model("torch-gru-uni-l2-none"), p)) {
                float[] got = run(m, in, "y");
                assertEquals(want.length, got.length);
                double worst = 0;
                for (int i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
                assertTrue(worst < 0.05, p + ": max |diff| " + worst + " against float32 PyTorch");
                assertNotEquals(0.0, worst, p + " weights should not compute float32's numbers exactly");
            }
        }
    }

    @Test
    void closedModelRefusesRuns() throws Exception {
        OnnxModel m = OnnxModel.load(model("torch-rnn-uni-l1-none"));
        m.close();
        m.close(); // idempotent
        try (Tensor x = Tensor.zeros(4, 3, 5)) {
            assertThrows(IllegalStateException.class, () -> m.run(Map.of("x", x)));
        }
    }
}
