package dev.holdfast.time;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Instant;

/**
 * The clock for scheduled work (cron firing, retention ages, overdue checks). A bean rather than
 * {@code Instant.now()} so that tests can move time with {@code QuarkusMock}; the job queue's
 * leases keep using the database clock, which every instance shares.
 */
@ApplicationScoped
public class TimeSource {

    /** The current instant. */
    public Instant now() {
        return clock().instant();
    }

    /** A clock reading the same time as {@link #now()}, in UTC. */
    public Clock clock() {
        return Clock.systemUTC();
    }
}
