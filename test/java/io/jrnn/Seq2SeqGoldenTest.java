package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.jrnn.internal.Json;

/**
 * Seq2seq models made and decoded by the PyTorch companion (python/jrnn_torch, test/python/make_seq2seq_golden.py):
 * jrnn must produce the same greedy and beam tokens, log-probabilities within 1e-4 and attention within 1e-4, on
 * both kernel paths.
 */
class Seq2SeqGoldenTest {
    static final double TOL = 1e-4;

    static Path folder() throws URISyntaxException {
        URL u = Seq2SeqGoldenTest.class.getClassLoader().getResource("golden/seq2seq");
        assertNotNull(u, "golden/seq2seq is not on the test classpath");
        return Path.of(u.toURI());
    }

    static List<Path> models() throws IOException, URISyntaxException {
        try (Stream<Path> s = Files.list(folder())) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    static Stream<Arguments> cases() throws IOException, URISyntaxException {
        List<Arguments> out = new ArrayList<>();
        for (Path p : models()) {
            for (String isa : Isas.all()) out.add(Arguments.of(p.getFileName().toString(), isa));
        }
        return out.stream();
    }

    @Test
    void thereAreEnoughModels() throws Exception {
        assertTrue(models().size() >= 30, "expected at least 30 golden seq2seq models, found " + models().size());
    }

    @ParameterizedTest(name = "{0} [{1}]")
    @MethodSource("cases")
    @SuppressWarnings("unchecked")
    void decodesLikePyTorch(String file, String isa) throws Exception {
        Path model = folder().resolve(file);
        Path expected = folder().resolve(file.replace(".safetensors", ".expected.json"));
        Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(expected, StandardCharsets.UTF_8));
        String before = Jrnn.isa();
        Jrnn.setIsa(isa);
        try (Seq2Seq m = Seq2Seq.load(model)) {
            for (Object co : (List<Object>) root.get("cases")) {
                Map<String, Object> c = (Map<String, Object>) co;
                int[] src = ints(c.get("src"));
                int maxLen = ((Long) c.get("max_len")).intValue();
                String where = file + " src " + java.util.Arrays.toString(src) + " [" + isa + "]";
                compare(where + " greedy", (Map<String, Object>) c.get("greedy"), m.greedy(src, maxLen));
                for (Object bo : (List<Object>) c.get("beam")) {
                    Map<String, Object> b = (Map<String, Object>) bo;
                    int k = ((Long) b.get("beam")).intValue();
                    float lp = ((Number) b.get("length_penalty")).floatValue();
                    List<Object> want = (List<Object>) b.get("results");
                    List<Translation> got = m.beamSearch(src, k, maxLen, lp);
                    String w = where + " beam " + k + " lp " + lp;
                    assertEquals(want.size(), got.size(), w + ": number of finished hypotheses");
                    for (int i = 0; i < want.size(); i++) compare(w + " #" + i, (Map<String, Object>) want.get(i), got.get(i));
                }
            }
        } finally {
            Jrnn.setIsa(before);
        }
    }

    @SuppressWarnings("unchecked")
    static void compare(String where, Map<String, Object> want, Translation got) {
        assertArrayEquals(ints(want.get("tokens")), got.tokens(), where + ": tokens");
        assertEquals(((Number) want.get("log_prob")).doubleValue(), got.logProb(), TOL, where + ": log_prob");
        Object a = want.get("attention");
        if (a == null) {
            assertNull(got.attention(), where + ": a model without attention reports none");
            return;
        }
        List<Object> rows = (List<Object>) a;
        assertNotNull(got.attention(), where + ": attention");
        assertEquals(rows.size(), got.attention().length, where + ": attention steps");
        for (int t = 0; t < rows.size(); t++) {
            List<Object> r = (List<Object>) rows.get(t);
            assertEquals(r.size(), got.attention()[t].length, where + ": attention width");
            for (int j = 0; j < r.size(); j++) {
                assertEquals(((Number) r.get(j)).doubleValue(), got.attention()[t][j], TOL,
                        where + ": attention[" + t + "][" + j + "]");
            }
        }
    }

    static int[] ints(Object o) {
        List<?> l = (List<?>) o;
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) l.get(i)).intValue();
        return out;
    }
}
