package dev.holdfast.time;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Instant;

/**
 * The service's one wall clock: cron firing, retention ages, overdue checks and every timestamp the service
 * writes itself (ClockSourceTest keeps it the only one). A bean rather than {@code Instant.now()} so that tests
 * can move time with {@code QuarkusMock}; plain engines are handed its {@link #clock()}. The job queue's leases
 * keep using the database clock ({@code now()} in SQL), which every instance shares.
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
