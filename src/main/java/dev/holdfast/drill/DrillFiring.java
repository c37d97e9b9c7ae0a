package dev.holdfast.drill;

import dev.holdfast.schedule.CronSchedule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Claims due drill schedules and queues their drills on a connection the caller owns, inside the caller's
 * transaction: the claim of backup schedules ({@code dev.holdfast.schedule.ScheduleFiring}) applied to
 * {@code holdfast.drill_schedule}. A due row is taken with {@code FOR NO KEY UPDATE SKIP LOCKED} and its
 * {@code next_run_at} moved past {@code now} in the transaction that queues the drill, so each slot queues one
 * drill across all instances; if anything fails the whole claim rolls back and the slot stays due.
 *
 * <p>Unlike a backup, a late drill is still worth running: a slot missed while every instance was down is run
 * once when one comes back (inside the window), never once per missed slot.
 */
public final class DrillFiring {

    /** What became of one claimed slot. */
    public enum Outcome {
        /** A drill was queued. */
        FIRED,
        /** A drill of the source is still queued or running, so none was added. */
        SKIPPED_RUNNING,
        /** Due outside the source's window: moved to the window's next start. */
        DEFERRED,
        /** No drill could be queued (no successful backup, say). */
        FAILED
    }

    /** A claimed due drill schedule. */
    public record Due(String source, String cron, String timeZone, String window, Instant slot) {}

    /** One claimed slot and what was done with it. */
    public record Result(
            String source,
            Instant slot,
            Outcome outcome,
            Instant nextRunAt,
            UUID drillId,
            UUID runningDrillId,
            String error) {}

    /** Queues a drill of a due source on the claiming connection, in its transaction. */
    @FunctionalInterface
    public interface Launcher {
        /**
         * @return the drill queued
         * @throws Refused when no drill can be queued; the slot is recorded as failed and the schedule moves on.
         *     Any other exception rolls the whole claim back.
         */
        UUID launch(Connection c, Due due) throws Exception;
    }

    /** The launcher's "no drill can be queued", with the reason. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message);
        }
    }

    private static final String CLAIM = """
            SELECT source, cron, time_zone, drill_window, next_run_at
              FROM holdfast.drill_schedule
             WHERE next_run_at <= ?
             ORDER BY next_run_at, source
             LIMIT ?
               FOR NO KEY UPDATE SKIP LOCKED
            """;

    private static final String ADVANCE = """
            UPDATE holdfast.drill_schedule
               SET next_run_at = ?, last_fired_at = COALESCE(?, last_fired_at),
                   last_drill_id = COALESCE(?, last_drill_id)
             WHERE source = ?
            """;

    private static final String ACTIVE = "SELECT id FROM holdfast.drill_run WHERE source = ?"
            + " AND status IN ('QUEUED', 'RUNNING') ORDER BY created_at LIMIT 1";

    private final int batchSize;

    public DrillFiring(int batchSize) {
        this.batchSize = batchSize;
    }

    /** Most rows one call claims; a full batch means more may be due. */
    public int batchSize() {
        return batchSize;
    }

    /**
     * The first slot after {@code after} at which a drill may start: the cron's next slot, moved to the window's
     * next start when it falls outside the window; null when the cron never fires again.
     */
    public static Instant next(CronSchedule cron, DrillWindow window, Instant after) {
        Instant slot = cron.next(after).orElse(null);
        return slot == null || window == null ? slot : window.earliestFrom(slot);
    }

    /** The window of a stored row, or null. */
    static DrillWindow window(String text, String timeZone) {
        return text == null ? null : DrillWindow.parse(text, CronSchedule.zone(timeZone));
    }

    /**
     * Writes the configured drill schedules to the catalog: a new or changed one (cron, zone or window) gets its
     * next slot after {@code now}, an unchanged one keeps its slot, one no longer configured is removed.
     */
    public static void sync(Connection c, List<Due> configured, Instant now) throws SQLException {
        String[] names = configured.stream().map(Due::source).toArray(String[]::new);
        try (PreparedStatement ps =
                c.prepareStatement("DELETE FROM holdfast.drill_schedule WHERE NOT (source = ANY (?))")) {
            ps.setArray(1, c.createArrayOf("varchar", names));
            ps.executeUpdate();
        }
        for (Due d : configured) {
            CronSchedule cron = CronSchedule.of(d.cron(), d.timeZone());
            Instant next = next(cron, window(d.window(), d.timeZone()), now);
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO holdfast.drill_schedule (source, cron, time_zone, drill_window, next_run_at)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (source) DO UPDATE
                       SET cron = excluded.cron, time_zone = excluded.time_zone,
                           drill_window = excluded.drill_window, next_run_at = excluded.next_run_at,
                           updated_at = now()
                     WHERE (drill_schedule.cron, drill_schedule.time_zone, drill_schedule.drill_window)
                           IS DISTINCT FROM (excluded.cron, excluded.time_zone, excluded.drill_window)
                    """)) {
                ps.setString(1, d.source());
                ps.setString(2, cron.expression());
                ps.setString(3, d.timeZone());
                ps.setString(4, d.window());
                ps.setObject(5, next == null ? null : utc(next), Types.TIMESTAMP_WITH_TIMEZONE);
                ps.executeUpdate();
            }
        }
    }

    /**
     * Claims up to {@link #batchSize()} drill schedules due at {@code now} and fires, skips or defers each, moving
     * its {@code next_run_at} on. Runs in the caller's transaction on {@code c}; the caller commits.
     */
    public List<Result> fireDue(Connection c, Instant now, Launcher launcher) throws Exception {
        List<Due> due = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
            ps.setObject(1, utc(now));
            ps.setInt(2, batchSize);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(new Due(
                            rs.getString(1),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getObject(5, OffsetDateTime.class).toInstant()));
                }
            }
        }
        List<Result> results = new ArrayList<>(due.size());
        for (Due d : due) {
            results.add(handle(c, d, now, launcher));
        }
        return results;
    }

    private Result handle(Connection c, Due d, Instant now, Launcher launcher) throws Exception {
        Instant next;
        DrillWindow window;
        try {
            window = window(d.window(), d.timeZone());
            next = next(CronSchedule.of(d.cron(), d.timeZone()), window, now);
        } catch (IllegalArgumentException e) {
            // Only a row edited behind the service's back gets here; the next start-up rewrites it.
            advance(c, d.source(), null, null, null);
            return new Result(d.source(), d.slot(), Outcome.FAILED, null, null, null, e.getMessage());
        }
        if (window != null && !window.contains(now)) {
            // Claimed after its window closed (every instance was down, or the row was written before a window
            // was configured): it waits for the window's next start rather than running at the wrong time.
            Instant start = window.nextStart(now);
            advance(c, d.source(), start, null, null);
            return new Result(d.source(), d.slot(), Outcome.DEFERRED, start, null, null, null);
        }
        UUID running = active(c, d.source());
        if (running != null) {
            advance(c, d.source(), next, null, null);
            return new Result(d.source(), d.slot(), Outcome.SKIPPED_RUNNING, next, null, running, null);
        }
        UUID drill;
        try {
            drill = launcher.launch(c, d);
        } catch (Refused e) {
            advance(c, d.source(), next, null, null);
            return new Result(d.source(), d.slot(), Outcome.FAILED, next, null, null, e.getMessage());
        }
        advance(c, d.source(), next, now, drill);
        return new Result(d.source(), d.slot(), Outcome.FIRED, next, drill, null, null);
    }

    private static UUID active(Connection c, String source) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(ACTIVE)) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getObject(1, UUID.class) : null;
            }
        }
    }

    private static void advance(Connection c, String source, Instant next, Instant firedAt, UUID drillId)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(ADVANCE)) {
            ps.setObject(1, next == null ? null : utc(next), Types.TIMESTAMP_WITH_TIMEZONE);
            ps.setObject(2, firedAt == null ? null : utc(firedAt), Types.TIMESTAMP_WITH_TIMEZONE);
            ps.setObject(3, drillId, Types.OTHER);
            ps.setString(4, source);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("Drill schedule of " + source + " vanished while claimed");
            }
        }
    }

    private static OffsetDateTime utc(Instant t) {
        return t.atOffset(ZoneOffset.UTC);
    }
}
