package dev.holdfast.web;

import io.quarkus.qute.TemplateExtension;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How the pages write sizes, times and ages: {fmt:bytes(n)}, {fmt:when(t)}, {fmt:ago(t)}, {fmt:millis(ms)}. */
@TemplateExtension(namespace = "fmt")
public final class Formats {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'");

    private Formats() {}

    /** 1536 → "1.5 KiB". */
    static String bytes(Long n) {
        if (n == null) {
            return "–";
        }
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** An Instant or OffsetDateTime as a UTC minute. */
    static String when(Object t) {
        Instant i = instant(t);
        return i == null ? "–" : WHEN.format(i.atOffset(ZoneOffset.UTC));
    }

    /** An Instant or OffsetDateTime as an age: "3 h 5 min ago". */
    static String ago(Object t) {
        Instant i = instant(t);
        return i == null ? "never" : age(Duration.between(i, Instant.now())) + " ago";
    }

    private static Instant instant(Object t) {
        return t instanceof OffsetDateTime o ? o.toInstant() : t instanceof Instant i ? i : null;
    }

    /** 93 minutes → "1 h 33 min". */
    static String age(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 90) {
            return s + " s";
        }
        if (s < 5400) {
            return (s / 60) + " min";
        }
        if (s < 172800) {
            return (s / 3600) + " h " + (s % 3600 / 60) + " min";
        }
        return (s / 86400) + " days";
    }

    static String millis(Long ms) {
        return ms == null ? "–" : age(Duration.ofMillis(ms));
    }
}
