package dev.holdfast.schedule;

import java.time.Duration;
import java.time.Period;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads durations the way the rest of the API writes them: a number with {@code s}, {@code m}, {@code h},
 * {@code d}, {@code w} or {@code y} ({@code 26h}, {@code 2d}), or ISO-8601 ({@code PT26H}, {@code P2D},
 * {@code P1W}). A year is 365 days and an ISO month 30 days, as an alert threshold needs no calendar.
 */
public final class Durations {
    private static final Pattern SHORT = Pattern.compile("(\\d{1,9})([smhdwy])");

    private Durations() {}

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException saying what is accepted
     */
    public static Duration parse(String text) {
        String s = text == null ? "" : text.strip();
        Duration d;
        try {
            Matcher m = SHORT.matcher(s);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                d = switch (m.group(2)) {
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    case "w" -> Duration.ofDays(7 * n);
                    default -> Duration.ofDays(365 * n);
                };
            } else if (s.toUpperCase(Locale.ROOT).contains("T")) {
                d = Duration.parse(s);
            } else {
                Period p = Period.parse(s);
                d = Duration.ofDays(p.getYears() * 365L + p.getMonths() * 30L + p.getDays());
            }
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException(invalid(text));
        }
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("'" + text + "' must be longer than zero");
        }
        return d;
    }

    private static String invalid(String text) {
        return "'" + text + "' is not a duration; write e.g. 26h, 2d, 1w or ISO-8601 such as PT26H or P2D";
    }
}
