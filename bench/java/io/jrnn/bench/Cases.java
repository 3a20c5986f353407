package io.jrnn.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import io.jrnn.Activation;
import io.jrnn.Gru;
import io.jrnn.Lstm;
import io.jrnn.Precision;
import io.jrnn.RecurrentLayer;
import io.jrnn.Rnn;
import io.jrnn.StateDict;

/**
 * The named cases of PERF.md (the project brief) (time-major, float32, one layer, unidirectional) and their seeded
 * random weights, written as a PyTorch-named safetensors file ({@code rnn.weight_ih_l0}, ..., plus the input
 * {@code x[T,B,I]}) that jrnn, the ONNX model builder and the PyTorch script all read.
 */
final class Cases {
    private Cases() {}

    /** The cell kinds, with their gate counts G and the PyTorch module names. */
    enum Cell {
        RNN(1, "RNN"), LSTM(4, "LSTM"), GRU(3, "GRU");

        final int gates;
        final String torchName;

        Cell(int gates, String torchName) {
            this.gates = gates;
            this.torchName = torchName;
        }
    }

    /** One case: cell, batch B, steps T, input size I, hidden size H. */
    record Case(String name, Cell cell, int batch, int steps, int input, int hidden, long seed) {
        /** FLOPs of one forward: {@code 2 · G · H · (I + H) · B · T}. */
        long flops() {
            return 2L * cell.gates * hidden * (input + hidden) * batch * steps;
        }

        int gateRows() {
            return cell.gates * hidden;
        }
    }

    static final List<Case> ALL = List.of(
            new Case("rnn-b1", Cell.RNN, 1, 100, 256, 256, 101),
            new Case("lstm-b1", Cell.LSTM, 1, 100, 256, 256, 102),
            new Case("gru-b1", Cell.GRU, 1, 100, 256, 256, 103),
            new Case("rnn-b64", Cell.RNN, 64, 50, 512, 512, 104),
            new Case("lstm-b64", Cell.LSTM, 64, 50, 512, 512, 105),
            new Case("gru-b64", Cell.GRU, 64, 50, 512, 512, 106));

    /** The names, in table order (for {@code @Param} lists and reports). */
    static final String[] NAMES = ALL.stream().map(Case::name).toArray(String[]::new);

    static Case byName(String name) {
        for (Case c : ALL) {
            if (c.name.equals(name)) return c;
        }
        throw new IllegalArgumentException("no case " + name + "; the cases are " + String.join(", ", NAMES));
    }

    /**
     * PyTorch-layout weights ({@code w_ih[G·H, I]}, {@code w_hh[G·H, H]}, {@code b_ih[G·H]}, {@code b_hh[G·H]},
     * gate blocks in PyTorch order) and the input {@code x[T,B,I]}.
     */
    record Weights(float[] wIh, float[] wHh, float[] bIh, float[] bHh, float[] x) {}

    /**
     * Weights drawn as {@code torch.nn} initialises them, uniform in ±1/√H, and inputs uniform in ±1; the same case
     * always gives the same numbers.
     */
    static Weights weights(Case c) {
        SplittableRandom rnd = new SplittableRandom(c.seed);
        float k = (float) (1.0 / Math.sqrt(c.hidden));
        int gh = c.gateRows();
        return new Weights(
                uniform(rnd, gh * c.input, k),
                uniform(rnd, gh * c.hidden, k),
                uniform(rnd, gh, k),
                uniform(rnd, gh, k),
                uniform(rnd, c.steps * c.batch * c.input, 1f));
    }

    private static float[] uniform(SplittableRandom rnd, int n, float bound) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        return a;
    }

    /** Where generated files go: {@code -Djrnn.bench.work}, by default {@code target/bench}. */
    static Path workDir() {
        return Path.of(System.getProperty("jrnn.bench.work", "target/bench")).toAbsolutePath();
    }

    /** The case's safetensors file (tensors {@code rnn.*} and {@code x}), written on first use. */
    static Path file(Case c) {
        Path f = workDir().resolve("cases").resolve(c.name + ".safetensors");
        if (Files.isRegularFile(f)) return f;
        Weights w = weights(c);
        int gh = c.gateRows();
        try {
            new SafetensorsOut()
                    .meta("case", c.name).meta("cell", c.cell.name()).meta("seed", Long.toString(c.seed))
                    .f32("rnn.weight_ih_l0", w.wIh, gh, c.input)
                    .f32("rnn.weight_hh_l0", w.wHh, gh, c.hidden)
                    .f32("rnn.bias_ih_l0", w.bIh, gh)
                    .f32("rnn.bias_hh_l0", w.bHh, gh)
                    .f32("x", w.x, c.steps, c.batch, c.input)
                    .write(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + f, e);
        }
        return f;
    }

    /** Loads the case's layer from its file with the PyTorch prefix "rnn". */
    static RecurrentLayer load(Case c, StateDict sd) {
        return switch (c.cell) {
            case RNN -> Rnn.load(sd, "rnn");
            case LSTM -> Lstm.load(sd, "rnn");
            case GRU -> Gru.load(sd, "rnn");
        };
    }

    /** Loads the case's layer with its weight matrices in the given precision (FP32: the load above). */
    static RecurrentLayer load(Case c, StateDict sd, Precision precision) {
        if (precision == Precision.FP32) return load(c, sd);
        return switch (c.cell) {
            case RNN -> Rnn.load(sd, "rnn", Activation.TANH, precision);
            case LSTM -> Lstm.load(sd, "rnn", precision);
            case GRU -> Gru.load(sd, "rnn", precision);
        };
    }
}
