package io.jrnn;

import io.jrnn.internal.JrnnNative;

/**
 * Library-wide facts and settings: version and the instruction-set path the kernels run.
 *
 * <p>Thread safety: the queries are safe from any thread.
 */
public final class Jrnn {
    private Jrnn() {}

    /** The native library's version. */
    public static String version() {
        return JrnnNative.jrnn_version().getString();
    }

    /**
     * The instruction-set path the kernels run: {@code "avx2"} (AVX2 + FMA, chosen at load when the CPU and OS
     * support it) or {@code "ref"} (the portable scalar path; forced with the environment variable
     * {@code JRNN_ISA=ref}).
     */
    public static String isa() {
        return JrnnNative.jrnn_isa() == JrnnNative.ISA_AVX2 ? "avx2" : "ref";
    }

    /**
     * Sets how many threads the kernels use (the calling thread included): jrnn's persistent pool and OpenBLAS's
     * thread count together, so they never oversubscribe the cores. Default: the available processors.
     *
     * @param n at least 1
     */
    public static void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        if (JrnnNative.jrnn_set_threads(n) != JrnnNative.OK) {
            throw new IllegalStateException("could start only " + threads() + " of " + n + " threads");
        }
    }

    /** The number of threads the kernels use. */
    public static int threads() {
        return JrnnNative.jrnn_threads();
    }

    /** Whether this CPU and OS can run the given path ({@code "ref"} or {@code "avx2"}). */
    public static boolean isaSupported(String isa) {
        return JrnnNative.jrnn_isa_supported(isaCode(isa)) == 1;
    }

    /**
     * Switches the kernel path for this process (tests compare both paths in one JVM). Not safe while other
     * threads run jrnn calls.
     */
    static void setIsa(String isa) {
        int code = isaCode(isa);
        if (JrnnNative.jrnn_set_isa(code) != JrnnNative.OK) {
            throw new IllegalArgumentException("ISA " + isa + " is not supported on this CPU");
        }
    }

    private static int isaCode(String isa) {
        if ("ref".equals(isa)) return JrnnNative.ISA_REF;
        if ("avx2".equals(isa)) return JrnnNative.ISA_AVX2;
        throw new IllegalArgumentException("ISA must be \"ref\" or \"avx2\", got " + isa);
    }
}
