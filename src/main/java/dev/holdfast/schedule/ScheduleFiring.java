package dev.holdfast.schedule;

import dev.holdfast.backup.BackupQueries;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Claims due schedules and starts their runs, on a connection the caller owns and inside the caller's
 * transaction. Plain JDBC on purpose: it is the exact SQL that makes firing safe across instances, and a test
 * can run it for a second, independent instance on its own connections.
 *
 * <p>Exactly once: a due row is taken with {@code FOR NO KEY UPDATE SKIP LOCKED} (an instance never waits for
 * another's claim, and never takes the same row) and its {@code next_run_at} is moved past {@code now} in the
 * same transaction that queues the run; if anything fails the transaction rolls back, and the slot stays due for
 * the next tick.
 */
public final class ScheduleFiring {

    /** What became of one claimed slot. */
    public enum Outcome {
        /** A backup was queued. */
        FIRED("fired"),
        /** The schedule's previous backup is still queued or running, so none was started. */
        SKIPPED_RUNNING("skipped_running"),
        /** The slot was due longer ago than the grace period (no instance ran): not run. */
        MISSED("missed"),
        /** The run could not be queued (its backup request no longer fits the configured sources, say). */
        FAILED("failed");

        private final String label;

        Outcome(String label) {
            this.label = label;
        }

        /** The metric tag value. */
        public String label() {
            return label;
        }
    }

    /** A claimed due schedule, as the launcher sees it. */
    public record Due(UUID id, String name, String cron, String timeZone, Instant slot, String backupRequestJson) {}

    /** The backup a launcher queued. */
    public record Launched(UUID backupId, UUID jobId) {}

    /** One claimed slot and what was done with it. */
    public record Result(
            UUID scheduleId,
            String name,
            Instant slot,
            Outcome outcome,
            Instant nextRunAt,
            UUID backupId,
            UUID jobId,
            UUID runningBackupId,
            String error) {}

    /** Queues a due schedule's backup on the claiming connection, in its transaction. */
    @FunctionalInterface
    public interface Launcher {
        /**
         * @throws Refused when the run cannot be queued as configured; the slot is then recorded as failed and
         *     the schedule moves on. Any other exception rolls the whole claim back.
         */
        Launched launch(Connection c, Due due) throws Exception;
    }

    /** The launcher's way of saying "this run cannot be queued", with the reason. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message);
        }
    }

    private static final String CLAIM = """
            SELECT id, name, cron, time_zone, next_run_at, backup_request::text
              FROM holdfast.schedule
             WHERE enabled AND next_run_at <= ?
             ORDER BY next_run_at, id
             LIMIT ?
               FOR NO KEY UPDATE SKIP LOCKED
            """;

    private static final String ADVANCE = """
            UPDATE holdfast.schedule
               SET next_run_at = ?, last_fired_at = COALESCE(?, last_fired_at),
                   last_backup_id = COALESCE(?, last_backup_id), version = version + 1
             WHERE id = ?
            """;

    private final Duration grace;
    private final int batchSize;

    public ScheduleFiring(Duration grace, int batchSize) {
        this.grace = grace;
        this.batchSize = batchSize;
    }

    /** Most rows one call claims; a full batch means more may be due. */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Claims up to {@link #batchSize()} schedules due at {@code now} and fires, skips or passes over each, moving
     * its {@code next_run_at} to its first slot after {@code now}. Runs in the caller's transaction on
     * {@code c}; the caller commits.
     */
    public List<Result> fireDue(Connection c, Instant now, Launcher launcher) throws Exception {
        List<Due> due = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
            ps.setObject(1, utc(now));
            ps.setInt(2, batchSize);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(new Due(
                            rs.getObject(1, UUID.class),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getObject(5, OffsetDateTime.class).toInstant(),
                            rs.getString(6)));
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
        try {
            next = CronSchedule.of(d.cron(), d.timeZone()).next(now).orElse(null);
        } catch (CronSchedule.Invalid e) {
            // Only a row edited behind the API's back gets here; it stops until it is corrected.
            advance(c, d.id(), null, null, null);
            return new Result(d.id(), d.name(), d.slot(), Outcome.FAILED, null, null, null, null, e.getMessage());
        }
        UUID running = running(c, d.id());
        if (running != null) {
            advance(c, d.id(), next, null, null);
            return new Result(d.id(), d.name(), d.slot(), Outcome.SKIPPED_RUNNING, next, null, null, running, null);
        }
        if (Duration.between(d.slot(), now).compareTo(grace) > 0) {
            advance(c, d.id(), next, null, null);
            return new Result(d.id(), d.name(), d.slot(), Outcome.MISSED, next, null, null, null, null);
        }
        Launched launched;
        try {
            launched = launcher.launch(c, d);
        } catch (Refused e) {
            advance(c, d.id(), next, null, null);
            return new Result(d.id(), d.name(), d.slot(), Outcome.FAILED, next, null, null, null, e.getMessage());
        }
        advance(c, d.id(), next, now, launched.backupId());
        return new Result(
                d.id(), d.name(), d.slot(), Outcome.FIRED, next, launched.backupId(), launched.jobId(), null, null);
    }

    private static UUID running(Connection c, UUID scheduleId) throws SQLException {
        return BackupQueries.activeOfSchedule(c, scheduleId);
    }

    private static void advance(Connection c, UUID id, Instant next, Instant firedAt, UUID backupId)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(ADVANCE)) {
            ps.setObject(1, next == null ? null : utc(next), Types.TIMESTAMP_WITH_TIMEZONE);
            ps.setObject(2, firedAt == null ? null : utc(firedAt), Types.TIMESTAMP_WITH_TIMEZONE);
            ps.setObject(3, backupId, Types.OTHER);
            ps.setObject(4, id);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("Schedule " + id + " vanished while claimed");
            }
        }
    }

    private static OffsetDateTime utc(Instant t) {
        return t.atOffset(ZoneOffset.UTC);
    }
}
