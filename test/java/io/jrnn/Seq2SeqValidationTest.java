package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad arguments to the seq2seq API (SPEC §2): each must be an {@link IllegalArgumentException} or
 * {@link IllegalStateException} whose message says what was expected and what was found, before any native call.
 *
 * <p>The model most tests use: {@link TestModels#CHAR_CONFIG}, vocabularies of 6 ({@code <pad> <s> </s> a b c}),
 * char tokenizer, bahdanau attention.
 */
class Seq2SeqValidationTest {
    @TempDir
    Path dir;

    private Seq2Seq m;

    @BeforeEach
    void load() throws IOException {
        m = Seq2Seq.load(TestModels.seq2seq(dir.resolve("char.safetensors"), TestModels.CHAR_CONFIG, 1, 0.5f));
    }

    @AfterEach
    void close() {
        m.close();
    }

    // ---- source ids ----

    @Test
    void sourceIds() {
        assertMessage(IllegalArgumentException.class, () -> m.greedy((int[]) null, 5), "srcIds", "null");
        assertMessage(IllegalArgumentException.class, () -> m.greedy(new int[0], 5), "at least one token", "none");
        assertMessage(IllegalArgumentException.class, () -> m.greedy(new int[] {3, -1}, 5), "srcIds[1]", "[0, 6)",
                "got -1");
        assertMessage(IllegalArgumentException.class, () -> m.greedy(new int[] {6}, 5), "srcIds[0]", "[0, 6)", "got 6");
        assertMessage(IllegalArgumentException.class, () -> m.beamSearch(new int[] {3, 99}, 2, 5, 0f), "srcIds[1]",
                "got 99");
    }

    @Test
    void maxLen() {
        int[] src = {3, 4};
        for (int bad : new int[] {0, -1, Integer.MIN_VALUE, Seq2Seq.MAX_LEN + 1, Integer.MAX_VALUE}) {
            assertMessage(IllegalArgumentException.class, () -> m.greedy(src, bad), "maxLen", "[1, " + Seq2Seq.MAX_LEN
                    + "]", "got " + bad);
            assertMessage(IllegalArgumentException.class, () -> m.beamSearch(src, 2, bad, 0f), "maxLen", "got " + bad);
        }
    }

    @Test
    void beamSize() {
        int[] src = {3, 4};
        for (int bad : new int[] {0, -3, Seq2Seq.MAX_BEAM + 1, Integer.MAX_VALUE}) {
            assertMessage(IllegalArgumentException.class, () -> m.beamSearch(src, bad, 5, 0f), "beamSize",
                    "[1, " + Seq2Seq.MAX_BEAM + "]", "got " + bad);
            assertMessage(IllegalArgumentException.class, () -> m.beamSearch(List.of(src), bad, 5, 0f), "beamSize");
            assertMessage(IllegalArgumentException.class, () -> m.translate("ab", bad), "beamSize");
        }
    }

    @Test
    void beamTimesVocabularyBeyondAnArray() throws IOException {
        // 1000 rows of 2.2M scores: 2.2e9 floats, more than a Java array or a Tensor holds
        String cfg = "{\"format\": \"jrnn.seq2seq.v1\", \"src_vocab_size\": 3, \"tgt_vocab_size\": 2200000,"
                + " \"pad_id\": 0, \"bos_id\": 1, \"eos_id\": 2,"
                + " \"encoder\": {\"cell\": \"rnn_tanh\", \"embed_dim\": 1, \"hidden_size\": 1, \"num_layers\": 1},"
                + " \"decoder\": {\"cell\": \"rnn_tanh\", \"embed_dim\": 1, \"hidden_size\": 1, \"num_layers\": 1}}";
        try (Seq2Seq big = Seq2Seq.load(TestModels.seq2seq(dir.resolve("big.safetensors"), cfg, 1, 0.1f))) {
            assertMessage(IllegalArgumentException.class, () -> big.beamSearch(new int[] {1}, Seq2Seq.MAX_BEAM, 3, 0f),
                    "beamSize 1000", "tgt_vocab_size 2200000", "2200000000");
            assertMessage(IllegalArgumentException.class,
                    () -> big.beamSearch(List.of(new int[] {1}), Seq2Seq.MAX_BEAM, 3, 0f), "beamSize 1000");
            assertTrue(big.greedy(new int[] {1, 2}, 1).tokens().length <= 1, "greedy decodes a vocabulary this large");
        }
    }

    @Test
    void lengthPenalty() {
        int[] src = {3, 4};
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            assertMessage(IllegalArgumentException.class, () -> m.beamSearch(src, 2, 5, bad), "lengthPenalty", "finite",
                    "got " + bad);
        }
        assertDoesNotThrow(() -> m.beamSearch(src, 2, 5, -1f), "a negative penalty is a number like any other");
    }

    @Test
    void batches() {
        assertMessage(IllegalArgumentException.class, () -> m.greedy((List<int[]>) null, 5), "srcIds", "null");
        assertMessage(IllegalArgumentException.class, () -> m.beamSearch((List<int[]>) null, 2, 5, 0f), "srcIds",
                "null");
        assertMessage(IllegalArgumentException.class, () -> m.greedy(Arrays.asList(new int[] {3}, null), 5),
                "srcIds.get(1)", "null");
        assertMessage(IllegalArgumentException.class, () -> m.greedy(List.of(new int[] {3}, new int[] {4, 7}), 5),
                "srcIds.get(1)[1]", "[0, 6)", "got 7");
        assertMessage(IllegalArgumentException.class, () -> m.beamSearch(List.of(new int[0]), 2, 5, 0f),
                "srcIds.get(0)", "at least one token");
        assertEquals(List.of(), m.greedy(List.of(), 5), "an empty batch has no results");
    }

    // ---- text ----

    @Test
    void tokenizeAndDetokenize() {
        assertMessage(IllegalArgumentException.class, () -> m.tokenize(null), "text", "null");
        assertMessage(IllegalArgumentException.class, () -> m.translate(null), "text", "null");
        assertMessage(IllegalArgumentException.class, () -> m.translate(null, 2), "text", "null");
        assertMessage(IllegalArgumentException.class, () -> m.tokenize(""), "no tokens");
        assertMessage(IllegalArgumentException.class, () -> m.tokenize("abx"), "\"x\"", "position 2",
                "not in the source vocabulary");
        assertMessage(IllegalArgumentException.class, () -> m.detokenize(null), "tgtIds", "null");
        assertMessage(IllegalArgumentException.class, () -> m.detokenize(new int[] {3, 6}), "target id 6",
                "position 1", "[0, 6)");
        assertMessage(IllegalArgumentException.class, () -> m.detokenize(new int[] {-1}), "target id -1");
        assertEquals("abc", m.detokenize(m.tokenize("abc")));
    }

    @Test
    void modelWithoutVocabularies() throws IOException {
        Path f = TestModels.seq2seq(dir.resolve("ids.safetensors"), TestModels.config("gru", "gru", "none", 7, 4, 1),
                2, 0.5f);
        try (Seq2Seq ids = Seq2Seq.load(f)) {
            assertMessage(IllegalArgumentException.class, () -> ids.tokenize("a"), "no tokenizer");
            assertMessage(IllegalArgumentException.class, () -> ids.translate("a"), "no tokenizer");
            assertMessage(IllegalArgumentException.class, () -> ids.detokenize(new int[] {3}), "no target vocabulary");
        }
    }

    // ---- lifecycle ----

    @Test
    void closedModel() {
        m.close();
        assertDoesNotThrow(m::close, "second close");
        int[] src = {3, 4};
        assertMessage(IllegalStateException.class, () -> m.greedy(src, 5), "closed");
        assertMessage(IllegalStateException.class, () -> m.greedy(List.of(src), 5), "closed");
        assertMessage(IllegalStateException.class, () -> m.beamSearch(src, 2, 5, 0f), "closed");
        assertMessage(IllegalStateException.class, () -> m.beamSearch(List.of(src), 2, 5, 0f), "closed");
        assertMessage(IllegalStateException.class, () -> m.translate("ab"), "closed");
        assertMessage(IllegalStateException.class, () -> m.translate("ab", 2), "closed");
        assertMessage(IllegalStateException.class, () -> m.tokenize("ab"), "closed");
        assertMessage(IllegalStateException.class, () -> m.detokenize(src), "closed");
        assertEquals(6, m.config().tgtVocabSize(), "the config stays readable");
    }

    // ---- loaders ----

    @Test
    void loaderArguments() throws IOException {
        assertMessage(IllegalArgumentException.class, () -> Seq2Seq.load(null), "file", "null");
        assertMessage(IllegalArgumentException.class, () -> StateDict.load(null), "file", "null");
        assertThrows(NoSuchFileException.class, () -> Seq2Seq.load(dir.resolve("absent.safetensors")));
        assertThrows(NoSuchFileException.class, () -> StateDict.load(dir.resolve("absent.safetensors")));
        Path folder = Files.createDirectory(dir.resolve("folder.safetensors"));
        assertThrows(IOException.class, () -> StateDict.load(folder));
        assertThrows(IOException.class, () -> Seq2Seq.load(folder));
        Path layer = TestModels.recurrent(dir.resolve("lstm.safetensors"), 4, 1, false, 3, 4, 1);
        assertMessage(IOException.class, () -> Seq2Seq.load(layer), "no \"jrnn.config\"", "not a jrnn seq2seq model");
    }

    @Test
    void configThatDisagreesWithTheTensors() throws IOException {
        Path f = TestModels.seq2seq(dir.resolve("a.safetensors"), TestModels.CHAR_CONFIG, 3, 0.5f);
        byte[] bytes = Files.readAllBytes(f);
        // the same file whose config claims a larger decoder: every tensor is checked against the config
        String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1)
                .replace("\\\"attention_dim\\\": 6", "\\\"attention_dim\\\": 7");
        Path g = Files.write(dir.resolve("b.safetensors"), text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertMessage(IOException.class, () -> Seq2Seq.load(g), "decoder.attention.query.weight", "[7, 8]", "[6, 8]");
    }

    // ---- helpers ----

    /** Asserts the type and that the message contains every fragment; returns the exception. */
    static <X extends Throwable> X assertMessage(Class<X> type, Executable call, String... fragments) {
        X e = assertThrows(type, call);
        String msg = e.getMessage();
        assertTrue(msg != null, type.getSimpleName() + " without a message");
        for (String f : fragments) assertTrue(msg.contains(f), "message should contain \"" + f + "\": " + msg);
        return e;
    }
}
