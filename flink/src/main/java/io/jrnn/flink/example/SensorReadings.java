package io.jrnn.flink.example;

import io.jrnn.flink.Event;

/**
 * The example's synthetic per-device sensor process, the one python/train_sensor_anomaly.py trains on (the same
 * integer hash per draw, so the two agree to float rounding): each device has its own frequency, phase and level;
 * three noisy channels (a temperature-like sine, a vibration-like cosine, a pressure-like level); in blocks of 16
 * steps, 8% of the blocks hold an anomaly of 3 to 6 steps of one of three kinds (a temperature jump, an amplified
 * inverted vibration, a pressure burst). A reading is a pure function of (device, step): a generated source that
 * replays after a failure replays the same events.
 *
 * <p>Thread safety: stateless.
 */
public final class SensorReadings {
    private SensorReadings() {}

    static final int BLOCK = 16;
    static final double P_ANOMALY = 0.08;

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A uniform draw in [0, 1) fixed by (device, t, salt). */
    static double u(long device, long t, long salt) {
        long z = mix(device * 0x9E3779B97F4A7C15L + t * 0xD1B54A32D192ED03L + salt * 0x8CB92BA72F3D8DD7L);
        return (z >>> 11) / (double) (1L << 53);
    }

    /** Whether device's step t is part of an anomaly. */
    public static boolean anomalous(long device, long t) {
        long block = t / BLOCK;
        if (u(device, block, 4) >= P_ANOMALY) return false;
        int start = 4 + (int) (u(device, block, 5) * 6), length = 3 + (int) (u(device, block, 6) * 4);
        long pos = t % BLOCK;
        return start <= pos && pos < start + length;
    }

    /** The three channels of device at step t. */
    public static float[] features(long device, long t) {
        double freq = 0.02 + 0.08 * u(device, 0, 1), phase = 2 * Math.PI * u(device, 0, 2), level = 2 * u(device, 0, 3) - 1;
        double a = 2 * Math.PI * freq * t + phase;
        double x0 = Math.sin(a) + 0.2 * (u(device, t, 11) - 0.5);
        double x1 = 0.5 * Math.cos(a) + 0.2 * (u(device, t, 12) - 0.5);
        double x2 = level + 0.1 * (u(device, t, 13) - 0.5);
        if (anomalous(device, t)) {
            int kind = (int) (u(device, t / BLOCK, 7) * 3);
            if (kind == 0) x0 += 1.5;
            else if (kind == 1) x1 *= -3.0;
            else x2 += 4.0 * (u(device, t, 14) - 0.5);
        }
        return new float[] {(float) x0, (float) x1, (float) x2};
    }

    /** The event of device at step t, keyed "device-&lt;id&gt;". */
    public static Event event(long device, long t) {
        return new Event("device-" + device, t, features(device, t));
    }

    /**
     * The i-th event of a stream over {@code devices} devices that all report once per round, round after round:
     * device {@code i % devices}, step {@code i / devices}.
     */
    public static Event nth(long i, long devices) {
        return event(i % devices, i / devices);
    }
}
