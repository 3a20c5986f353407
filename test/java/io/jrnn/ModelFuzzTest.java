package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jrnn.ModelFileMutator.Choices;
import io.jrnn.decode.Sampler;
import io.jrnn.internal.Json;

/**
 * {@link SequenceModel#load} on mutated whole-model files (seeded, 3,000 in the CI budget; more with
 * {@code -Djrnn.modelfuzz.runs=N -Djrnn.modelfuzz.seed=S}): the golden models with
 * their tensor entries, weights, metadata, {@code jrnn.config} values and bytes edited. Every input ends in a
 * model that runs (forward, a stream, generation where they apply, on valid random input) or in a clean
 * {@link IOException} / {@link IllegalArgumentException}, never a crash or another exception.
 */
class ModelFuzzTest {
    private static final int RUNS = Integer.getInteger("jrnn.modelfuzz.runs", 3000);
    private static final long SEED = Long.getLong("jrnn.modelfuzz.seed", 20261201L);
    private static final List<String> KEYS = List.of("format", "embedding", "rnn", "readout", "head", "output", "tokens",
            "cell", "input_size", "hidden_size", "num_layers", "bidirectional", "proj_size", "bias", "batch_first",
            "num_embeddings", "embedding_dim", "in_features", "out_features", "activation", "lstm_candidate",
            "gru_reset");

    @TempDir
    Path dir;

    /** The golden model files without their case.* / gen.* tensors. */
    private static List<byte[]> seeds() throws IOException {
        List<byte[]> out = new ArrayList<>();
        List<Path> files = new ArrayList<>(ModelGoldenTest.caseFiles());
        files.add(ModelGoldenTest.folder().resolve("generate.safetensors"));
        for (Path f : files) {
            try (StateDict sd = StateDict.load(f)) {
                SafetensorsWriter w = new SafetensorsWriter();
                for (String n : sd.names()) {
                    if (n.startsWith("case.") || n.startsWith("gen.")) continue;
                    try (Tensor t = sd.tensor(n)) {
                        w.f32(n, t.toArray(), t.shape());
                    }
                }
                w.meta(sd.metadata());
                out.add(w.bytes());
            }
        }
        return out;
    }

    @Test
    void mutatedModelsLoadCleanlyOrRun() throws IOException {
        List<byte[]> seeds = seeds();
        int loaded = 0;
        for (int i = 0; i < RUNS; i++) {
            Choices c = ModelFileMutator.from(new Random(SEED * 1_000_003L + i));
            byte[] file = c.pick(seeds);
            if (c.bool()) file = editConfig(c, file);
            file = ModelFileMutator.mutateTensors(c, file, c.intIn(0, 2));
            Path p = dir.resolve("in" + i + ".safetensors");
            try {
                Files.write(p, file);
                try (SequenceModel m = SequenceModel.load(p)) {
                    loaded++;
                    exercise(m, c);
                } catch (IOException | IllegalArgumentException e) {
                    LoadFuzzTest.expectClean(e);
                }
            } catch (Throwable t) {
                throw new AssertionError("input " + i + ": " + t, t);
            } finally {
                Files.deleteIfExists(p);
            }
        }
        System.out.println("ModelFuzzTest: " + RUNS + " inputs, " + loaded + " loaded and ran");
        assertTrue(loaded > RUNS / 10 && loaded < RUNS * 9 / 10, loaded + " of " + RUNS + " inputs loaded");
    }

    /** Valid random calls on a model that loaded: they must run (NaN weights give NaN outputs, not exceptions). */
    private static void exercise(SequenceModel m, Choices c) {
        int B = c.intIn(1, 3), T = c.intIn(1, 4);
        int[] lengths = new int[B];
        for (int b = 0; b < B; b++) lengths[b] = c.intIn(1, T);
        lengths[0] = T;
        if (m.hasEmbedding()) {
            int[] ids = new int[T * B];
            for (int k = 0; k < ids.length; k++) ids[k] = c.intIn(0, m.vocabSize() - 1);
            m.forward(ids, B, lengths).close();
            if (!m.bidirectional() && m.readout() != SequenceModel.Readout.MEAN) {
                try (SequenceStream s = m.stream(B)) {
                    s.step(java.util.Arrays.copyOf(ids, B)).close();
                }
                if (m.outputSize() == m.vocabSize()) {
                    m.generate(new int[] {0}, 3, Sampler.topP(0.9, 1.0, new SplittableRandom(1)), null);
                }
            }
        } else {
            float[] x = new float[T * B * m.inputSize()];
            for (int k = 0; k < x.length; k++) x[k] = c.intIn(-100, 100) / 50f;
            int[] shape = m.batchFirst() ? new int[] {B, T, m.inputSize()} : new int[] {T, B, m.inputSize()};
            try (Tensor xt = Tensor.of(x, shape)) {
                m.forward(xt, lengths).close();
            }
        }
    }

    /** One edit of the jrnn.config JSON: a key removed, replaced by another value, or a nested value changed. */
    @SuppressWarnings("unchecked")
    private static byte[] editConfig(Choices c, byte[] file) {
        ModelFileMutator.Draft d = ModelFileMutator.parse(file);
        Map<String, Object> meta = (Map<String, Object>) d.header.get("__metadata__");
        String text = (String) meta.get("jrnn.config");
        if (c.oneIn(8)) {
            meta.put("jrnn.config", ModelFileMutator.textEdit(c, text));
            return ModelFileMutator.serialize(d);
        }
        Map<String, Object> cfg;
        try {
            cfg = (Map<String, Object>) Json.parse(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> target = cfg;
        int where = c.intIn(0, 3);
        if (where == 1 && cfg.get("rnn") instanceof Map) target = (Map<String, Object>) cfg.get("rnn");
        if (where == 2 && cfg.get("embedding") instanceof Map) target = (Map<String, Object>) cfg.get("embedding");
        if (where == 3 && cfg.get("head") instanceof List && !((List<?>) cfg.get("head")).isEmpty()
                && ((List<?>) cfg.get("head")).get(0) instanceof Map) {
            target = (Map<String, Object>) ((List<?>) cfg.get("head")).get(0);
        }
        String key = c.pick(KEYS);
        Object old = target.get(key);
        switch (c.intIn(0, 4)) {
            case 0 -> target.remove(key);
            case 1 -> target.put(key, ModelFileMutator.jsonValue(c));
            case 2 -> target.put(key, (old instanceof Long l ? l : 0L) + c.intIn(-2, 2));
            case 3 -> target.put(key, c.pick("lstm", "gru", "rnn_tanh", "rnn_relu", "all_steps", "last", "final_state",
                    "mean", "softmax", "log_softmax", "none", "relu", "sigmoid", "tanh", true, false));
            default -> target.put(key, null);
        }
        meta.put("jrnn.config", ModelFileMutator.toJson(cfg));
        return ModelFileMutator.serialize(d);
    }
}
