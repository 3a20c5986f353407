package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SequenceModel} files that do not fit their config, bad calls, and the load errors users asked for
 * (issue: the cell recognised from the row count, the prefixes that hold recurrent weights, a missing file).
 */
class ModelValidationTest {
    @TempDir
    Path dir;

    private static final String GOOD = "{\"format\": \"jrnn.model.v1\", \"embedding\": {\"num_embeddings\": 5, "
            + "\"embedding_dim\": 3}, \"rnn\": {\"cell\": \"gru\", \"hidden_size\": 4, \"dropout\": 0.2}, "
            + "\"readout\": \"last\", \"head\": [{\"in_features\": 4, \"out_features\": 2, \"activation\": \"tanh\"}], "
            + "\"output\": \"softmax\"}";

    /** A GRU tagger-like model: embedding [5,3] -> GRU(3, 4) -> head.0 [2,4]. */
    private static SafetensorsWriter model(String config) {
        return new SafetensorsWriter().f32("embedding.weight", filled(15), 5, 3)
                .f32("rnn.weight_ih_l0", filled(36), 12, 3).f32("rnn.weight_hh_l0", filled(48), 12, 4)
                .f32("rnn.bias_ih_l0", filled(12), 12).f32("rnn.bias_hh_l0", filled(12), 12)
                .f32("head.0.weight", filled(8), 2, 4).f32("head.0.bias", filled(2), 2).meta("jrnn.config", config);
    }

    private static float[] filled(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) Math.sin(i * 0.7) * 0.5f;
        return v;
    }

    private Path write(SafetensorsWriter w) {
        Path p = dir.resolve("m" + System.nanoTime() + ".safetensors");
        w.write(p);
        return p;
    }

    private String loadError(SafetensorsWriter w) {
        Path p = write(w);
        IOException e = assertThrows(IOException.class, () -> SequenceModel.load(p));
        assertTrue(e.getMessage().startsWith(p.toString()), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void loadsAndRuns() throws IOException {
        try (SequenceModel m = SequenceModel.load(write(model(GOOD)))) {
            assertEquals(2, m.outputSize());
            assertEquals(5, m.vocabSize());
            assertEquals(Cell.GRU, m.cell());
            assertEquals(SequenceModel.Readout.LAST, m.readout());
            try (Tensor y = m.forward(new int[][] {{1, 2, 3}, {4}})) {
                assertArrayEquals(new int[] {2, 2}, y.shape());
                float[] p = y.toArray();
                assertEquals(1.0, p[0] + p[1], 1e-6, "softmax rows sum to 1");
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(new int[] {1, 2, 3, 4, 1, 2}, 2, new int[] {3, 0}));
            assertTrue(e.getMessage().contains("lengths[1] must be >= 1 for the last readout"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> m.forward(new int[] {1, 2, 3}, 2, null));
            assertTrue(e.getMessage().contains("T*B"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> m.forward(new int[] {1, 7}, 2, null));
            assertTrue(e.getMessage().contains("ids[1] must be in [0, 5)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> m.forward(new int[] {1, 2}, 2, new int[] {1}));
            assertTrue(e.getMessage().contains("x[T,B,I], time-major"), e.getMessage());
            try (Tensor x = Tensor.zeros(2, 1, 3)) {
                assertThrows(IllegalArgumentException.class, () -> m.forward(x, null));
            }
            try (SequenceStream s = m.stream(1)) {
                assertThrows(IllegalArgumentException.class, () -> s.step(new int[] {1, 2}));
                try (Tensor out = s.step(new int[] {1})) {
                    assertArrayEquals(new int[] {1, 2}, out.shape());
                }
            }
            m.close();
            m.close();
            assertThrows(IllegalStateException.class, () -> m.forward(new int[][] {{1}}));
        }
    }

    @Test
    void configErrorsNameTheKey() {
        assertTrue(loadError(model(GOOD.replace("\"last\"", "\"first\""))).contains("readout must be one of"));
        assertTrue(loadError(model(GOOD.replace("jrnn.model.v1", "jrnn.model.v9"))).contains("format must be"));
        assertTrue(loadError(model(GOOD.replace("\"readout\"", "\"readuot\""))).contains("unknown key \"readuot\""));
        assertTrue(loadError(model(GOOD.replace("\"hidden_size\": 4", "\"hidden_size\": 5")))
                .contains("rnn.hidden_size is 5 but rnn.weight_ih_l0 gives 4"));
        assertTrue(loadError(model(GOOD.replace("\"cell\": \"gru\"", "\"cell\": \"lstm\"")))
                .contains("GRU weights, not LSTM"));
        assertTrue(loadError(model(GOOD.replace("\"out_features\": 2", "\"out_features\": 3")))
                .contains("head[0].out_features is 3 but head.0.weight gives 2"));
        assertTrue(loadError(model(GOOD).f32("head.1.weight", filled(4), 2, 2)).contains("[head.1.weight]"));
        assertTrue(loadError(model(GOOD.replace("{\"format\"", "{\"tokens\": [\"a\"], \"format\"")))
                .contains("tokens must be a list of 5 tokens"));
        assertTrue(loadError(new SafetensorsWriter().f32("x", new float[1], 1)).contains("no \"jrnn.config\""));
        assertTrue(loadError(model("{nope")).contains("not valid JSON"));
    }

    @Test
    void recurrentLoadErrorsHelp() {
        try (StateDict sd = StateDict.load(write(model(GOOD)))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Lstm.load(sd, "rnn"));
            assertTrue(e.getMessage().contains("rnn.weight_ih_l0 has 3 × 4 rows (hidden_size 4 from rnn.weight_hh_l0): "
                    + "GRU weights, not LSTM"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Rnn.load(sd, "rnn", Activation.TANH));
            assertTrue(e.getMessage().contains("GRU weights, not RNN"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Gru.load(sd, "encoder"));
            assertTrue(e.getMessage().contains("recurrent weights are under the prefix \"rnn\" (rnn.weight_ih_l0)"), e.getMessage());
            try (Gru g = Gru.load(sd, "rnn")) {
                assertEquals(4, g.hiddenSize());
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("no-such-model.safetensors");
        IOException e = assertThrows(IOException.class, () -> SequenceModel.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such file"),
                e.getMessage());
        e = assertThrows(IOException.class, () -> StateDict.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }
}
