package dev.holdfast.drill;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A daily wall-clock window ({@code HH:MM-HH:MM} in a time zone) scheduled drills may start in; one whose end is
 * before its start wraps midnight ({@code 22:00-04:00}). The start is inside, the end is not.
 */
public record DrillWindow(LocalTime start, LocalTime end, ZoneId zone) {
    private static final Pattern SHAPE = Pattern.compile("(\\d{2}:\\d{2})-(\\d{2}:\\d{2})");

    public DrillWindow {
        if (start.equals(end)) {
            throw new IllegalArgumentException("a window's start and end must differ");
        }
    }

    /**
     * Parses {@code HH:MM-HH:MM}.
     *
     * @throws IllegalArgumentException saying what is accepted
     */
    public static DrillWindow parse(String text, ZoneId zone) {
        Matcher m = SHAPE.matcher(text == null ? "" : text.strip());
        try {
            if (m.matches()) {
                return new DrillWindow(LocalTime.parse(m.group(1)), LocalTime.parse(m.group(2)), zone);
            }
        } catch (DateTimeParseException e) {
            // reported below with the accepted shape
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "': " + e.getMessage());
        }
        throw new IllegalArgumentException("'" + text + "' must be a window HH:MM-HH:MM such as 01:00-05:00");
    }

    /** Whether a drill may start at {@code t}. */
    public boolean contains(Instant t) {
        LocalTime lt = t.atZone(zone).toLocalTime();
        return start.isBefore(end) ? !lt.isBefore(start) && lt.isBefore(end) : !lt.isBefore(start) || lt.isBefore(end);
    }

    /** The first start of the window strictly after {@code after} (a start a DST change skips moves forward). */
    public Instant nextStart(Instant after) {
        ZonedDateTime here = after.atZone(zone);
        ZonedDateTime candidate = ZonedDateTime.of(here.toLocalDate(), start, zone);
        if (!candidate.toInstant().isAfter(after)) {
            candidate = ZonedDateTime.of(here.toLocalDate().plusDays(1), start, zone);
        }
        return candidate.toInstant();
    }

    /** {@code t} itself when inside the window, else the window's next start. */
    public Instant earliestFrom(Instant t) {
        return contains(t) ? t : nextStart(t);
    }

    @Override
    public String toString() {
        return start + "-" + end;
    }
}
