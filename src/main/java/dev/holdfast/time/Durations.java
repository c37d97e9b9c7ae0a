package dev.holdfast.time;

import java.time.Duration;
import java.time.Period;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.spi.Converter;

/**
 * The one parser of durations, shared by configuration and API (retention ages, schedule alert thresholds): {@code 45s}, {@code 90m}, {@code 12h},
 * {@code 30d}, {@code 2w}, {@code 1y} or ISO-8601 ({@code P30D}, {@code PT12H}, {@code P1Y2M}, {@code P1DT6H}).
 * Calendar units are fixed lengths, so that an age never depends on the calendar: a week is 7 days, an ISO month
 * ({@code P1M}) 30 days and a year 365 days. Note {@code m} is minutes; months exist only in the ISO form.
 */
public final class Durations {
    /** Every accepted form, as a regex for validation annotations (a compile-time constant, so usable in them). */
    public static final String PATTERN = "^(\\d{1,6}[smhdwy]|P[0-9YMWDTHS.]+)$";

    private static final Pattern ACCEPTED = Pattern.compile(PATTERN);
    private static final Pattern SHORT = Pattern.compile("(\\d{1,6})([smhdwy])");
    public static final String EXPECTED = "must be a duration such as 30d, 12h, 2w, 1y or ISO-8601 P30D";

    private Durations() {}

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException naming what is accepted, when {@code text} is not a duration
     */
    public static Duration parse(String text) {
        String s = text == null ? "" : text.strip();
        if (!ACCEPTED.matcher(s).matches()) {
            throw new IllegalArgumentException("'" + text + "' " + EXPECTED);
        }
        Matcher m = SHORT.matcher(s);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                case "w" -> Duration.ofDays(7 * n);
                default -> Duration.ofDays(365 * n);
            };
        }
        try {
            int t = s.indexOf('T');
            String datePart = t < 0 ? s : s.substring(0, t);
            String timePart = t < 0 ? "" : s.substring(t + 1);
            if (datePart.length() == 1 && timePart.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "' " + EXPECTED);
            }
            Duration d = Duration.ZERO;
            if (datePart.length() > 1) {
                Period p = Period.parse(datePart);
                d = d.plusDays(365L * p.getYears() + 30L * p.getMonths() + p.getDays());
            }
            if (t >= 0) {
                d = d.plus(Duration.parse("PT" + timePart));
            }
            return d;
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' " + EXPECTED);
        }
    }

    /** Whether {@code text} is an accepted duration. */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The shortest accepted spelling of a duration: {@code 30d}, {@code 12h}, {@code 90m}, {@code 45s}, or ISO. */
    public static String format(Duration d) {
        long seconds = d.getSeconds();
        if (d.getNano() == 0 && seconds >= 0) {
            long[] units = {86_400, 3_600, 60, 1};
            String[] names = {"d", "h", "m", "s"};
            for (int i = 0; i < units.length; i++) {
                if (seconds % units[i] == 0 && seconds / units[i] <= 999_999) {
                    return seconds / units[i] + names[i];
                }
            }
        }
        return d.toString();
    }

    /** Reads configuration values in any accepted spelling (Quarkus' own converter knows neither w nor y). */
    public static class ConfigConverter implements Converter<Duration> {
        private static final long serialVersionUID = 1L;

        @Override
        public Duration convert(String value) {
            return value == null || value.isBlank() ? null : parse(value);
        }
    }
}
