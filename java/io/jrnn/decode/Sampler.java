package io.jrnn.decode;

import java.util.random.RandomGenerator;

/**
 * Chooses the next token from a model's scores (logits: any real numbers; a softmax over them is the model's
 * distribution). Implementations: {@link #greedy()}, {@link #temperature}, {@link #topK}, {@link #topP}.
 *
 * <p>How the random draws are made, so that another implementation (e.g. PyTorch, in this project's golden test)
 * that is given the same uniform numbers picks the same ids: a stochastic sampler draws exactly one
 * {@code u = rng.nextDouble()} per call and nothing else. In float64, with {@code z_i = logits[i] / T}:
 * {@code w_i = exp(z_i - max_j z_j)}. The kept set is every id ({@link #temperature}), the {@code k} ids with the
 * largest {@code w} ({@link #topK}), or the shortest run of ids in descending order of {@code w} whose sum
 * reaches {@code p · Σ_all w} ({@link #topP}: the id that crosses p is kept); ties in that order go to the lower id.
 * Then, walking the kept ids in ascending id order with a running sum {@code s} of their {@code w}, the result is
 * the first id with {@code s > u · S}, {@code S} = the sum of all kept {@code w} (summed in the same order); the
 * last kept id if rounding leaves none. NaN logits never win; {@code +inf} logits share the mass evenly.
 *
 * <p>Thread safety: samplers other than greedy hold a random generator and scratch arrays: use one from one
 * thread at a time (one per generation).
 */
@FunctionalInterface
public interface Sampler {

    /** The chosen id in {@code [0, logits.length)}. */
    int sample(float[] logits);

    /** The arg-max (ties: the lowest id); draws nothing. */
    static Sampler greedy() {
        return Sampling::argmax;
    }

    /** Samples from {@code softmax(logits / temperature)}; temperature > 0. */
    static Sampler temperature(double temperature, RandomGenerator rng) {
        return new Sampling(temperature, 0, 1.0, rng);
    }

    /** Samples among the {@code k} most likely ids, from {@code softmax(logits / temperature)} renormalised. */
    static Sampler topK(int k, double temperature, RandomGenerator rng) {
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        return new Sampling(temperature, k, 1.0, rng);
    }

    /** Nucleus sampling: among the most likely ids whose probabilities add up to {@code p} ({@code 0 < p <= 1}). */
    static Sampler topP(double p, double temperature, RandomGenerator rng) {
        if (!(p > 0 && p <= 1)) throw new IllegalArgumentException("p must be in (0, 1], got " + p);
        return new Sampling(temperature, 0, p, rng);
    }
}
