package dev.holdfast.time;

import java.time.Instant;
import java.time.OffsetDateTime;

/** Reads the timestamps a native catalog query returns (the JDBC driver's type varies) as Unix seconds. */
public final class Timestamps {
    private Timestamps() {}

    /** Seconds since the epoch with millisecond precision; 0 for null (a gauge's "never"). */
    public static double epochSeconds(Object t) {
        return t == null ? 0 : instant(t).toEpochMilli() / 1000.0;
    }

    /** The timestamp as an instant, to the microsecond PostgreSQL keeps; null for null. */
    public static Instant instant(Object t) {
        if (t == null || t instanceof Instant) {
            return (Instant) t;
        }
        if (t instanceof OffsetDateTime o) {
            return o.toInstant();
        }
        if (t instanceof java.sql.Timestamp ts) {
            return ts.toInstant();
        }
        throw new IllegalStateException("Unexpected timestamp type " + t.getClass());
    }
}
