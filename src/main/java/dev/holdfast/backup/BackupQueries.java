package dev.holdfast.backup;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Reads of {@code holdfast.backup} for packages that work on a JDBC connection of their own (retention's
 * repeatable-read snapshot, the schedule firing's claim transaction), so that only backup/ queries its table.
 */
public final class BackupQueries {
    private BackupQueries() {}

    /** A backup as retention weighs it. */
    public record Row(
            UUID id,
            String name,
            Instant createdAt,
            BackupStatus status,
            BackupType type,
            List<String> sources,
            UUID scheduleId,
            boolean isProtected,
            Boolean verifyOk) {}

    /**
     * For every incremental backup, the backups whose archives hold contents it refers to ({@code backup_reference}),
     * on the caller's connection and in its transaction.
     */
    public static java.util.Map<UUID, List<UUID>> holders(Connection c) throws SQLException {
        java.util.Map<UUID, List<UUID>> out = new java.util.HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(
                        "SELECT backup_id, holder_id FROM holdfast.backup_reference ORDER BY backup_id, holder_id");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.computeIfAbsent(rs.getObject(1, UUID.class), k -> new ArrayList<>())
                        .add(rs.getObject(2, UUID.class));
            }
        }
        return out;
    }

    /** Every backup, on the caller's connection and in its transaction. */
    public static List<Row> all(Connection c) throws SQLException {
        List<Row> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT b.id, b.name, b.created_at, b.status, b.backup_type, b.source_names, b.schedule_id,
                       b.protected, b.verify_ok
                FROM holdfast.backup b""");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                List<String> sources = Arrays.stream(rs.getString(6).split(","))
                        .filter(s -> !s.isEmpty())
                        .toList();
                out.add(new Row(
                        rs.getObject(1, UUID.class),
                        rs.getString(2),
                        rs.getObject(3, OffsetDateTime.class).toInstant(),
                        BackupStatus.valueOf(rs.getString(4)),
                        BackupType.fromJson(rs.getString(5)),
                        sources,
                        rs.getObject(7, UUID.class),
                        rs.getBoolean(8),
                        (Boolean) rs.getObject(9)));
            }
        }
        return out;
    }

    /**
     * The newest queued or running backup of a schedule, on the caller's connection.
     *
     * @return null when the schedule has none
     */
    public static UUID activeOfSchedule(Connection c, UUID scheduleId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT id FROM holdfast.backup
                 WHERE schedule_id = ? AND status IN ('QUEUED', 'RUNNING')
                 ORDER BY created_at DESC
                 LIMIT 1
                """)) {
            ps.setObject(1, scheduleId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getObject(1, UUID.class) : null;
            }
        }
    }
}
