package io.jrnn;

import io.jrnn.internal.JrnnNative;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Library-wide facts and settings: version, the instruction-set path the kernels run, and the number of threads.
 *
 * <p>Thread safety: every method is safe from any thread; {@link #setThreads} waits for a running call that uses the
 * threads to finish first.
 */
public final class Jrnn {
    private Jrnn() {}

    /** The native library's version. */
    public static String version() {
        return JrnnNative.jrnn_version().getString();
    }

    /**
     * The instruction-set path the kernels run: {@code "avx512"} (AVX-512 F/BW/DQ/VL), {@code "avx2"} (AVX2 + FMA)
     * or {@code "ref"} (the portable scalar path). Chosen at load: the widest the CPU and OS support, unless the
     * environment variable {@code JRNN_ISA} names another ({@code ref}, {@code avx2}, {@code avx512}); naming one
     * this machine lacks makes loading fail with a message that lists what it supports.
     */
    public static String isa() {
        return JrnnNative.jrnn_isa_name(JrnnNative.jrnn_isa()).getString();
    }

    /** The paths this CPU and OS can run, narrowest first: always {@code "ref"}, then e.g. {@code "avx2"}, {@code "avx512"}. */
    public static List<String> supportedIsas() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < JrnnNative.jrnn_isa_count(); i++) {
            if (JrnnNative.jrnn_isa_supported(i) == 1) out.add(JrnnNative.jrnn_isa_name(i).getString());
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * The CPU features beyond an ISA's baseline that jrnn's kernels use, those this CPU and OS have: any of
     * {@code "avx512-vnni"}, {@code "avx512-bf16"}, {@code "avx-vnni"}, {@code "amx-bf16"}, {@code "amx-int8"} (AMX
     * only when the operating system granted the tile state). The {@link Precision#BF16} and {@link Precision#INT8}
     * products choose their instructions by them: on the {@code avx512} path, AMX tiles where present (bf16 at
     * every batch size, int8 from two rows), else {@code vdpbf16ps} / {@code vpdpbusd}.
     *
     * <p>On a CPU with AMX, jrnn asks Linux once for the process's permission to use the tile state
     * ({@code arch_prctl(ARCH_REQ_XCOMP_PERM)}). That permission is process-wide and makes every thread's signal
     * frames larger; the environment variable {@code JRNN_AMX=off} leaves it unasked (and the AMX routes off).
     */
    public static List<String> cpuFeatures() {
        String s = JrnnNative.jrnn_cpu_features().getString();
        return s.isEmpty() ? List.of() : List.of(s.split(" "));
    }

    /** Every path jrnn has, whether or not this machine can run it, narrowest first. */
    public static List<String> knownIsas() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < JrnnNative.jrnn_isa_count(); i++) out.add(JrnnNative.jrnn_isa_name(i).getString());
        return Collections.unmodifiableList(out);
    }

    /** Whether this CPU and OS can run the given path (one of {@link #knownIsas()}). */
    public static boolean isaSupported(String isa) {
        return JrnnNative.jrnn_isa_supported(isaCode(isa)) == 1;
    }

    /**
     * Sets how many threads one jrnn call may use, the calling thread included: a pool of {@code n - 1} worker threads,
     * created here once and kept for later calls. Default: one per processor this process may run on (its CPU
     * affinity), until the first call to this method.
     *
     * <p>What the threads do: a recurrent layer's matrix products and cell updates are split across them (each thread
     * owns a block of hidden units, whose weights then stay in its core's cache), and the two directions of a
     * bidirectional layer run at the same time. Small layers, whose steps are too short to be worth a hand-over
     * between threads, use only the calling thread; what counts as small depends on the weights' precision (a step of
     * INT8 weights is about a quarter of the work of FP32's) and on the batch size. A thread waiting for another spins
     * for as long as its waits have recently lasted (a hand-over takes ~50 ns between cores that share a cache and
     * ~500 ns between virtual CPUs a hypervisor placed on different dies) before it yields its processor. Results do not depend on the number of threads: every split
     * keeps the order of every sum, so outputs are identical to the last bit.
     *
     * <p>Idle threads spin for about 0.1 ms after a call (so back-to-back calls, such as streaming steps, find them
     * awake) and then sleep without using a processor. One call at a time uses the pool: a layer shared by several
     * Java threads stays correct when they call it at once, and a call that finds the pool busy runs on its own
     * thread only, rather than waiting for it.
     *
     * <p>OpenBLAS (the bytedeco copy this library loads, which the whole process shares) is set to one thread: jrnn
     * splits its products itself, and OpenBLAS's own threads would otherwise keep a core busy for ~0.1 s after every
     * call and compete with these.
     *
     * @param n the number of threads, at least 1; at most 256 are used
     * @throws IllegalArgumentException when {@code n < 1}
     * @throws IllegalStateException when the operating system refused to start the threads ({@link #threads()} then
     *     tells how many run)
     */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        if (JrnnNative.jrnn_set_threads(n) != JrnnNative.OK) {
            throw new IllegalStateException("could start only " + JrnnNative.jrnn_threads() + " of " + n + " threads");
        }
    }

    /** How many threads one call may use, the calling thread included (see {@link #setThreads}). */
    public static int threads() {
        return JrnnNative.jrnn_threads();
    }

    /**
     * Switches the kernel path for this process (tests compare both paths in one JVM). Not safe while other
     * threads run jrnn calls.
     */
    static void setIsa(String isa) {
        int code = isaCode(isa);
        if (JrnnNative.jrnn_set_isa(code) != JrnnNative.OK) {
            throw new IllegalArgumentException("ISA " + isa + " is not supported on this CPU; it supports " + supportedIsas());
        }
    }

    private static int isaCode(String isa) {
        for (int i = 0; i < JrnnNative.jrnn_isa_count(); i++) {
            if (JrnnNative.jrnn_isa_name(i).getString().equals(isa)) return i;
        }
        throw new IllegalArgumentException("ISA must be one of " + knownIsas() + ", got " + isa);
    }
}
