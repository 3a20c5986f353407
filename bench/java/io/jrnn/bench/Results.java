package io.jrnn.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Everything one {@link RunAll} run measured, keyed by engine or benchmark, case and thread count. */
final class Results {
    /** One JMH configuration: ms per call (median and mean of the iterations), Java heap bytes per call. */
    record Measured(double medianMs, double meanMs, double errorMs, long iterations, double allocBytes) {}

    /** One PyTorch measurement: median ms of single calls, and how far its hn is from jrnn's (null: unchecked). */
    record Torch(double medianMs, int runs, Double maxDiffVsJrnn) {}

    final Map<String, Measured> jmh = new LinkedHashMap<>();
    final Map<String, Torch> torch = new LinkedHashMap<>();
    final Map<String, String> machine = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    /** Two-thread trials: cache-line round trip between two threads at the trial's start and end (HostProbe). */
    final Map<String, String> probes = new LinkedHashMap<>();
    String mode = "";
    String torchStatus = "not run";
    /** jrnn_profile's Markdown (machine limits, time per phase), or null. */
    String profile;
    String profileStatus = "not run";

    static String key(String what, String caseName, int threads) {
        return what + ":" + (caseName == null ? "" : caseName) + ":" + threads;
    }

    Measured get(String what, String caseName, int threads) {
        return jmh.get(key(what, caseName, threads));
    }

    Torch torch(String what, String caseName, int threads) {
        return torch.get(key(what, caseName, threads));
    }
}
