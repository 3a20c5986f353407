package io.jrnn.bench;

import java.util.Map;

/**
 * Ends a JMH fork that outlives its budget ({@code -Djrnn.bench.forkLimit} seconds, set by {@link RunAll}): a native
 * call that never returns (a deadlocked thread pool, say) can be neither interrupted nor timed out by JMH, and would
 * stall the whole run. The watchdog prints every Java thread's stack, then halts the fork; JMH records that
 * configuration as failed and goes on with the next, and RunAll reports it.
 */
final class Watchdog {
    private Watchdog() {}

    private static boolean started;

    /** Starts the fork's watchdog once (later calls do nothing); no limit set means no watchdog. */
    static synchronized void start(String what) {
        if (started) return;
        started = true;
        long limit = Long.getLong("jrnn.bench.forkLimit", 0);
        if (limit <= 0) return;
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(limit * 1000);
            } catch (InterruptedException e) {
                return;
            }
            StringBuilder sb = new StringBuilder("\n[watchdog] " + what + ": the fork ran past its limit of " + limit
                    + " s (hung?); Java threads:\n");
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                sb.append("  \"").append(e.getKey().getName()).append("\" ").append(e.getKey().getState()).append('\n');
                for (StackTraceElement s : e.getValue()) sb.append("      at ").append(s).append('\n');
            }
            System.err.println(sb);
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }, "jrnn-bench-watchdog");
        t.setDaemon(true);
        t.start();
    }
}
