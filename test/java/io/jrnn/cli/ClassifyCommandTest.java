package io.jrnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.jrnn.cli.CliTest.Run;

/** {@code jrnn classify} in-process, with the shipped classifier of Perl diagnostics. */
class ClassifyCommandTest {

    @Test
    void printsEveryClassMostLikelyFirst() {
        Run r = CliTest.run("classify", "Can't locate object method \"%s\" via package \"%s\"");
        assertEquals(Main.OK, r.code(), r.err());
        List<String> lines = r.lines();
        assertEquals(4, lines.size(), r.out());
        double sum = 0, last = 1;
        for (String line : lines) {
            double p = Double.parseDouble(line.substring(0, line.indexOf(' ')));
            assertTrue(p <= last + 1e-9, "sorted: " + r.out());
            last = p;
            sum += p;
        }
        assertEquals(1.0, sum, 0.01, "probabilities sum to 1 (rounded to 3 places): " + r.out());
        for (String label : List.of("F fatal error", "W warning", "S severe warning", "P internal error (panic)")) {
            assertTrue(r.out().contains(label), label + " in " + r.out());
        }
    }

    @Test
    void badInputIsOneLine() {
        Run r = CliTest.run("classify", "snow \u2603");
        assertEquals(Main.BAD_INPUT, r.code());
        assertTrue(r.err().contains("is not in the model's vocabulary"), r.err());
        CliTest.assertNoStackTrace(r);
    }
}
