package io.jrnn.decode;

import java.util.random.RandomGenerator;

/**
 * The samplers of {@link Sampler}, as its Javadoc specifies them. Scratch arrays grow to the vocabulary once and
 * are reused, so sampling allocates nothing in steady state. Not thread-safe (see {@link Sampler}).
 */
final class Sampling implements Sampler {
    private final double temperature;
    private final int k;          // 0: no top-k cut
    private final double p;       // 1: no top-p cut
    private final RandomGenerator rng;
    private double[] w = new double[0];
    private int[] order = new int[0], tmp = new int[0];
    private boolean[] kept = new boolean[0];

    Sampling(double temperature, int k, double p, RandomGenerator rng) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
        }
        if (rng == null) throw new IllegalArgumentException("rng must not be null");
        this.temperature = temperature;
        this.k = k;
        this.p = p;
        this.rng = rng;
    }

    static int argmax(float[] logits) {
        check(logits);
        int best = -1;
        for (int i = 0; i < logits.length; i++) {
            if (!Float.isNaN(logits[i]) && (best < 0 || logits[i] > logits[best])) best = i;
        }
        if (best < 0) throw new IllegalArgumentException("every logit is NaN: no token can be chosen");
        return best;
    }

    @Override
    public int sample(float[] logits) {
        check(logits);
        final int n = logits.length;
        grow(n);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            if (!Float.isNaN(logits[i])) max = Math.max(max, logits[i] / temperature);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every logit is NaN or -infinity: no token can be chosen");
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            double z = logits[i] / temperature;
            // +inf logits (max = +inf): each gets weight 1, every finite one 0
            w[i] = Float.isNaN(logits[i]) ? 0 : max == Double.POSITIVE_INFINITY ? (z == max ? 1 : 0) : Math.exp(z - max);
            total += w[i];
        }
        boolean cut = k > 0 && k < n || p < 1;
        if (cut) {
            for (int i = 0; i < n; i++) order[i] = i;
            sortByWeight(n);
            java.util.Arrays.fill(kept, 0, n, false);
            int count = k > 0 ? Math.min(k, n) : n;
            double run = 0, target = p * total;
            for (int r = 0; r < count; r++) {
                kept[order[r]] = true;
                run += w[order[r]];
                if (p < 1 && run >= target) break;
            }
        }
        double sum = 0;
        int last = -1;
        for (int i = 0; i < n; i++) {
            if (!cut || kept[i]) sum += w[i];
        }
        double u = rng.nextDouble();
        double threshold = u * sum, s = 0;
        for (int i = 0; i < n; i++) {
            if (cut && !kept[i]) continue;
            if (w[i] == 0) continue;
            s += w[i];
            last = i;
            if (s > threshold) return i;
        }
        return last;
    }

    private static void check(float[] logits) {
        if (logits == null || logits.length == 0) throw new IllegalArgumentException("logits must not be empty");
    }

    private void grow(int n) {
        if (w.length < n) {
            w = new double[n];
            order = new int[n];
            tmp = new int[n];
            kept = new boolean[n];
        }
    }

    /** order[0:n) by descending w, ties by the lower id: a stable merge sort on the id order (no boxing). */
    private void sortByWeight(int n) {
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n), hi = Math.min(lo + 2 * width, n);
                int a = lo, b = mid, o = lo;
                while (a < mid && b < hi) tmp[o++] = w[order[b]] > w[order[a]] ? order[b++] : order[a++];
                while (a < mid) tmp[o++] = order[a++];
                while (b < hi) tmp[o++] = order[b++];
            }
            int[] t = order;
            order = tmp;
            tmp = t;
        }
    }
}
