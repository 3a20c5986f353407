package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;

import io.jrnn.internal.onnx.OnnxIr.ModelProto;
import io.jrnn.internal.onnx.OnnxIr.StringStringEntryProto;
import io.jrnn.internal.onnx.OnnxIr.TensorProto;
import io.jrnn.internal.onnx.Value;

/**
 * Damaged {@code .onnx} files: truncations, flipped bytes (seeded), wrong shapes, missing initializers, unsupported
 * ops and external data outside the model's folder. Each must load and run, or fail with an {@link IOException} (at
 * load) or {@link IllegalArgumentException} (at run) that has a message; never another exception or a crash.
 *
 * <p>{@link #rawOnnx} is the Jazzer entry point, as {@code LoadFuzzTest}'s: without {@code JAZZER_FUZZ} it runs its
 * regression inputs ({@code test/fuzz/io/jrnn/OnnxDamagedTestInputs/rawOnnx/}: small valid models, and every file
 * that once found a bug); a campaign: {@code JAZZER_FUZZ=1 mvn -B -Djavacpp.platform=linux-x86_64 test-compile
 * surefire:test@default-test -Dtest='OnnxDamagedTest#rawOnnx'}.
 */
class OnnxDamagedTest {
    @TempDir
    Path tmp;

    /** The scratch folder: JUnit's for the tests, one of our own for Jazzer's (which does not inject fields). */
    private Path tmp() throws IOException {
        if (tmp == null) tmp = Files.createTempDirectory("jrnn-onnx-fuzz");
        return tmp;
    }

    static final String[] SEEDS = {"torch-lstm-bi-l2-lm", "torch-gru-uni-l1-classify", "backend-lstm_with_peepholes",
            "keras-lstm-peephole-layout1", "torch-rnn-bi-l1-none"};

    private static Path golden(String name) {
        return OnnxModelGoldenTest.folder().resolve(name);
    }

    /** Loads and, if it loads, runs on the case's golden inputs; returns whether it loaded. */
    private boolean check(byte[] model, String seed, String what) throws IOException {
        Path f = tmp().resolve("m.onnx");
        Files.write(f, model);
        OnnxModel m;
        try {
            m = OnnxModel.load(f);
        } catch (IOException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), what + ": IOException without a message");
            return false;
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": load threw " + e, e);
        }
        try (m) {
            List<Value> ins = OnnxModelGoldenTest.read(golden(seed), "input_");
            List<String> names = OnnxModelGoldenTest.names(golden(seed), "input_");
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            try {
                for (int k = 0; k < ins.size(); k++) {
                    if (!m.inputNames().contains(names.get(k))) continue;
                    feeds.put(names.get(k), Tensor.of(ins.get(k).asFloats(), ins.get(k).shape()));
                }
                try (OnnxModel.Result r = m.run(feeds)) {
                    assertFalse(r.names().isEmpty());
                } catch (IllegalArgumentException e) {
                    assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), what + ": IAE without a message");
                } catch (RuntimeException | Error e) {
                    throw new AssertionError(what + ": run threw " + e, e);
                }
            } finally {
                for (Tensor t : feeds.values()) t.close();
            }
        }
        return true;
    }

    @FuzzTest(maxDuration = "5m")
    void rawOnnx(byte[] file) throws IOException {
        check(file, "torch-lstm-uni-l1-none", "fuzz input");
    }

    @Test
    void truncations() throws IOException {
        for (String seed : SEEDS) {
            byte[] b = Files.readAllBytes(golden(seed).resolve("model.onnx"));
            for (int len = 0; len < b.length; len += Math.max(1, b.length / 97)) {
                byte[] t = java.util.Arrays.copyOf(b, len);
                check(t, seed, seed + " truncated to " + len);
            }
        }
    }

    @Test
    void flippedBytes() throws IOException {
        Random r = new Random(20261202L);
        int loaded = 0, runs = 0;
        for (String seed : SEEDS) {
            byte[] b = Files.readAllBytes(golden(seed).resolve("model.onnx"));
            for (int i = 0; i < Integer.getInteger("jrnn.onnx.flips", 150); i++) {
                byte[] t = b.clone();
                int flips = 1 + r.nextInt(3);
                StringBuilder what = new StringBuilder(seed + " flipped");
                for (int k = 0; k < flips; k++) {
                    int at = r.nextInt(t.length);
                    t[at] ^= (byte) (1 << r.nextInt(8));
                    what.append(' ').append(at);
                }
                if (check(t, seed, what.toString())) loaded++;
                runs++;
            }
        }
        assertTrue(loaded > 0 && loaded < runs, "flips should both keep some files loadable and break others: " + loaded
                + " of " + runs);
    }

    private String loadError(String seed, UnaryOperator<ModelProto.Builder> edit) throws IOException {
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(golden(seed).resolve("model.onnx")));
        Path f = tmp.resolve("edited.onnx");
        Files.write(f, edit.apply(m.toBuilder()).build().toByteArray());
        IOException e = assertThrows(IOException.class, () -> OnnxModel.load(f).close());
        return e.getMessage();
    }

    @Test
    void unsupportedOpNamesTheNode() throws IOException {
        String msg = loadError("torch-gru-uni-l1-classify", b -> {
            var g = b.getGraphBuilder();
            for (int k = 0; k < g.getNodeCount(); k++) {
                if (g.getNode(k).getOpType().equals("Softmax")) g.setNode(k, g.getNode(k).toBuilder().setOpType("Erf"));
            }
            return b;
        });
        assertTrue(msg.contains("(Erf)") && msg.contains("not supported") && msg.contains("LSTM"), msg);
    }

    @Test
    void structureFoundByFlips() throws IOException {
        // found by flippedBytes: an RNN with a third output (Y_c) crashed at run; a graph without outputs ran empty;
        // a MatMul's Add without an output crashed at load
        String rnn = loadError("torch-rnn-bi-l1-none", b -> {
            var g = b.getGraphBuilder();
            for (int k = 0; k < g.getNodeCount(); k++) {
                if (g.getNode(k).getOpType().equals("RNN")) g.setNode(k, g.getNode(k).toBuilder().addOutput("c"));
            }
            return b;
        });
        assertTrue(rnn.contains("has 3 outputs; RNN has 1 to 2"), rnn);
        String none = loadError("torch-rnn-bi-l1-none", b -> {
            b.getGraphBuilder().clearOutput();
            return b;
        });
        assertTrue(none.contains("no outputs"), none);
        String add = loadError("torch-gru-bi-l1-lm", b -> {
            var g = b.getGraphBuilder();
            for (int k = 0; k < g.getNodeCount(); k++) {
                if (g.getNode(k).getOpType().equals("Add")) g.setNode(k, g.getNode(k).toBuilder().clearOutput());
            }
            return b;
        });
        assertTrue(add.contains("(Add) has 0 outputs"), add);
    }

    @Test
    void missingInitializer() throws IOException {
        String msg = loadError("torch-lstm-uni-l1-none", b -> {
            var g = b.getGraphBuilder();
            for (int k = 0; k < g.getInitializerCount(); k++) {
                if (g.getInitializer(k).getName().contains("LSTM")) {
                    g.removeInitializer(k);
                    break;
                }
            }
            return b;
        });
        assertTrue(msg.contains("no earlier node, input or initializer defines"), msg);
    }

    @Test
    void wrongWeightShape() throws IOException {
        String msg = loadError("keras-gru-reset-before-layout1", b -> {
            var g = b.getGraphBuilder();
            for (int k = 0; k < g.getInitializerCount(); k++) {
                TensorProto t = g.getInitializer(k);
                if (t.getName().equals("R")) {
                    // same element count, wrong shape: [1, 3H, H] -> [1, H, 3H]
                    long h = t.getDims(2);
                    g.setInitializer(k, t.toBuilder().setDims(1, h).setDims(2, 3 * h));
                }
            }
            return b;
        });
        assertTrue(msg.contains("R must be"), msg);
        String raw = loadError("keras-gru-reset-before-layout1", b -> {
            var g = b.getGraphBuilder();
            TensorProto t = g.getInitializer(0);
            g.setInitializer(0, t.toBuilder().setRawData(t.getRawData().substring(4)));
            return b;
        });
        assertTrue(raw.contains("bytes of raw data"), raw);
    }

    @Test
    void externalData() throws IOException {
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(golden("keras-gru-reset-before-layout1").resolve("model.onnx")));
        // move every initializer to weights.bin beside the model: loads and matches as before
        ModelProto.Builder b = m.toBuilder();
        var g = b.getGraphBuilder();
        ByteString.Output data = ByteString.newOutput();
        for (int k = 0; k < g.getInitializerCount(); k++) {
            TensorProto t = g.getInitializer(k);
            long offset = data.size();
            t.getRawData().writeTo(data);
            g.setInitializer(k, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry("location", "weights.bin"))
                    .addExternalData(entry("offset", Long.toString(offset)))
                    .addExternalData(entry("length", Long.toString(t.getRawData().size()))));
        }
        Files.write(tmp.resolve("weights.bin"), data.toByteString().toByteArray());
        assertTrue(check(b.build().toByteArray(), "keras-gru-reset-before-layout1", "external data"));

        for (String bad : new String[] {"../weights.bin", "/etc/passwd", "sub/../../weights.bin"}) {
            ModelProto.Builder e = b.build().toBuilder();
            var t = e.getGraphBuilder().getInitializer(0).toBuilder().clearExternalData()
                    .addExternalData(entry("location", bad));
            e.getGraphBuilder().setInitializer(0, t);
            Path f = tmp.resolve("escape.onnx");
            Files.write(f, e.build().toByteArray());
            IOException x = assertThrows(IOException.class, () -> OnnxModel.load(f).close());
            assertTrue(x.getMessage().contains("outside the model's folder"), x.getMessage());
        }
        ModelProto.Builder missing = b.build().toBuilder();
        missing.getGraphBuilder().setInitializer(0, missing.getGraphBuilder().getInitializer(0).toBuilder()
                .clearExternalData().addExternalData(entry("location", "nope.bin")));
        Path f = tmp.resolve("missing.onnx");
        Files.write(f, missing.build().toByteArray());
        IOException x = assertThrows(IOException.class, () -> OnnxModel.load(f).close());
        assertTrue(x.getMessage().contains("not found"), x.getMessage());
    }

    @Test
    void inputsAreChecked() throws IOException {
        try (OnnxModel m = OnnxModel.load(golden("torch-lstm-uni-l1-classify").resolve("model.onnx"));
             Tensor frac = Tensor.of(new float[] {0.5f, 1, 2}, 3, 1);
             Tensor big = Tensor.of(new float[] {1, 2, 99}, 3, 1);
             Tensor ok = Tensor.of(new float[] {1, 2, 3}, 3, 1)) {
            String e1 = assertThrows(IllegalArgumentException.class, () -> m.run(Map.of("x", frac))).getMessage();
            assertTrue(e1.contains("integer"), e1);
            String e2 = assertThrows(IllegalArgumentException.class, () -> m.run(Map.of("x", big))).getMessage();
            assertTrue(e2.contains("99"), e2);
            String e3 = assertThrows(IllegalArgumentException.class, () -> m.run(Map.of("y", ok))).getMessage();
            assertTrue(e3.contains("no input y"), e3);
            String e4 = assertThrows(IllegalArgumentException.class, () -> m.run(Map.of())).getMessage();
            assertTrue(e4.contains("missing"), e4);
            try (OnnxModel.Result r = m.run(Map.of("x", ok))) {
                assertTrue(r.get("probs").dim(0) == 1);
            }
        }
        List<String> lines = new ArrayList<>(OnnxModel.inspect(golden("torch-gru-bi-l2-lm").resolve("model.onnx")));
        assertTrue(lines.stream().anyMatch(l -> l.contains("jrnn Gru(reset AFTER)")), lines.toString());
        if (lines.stream().anyMatch(l -> l.contains("NOT SUPPORTED"))) fail(lines.toString());
    }

    private static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

}
