package io.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.jrnn.cli.CliTest.Run;

/** {@code jrnn generate} in-process, with the shipped character model. */
class GenerateCommandTest {
    @TempDir
    Path dir;

    @Test
    void continuesThePromptReproducibly() {
        Run a = CliTest.run("generate", "--length", "60", "--seed", "5", "=item Can't ");
        assertEquals(Main.OK, a.code(), a.err());
        assertTrue(a.out().startsWith("=item Can't "), a.out());
        assertEquals("=item Can't ".length() + 60 + 1, a.out().length(), "prompt, 60 characters, newline: " + a.out());
        Run b = CliTest.run("generate", "--length", "60", "--seed", "5", "=item Can't ");
        assertEquals(a.out(), b.out(), "the same seed gives the same text");
        Run c = CliTest.run("generate", "--length", "60", "--seed", "6", "=item Can't ");
        assertNotEquals(a.out(), c.out(), "another seed, other text");
        for (String[] opts : new String[][] {{"--greedy"}, {"--top-k", "5"}, {"--top-p", "0.9", "--temperature", "1.2"}}) {
            String[] args = new String[opts.length + 4];
            args[0] = "generate";
            System.arraycopy(opts, 0, args, 1, opts.length);
            args[opts.length + 1] = "--length";
            args[opts.length + 2] = "20";
            args[opts.length + 3] = "(F) ";
            Run r = CliTest.run(args);
            assertEquals(Main.OK, r.code(), String.join(" ", opts) + ": " + r.err());
            assertEquals("(F) ".length() + 21, r.out().length(), r.out());
        }
    }

    @Test
    void badInputIsOneLine() {
        Run r = CliTest.run("generate", "snow \u2603");
        assertEquals(Main.BAD_INPUT, r.code());
        assertTrue(r.err().contains("is not in the model's vocabulary"), r.err());
        CliTest.assertNoStackTrace(r);
        r = CliTest.run("generate", "--top-k", "3", "--top-p", "0.5", "a");
        assertEquals(Main.BAD_INPUT, r.code());
        r = CliTest.run("generate", "--temperature", "0", "a");
        assertEquals(Main.BAD_INPUT, r.code());
        CliTest.assertNoStackTrace(r);
        r = CliTest.run("generate", "--model", dir.resolve("none.safetensors").toString(), "a");
        assertEquals(Main.IO_ERROR, r.code());
        CliTest.assertNoStackTrace(r);
    }
}
