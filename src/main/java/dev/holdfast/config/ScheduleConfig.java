package dev.holdfast.config;

import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * How this instance fires backup schedules ({@code holdfast.schedules.*}); each key is also an environment
 * variable ({@code HOLDFAST_SCHEDULES_ENABLED}, ...). A group of {@link HoldfastConfig}, reached as
 * {@code config.schedules()}.
 */
public interface ScheduleConfig {

    /**
     * Whether this instance fires due schedules. Any number of instances may (each due run still starts
     * once); switch it off on replicas that should only serve the API. The schedule API works either way.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * How often this instance looks for due schedules, e.g. {@code 15s}: a run starts at most this long after
     * its slot. {@code off} stops the timer altogether (the tests fire schedules themselves).
     */
    @WithDefault("15s")
    String tickInterval();

    /**
     * How late a run may still start. A slot that was due longer ago than this (every instance was down) is
     * recorded as missed and not run; a later one is not run once per missed slot either, the schedule simply
     * moves on to its next slot.
     */
    @WithDefault("1h")
    Duration missedRunGrace();

    /** Most due schedules claimed in one transaction; more are taken in further transactions of the same tick. */
    @WithDefault("50")
    int claimBatchSize();
}
