package io.jrnn;

import java.util.ArrayList;
import java.util.List;

/**
 * The kernel paths a test runs on: every ISA this CPU and OS support, widest first, ref always. The first call
 * prints the ones this machine lacks, so a test run says which paths it did not cover.
 */
final class Isas {
    private Isas() {}

    private static List<String> supported;

    static synchronized List<String> all() {
        if (supported == null) {
            List<String> list = new ArrayList<>(Jrnn.supportedIsas());
            java.util.Collections.reverse(list);
            for (String isa : Jrnn.knownIsas()) {
                if (!list.contains(isa)) {
                    System.out.println("note: this CPU/OS lacks " + isa + ": tests do not run its kernels here");
                }
            }
            supported = List.copyOf(list);
        }
        return supported;
    }

    /** Runs body with the kernel path switched to isa and returns its result, then switches back. */
    static <T> T withResult(String isa, java.util.function.Supplier<T> body) {
        String before = Jrnn.isa();
        Jrnn.setIsa(isa);
        try {
            return body.get();
        } finally {
            Jrnn.setIsa(before);
        }
    }

    /** Runs body with the kernel path switched to isa, then switches back. */
    static void with(String isa, Runnable body) {
        String before = Jrnn.isa();
        Jrnn.setIsa(isa);
        try {
            body.run();
        } finally {
            Jrnn.setIsa(before);
        }
    }
}
