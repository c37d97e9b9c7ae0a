package dev.holdfast.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Claims, heart-beats and finishes jobs with single SQL statements, each atomic on its own
 * (autocommit), and announces every state or progress change with {@code pg_notify} in the same
 * statement. Plain JDBC on purpose: it is the exact SQL that makes several instances safe, and it
 * lets a test run a second, fully independent worker pool on its own connections.
 *
 * <p>Leases use the database clock ({@code now()}), so instances with drifting clocks still agree.
 */
public class JobStore {
    /** Channel of job events (state and progress changes); payload is a {@link JobEvent} as JSON. */
    public static final String EVENTS_CHANNEL = "holdfast_job_events";
    /** Channel of stall reports; payload is a {@link JobStall} as JSON. */
    public static final String STALLED_CHANNEL = "holdfast_job_stalled";
    /** Channel that wakes idle workers when a job is queued; payload is the job type. */
    public static final String QUEUED_CHANNEL = "holdfast_job_queued";

    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    private final String instanceId;
    private final ObjectMapper mapper;

    public JobStore(DataSource dataSource, String instanceId, ObjectMapper mapper) {
        this.dataSource = dataSource;
        this.instanceId = instanceId;
        this.mapper = mapper;
    }

    /** The owner name this store writes into the jobs it claims. */
    public String instanceId() {
        return instanceId;
    }

    /** A job this instance now owns. */
    public record Claimed(UUID id, String type, JsonNode payload, int attempt, int maxAttempts) {}

    /** A job whose worker stopped heart-beating, as the reaper left it. */
    public record Reaped(UUID id, String type, JsonNode payload, JobState state, String error) {}

    private static String notifySelect(String alias) {
        return "pg_notify('" + EVENTS_CHANNEL + "', json_build_object('job_id', " + alias + ".id, 'seq', " + alias
                + ".progress_seq, 'state', " + alias + ".state, 'cancel_requested', " + alias
                + ".cancel_requested, 'progress', " + alias + ".progress)::text)";
    }

    /**
     * Claims the oldest runnable queued job of the given types, skipping rows other instances are
     * claiming and jobs whose resource is busy.
     */
    public Optional<Claimed> claim(Set<String> types, Duration lease) throws SQLException {
        if (types.isEmpty()) {
            return Optional.empty();
        }
        String sql = """
                WITH c AS (
                    SELECT id FROM holdfast.job j
                     WHERE j.state = 'QUEUED' AND j.type = ANY(?)
                       AND (j.not_before IS NULL OR j.not_before <= now())
                       AND (j.resource_key IS NULL OR NOT EXISTS (
                            SELECT 1 FROM holdfast.job r WHERE r.resource_key = j.resource_key AND r.state = 'RUNNING'))
                     ORDER BY j.queued_at, j.id
                     LIMIT 1
                     FOR UPDATE SKIP LOCKED),
                u AS (
                    UPDATE holdfast.job SET state = 'RUNNING', attempts = attempts + 1, started_at = now(),
                           owner_instance = ?, lease_expires_at = now() + ? * interval '1 millisecond',
                           heartbeat_at = now(), progress_seq = progress_seq + 1, cancel_requested = false
                      FROM c WHERE job.id = c.id
                    RETURNING job.*)
                SELECT u.id, u.type, u.payload::text, u.attempts, u.max_attempts, %s FROM u
                """.formatted(notifySelect("u"));
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            Array arr = c.createArrayOf("varchar", types.toArray());
            ps.setArray(1, arr);
            ps.setString(2, instanceId);
            ps.setLong(3, lease.toMillis());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Claimed(
                        rs.getObject(1, UUID.class),
                        rs.getString(2),
                        readJson(rs.getString(3)),
                        rs.getInt(4),
                        rs.getInt(5)));
            }
        } catch (SQLException e) {
            if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                // Another instance started a job on the same resource between our check and our update.
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Renews the leases of jobs this instance runs.
     *
     * @return for each job still owned, whether a cancellation was requested; jobs missing from the
     *     map are no longer ours (their lease expired and another instance took over)
     */
    public Map<UUID, Boolean> heartbeat(Collection<UUID> ids, Duration lease) throws SQLException {
        Map<UUID, Boolean> owned = new HashMap<>();
        if (ids.isEmpty()) {
            return owned;
        }
        String sql = """
                UPDATE holdfast.job SET heartbeat_at = now(), lease_expires_at = now() + ? * interval '1 millisecond'
                 WHERE id = ANY(?) AND state = 'RUNNING' AND owner_instance = ?
                RETURNING id, cancel_requested
                """;
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            ps.setLong(1, lease.toMillis());
            ps.setArray(2, c.createArrayOf("uuid", ids.toArray()));
            ps.setString(3, instanceId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    owned.put(rs.getObject(1, UUID.class), rs.getBoolean(2));
                }
            }
        }
        return owned;
    }

    /**
     * Stores a progress snapshot of a job this instance owns and broadcasts it.
     *
     * @return whether the job is still ours and running, and if a cancellation was requested
     */
    public Optional<Boolean> saveProgress(UUID id, Progress progress) throws SQLException {
        String sql = """
                WITH u AS (
                    UPDATE holdfast.job SET progress = ?::jsonb, progress_seq = progress_seq + 1
                     WHERE id = ? AND state = 'RUNNING' AND owner_instance = ?
                    RETURNING job.*)
                SELECT u.cancel_requested, %s FROM u
                """.formatted(notifySelect("u"));
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            ps.setString(1, writeJson(progress));
            ps.setObject(2, id);
            ps.setString(3, instanceId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getBoolean(1)) : Optional.empty();
            }
        }
    }

    /**
     * Keeps the watchdog's report on a job this instance runs and broadcasts it on {@link #STALLED_CHANNEL}, in one
     * statement. Returns false when the job is no longer running here.
     */
    public boolean saveStall(UUID id, JobStall stall) throws SQLException {
        String sql = """
                WITH u AS (
                    UPDATE holdfast.job SET stall = ?::jsonb
                     WHERE id = ? AND state = 'RUNNING' AND owner_instance = ?
                    RETURNING job.id)
                SELECT pg_notify('%s', ?) FROM u
                """.formatted(STALLED_CHANNEL);
        String json = writeJson(stall);
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            ps.setString(1, json);
            ps.setObject(2, id);
            ps.setString(3, instanceId);
            ps.setString(4, json);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Forgets the stall report of a job (its progress moved again, or it ended). */
    public void clearStall(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("UPDATE holdfast.job SET stall = NULL WHERE id = ? AND stall IS NOT NULL")) {
            c.setAutoCommit(true);
            ps.setObject(1, id);
            ps.executeUpdate();
        }
    }

    /**
     * Records the end of a job this instance owns. Fenced by owner: if the lease was lost meanwhile,
     * nothing is written and false is returned.
     */
    public boolean finish(UUID id, JobState state, JsonNode result, String error, Progress last) throws SQLException {
        String sql = """
                WITH u AS (
                    UPDATE holdfast.job SET state = ?, finished_at = now(), result = ?::jsonb, error = ?,
                           lease_expires_at = NULL, progress_seq = progress_seq + 1,
                           progress = COALESCE(?::jsonb, progress)
                     WHERE id = ? AND state = 'RUNNING' AND owner_instance = ?
                    RETURNING job.*)
                SELECT %s FROM u
                """.formatted(notifySelect("u"));
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            ps.setString(1, state.name());
            ps.setString(2, result == null ? null : writeJson(result));
            ps.setString(3, error);
            ps.setString(4, last == null ? null : writeJson(last));
            ps.setObject(5, id);
            ps.setString(6, instanceId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Gives a claimed job that never started back to the queue, as if it had not been claimed. */
    public void release(UUID id) throws SQLException {
        String sql = """
                WITH u AS (
                    UPDATE holdfast.job SET state = 'QUEUED', attempts = attempts - 1, started_at = NULL,
                           owner_instance = NULL, lease_expires_at = NULL, heartbeat_at = NULL,
                           progress_seq = progress_seq + 1
                     WHERE id = ? AND state = 'RUNNING' AND owner_instance = ?
                    RETURNING job.*)
                SELECT %s FROM u
                """.formatted(notifySelect("u"));
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            ps.setObject(1, id);
            ps.setString(2, instanceId);
            ps.executeQuery().close();
        }
    }

    /**
     * Takes over jobs whose lease expired: re-queues those that may be retried, fails the others
     * with the reason, and marks cancelled those whose cancellation was pending.
     *
     * <p>Jobs of the caller's own {@code types} are taken as soon as their lease expired; others only once it
     * expired {@code orphanGrace} ago. The instance that reaps a job runs its failure hook, which only an
     * instance with the job's handler can do (during a rolling upgrade that adds a job type, say), so such an
     * instance gets the first chance; a job of a type that no live instance knows still ends, later.
     */
    public List<Reaped> reapExpired(Set<String> types, Duration orphanGrace) throws SQLException {
        String sql = """
                WITH e AS (
                    SELECT id FROM holdfast.job WHERE state = 'RUNNING' AND lease_expires_at < now()
                      AND (type = ANY (?) OR lease_expires_at < now() - make_interval(secs => ?))
                    FOR UPDATE SKIP LOCKED),
                u AS (
                    UPDATE holdfast.job SET
                        state = CASE WHEN cancel_requested THEN 'CANCELLED'
                                     WHEN attempts < max_attempts THEN 'QUEUED' ELSE 'FAILED' END,
                        error = 'Instance ' || owner_instance || ' stopped renewing the lease of attempt '
                                || attempts || ' (last heartbeat ' || to_char(heartbeat_at AT TIME ZONE 'UTC',
                                'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '); '
                                || CASE WHEN cancel_requested THEN 'the job was being cancelled'
                                        WHEN attempts < max_attempts THEN 'the job was queued again'
                                        ELSE 'the job was abandoned and is not safe to retry' END,
                        finished_at = CASE WHEN attempts < max_attempts AND NOT cancel_requested
                                           THEN NULL ELSE now() END,
                        owner_instance = NULL, lease_expires_at = NULL, progress_seq = progress_seq + 1
                      FROM e WHERE job.id = e.id
                    RETURNING job.*)
                SELECT u.id, u.type, u.payload::text, u.state, u.error, %s FROM u
                """.formatted(notifySelect("u"));
        List<Reaped> reaped = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            ps.setArray(1, c.createArrayOf("text", types.toArray()));
            ps.setDouble(2, orphanGrace.toMillis() / 1000.0);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    reaped.add(new Reaped(
                            rs.getObject(1, UUID.class),
                            rs.getString(2),
                            readJson(rs.getString(3)),
                            JobState.valueOf(rs.getString(4)),
                            rs.getString(5)));
                }
            }
        }
        return reaped;
    }

    /**
     * Cancels a job: a queued one ends CANCELLED at once, a running one is asked to stop at its next
     * checkpoint.
     *
     * @return the state after the request, or empty when the job does not exist
     */
    public Optional<JobState> requestCancel(UUID id) throws SQLException {
        String sql = """
                WITH q AS (
                    UPDATE holdfast.job SET state = 'CANCELLED', finished_at = now(), cancel_requested = true,
                           error = 'Cancelled before it started', progress_seq = progress_seq + 1
                     WHERE id = ? AND state = 'QUEUED'
                    RETURNING job.*),
                r AS (
                    UPDATE holdfast.job SET cancel_requested = true, progress_seq = progress_seq + 1
                     WHERE id = ? AND state = 'RUNNING' AND NOT cancel_requested
                    RETURNING job.*),
                n AS (SELECT %s AS sent, q.state FROM q UNION ALL SELECT %s, r.state FROM r)
                SELECT n.state FROM n
                UNION ALL
                SELECT state FROM holdfast.job WHERE id = ? AND NOT EXISTS (SELECT 1 FROM n)
                """.formatted(notifySelect("q"), notifySelect("r"));
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            ps.setObject(1, id);
            ps.setObject(2, id);
            ps.setObject(3, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(JobState.valueOf(rs.getString(1))) : Optional.empty();
            }
        }
    }

    JsonNode readJson(String s) {
        try {
            return s == null ? null : mapper.readTree(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Corrupt JSON in job table", e);
        }
    }

    String writeJson(Object o) {
        try {
            return mapper.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "Cannot serialise " + o.getClass().getSimpleName(), e);
        }
    }
}
