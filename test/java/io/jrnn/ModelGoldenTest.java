package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SequenceModel} against PyTorch: every case in {@code test/golden/model/} (written by
 * {@code test/python/make_model_golden.py} with {@code jrnn_torch.export_model} from plain torch.nn modules) on
 * every ISA path this CPU runs: every readout, cell, direction, layer count, head and output, both layouts, with
 * and without lengths, token ids and float features, ragged sequences, and streams.
 */
class ModelGoldenTest {
    static final String FOLDER = "golden/model";
    private static final double TOL = 1e-5;

    static Path folder() {
        return GoldenFiles.folder(FOLDER);
    }

    static List<Path> caseFiles() {
        return GoldenFiles.safetensors(FOLDER).stream()
                .filter(p -> !p.getFileName().toString().equals("generate.safetensors")).toList();
    }

    static Stream<Arguments> cases() {
        List<Arguments> args = new ArrayList<>();
        for (Path file : caseFiles()) {
            for (String isa : GoldenTest.isas()) args.add(Arguments.of(Named.of(file.getFileName().toString(), file), isa));
        }
        return args.stream();
    }

    /** The model's own tensors (the case data stripped) with the file's metadata, as an in-memory state dict. */
    static StateDict modelOnly(StateDict sd, String casePrefix) {
        Map<String, Tensor> kept = new LinkedHashMap<>();
        try {
            for (String name : sd.names()) if (!name.startsWith(casePrefix)) kept.put(name, sd.tensor(name));
            return StateDict.of(kept, sd.metadata());
        } finally {
            kept.values().forEach(Tensor::close);
        }
    }

    @Test
    void folderHoldsTheCases() {
        assertTrue(caseFiles().size() >= 10, "expected at least 10 cases in " + FOLDER + ", found " + caseFiles().size());
    }

    @ParameterizedTest(name = "{0} [{1}]")
    @MethodSource("cases")
    void matchesPyTorch(Path file, String isa) throws IOException {
        String original = Jrnn.isa();
        Jrnn.setIsa(isa);
        try (StateDict sd = StateDict.load(file);
             StateDict weights = modelOnly(sd, "case.");
             SequenceModel m = SequenceModel.load(weights)) {
            run(sd, m, file.getFileName() + " [" + isa + "]");
        } finally {
            Jrnn.setIsa(original);
        }
    }

    private static void run(StateDict sd, SequenceModel m, String where) {
        int[] lengths = sd.ints("case.lengths");
        int B = lengths.length;
        float[] expected, full;
        int[] shape;
        try (Tensor e = sd.tensor("case.expected"); Tensor f = sd.tensor("case.expected_full")) {
            expected = e.toArray();
            full = f.toArray();
            shape = e.shape();
        }
        int[] inShape = sd.shape(m.hasEmbedding() ? "case.ids" : "case.x");
        int T = inShape[m.batchFirst() ? 1 : 0];
        assertEquals(B, inShape[m.batchFirst() ? 0 : 1], where + ": batch");
        int[] ids = m.hasEmbedding() ? sd.ints("case.ids") : null;

        try (Tensor x = m.hasEmbedding() ? null : sd.tensor("case.x");
             Tensor y = ids != null ? m.forward(ids, B, lengths) : m.forward(x, lengths);
             Tensor yFull = ids != null ? m.forward(ids, B, null) : m.forward(x, null)) {
            assertArrayEquals(shape, y.shape(), where + ": output shape");
            Close.assertClose(where + ", with lengths", expected, y.toArray(), shape, TOL);
            Close.assertClose(where + ", without lengths", full, yFull.toArray(), shape, TOL);
        }
        if (ids != null) ragged(m, ids, T, B, lengths, expected, shape, where);
        if (!m.bidirectional() && m.readout() != SequenceModel.Readout.MEAN) {
            stream(sd, m, ids, T, B, full, shape, where);
        }
    }

    /** The same ids as ragged rows (lengths from the rows, padded by the model) give the same outputs. */
    private static void ragged(SequenceModel m, int[] ids, int T, int B, int[] lengths, float[] expected, int[] shape,
                               String where) {
        int[][] rows = new int[B][];
        for (int b = 0; b < B; b++) {
            rows[b] = new int[lengths[b]];
            for (int t = 0; t < lengths[b]; t++) rows[b][t] = ids[m.batchFirst() ? b * T + t : t * B + b];
        }
        try (Tensor y = m.forward(rows)) {
            Close.assertClose(where + ", ragged rows", expected, y.toArray(), shape, TOL);
        }
    }

    /** One step at a time equals the full-length forward: each step for all_steps, the end for the others. */
    private static void stream(StateDict sd, SequenceModel m, int[] ids, int T, int B, float[] full, int[] shape,
                               String where) {
        int N = m.outputSize(), I = m.inputSize();
        float[] xs = null;
        if (ids == null) {
            try (Tensor x = sd.tensor("case.x")) {
                xs = x.toArray();
            }
        }
        try (SequenceStream s = m.stream(B); Tensor out = Tensor.zeros(B, N)) {
            for (int pass = 0; pass < 2; pass++) { // the second pass after reset() must repeat the first
                float[] last = null;
                for (int t = 0; t < T; t++) {
                    if (ids != null) {
                        int[] step = new int[B];
                        for (int b = 0; b < B; b++) step[b] = ids[m.batchFirst() ? b * T + t : t * B + b];
                        s.step(step, out);
                    } else {
                        float[] xt = new float[B * I];
                        for (int b = 0; b < B; b++) {
                            System.arraycopy(xs, (m.batchFirst() ? b * T + t : t * B + b) * I, xt, b * I, I);
                        }
                        try (Tensor in = Tensor.of(xt, B, I)) {
                            s.step(in, out);
                        }
                    }
                    last = out.toArray();
                    if (m.readout() == SequenceModel.Readout.ALL_STEPS) {
                        float[] want = new float[B * N];
                        for (int b = 0; b < B; b++) {
                            System.arraycopy(full, (m.batchFirst() ? b * T + t : t * B + b) * N, want, b * N, N);
                        }
                        Close.assertClose(where + ", stream step " + t + " pass " + pass, want, last, new int[] {B, N}, TOL);
                    }
                }
                if (m.readout() != SequenceModel.Readout.ALL_STEPS) {
                    Close.assertClose(where + ", stream end pass " + pass, full, last, shape, TOL);
                }
                s.reset();
            }
        }
    }
}
