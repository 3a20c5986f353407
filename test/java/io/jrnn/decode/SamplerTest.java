package io.jrnn.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.random.RandomGenerator;

import org.junit.jupiter.api.Test;

/** The samplers on synthetic scores, no model: the documented procedure, walked with chosen uniforms. */
class SamplerTest {

    /** Returns the given uniforms in turn. */
    private static RandomGenerator uniforms(double... u) {
        return new RandomGenerator() {
            int i;

            @Override
            public double nextDouble() {
                return u[i++];
            }

            @Override
            public long nextLong() {
                throw new AssertionError("only nextDouble is documented");
            }
        };
    }

    private static double[] softmax(float[] logits, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l / t);
        double[] p = new double[logits.length];
        double s = 0;
        for (int i = 0; i < p.length; i++) s += p[i] = Math.exp(logits[i] / t - max);
        for (int i = 0; i < p.length; i++) p[i] /= s;
        return p;
    }

    @Test
    void greedyTakesTheLowestOfTiedMaxima() {
        assertEquals(1, Sampler.greedy().sample(new float[] {0f, 3f, 3f, -1f}));
        assertEquals(2, Sampler.greedy().sample(new float[] {Float.NaN, 0f, 5f}));
        assertThrows(IllegalArgumentException.class, () -> Sampler.greedy().sample(new float[] {Float.NaN}));
        assertThrows(IllegalArgumentException.class, () -> Sampler.greedy().sample(new float[0]));
    }

    @Test
    void temperatureWalksTheIdsInOrder() {
        float[] logits = {0.5f, -1f, 2f, 0f};
        double t = 0.7;
        double[] p = softmax(logits, t);
        // u just below and above each cumulative boundary picks the id on either side of it
        double cum = 0;
        for (int i = 0; i < p.length - 1; i++) {
            cum += p[i];
            assertEquals(i, Sampler.temperature(t, uniforms(cum - 1e-9)).sample(logits), "just below boundary " + i);
            assertEquals(i + 1, Sampler.temperature(t, uniforms(cum + 1e-9)).sample(logits), "just above boundary " + i);
        }
        assertEquals(0, Sampler.temperature(t, uniforms(0.0)).sample(logits));
        assertEquals(3, Sampler.temperature(t, uniforms(Math.nextDown(1.0))).sample(logits));
    }

    @Test
    void topKKeepsTheKLargest() {
        float[] logits = {1f, 4f, 2f, 4f, 3f}; // ranks: 1, 3 (tie, lower id first), 4, 2, 0
        double[] p = softmax(new float[] {4f, 4f}, 1.0); // the two kept: ids 1 and 3
        assertEquals(1, Sampler.topK(2, 1.0, uniforms(p[0] - 1e-9)).sample(logits));
        assertEquals(3, Sampler.topK(2, 1.0, uniforms(p[0] + 1e-9)).sample(logits));
        for (double u = 0; u < 1; u += 0.01) {
            int id = Sampler.topK(3, 1.0, uniforms(u)).sample(logits);
            assertTrue(id == 1 || id == 3 || id == 4, "top-3 gave " + id + " for u " + u);
        }
        assertEquals(1, Sampler.topK(1, 5.0, uniforms(0.99)).sample(logits), "top-1 is greedy");
    }

    @Test
    void topPKeepsTheShortestRunReachingP() {
        float[] logits = {0f, (float) Math.log(6), (float) Math.log(3)}; // weights 1, 6, 3 of 10
        // p = 0.6: id 1 alone reaches it
        for (double u = 0; u < 1; u += 0.05) assertEquals(1, Sampler.topP(0.6, 1.0, uniforms(u)).sample(logits));
        // p = 0.65: ids 1 and 2 (the one crossing p is kept), walked in id order: 1 (6/9) then 2
        assertEquals(1, Sampler.topP(0.65, 1.0, uniforms(6.0 / 9 - 1e-9)).sample(logits));
        assertEquals(2, Sampler.topP(0.65, 1.0, uniforms(6.0 / 9 + 1e-9)).sample(logits));
        // p = 1: everything
        assertEquals(0, Sampler.topP(1.0, 1.0, uniforms(0.05)).sample(logits));
    }

    @Test
    void masksAndInfinities() {
        float ninf = Float.NEGATIVE_INFINITY;
        for (double u = 0; u < 1; u += 0.1) {
            int id = Sampler.temperature(1.0, uniforms(u)).sample(new float[] {ninf, 0f, Float.NaN, 0f});
            assertTrue(id == 1 || id == 3, "-inf and NaN are never chosen, got " + id);
        }
        assertEquals(2, Sampler.temperature(1.0, uniforms(0.9)).sample(new float[] {0f, Float.POSITIVE_INFINITY,
                Float.POSITIVE_INFINITY}), "+inf logits share the mass evenly");
        assertThrows(IllegalArgumentException.class,
                () -> Sampler.temperature(1.0, uniforms(0.5)).sample(new float[] {ninf, Float.NaN}));
    }

    @Test
    void rejectsBadSettings() {
        RandomGenerator r = uniforms(0.5);
        assertThrows(IllegalArgumentException.class, () -> Sampler.temperature(0, r));
        assertThrows(IllegalArgumentException.class, () -> Sampler.temperature(Double.NaN, r));
        assertThrows(IllegalArgumentException.class, () -> Sampler.temperature(1, null));
        assertThrows(IllegalArgumentException.class, () -> Sampler.topK(0, 1, r));
        assertThrows(IllegalArgumentException.class, () -> Sampler.topP(0, 1, r));
        assertThrows(IllegalArgumentException.class, () -> Sampler.topP(1.5, 1, r));
    }
}
