package dev.holdfast.stats;

import dev.holdfast.restore.RestoreOperations;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Aggregates over the backup catalog for statistics, gauges and health: plain SQL, each a single
 * read-only query, so that the figures are the cluster's (every instance reads the same catalog).
 */
@ApplicationScoped
public class CatalogStats {
    /** The schedule label of backups no schedule created (API, CLI, pre-restore). */
    public static final String NO_SCHEDULE = "none";

    // A backup covers several sources; source_names is ',a,b,' so unnest gives one row per source.
    private static final String SOURCES = "unnest(string_to_array(trim(both ',' from b.source_names), ','))";

    @Inject
    AgroalDataSource dataSource;

    @Inject
    RestoreOperations restores;

    /** Outcomes of the backups of one source, schedule and type. */
    public record BackupOutcome(
            String source,
            String schedule,
            String type,
            Instant lastSuccess,
            Instant lastFailure,
            Long lastSuccessSize,
            UUID lastSuccessId,
            String lastError,
            long succeeded,
            long failed,
            long storedBytes) {}

    /** Outcomes per source, schedule (name, or {@link #NO_SCHEDULE}) and backup type. */
    public List<BackupOutcome> backupOutcomes() {
        return query(
                """
                SELECT src, coalesce(s.name, '%s'), b.backup_type,
                       max(b.finished_at) FILTER (WHERE b.status = 'SUCCEEDED'),
                       max(b.finished_at) FILTER (WHERE b.status = 'FAILED'),
                       (array_agg(b.size_bytes ORDER BY b.finished_at DESC) FILTER (WHERE b.status = 'SUCCEEDED'))[1],
                       (array_agg(b.id ORDER BY b.finished_at DESC) FILTER (WHERE b.status = 'SUCCEEDED'))[1],
                       (array_agg(b.error ORDER BY b.finished_at DESC) FILTER (WHERE b.status = 'FAILED'))[1],
                       count(*) FILTER (WHERE b.status = 'SUCCEEDED'),
                       count(*) FILTER (WHERE b.status = 'FAILED'),
                       coalesce(sum(b.size_bytes) FILTER (WHERE b.status = 'SUCCEEDED'), 0)
                FROM holdfast.backup b LEFT JOIN holdfast.schedule s ON s.id = b.schedule_id, %s AS src
                GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""".formatted(NO_SCHEDULE, SOURCES),
                rs -> new BackupOutcome(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        instant(rs, 4),
                        instant(rs, 5),
                        (Long) rs.getObject(6),
                        (UUID) rs.getObject(7),
                        rs.getString(8),
                        rs.getLong(9),
                        rs.getLong(10),
                        rs.getLong(11)));
    }

    /** Outcomes of the restores (dry runs left out) of one source in one mode. */
    public record RestoreOutcome(String source, String mode, Instant lastSuccess, Instant lastFailure) {}

    public List<RestoreOutcome> restoreOutcomes() {
        return restores.outcomes().stream()
                .map(o -> new RestoreOutcome(o.source(), o.mode(), o.lastSuccess(), o.lastFailure()))
                .toList();
    }

    /** When the backups of a source were last verified successfully and unsuccessfully. */
    public record VerifyOutcome(String source, Instant lastSuccess, Instant lastFailure) {}

    public List<VerifyOutcome> verifyOutcomes() {
        return query("""
                SELECT src, max(b.verified_at) FILTER (WHERE b.verify_ok),
                       max(b.verified_at) FILTER (WHERE NOT b.verify_ok)
                FROM holdfast.backup b, %s AS src
                WHERE b.verified_at IS NOT NULL
                GROUP BY 1 ORDER BY 1""".formatted(SOURCES), rs -> new VerifyOutcome(rs.getString(1), instant(rs, 2), instant(rs, 3)));
    }

    /** A schedule with the outcome of its runs. */
    public record ScheduleOutcome(
            UUID id,
            String name,
            boolean enabled,
            String cron,
            String timeZone,
            Long alertAfterSeconds,
            Instant createdAt,
            Instant nextRunAt,
            Instant lastSuccess,
            Instant lastFailure,
            String lastError,
            long succeeded,
            long failed,
            String backupRequestJson) {}

    public List<ScheduleOutcome> scheduleOutcomes() {
        return query(
                """
                SELECT s.id, s.name, s.enabled, s.cron, s.time_zone, s.alert_after_seconds, s.created_at, s.next_run_at,
                       max(b.finished_at) FILTER (WHERE b.status = 'SUCCEEDED'),
                       max(b.finished_at) FILTER (WHERE b.status = 'FAILED'),
                       (array_agg(b.error ORDER BY b.finished_at DESC) FILTER (WHERE b.status = 'FAILED'))[1],
                       count(b.id) FILTER (WHERE b.status = 'SUCCEEDED'),
                       count(b.id) FILTER (WHERE b.status = 'FAILED'),
                       s.backup_request::text
                FROM holdfast.schedule s LEFT JOIN holdfast.backup b ON b.schedule_id = s.id
                GROUP BY s.id ORDER BY s.name""",
                rs -> new ScheduleOutcome(
                        (UUID) rs.getObject(1),
                        rs.getString(2),
                        rs.getBoolean(3),
                        rs.getString(4),
                        rs.getString(5),
                        (Long) rs.getObject(6),
                        instant(rs, 7),
                        instant(rs, 8),
                        instant(rs, 9),
                        instant(rs, 10),
                        rs.getString(11),
                        rs.getLong(12),
                        rs.getLong(13),
                        rs.getString(14)));
    }

    /** How many backups are in each status and of each type, and what the stored ones take. */
    public record Counts(Map<String, Long> byStatus, Map<String, Long> byType, long storedCount, long storedBytes) {}

    public Counts counts() {
        Map<String, Long> byStatus = new LinkedHashMap<>();
        for (String s : List.of("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED")) {
            byStatus.put(s, 0L);
        }
        Map<String, Long> byType = new LinkedHashMap<>();
        for (String t : List.of("full", "database", "media")) {
            byType.put(t, 0L);
        }
        long[] stored = new long[2];
        query("""
                SELECT status, backup_type, count(*), coalesce(sum(size_bytes), 0)
                FROM holdfast.backup GROUP BY 1, 2""", rs -> {
            long n = rs.getLong(3);
            byStatus.merge(rs.getString(1), n, Long::sum);
            byType.merge(rs.getString(2), n, Long::sum);
            if ("SUCCEEDED".equals(rs.getString(1))) {
                stored[0] += n;
                stored[1] += rs.getLong(4);
            }
            return null;
        });
        return new Counts(byStatus, byType, stored[0], stored[1]);
    }

    /** Finished backups since an instant: how many succeeded and failed (cancelled ones are left out). */
    public record Window(Instant since, long succeeded, long failed) {
        /** Succeeded over succeeded plus failed, or null when nothing finished. */
        public Double successRate() {
            return succeeded + failed == 0 ? null : (double) succeeded / (succeeded + failed);
        }
    }

    public Window window(Instant since) {
        return query("""
                SELECT count(*) FILTER (WHERE status = 'SUCCEEDED'), count(*) FILTER (WHERE status = 'FAILED')
                FROM holdfast.backup WHERE finished_at >= ?""", rs -> new Window(since, rs.getLong(1), rs.getLong(2)), Timestamp.from(since))
                .get(0);
    }

    /** Durations of the successful backups finished since an instant. */
    public record Durations(Instant since, long count, Double averageSeconds, Double p95Seconds, Double maxSeconds) {}

    public Durations durations(Instant since) {
        return query(
                        """
                SELECT count(*), avg(d), percentile_cont(0.95) WITHIN GROUP (ORDER BY d), max(d)
                FROM (SELECT extract(epoch FROM finished_at - started_at)::float8 AS d FROM holdfast.backup
                      WHERE status = 'SUCCEEDED' AND started_at IS NOT NULL AND finished_at >= ?) t""",
                        rs -> new Durations(
                                since, rs.getLong(1), (Double) rs.getObject(2), (Double) rs.getObject(3), (Double)
                                        rs.getObject(4)),
                        Timestamp.from(since))
                .get(0);
    }

    @FunctionalInterface
    interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    <T> List<T> query(String sql, Row<T> row, Object... args) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            List<T> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row.map(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("Catalog statistics query failed: " + e.getMessage(), e);
        }
    }

    private static Instant instant(ResultSet rs, int col) throws SQLException {
        Timestamp t = rs.getTimestamp(col);
        return t == null ? null : t.toInstant();
    }
}
