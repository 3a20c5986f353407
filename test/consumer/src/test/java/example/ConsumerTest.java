package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import io.jrnn.Lstm;
import io.jrnn.RecurrentOutput;
import io.jrnn.StateDict;
import io.jrnn.Tensor;

/** Runs jrnn from the installed artifact alone: a PyTorch golden case, and the OpenBLAS that gets mapped. */
class ConsumerTest {

    @Test
    void lstmMatchesPyTorchFromTheInstalledArtifact() throws IOException, URISyntaxException {
        Path file = Path.of(getClass().getResource("/036-lstm-L1bi-I5H7-T2B4-len0T-h0.safetensors").toURI());
        try (StateDict sd = StateDict.load(file);
             Lstm lstm = Lstm.load(sd, "rnn");
             Tensor x = sd.tensor("x");
             Tensor h0 = sd.tensor("h0");
             Tensor c0 = sd.tensor("c0");
             Tensor expected = sd.tensor("output");
             RecurrentOutput out = lstm.forward(x, sd.ints("lengths"), h0, c0)) {
            float[] want = expected.toArray(), got = out.output().toArray();
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5, "output[" + i + "]");
        }
    }

    @Test
    void theOnlyOpenBlasMappedIsBytedecos() throws IOException {
        io.jrnn.Jrnn.isa(); // maps jrnn's natives and, through them, OpenBLAS
        List<String> blas = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(l -> l.contains("libopenblas"))
                .map(l -> l.substring(l.indexOf('/')))
                .distinct()
                .collect(Collectors.toList());
        assertEquals(1, blas.size(), "exactly one libopenblas mapped, got " + blas);
        assertTrue(blas.get(0).contains("javacpp-cache") && blas.get(0).contains("org/bytedeco/openblas"),
                "OpenBLAS must come from bytedeco's jar via the JavaCPP cache, got " + blas.get(0));
    }
}
