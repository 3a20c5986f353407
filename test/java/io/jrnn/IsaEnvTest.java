package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The ISA chosen at load: JRNN_ISA=ref forces the scalar path (pom.xml runs this class once more with it set);
 * otherwise the best the CPU and OS support.
 */
class IsaEnvTest {

    @Test
    void isaFollowsTheEnvironmentAndTheCpu() {
        String forced = System.getenv("JRNN_ISA");
        String expected = "ref".equals(forced) ? "ref" : Jrnn.isaSupported("avx2") ? "avx2" : "ref";
        assertEquals(expected, Jrnn.isa(), "JRNN_ISA=" + forced);
    }

    @Test
    void versionIsReported() {
        assertEquals("0.1.0", Jrnn.version());
    }
}
