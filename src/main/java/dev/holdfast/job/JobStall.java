package dev.holdfast.job;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The watchdog's report on a running job whose progress stopped moving: since when, and why as far as the
 * database servers can tell (the lock each of the job's sessions waits for and who holds it), or that no session of
 * the job waits on a server, which makes it Holdfast's own stall. Sent as the SSE event {@code stalled}, kept on the
 * job while it lasts, and notified.
 */
@Schema(name = "JobStall", description = "A running job whose progress has not moved for its stall-warning time")
public record JobStall(
        @Schema(required = true) UUID jobId,

        @Schema(required = true, description = "The job's type")
        String type,

        @Schema(required = true, description = "When its progress last moved (or it started)")
        OffsetDateTime since,

        @Schema(required = true, description = "Seconds without progress when the stall was reported")
        long stalledSeconds,

        @Schema(description = "The phase it was in") String phase,

        @Schema(
                required = true,
                description = "Whether a session of the job waits for a lock on a database server (see lock_waits)")
        boolean serverWait,

        @Schema(
                required = true,
                description = "One line: the lock and its holder, or 'no server wait: Holdfast's own stall'")
        String diagnosis,

        @Schema(required = true, description = "Each lock a session of the job waits for, with who holds it")
        List<LockWait> lockWaits,

        @Schema(required = true, description = "Whether the watchdog cancels the job (holdfast.jobs.cancel-stalled)")
        boolean cancelled) {

    /** A session of the job waiting for a lock. */
    @Schema(name = "LockWait", description = "A lock one of the job's sessions waits for")
    public record LockWait(
            @Schema(required = true, description = "Server (host:port) of the session")
            String server,

            @Schema(description = "Database of the session") String database,

            @Schema(required = true, description = "Process id of the waiting session")
            int pid,

            @Schema(required = true, description = "pg_locks.locktype, e.g. relation or transactionid")
            String lockType,

            @Schema(required = true, description = "The mode it asks for, e.g. AccessExclusiveLock")
            String mode,

            @Schema(description = "The table (schema-qualified) for a relation lock")
            String relation,

            @Schema(description = "When the waiting statement started")
            OffsetDateTime waitingSince,

            @Schema(required = true, description = "The sessions it waits for (pg_blocking_pids)")
            List<LockHolder> blockedBy) {}

    /** A session that blocks one of the job's sessions. */
    @Schema(name = "LockHolder", description = "A session holding (or queued ahead for) the lock")
    public record LockHolder(
            @Schema(required = true) int pid,
            @Schema(description = "Its application_name") String applicationName,
            @Schema(description = "Its user") String user,

            @Schema(description = "active, idle in transaction, ...")
            String state,

            @Schema(description = "When its current or last statement started")
            OffsetDateTime queryStart,

            @Schema(description = "When its transaction started")
            OffsetDateTime transactionStart,

            @Schema(description = "Modes it holds on the same object, comma-separated; absent when it only waits ahead")
            String heldModes) {}

    /** The summary line of a stall with these lock waits. */
    static String diagnose(List<LockWait> waits) {
        if (waits.isEmpty()) {
            return "no server wait: Holdfast's own stall";
        }
        LockWait w = waits.get(0);
        StringBuilder sb = new StringBuilder("session ")
                .append(w.pid())
                .append(" on ")
                .append(w.server())
                .append(" waits for ")
                .append(w.mode())
                .append(" on ")
                .append(w.relation() != null ? "table " + w.relation() : w.lockType());
        if (w.blockedBy().isEmpty()) {
            sb.append(" (the holder was not visible)");
        }
        for (LockHolder h : w.blockedBy()) {
            sb.append(h == w.blockedBy().get(0) ? ", held by pid " : "; pid ")
                    .append(h.pid())
                    .append(" (application '")
                    .append(h.applicationName() == null ? "" : h.applicationName())
                    .append("', ")
                    .append(h.state())
                    .append(h.queryStart() == null ? "" : ", statement since " + h.queryStart())
                    .append(h.heldModes() == null ? "" : ", holds " + h.heldModes())
                    .append(')');
        }
        if (waits.size() > 1) {
            sb.append(" and ").append(waits.size() - 1).append(" more wait(s)");
        }
        return sb.toString();
    }
}
