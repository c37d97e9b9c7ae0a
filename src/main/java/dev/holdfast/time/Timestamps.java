package dev.holdfast.time;

import java.time.Instant;
import java.time.OffsetDateTime;

/** Reads the timestamps a native catalog query returns (the JDBC driver's type varies) as Unix seconds. */
public final class Timestamps {
    private Timestamps() {}

    /** Seconds since the epoch with millisecond precision; 0 for null (a gauge's "never"). */
    public static double epochSeconds(Object t) {
        if (t == null) {
            return 0;
        }
        if (t instanceof Instant i) {
            return i.toEpochMilli() / 1000.0;
        }
        if (t instanceof OffsetDateTime o) {
            return o.toInstant().toEpochMilli() / 1000.0;
        }
        if (t instanceof java.sql.Timestamp ts) {
            return ts.getTime() / 1000.0;
        }
        throw new IllegalStateException("Unexpected timestamp type " + t.getClass());
    }
}
