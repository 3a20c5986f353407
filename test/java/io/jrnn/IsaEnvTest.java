package io.jrnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The ISA chosen at load: JRNN_ISA forces one (pom.xml runs this class once more with JRNN_ISA=ref); otherwise the
 * widest the CPU and OS support.
 */
class IsaEnvTest {

    @Test
    void isaFollowsTheEnvironmentAndTheCpu() {
        String forced = System.getenv("JRNN_ISA");
        List<String> supported = Jrnn.supportedIsas();
        String expected = forced != null && !forced.isEmpty() ? forced : supported.get(supported.size() - 1);
        assertEquals(expected, Jrnn.isa(), "JRNN_ISA=" + forced);
        assertEquals("ref", supported.get(0), "ref is always supported");
        assertTrue(Jrnn.knownIsas().containsAll(supported), "known " + Jrnn.knownIsas() + " vs supported " + supported);
    }

    /** The features the kernels pick routes by: known names only, AMX and AVX-512 extensions only with AVX-512. */
    @Test
    void cpuFeaturesAreKnownAndConsistent() {
        List<String> f = Jrnn.cpuFeatures();
        System.out.println("CPU features jrnn uses here: " + f);
        assertTrue(List.of("avx512-vnni", "avx512-bf16", "avx-vnni", "amx-bf16", "amx-int8").containsAll(f), f.toString());
        boolean avx512 = Jrnn.supportedIsas().contains("avx512");
        for (String x : f) {
            if (x.startsWith("avx512") || x.startsWith("amx")) assertTrue(avx512, x + " without avx512 support");
        }
        assertEquals(f.size(), f.stream().distinct().count(), f.toString());
    }

    /** A JVM started with JRNN_ISA naming no ISA jrnn has, or one this machine lacks, refuses to load jrnn. */
    @Test
    void anIsaTheMachineCannotRunIsRefusedAtLoad() throws Exception {
        List<String> names = new ArrayList<>(List.of("avx1024"));
        for (String isa : Jrnn.knownIsas()) {
            if (!Jrnn.supportedIsas().contains(isa)) names.add(isa);
            else System.out.println("note: this CPU supports " + isa + ": refusing it cannot be tested here");
        }
        for (String isa : names) {
            String out = probe(isa);
            assertTrue(out.contains("JRNN_ISA=" + isa) && out.contains("this machine supports: ref"),
                    "JRNN_ISA=" + isa + ": expected a refusal listing the supported ISAs, got:\n" + out);
        }
        assertEquals("ISA " + Jrnn.isa(), probe(Jrnn.isa()).strip(), "naming the default explicitly");
    }

    /** JRNN_AMX=off: no AMX in a fresh JVM's features, everything else as here. */
    @Test
    void amxCanBeTurnedOff() throws Exception {
        String out = probe(Jrnn.isa(), "off").strip();
        List<String> want = new ArrayList<>(Jrnn.cpuFeatures());
        want.removeIf(f -> f.startsWith("amx"));
        assertEquals("ISA " + Jrnn.isa() + "\nfeatures " + want, out.replace("\r", ""));
        if (!Jrnn.cpuFeatures().contains("amx-int8")) System.out.println("note: no AMX here: JRNN_AMX=off changes nothing");
    }

    /** Runs IsaProbe in a fresh JVM with JRNN_ISA set; returns what it printed (stdout and stderr). */
    private static String probe(String isa) throws Exception {
        return probe(isa, null);
    }

    private static String probe(String isa, String amx) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), IsaProbe.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JRNN_ISA", isa);
        if (amx != null) pb.environment().put("JRNN_AMX", amx);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish");
        return out;
    }

    /** Prints the ISA jrnn runs, or lets the load failure escape. */
    static final class IsaProbe {
        public static void main(String[] args) {
            System.out.println("ISA " + Jrnn.isa());
            if (System.getenv("JRNN_AMX") != null) System.out.println("features " + Jrnn.cpuFeatures());
        }
    }

    @Test
    void versionIsReported() {
        assertEquals("0.1.0", Jrnn.version());
    }
}
