package dev.holdfast.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * A clock tests set and move by hand; install it with
 * {@code QuarkusMock.installMockForType(new MovableTime(t), TimeSource.class)}.
 */
public class MovableTime extends TimeSource {
    private volatile Instant now;

    public MovableTime(Instant start) {
        this.now = start;
    }

    public MovableTime set(Instant t) {
        now = t;
        return this;
    }

    public MovableTime advance(Duration d) {
        now = now.plus(d);
        return this;
    }

    @Override
    public Instant now() {
        return now;
    }

    @Override
    public Clock clock() {
        return Clock.fixed(now, ZoneOffset.UTC);
    }
}
