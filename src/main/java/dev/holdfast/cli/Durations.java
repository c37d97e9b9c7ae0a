package dev.holdfast.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people type them on the command line ({@code 90s}, {@code 30m}, {@code 2h}, {@code 1d}) and read them. */
final class Durations {
    private static final Pattern SHORT = Pattern.compile("(\\d{1,7})([smhd])");

    private Durations() {}

    /** Parses {@code 90s}, {@code 30m}, {@code 2h}, {@code 1d} or an ISO-8601 duration ({@code PT2H}). */
    static Duration parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        Matcher m = SHORT.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(text.strip().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + text + "' is no duration; write e.g. 90s, 30m, 2h or 1d");
        }
    }

    /** {@code 1h02m03s}, {@code 4m05s}, {@code 7s}. */
    static String text(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60);
        }
        if (s >= 60) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return s + "s";
    }
}
