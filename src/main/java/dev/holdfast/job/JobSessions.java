package dev.holdfast.job;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A job's database sessions: the {@code application_name} the engines give them ({@code holdfast-job-<id>}, also
 * pg_dump's and pg_restore's through PGAPPNAME), and the lock waits among them, read from {@code pg_stat_activity},
 * {@code pg_locks} and {@code pg_blocking_pids}.
 */
public final class JobSessions {
    /** At most this many waits, and holders per wait, are reported: a NOTIFY payload has a size limit. */
    static final int MAX_REPORTED = 3;

    private JobSessions() {}

    /** Opens a connection to a database of the server being looked at. */
    @FunctionalInterface
    public interface Databases {
        Connection open(String database) throws SQLException;
    }

    /** The application_name of every session a job opens (at most 63 bytes, as PostgreSQL keeps). */
    public static String applicationName(UUID jobId) {
        return "holdfast-job-" + jobId;
    }

    /**
     * The locks the job's sessions on one server wait for, with who holds them. {@code c} is any connection to the
     * server; a lock's relation is named from a connection to the waiting session's own database, since an oid
     * only means something there.
     */
    public static List<JobStall.LockWait> lockWaits(Connection c, String server, UUID jobId, Databases databases)
            throws SQLException {
        Map<Integer, String> waiting = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT pid, datname FROM pg_stat_activity"
                + " WHERE application_name = ? AND wait_event_type = 'Lock' ORDER BY pid")) {
            ps.setString(1, applicationName(jobId));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && waiting.size() < MAX_REPORTED) {
                    waiting.put(rs.getInt(1), rs.getString(2));
                }
            }
        }
        List<JobStall.LockWait> out = new ArrayList<>();
        for (Map.Entry<Integer, String> w : waiting.entrySet()) {
            try (Connection db = w.getValue() == null ? null : databases.open(w.getValue())) {
                JobStall.LockWait wait = lockWait(db == null ? c : db, server, w.getKey(), w.getValue());
                if (wait != null) {
                    out.add(wait);
                }
            }
        }
        return out;
    }

    private static JobStall.LockWait lockWait(Connection c, String server, int pid, String database)
            throws SQLException {
        String sql = """
                SELECT l.locktype, l.mode,
                       CASE WHEN l.relation IS NOT NULL AND l.database = (SELECT oid FROM pg_database
                                                                           WHERE datname = current_database())
                            THEN (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                                    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = l.relation) END,
                       w.query_start,
                       b.pid, b.application_name, b.usename, b.state, b.query_start, b.xact_start,
                       (SELECT string_agg(DISTINCT h.mode, ',') FROM pg_locks h
                         WHERE h.pid = b.pid AND h.granted AND h.locktype = l.locktype
                           AND h.database IS NOT DISTINCT FROM l.database
                           AND h.relation IS NOT DISTINCT FROM l.relation
                           AND h.transactionid IS NOT DISTINCT FROM l.transactionid)
                  FROM pg_locks l
                  JOIN pg_stat_activity w ON w.pid = l.pid
                  LEFT JOIN pg_stat_activity b ON b.pid = ANY (pg_blocking_pids(l.pid))
                 WHERE l.pid = ? AND NOT l.granted
                 ORDER BY b.pid
                """;
        String lockType = null;
        String mode = null;
        String relation = null;
        OffsetDateTime since = null;
        List<JobStall.LockHolder> holders = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    lockType = rs.getString(1);
                    mode = rs.getString(2);
                    relation = rs.getString(3);
                    since = rs.getObject(4, OffsetDateTime.class);
                    int holder = rs.getInt(5);
                    if (!rs.wasNull() && holders.size() < MAX_REPORTED) {
                        holders.add(new JobStall.LockHolder(
                                holder,
                                rs.getString(6),
                                rs.getString(7),
                                rs.getString(8),
                                rs.getObject(9, OffsetDateTime.class),
                                rs.getObject(10, OffsetDateTime.class),
                                rs.getString(11)));
                    }
                }
            }
        }
        // No ungranted lock any more: the wait ended between the two queries.
        return lockType == null
                ? null
                : new JobStall.LockWait(server, database, pid, lockType, mode, relation, since, holders);
    }
}
