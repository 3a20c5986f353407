package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.jrnn.internal.onnx.OnnxIr.TensorProto;
import io.jrnn.internal.onnx.Tensors;
import io.jrnn.internal.onnx.Value;

/**
 * {@link OnnxModel} against its references: every case in {@code test/golden/onnx-model/} (written by
 * {@code test/python/make_onnx_golden.py}): ONNX's backend node cases for LSTM/GRU/RNN, models exported by
 * {@code torch.onnx.export} (every cell × bidirectional × layers × head) and Keras-style graphs, all within 1e-5.
 * Cases whose features this build's kernels lack must be refused at load with a message naming the feature.
 */
class OnnxModelGoldenTest {
    static final String FOLDER = "golden/onnx-model";
    static final double TOL = 1e-5;

    /** Case → the words its load-time refusal must contain (features not in this build's kernels). */
    static final Map<String, String> REFUSED = Map.of();

    static Path folder() {
        return GoldenFiles.folder(FOLDER);
    }

    static List<Path> cases() throws IOException {
        try (Stream<Path> s = Files.list(folder())) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    static List<Value> read(Path dir, String prefix) throws IOException {
        List<Value> vs = new ArrayList<>();
        for (int k = 0; Files.exists(dir.resolve(prefix + k + ".pb")); k++) {
            TensorProto t = TensorProto.parseFrom(Files.readAllBytes(dir.resolve(prefix + k + ".pb")));
            vs.add(Tensors.read(t, prefix + k, dir));
        }
        return vs;
    }

    static List<String> names(Path dir, String prefix) throws IOException {
        List<String> ns = new ArrayList<>();
        for (int k = 0; Files.exists(dir.resolve(prefix + k + ".pb")); k++) {
            ns.add(TensorProto.parseFrom(Files.readAllBytes(dir.resolve(prefix + k + ".pb"))).getName());
        }
        return ns;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReference(Path dir) throws IOException {
        String name = dir.getFileName().toString();
        Path model = dir.resolve("model.onnx");
        if (REFUSED.containsKey(name)) {
            IOException e = assertThrows(IOException.class, () -> OnnxModel.load(model).close());
            assertTrue(e.getMessage().contains(REFUSED.get(name)), e.getMessage());
            return;
        }
        List<Value> ins = read(dir, "input_"), outs = read(dir, "output_");
        List<String> inNames = names(dir, "input_"), outNames = names(dir, "output_");
        assertTrue(!ins.isEmpty() && !outs.isEmpty(), "case " + name + " has no data");
        try (OnnxModel m = OnnxModel.load(model)) {
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            try {
                for (int k = 0; k < ins.size(); k++) {
                    Value v = ins.get(k);
                    feeds.put(inNames.get(k), Tensor.of(v.asFloats(), v.shape()));
                }
                try (OnnxModel.Result r = m.run(feeds)) {
                    assertEquals(m.outputNames(), new ArrayList<>(r.names()));
                    for (int k = 0; k < outs.size(); k++) {
                        Tensor got = r.get(outNames.get(k));
                        Value want = outs.get(k);
                        assertArrayEquals(want.shape(), got.shape(), name + " " + outNames.get(k) + " shape");
                        float[] g = got.toArray(), w = want.asFloats();
                        double worst = 0;
                        for (int i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - w[i]));
                        assertTrue(worst <= TOL, name + " " + outNames.get(k) + ": max |diff| " + worst);
                    }
                }
            } finally {
                for (Tensor t : feeds.values()) t.close();
            }
        }
    }
}
