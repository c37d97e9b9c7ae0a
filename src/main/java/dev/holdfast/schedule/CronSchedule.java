package dev.holdfast.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A five-field Unix cron expression read on the wall clock of an IANA time zone, with one rule for daylight
 * saving changes: every matching wall-clock time runs exactly once. A time the spring-forward change skips
 * runs as far after the change as it was after the hour that vanished ({@code 02:30} becomes {@code 03:30}
 * CEST); a time the fall-back change repeats runs at its first occurrence only.
 *
 * <p>cron-utils parses the expression and walks the wall clock (evaluated in UTC, which has no DST); the
 * time-zone mapping is done here because cron-utils' own zone handling runs a fixed time twice on the
 * fall-back night (02:30 CEST, then 02:30 CET) and drops it on the spring-forward night.
 */
public final class CronSchedule {
    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final Set<String> ZONES = ZoneId.getAvailableZoneIds();
    /** How far ahead a cron must fire at least once to be accepted (covers Feb 29 and every weekday combination). */
    private static final Duration HORIZON = Duration.ofDays(366 * 8 + 2);

    private final String expression;
    private final ZoneId zone;
    private final ExecutionTime execution;

    private CronSchedule(String expression, ZoneId zone, ExecutionTime execution) {
        this.expression = expression;
        this.zone = zone;
        this.execution = execution;
    }

    /** A cron or zone that cannot be used, with the request field it came from and what is wrong. */
    public static final class Invalid extends IllegalArgumentException {
        private final String field;

        Invalid(String field, String message) {
            super(message);
            this.field = field;
        }

        /** {@code cron} or {@code time_zone}. */
        public String field() {
            return field;
        }
    }

    /**
     * Parses an expression read in a zone.
     *
     * @throws Invalid naming {@code cron} or {@code time_zone}
     */
    public static CronSchedule of(String cron, String timeZone) {
        ZoneId zone = zone(timeZone);
        String expr = cron == null ? "" : cron.strip().replaceAll("\\s+", " ");
        Cron parsed;
        try {
            parsed = PARSER.parse(expr).validate();
        } catch (IllegalArgumentException e) {
            String reason = e.getMessage() == null
                    ? "unparsable"
                    : e.getMessage()
                            .replace("Failed to parse cron expression. ", "")
                            .replace("Cron expression contains", "it has")
                            .replace("parts but we expect one of [5]", "fields, not 5");
            throw new Invalid(
                    "cron",
                    "'" + cron + "' is not a five-field Unix cron expression (minute hour "
                            + "day-of-month month day-of-week, e.g. '0 2 * * *'): " + reason);
        }
        return new CronSchedule(expr, zone, ExecutionTime.forCron(parsed));
    }

    /**
     * Parses an expression and checks that it fires at all after {@code now}, as a schedule being saved must.
     *
     * @throws Invalid naming {@code cron} or {@code time_zone}
     */
    public static CronSchedule firing(String cron, String timeZone, Instant now) {
        CronSchedule s = of(cron, timeZone);
        Optional<Instant> first = s.next(now);
        if (first.isEmpty() || first.get().isAfter(now.plus(HORIZON))) {
            throw new Invalid("cron", "'" + cron + "' never fires (no matching date in the next 8 years)");
        }
        return s;
    }

    /**
     * The expression in English words ("at 02:30 every day"), for people reading a schedule; the expression itself
     * stays what runs. An expression that does not parse is described as such rather than refused.
     */
    public static String describe(String cron) {
        try {
            return com.cronutils.descriptor.CronDescriptor.instance(java.util.Locale.ENGLISH)
                    .describe(PARSER.parse(cron));
        } catch (IllegalArgumentException e) {
            return "not a valid cron expression";
        }
    }

    /**
     * An IANA zone id such as {@code Europe/Berlin} or {@code UTC}; offsets like {@code +02:00} are refused,
     * as they know no daylight saving time.
     *
     * @throws Invalid naming {@code time_zone}
     */
    public static ZoneId zone(String timeZone) {
        if (timeZone == null || !ZONES.contains(timeZone)) {
            throw new Invalid(
                    "time_zone",
                    "'" + timeZone + "' is not an IANA time zone; use a name such as "
                            + "Europe/Berlin, America/New_York or UTC");
        }
        return ZoneId.of(timeZone);
    }

    /** The expression, with its fields separated by single spaces. */
    public String expression() {
        return expression;
    }

    public ZoneId zone() {
        return zone;
    }

    /** The first slot strictly after {@code after}; empty when the expression never matches again. */
    public Optional<Instant> next(Instant after) {
        ZoneRules rules = zone.getRules();
        ZonedDateTime here = after.atZone(zone);
        LocalDateTime cursor = here.toLocalDateTime();
        ZoneOffsetTransition repeated = rules.getTransition(cursor);
        if (repeated != null && repeated.isOverlap() && here.getOffset().equals(repeated.getOffsetAfter())) {
            // In the repeated hour's second pass every wall-clock time of that hour has run already.
            cursor = repeated.getDateTimeBefore().minusSeconds(1);
        }
        Instant best = wallClockNext(cursor).map(this::toInstant).orElse(null);

        // Shortly after a spring-forward change, slots from the skipped hour may still be pending.
        ZoneOffsetTransition last = rules.previousTransition(after.plusNanos(1));
        if (last != null
                && last.isGap()
                && !after.isBefore(last.getInstant())
                && after.isBefore(last.getInstant().plus(last.getDuration()))) {
            LocalDateTime asIfUnchanged = after.atOffset(last.getOffsetBefore()).toLocalDateTime();
            Optional<LocalDateTime> skipped = wallClockNext(asIfUnchanged);
            if (skipped.isPresent() && skipped.get().isBefore(last.getDateTimeAfter())) {
                Instant candidate =
                        skipped.get().atOffset(last.getOffsetBefore()).toInstant();
                if (best == null || candidate.isBefore(best)) {
                    best = candidate;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** The next {@code n} slots after {@code after}, as times in the schedule's zone. */
    public List<OffsetDateTime> nextRuns(Instant after, int n) {
        List<OffsetDateTime> out = new ArrayList<>(n);
        Instant t = after;
        for (int i = 0; i < n; i++) {
            Optional<Instant> next = next(t);
            if (next.isEmpty()) {
                break;
            }
            t = next.get();
            out.add(t.atZone(zone).toOffsetDateTime());
        }
        return out;
    }

    /** The longest time between two consecutive slots among the next {@code n} after {@code after}. */
    public Duration longestGap(Instant after, int n) {
        List<OffsetDateTime> runs = nextRuns(after, n);
        Duration longest = Duration.ZERO;
        for (int i = 1; i < runs.size(); i++) {
            Duration gap = Duration.between(runs.get(i - 1), runs.get(i));
            if (gap.compareTo(longest) > 0) {
                longest = gap;
            }
        }
        return longest;
    }

    /** The next wall-clock time strictly after {@code local} that the expression matches. */
    private Optional<LocalDateTime> wallClockNext(LocalDateTime local) {
        return execution.nextExecution(local.atZone(ZoneOffset.UTC)).map(ZonedDateTime::toLocalDateTime);
    }

    /** A wall-clock time in the zone: skipped times move forward by the gap, repeated ones take the first pass. */
    private Instant toInstant(LocalDateTime local) {
        ZoneOffsetTransition t = zone.getRules().getTransition(local);
        if (t != null && t.isGap()) {
            return local.atOffset(t.getOffsetBefore()).toInstant();
        }
        return ZonedDateTime.ofLocal(local, zone, null)
                .withEarlierOffsetAtOverlap()
                .toInstant();
    }
}
