package io.jrnn.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * {@link Soak} in a JVM of its own (a fixed, pre-touched heap, and none of the other tests' memory). By default the
 * short run for CI: 5e4 forwards and 500 decodes, resident memory growth under 10 MB after the warm-up. With
 * {@code -Djrnn.soak=long}, the long run: 1e6 forwards and 1e4 decodes under 20 MB, with the full JIT:
 * <pre>
 * mvn -B -q -Djavacpp.platform=linux-x86_64 test-compile surefire:test@default-test -Dtest=SoakTest -Djrnn.soak=long
 * </pre>
 */
class SoakTest {

    @Test
    void soak() throws Exception {
        boolean longRun = "long".equals(System.getProperty("jrnn.soak"));
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        if (longRun) {
            cmd.addAll(List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"));
        } else {
            // a fixed, pre-touched heap; and C1 only: C2's compiler arenas add a one-time step of ~12 MB to VmRSS a
            // few seconds in, which a run this short would count (C1 only: +0.2 MB over the same run)
            cmd.addAll(List.of("-Xms128m", "-Xmx128m", "-XX:+AlwaysPreTouch", "-XX:TieredStopAtLevel=1"));
        }
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        // Surefire's JVM may see only its booter jar on java.class.path; the real test classpath is this property
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Soak.class.getName()));
        cmd.addAll(longRun ? List.of("--forwards", "1e6", "--decodes", "1e4", "--max-growth-mb", "20")
                : List.of("--forwards", "5e4", "--decodes", "500", "--max-growth-mb", "10"));
        Path log = Files.createTempFile("jrnn-soak", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = p.waitFor(longRun ? 3600 : 300, TimeUnit.SECONDS);
        if (!finished) p.destroyForcibly().waitFor();
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        System.out.print(out);
        assertTrue(finished, "the soak took too long:\n" + out);
        assertEquals(0, p.exitValue(), "soak failed:\n" + out);
        assertTrue(out.contains("soak: PASS"), out);
    }
}
