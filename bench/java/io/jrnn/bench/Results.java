package io.jrnn.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.openjdk.jmh.infra.BenchmarkParams;

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
    /** PrecisionBench's setup checks: deviation of each reduced-precision engine from ONNX Runtime fp32. */
    final Map<String, Engines.Deviation> deviations = new LinkedHashMap<>();
    /** Bytes of weights jrnn holds per case and precision ({@code RecurrentLayer.weightBytes()}), by "case/FP32". */
    final Map<String, Long> weightBytes = new LinkedHashMap<>();
    String mode = "";
    String torchStatus = "not run";
    /** How PyTorch's int8 layers ran (quantize_dynamic, which engine), or why not. */
    String torchQuantStatus = "not run";
    /** jrnn_profile's Markdown (machine limits, time per phase), or null. */
    String profile;
    String profileStatus = "not run";

    /**
     * The case part of a JMH configuration's key: its parameters besides threads, in JMH's (alphabetical) order,
     * joined by "/" (e.g. "lstm-b1" for RecurrentBench, "lstm-b1/INT8" for PrecisionBench), or null when it has
     * none.
     */
    static String caseKey(BenchmarkParams params) {
        List<String> values = new ArrayList<>();
        for (String p : params.getParamsKeys()) {
            if (!p.equals("threads")) values.add(params.getParam(p));
        }
        return values.isEmpty() ? null : String.join("/", values);
    }

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
