package dev.holdfast.restore;

import dev.holdfast.backup.BackupUsage;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The one reader of {@code holdfast.restore_operation} for other packages (backup, retention, stats): what they need
 * to know about restores, so that no other package queries restore's table itself.
 */
@ApplicationScoped
public class RestoreOperations implements BackupUsage {
    @Inject
    AgroalDataSource dataSource;

    @Override
    public long activeRestoresUsing(UUID backupId) {
        return ((Number) RestoreOperation.getEntityManager()
                        .createNativeQuery("SELECT count(*) FROM "
                                + "holdfast.restore_operation WHERE status IN ('QUEUED', 'RUNNING') AND (backup_id = :id OR "
                                + "pre_backup_id = :id)")
                        .setParameter("id", backupId)
                        .getSingleResult())
                .longValue();
    }

    /**
     * Backups a queued or running restore reads or writes as its pre-restore backup, on the caller's connection
     * (so that a caller in a repeatable-read transaction sees them in its own snapshot).
     */
    public static Set<UUID> backupsInActiveUse(Connection c) throws SQLException {
        return ids(
                c,
                "SELECT backup_id FROM holdfast.restore_operation WHERE status IN ('QUEUED', 'RUNNING') "
                        + "UNION SELECT pre_backup_id FROM holdfast.restore_operation WHERE status IN ('QUEUED', 'RUNNING') "
                        + "AND pre_backup_id IS NOT NULL",
                null);
    }

    /** Pre-restore backups of restores created at or after {@code since}, on the caller's connection. */
    public static Set<UUID> preRestoreBackupsSince(Connection c, Instant since) throws SQLException {
        return ids(
                c,
                "SELECT pre_backup_id FROM holdfast.restore_operation WHERE pre_backup_id IS NOT NULL "
                        + "AND created_at >= ?",
                since);
    }

    private static Set<UUID> ids(Connection c, String sql, Instant arg) throws SQLException {
        Set<UUID> out = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (arg != null) {
                ps.setObject(1, arg.atOffset(ZoneOffset.UTC));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getObject(1, UUID.class));
                }
            }
        }
        return out;
    }

    /** When restores (dry runs left out) of one source in one mode last succeeded and last failed. */
    public record Outcome(String source, String mode, Instant lastSuccess, Instant lastFailure) {}

    /** Restore outcomes per source (databases restored, media roots in the report) and mode. */
    public List<Outcome> outcomes() {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                SELECT x.src, r.restore_mode,
                       max(r.finished_at) FILTER (WHERE r.status = 'SUCCEEDED'),
                       max(r.finished_at) FILTER (WHERE r.status = 'FAILED')
                FROM holdfast.restore_operation r,
                     LATERAL (SELECT jsonb_array_elements_text(coalesce(r.options -> 'databases', '[]'::jsonb))
                              UNION
                              SELECT m ->> 'source'
                                FROM jsonb_array_elements(coalesce(r.report -> 'media', '[]'::jsonb)) m)
                             AS x(src)
                WHERE NOT r.dry_run AND x.src IS NOT NULL
                GROUP BY 1, 2 ORDER BY 1, 2""");
                ResultSet rs = ps.executeQuery()) {
            List<Outcome> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new Outcome(rs.getString(1), rs.getString(2), instant(rs, 3), instant(rs, 4)));
            }
            return out;
        } catch (SQLException e) {
            // The same message CatalogStats gives for its own queries: the caller reports statistics.
            throw new IllegalStateException("Catalog statistics query failed: " + e.getMessage(), e);
        }
    }

    private static Instant instant(ResultSet rs, int col) throws SQLException {
        Timestamp t = rs.getTimestamp(col);
        return t == null ? null : t.toInstant();
    }
}
