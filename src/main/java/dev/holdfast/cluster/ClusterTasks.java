package dev.holdfast.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * Claims of periodic work that must run once per cluster (table {@code cluster_task}), in plain JDBC on the caller's
 * connection: the due row is taken with {@code FOR UPDATE SKIP LOCKED} and moved forward in the same transaction, so
 * of any number of instances asking at once exactly one gets each run.
 */
public final class ClusterTasks {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ClusterTasks.class);

    private ClusterTasks() {}

    /**
     * Hands {@code sweep} to {@code executor} unless the one handed before is still waiting or running
     * ({@code pending}), so that a slow sweep never queues up behind itself.
     */
    public static void submitUnlessPending(
            java.util.concurrent.Executor executor, java.util.concurrent.atomic.AtomicBoolean pending, Runnable sweep) {
        if (!pending.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    sweep.run();
                } finally {
                    pending.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            pending.set(false);
        }
    }

    /**
     * Runs {@code work} on the calling thread if this instance claims {@code task} (see {@link #claim}, in a
     * transaction of its own), then records its outcome: what {@code work} returns (null: it went well) or the
     * exception it threw. Database errors are logged, never thrown: a periodic task tries again next time.
     *
     * @param what the task in words, for the log
     * @return whether this instance ran it (false: not due, another instance has it, or the claim failed)
     */
    public static boolean runIfDue(
            javax.sql.DataSource ds,
            String task,
            Instant now,
            Duration interval,
            String owner,
            String what,
            java.util.function.Supplier<String> work) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                boolean claimed = claim(c, task, now, interval, owner);
                c.commit();
                if (!claimed) {
                    return false;
                }
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            LOG.errorf(e, "Could not claim %s", what);
            return false;
        }
        String error;
        try {
            error = work.get();
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s failed", what);
            error = e.toString();
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(true);
            recordOutcome(c, task, error);
        } catch (SQLException e) {
            LOG.errorf(e, "Could not record the outcome of %s", what);
        }
        return true;
    }

    /**
     * Claims {@code task} when it is due at {@code now}: sets next_run_at to now + interval, last_run_at and
     * last_owner. Runs in the connection's current transaction; the caller commits. A task never seen before is due
     * at once.
     *
     * @return whether this caller got the run
     */
    public static boolean claim(Connection c, String task, Instant now, Duration interval, String owner)
            throws SQLException {
        // Only a missing row is inserted: an insert that meets the row while another instance holds it would wait
        // for that instance instead of skipping it.
        boolean exists;
        try (PreparedStatement sel = c.prepareStatement("SELECT 1 FROM holdfast.cluster_task WHERE name = ?")) {
            sel.setString(1, task);
            try (ResultSet rs = sel.executeQuery()) {
                exists = rs.next();
            }
        }
        if (!exists) {
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO holdfast.cluster_task (name, next_run_at) "
                    + "VALUES (?, ?) ON CONFLICT (name) DO NOTHING")) {
                ins.setString(1, task);
                ins.setObject(2, now.atOffset(ZoneOffset.UTC));
                ins.executeUpdate();
            }
        }
        try (PreparedStatement up = c.prepareStatement("""
                UPDATE holdfast.cluster_task SET next_run_at = ?, last_run_at = ?, last_owner = ?
                WHERE name = (SELECT name FROM holdfast.cluster_task WHERE name = ? AND next_run_at <= ?
                              FOR UPDATE SKIP LOCKED)""")) {
            up.setObject(1, now.plus(interval).atOffset(ZoneOffset.UTC));
            up.setObject(2, now.atOffset(ZoneOffset.UTC));
            up.setString(3, owner);
            up.setString(4, task);
            up.setObject(5, now.atOffset(ZoneOffset.UTC));
            return up.executeUpdate() == 1;
        }
    }

    /** Records how the last run ended (null: it went well). */
    public static void recordOutcome(Connection c, String task, String error) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("UPDATE holdfast.cluster_task SET last_error = ? WHERE name = ?")) {
            ps.setString(1, error);
            ps.setString(2, task);
            ps.executeUpdate();
        }
    }
}
