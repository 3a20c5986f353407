package io.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jrnn.internal.onnx.OnnxIr.ModelProto;

/** {@code jrnn info model.onnx} and {@code jrnn run model.onnx} on the ONNX golden cases. */
class OnnxCliTest {
    @TempDir
    Path tmp;

    static Path golden(String name) {
        try {
            return Paths.get(OnnxCliTest.class.getClassLoader().getResource("golden/onnx-model/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void infoListsWhatMaps() {
        CliTest.Run r = CliTest.run("info", golden("torch-lstm-bi-l2-lm").resolve("model.onnx").toString());
        assertEquals(0, r.code(), r.err());
        for (String s : new String[] {"ONNX; opset 13", "jrnn Lstm, bidirectional, hidden 6, layout 0",
                "jrnn Embedding(11, 5)", "jrnn Linear(12 -> 4, with the Add after it)", "fused into the Linear",
                "every node maps"}) {
            assertTrue(r.out().contains(s), s + " in\n" + r.out());
        }
    }

    @Test
    void infoListsWhatDoesNotMap() throws IOException {
        ModelProto.Builder b = ModelProto.parseFrom(Files.readAllBytes(golden("torch-gru-uni-l1-classify")
                .resolve("model.onnx"))).toBuilder();
        var g = b.getGraphBuilder();
        for (int k = 0; k < g.getNodeCount(); k++) {
            if (g.getNode(k).getOpType().equals("Softmax")) g.setNode(k, g.getNode(k).toBuilder().setOpType("Hardmax"));
        }
        Path f = tmp.resolve("bad.onnx");
        Files.write(f, b.build().toByteArray());
        CliTest.Run r = CliTest.run("info", f.toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.err());
        assertTrue(r.out().contains("(Hardmax): NOT SUPPORTED:") && r.out().contains("1 of ")
                && r.out().contains("jrnn Gru(reset AFTER)"), r.out());
    }

    @Test
    void runPrintsOutputs() {
        Path d = golden("backend-gru_defaults");
        CliTest.Run r = CliTest.run("run", d.resolve("model.onnx").toString(), "--input",
                "X=@" + d.resolve("input_0.pb"), "--input", "W=@" + d.resolve("input_1.pb"), "--input",
                "R=@" + d.resolve("input_2.pb"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Y_h [1x3x5]: "), r.out());

        CliTest.Run ids = CliTest.run("run", golden("torch-rnn-uni-l1-classify").resolve("model.onnx").toString(),
                "--input", "x=3x1:4,2,7");
        assertEquals(0, ids.code(), ids.err());
        assertTrue(ids.out().startsWith("probs [1x4]: "), ids.out());

        CliTest.Run bad = CliTest.run("run", golden("torch-rnn-uni-l1-classify").resolve("model.onnx").toString(),
                "--input", "x=3x1:4,2,70");
        assertEquals(Main.BAD_INPUT, bad.code());
        assertTrue(bad.err().contains("70"), bad.err());
        CliTest.assertNoStackTrace(bad);
    }
}
