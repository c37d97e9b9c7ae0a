package dev.holdfast.restore;

import java.util.LinkedHashMap;
import java.util.Map;

/** Wall time per phase of one restore, logged when it ends: where the time goes is what tuning needs. */
final class PhaseTimer {

    private final long started = System.nanoTime();
    private final Map<String, Long> phaseNanos = new LinkedHashMap<>();
    private long phaseMark = System.nanoTime();

    /** Charges the time since the previous lap to {@code phase}. */
    void lap(String phase) {
        long now = System.nanoTime();
        phaseNanos.merge(phase, now - phaseMark, Long::sum);
        phaseMark = now;
    }

    /**
     * Charges the time until {@code end} (a {@link System#nanoTime} reading) to {@code phase}, or, if that is
     * before the previous lap, the time until now.
     */
    void lapUntil(long end, String phase) {
        if (end > phaseMark) {
            phaseNanos.merge(phase, end - phaseMark, Long::sum);
            phaseMark = end;
        } else {
            lap(phase);
        }
    }

    /** Time since the restore started. */
    long elapsedNanos() {
        return System.nanoTime() - started;
    }

    /** "phase n ms, ..." in the order the phases first ran. */
    String summary() {
        StringBuilder sb = new StringBuilder();
        phaseNanos.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ")
                .append(k)
                .append(' ')
                .append(v / 1_000_000)
                .append(" ms"));
        return sb.toString();
    }
}
