package dev.holdfast.retention;

import dev.holdfast.time.TimeSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/** A clock tests set and move, installed with {@code QuarkusMock.installMockForType(time, TimeSource.class)}. */
public class MovableTime extends TimeSource {
    private volatile Instant now;

    public MovableTime(Instant start) {
        this.now = start;
    }

    @Override
    public Instant now() {
        return now;
    }

    @Override
    public Clock clock() {
        return Clock.fixed(now, ZoneOffset.UTC);
    }

    /** Moves the clock forward. */
    public void advance(Duration d) {
        now = now.plus(d);
    }
}
