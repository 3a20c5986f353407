package io.jrnn.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

import io.jrnn.Gru;
import io.jrnn.Lstm;
import io.jrnn.OnnxModel;
import io.jrnn.RecurrentLayer;
import io.jrnn.RecurrentOutput;
import io.jrnn.Rnn;
import io.jrnn.StateDict;
import io.jrnn.Tensor;
import io.jrnn.bench.Cases.Case;
import io.jrnn.bench.Cases.Weights;

/**
 * The same recurrent model two ways: loaded from safetensors ({@link Lstm}/{@link Gru}/{@link Rnn}) and imported
 * from ONNX ({@link OnnxModel}, the bench's ONNX file of each case), one {@code forward} / {@code run} of the whole
 * sequence each, timed in turn in one JVM (median of the repetitions after warm-up). Also checks that both give the
 * same Y. A harness, not JMH (warm-up of at least 1.5 s per case): indicative numbers.
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat cp.txt) io.jrnn.bench.OnnxImportBench [reps] [case...]
 * </pre>
 */
public final class OnnxImportBench {
    private OnnxImportBench() {
    }

    public static void main(String[] args) throws Exception {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        String[] names = args.length > 1 ? Arrays.copyOfRange(args, 1, args.length) : Cases.NAMES;
        Path dir = Files.createDirectories(Cases.workDir().resolve("onnx-import"));
        System.out.println("case        safetensors ms   onnx ms   onnx/safetensors   max |Y diff|");
        for (String name : names) {
            Case c = Cases.byName(name);
            Weights w = Cases.weights(c);
            Path onnx = dir.resolve(c.name() + ".onnx"), st = dir.resolve(c.name() + ".safetensors");
            Files.write(onnx, OnnxModels.model(c, w));
            int gh = c.gateRows();
            new SafetensorsOut().f32("rnn.weight_ih_l0", w.wIh(), gh, c.input()).f32("rnn.weight_hh_l0", w.wHh(), gh,
                    c.hidden()).f32("rnn.bias_ih_l0", w.bIh(), gh).f32("rnn.bias_hh_l0", w.bHh(), gh).write(st);
            try (StateDict sd = StateDict.load(st);
                 RecurrentLayer layer = switch (c.cell()) {
                     case LSTM -> Lstm.load(sd, "rnn");
                     case GRU -> Gru.load(sd, "rnn");
                     case RNN -> Rnn.load(sd, "rnn");
                 };
                 OnnxModel model = OnnxModel.load(onnx);
                 Tensor x = Tensor.of(w.x(), c.steps(), c.batch(), c.input())) {
                double diff;
                try (RecurrentOutput o = layer.forward(x); OnnxModel.Result r = model.run(Map.of("X", x))) {
                    float[] a = o.output().toArray(), b = r.get("Y").toArray();
                    diff = 0;
                    for (int i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
                }
                // warm-up: at least 3 runs and 1.5 s, so that the Java glue is JIT-compiled as in a long-running server
                long warmEnd = System.nanoTime() + 1_500_000_000L;
                for (int i = 0; i < 3 || System.nanoTime() < warmEnd; i++) {
                    try (RecurrentOutput o = layer.forward(x); OnnxModel.Result r = model.run(Map.of("X", x))) {
                        r.get("Y");
                    }
                }
                long[] ts = new long[reps], to = new long[reps];
                for (int i = 0; i < reps + 3; i++) {
                    long t0 = System.nanoTime();
                    try (RecurrentOutput o = layer.forward(x)) {
                        o.output();
                    }
                    long t1 = System.nanoTime();
                    try (OnnxModel.Result r = model.run(Map.of("X", x))) {
                        r.get("Y");
                    }
                    long t2 = System.nanoTime();
                    if (i >= 3) {
                        ts[i - 3] = t1 - t0;
                        to[i - 3] = t2 - t1;
                    }
                }
                Arrays.sort(ts);
                Arrays.sort(to);
                double ms = ts[reps / 2] / 1e6, mo = to[reps / 2] / 1e6;
                System.out.printf(Locale.ROOT, "%-10s %14.3f %9.3f %18.3f %14.2e%n", c.name(), ms, mo, mo / ms, diff);
            }
        }
    }
}
