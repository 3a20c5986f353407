package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.jrnn.decode.Sampler;

/**
 * {@link SequenceModel#generate} against PyTorch: {@code golden/model/generate.safetensors} holds a character LSTM
 * language model, the uniform numbers PyTorch drew for each sampler and the ids it sampled with them (the
 * procedure {@link Sampler} documents, re-implemented in {@code test/python/make_model_golden.py}); given the same
 * numbers, jrnn must pick the same ids, and consume exactly those numbers.
 */
class GenerateGoldenTest {

    /** Replays recorded uniforms; anything but nextDouble, or one draw too many, fails the test. */
    static final class Replay implements RandomGenerator {
        private final double[] values;
        int used;

        Replay(double[] values) {
            this.values = values;
        }

        @Override
        public double nextDouble() {
            if (used >= values.length) throw new AssertionError("sampler drew more than the " + values.length + " numbers");
            return values[used++];
        }

        @Override
        public long nextLong() {
            throw new AssertionError("the samplers document one nextDouble() per sample and nothing else");
        }
    }

    private static Path file() {
        return ModelGoldenTest.folder().resolve("generate.safetensors");
    }

    @ParameterizedTest(name = "{0} [{4}]")
    @CsvSource({"greedy,0,0,1,avx2", "temperature,0.8,0,1,avx2", "topk,1.0,4,1,avx2", "topp,1.3,0,0.85,avx2",
            "greedy,0,0,1,ref", "temperature,0.8,0,1,ref", "topk,1.0,4,1,ref", "topp,1.3,0,0.85,ref"})
    void samplesWhatPyTorchSamples(String name, double temperature, int k, double p, String isa) throws IOException {
        if (!GoldenTest.isas().contains(isa)) return; // this CPU has no such path
        String original = Jrnn.isa();
        Jrnn.setIsa(isa);
        try (StateDict sd = StateDict.load(file());
             StateDict weights = ModelGoldenTest.modelOnly(sd, "gen.");
             SequenceModel m = SequenceModel.load(weights)) {
            int[] prompt = sd.ints("gen.prompt");
            int[] want = sd.ints("gen." + name + ".ids");
            double[] uniforms; // float32 values in the file, used as float64 by PyTorch too
            try (Tensor u = sd.tensor("gen." + name + ".uniforms")) {
                float[] f = u.toArray();
                uniforms = new double[f.length];
                for (int i = 0; i < f.length; i++) uniforms[i] = f[i];
            }
            Replay rng = new Replay(name.equals("greedy") ? new double[0] : uniforms);
            Sampler s = switch (name) {
                case "greedy" -> Sampler.greedy();
                case "temperature" -> Sampler.temperature(temperature, rng);
                case "topk" -> Sampler.topK(k, temperature, rng);
                default -> Sampler.topP(p, temperature, rng);
            };
            List<Integer> streamed = new ArrayList<>();
            int[] got = m.generate(prompt, want.length, s, streamed::add);
            assertArrayEquals(want, got, name + " [" + isa + "]: sampled ids");
            assertEquals(want.length, streamed.size(), "onToken once per id");
            for (int i = 0; i < got.length; i++) assertEquals(got[i], streamed.get(i), "onToken order");
            if (!name.equals("greedy")) assertEquals(uniforms.length, rng.used, "one uniform per sampled id");
            assertEquals(12, m.tokens().size(), "the vocabulary in the config");
        } finally {
            Jrnn.setIsa(original);
        }
    }

    @Test
    void theSameSeedGivesTheSameText() throws IOException {
        try (StateDict sd = StateDict.load(file());
             StateDict weights = ModelGoldenTest.modelOnly(sd, "gen.");
             SequenceModel m = SequenceModel.load(weights)) {
            int[] prompt = sd.ints("gen.prompt");
            int[] a = m.generate(prompt, 40, Sampler.topP(0.9, 1.2, new SplittableRandom(7)), null);
            int[] b = m.generate(prompt, 40, Sampler.topP(0.9, 1.2, new SplittableRandom(7)), null);
            int[] c = m.generate(prompt, 40, Sampler.topP(0.9, 1.2, new SplittableRandom(8)), null);
            assertArrayEquals(a, b, "same seed, same ids");
            assertFalse(java.util.Arrays.equals(a, c), "another seed gives other ids (40 draws from ~12 tokens)");
        }
    }

    @Test
    void rejectsBadArguments() throws IOException {
        try (StateDict sd = StateDict.load(file());
             StateDict weights = ModelGoldenTest.modelOnly(sd, "gen.");
             SequenceModel m = SequenceModel.load(weights)) {
            Sampler g = Sampler.greedy();
            assertThrows(IllegalArgumentException.class, () -> m.generate(new int[0], 3, g, null));
            assertThrows(IllegalArgumentException.class, () -> m.generate(new int[] {12}, 3, g, null));
            assertThrows(IllegalArgumentException.class, () -> m.generate(new int[] {1}, -1, g, null));
            assertThrows(IllegalArgumentException.class, () -> m.generate(new int[] {1}, 3, null, null));
            assertEquals(0, m.generate(new int[] {1}, 0, g, null).length);
            m.close();
            assertThrows(IllegalStateException.class, () -> m.generate(new int[] {1}, 3, g, null));
        }
    }
}
