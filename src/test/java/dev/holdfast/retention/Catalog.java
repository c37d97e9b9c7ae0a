package dev.holdfast.retention;

import dev.holdfast.support.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Catalog fixtures for retention tests, written straight into the test catalog: backup rows with a small archive
 * file under the test storage root, schedules and restores, and what exists afterwards.
 */
final class Catalog {
    static final Path STORAGE = Path.of("target/holdfast-test-data");

    private Catalog() {}

    static Connection connect() throws SQLException {
        return TestDatabase.connect(TestDatabase.CATALOG_DB);
    }

    /**
     * Empties the catalog (restores, backups and their archives, schedules) and forgets the retention sweep, so that
     * a global-scope run sees only this test's backups.
     */
    static void wipe() {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            // Backups and restores another test queued are let finish first, so none loses its row mid-run.
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM holdfast.job WHERE state IN ('QUEUED', "
                        + "'RUNNING') AND type IN ('backup', 'verify', 'restore')")) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        break;
                    }
                }
                Thread.sleep(200);
            }
            try (ResultSet rs =
                    st.executeQuery("SELECT storage_key FROM holdfast.backup WHERE storage_key IS NOT NULL")) {
                while (rs.next()) {
                    Files.deleteIfExists(STORAGE.resolve(rs.getString(1)));
                }
            }
            st.execute("DELETE FROM holdfast.restore_operation");
            st.execute("DELETE FROM holdfast.backup");
            st.execute("DELETE FROM holdfast.schedule");
            st.execute("DELETE FROM holdfast.cluster_task WHERE name = 'retention'");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A SUCCEEDED database backup of {@code sources} with its archive file. */
    static UUID ok(String name, Instant createdAt, UUID scheduleId, String... sources) {
        return backup(name, createdAt, "SUCCEEDED", "database", scheduleId, sources);
    }

    /** A backup row; SUCCEEDED ones get an archive file, as the catalog's constraint requires. */
    static UUID backup(String name, Instant createdAt, String status, String type, UUID scheduleId, String... sources) {
        UUID id = UUID.randomUUID();
        String key = id + ".tar";
        String sha = null;
        Long size = null;
        try {
            if (status.equals("SUCCEEDED")) {
                byte[] content = ("archive of " + name + " " + id).getBytes(StandardCharsets.UTF_8);
                Files.createDirectories(STORAGE);
                Files.write(STORAGE.resolve(key), content);
                sha = HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256").digest(content));
                size = (long) content.length;
            }
            String list = String.join(
                    ",", List.of(sources).stream().map(s -> "\"" + s + "\"").toList());
            try (Connection c = connect();
                    PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO holdfast.backup (id, name, backup_type, status, databases, source_names, storage_key,
                        size_bytes, sha256, created_at, schedule_id, trigger)
                    VALUES (?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?)""")) {
                ps.setObject(1, id);
                ps.setString(2, name);
                ps.setString(3, type);
                ps.setString(4, status);
                ps.setString(5, "[" + list + "]");
                ps.setString(6, "," + String.join(",", sources) + ",");
                ps.setString(7, key);
                ps.setObject(8, size);
                ps.setString(9, sha);
                ps.setObject(10, createdAt.atOffset(ZoneOffset.UTC));
                ps.setObject(11, scheduleId);
                ps.setString(12, scheduleId == null ? "api" : "schedule");
                ps.executeUpdate();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return id;
    }

    /** Sets one column of a backup (protected, verify_ok, status...). */
    static void set(UUID backup, String column, Object value) {
        exec("UPDATE holdfast.backup SET " + column + " = ? WHERE id = ?", value, backup);
    }

    /** A schedule with a retention policy (JSON, or null for none). */
    static UUID schedule(String retentionJson, String timeZone) {
        UUID id = UUID.randomUUID();
        exec(
                "INSERT INTO holdfast.schedule (id, name, cron, time_zone, backup_request, retention) "
                        + "VALUES (?, ?, '0 3 * * *', ?, '{\"backup_type\":\"database\"}'::jsonb, ?::jsonb)",
                id,
                "retention-test-" + id,
                timeZone,
                retentionJson);
        return id;
    }

    /** A restore operation reading {@code backup}, with an optional pre-restore backup. */
    static UUID restore(UUID backup, String status, UUID preBackup, Instant createdAt) {
        UUID id = UUID.randomUUID();
        exec(
                "INSERT INTO holdfast.restore_operation (id, backup_id, status, restore_mode, options, pre_backup_id, "
                        + "created_at) VALUES (?, ?, ?, 'replace', '{}'::jsonb, ?, ?)",
                id,
                backup,
                status,
                preBackup,
                createdAt.atOffset(ZoneOffset.UTC));
        return id;
    }

    static void exec(String sql, Object... params) {
        try (Connection c = connect();
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean rowExists(UUID id) {
        try (Connection c = connect();
                PreparedStatement ps = c.prepareStatement("SELECT 1 FROM holdfast.backup WHERE id = ?")) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean fileExists(UUID id) {
        return Files.exists(STORAGE.resolve(id + ".tar"));
    }

    /** Whether the backup is still there: row and archive agree, or the test fails. */
    static boolean exists(UUID id) {
        boolean row = rowExists(id);
        boolean file = fileExists(id);
        if (row != file && !status(id).matches("FAILED|CANCELLED")) {
            throw new AssertionError("Backup " + id + ": row " + row + " but archive file " + file);
        }
        return row;
    }

    static String status(UUID id) {
        try (Connection c = connect();
                PreparedStatement ps = c.prepareStatement("SELECT status FROM holdfast.backup WHERE id = ?")) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : "";
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every backup row (id → status) and every archive file name: what "changes nothing" compares. */
    static Map<String, String> state() {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT id, status, protected FROM holdfast.backup")) {
            while (rs.next()) {
                out.put("row " + rs.getString(1), rs.getString(2) + " " + rs.getBoolean(3));
            }
            try (var files = Files.list(STORAGE)) {
                files.forEach(f -> out.put("file " + f.getFileName(), ""));
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** The retention.delete audit events of a backup: actor, outcome, details JSON. */
    static List<String[]> audit(UUID backup) {
        List<String[]> out = new ArrayList<>();
        try (Connection c = connect();
                PreparedStatement ps = c.prepareStatement("SELECT actor_subject, outcome, "
                        + "details::text FROM holdfast.audit_event WHERE action = 'retention.delete' AND target_type = 'backup' "
                        + "AND target_id = ? ORDER BY id")) {
            ps.setString(1, backup.toString());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }
}
