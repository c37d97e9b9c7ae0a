package dev.holdfast.pg;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * One consistent view of a database for a whole backup: a coordinator transaction that exports its
 * snapshot and holds ACCESS SHARE locks, and worker connections that import the snapshot.
 *
 * <p>Use: {@link #begin} → {@link PgCatalog#read} on {@link #coordinator()} → {@link #lockTables} →
 * {@link #openWorkers} / pg_dump {@code --snapshot=}{@link #snapshotId()} → {@link #close()} only after every
 * worker and pg_dump finished, because an exported snapshot is importable only while its transaction lives.
 * Locks are taken up front with {@code lock_timeout} so that a concurrent ALTER/DROP/TRUNCATE fails the
 * backup at once, naming the table, instead of queueing behind (or ahead of) the backup's own reads.
 */
public final class SnapshotSession implements AutoCloseable {

    private static final Pattern SNAPSHOT_ID = Pattern.compile("[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+");

    private final ConnectionFactory factory;
    private final PgConnectionInfo db;
    private final Connection coordinator;
    private final String snapshotId;
    private final Duration lockTimeout;
    private final int coordinatorPid;
    private final List<Connection> workers = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile boolean aborted;
    private volatile PgEngineException lost;
    private volatile Thread watcher;

    private SnapshotSession(
            ConnectionFactory factory,
            PgConnectionInfo db,
            Connection coordinator,
            int coordinatorPid,
            String snapshotId,
            Duration lockTimeout) {
        this.factory = factory;
        this.db = db;
        this.coordinator = coordinator;
        this.coordinatorPid = coordinatorPid;
        this.snapshotId = snapshotId;
        this.lockTimeout = lockTimeout;
    }

    /**
     * Opens the coordinator's REPEATABLE READ READ ONLY transaction and exports its snapshot.
     *
     * @param lockTimeout how long any lock (table locks, sizing, worker COPY) may be waited for
     */
    public static SnapshotSession begin(ConnectionFactory factory, PgConnectionInfo db, Duration lockTimeout) {
        Connection c = null;
        try {
            c = db.open(factory);
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
                configure(st, lockTimeout);
                String id;
                int pid;
                try (ResultSet rs = st.executeQuery("SELECT pg_export_snapshot(), pg_backend_pid()")) {
                    rs.next();
                    id = rs.getString(1);
                    pid = rs.getInt(2);
                }
                // the id is pasted into SET TRANSACTION SNAPSHOT and a pg_dump argument; accept only its known shape
                if (!SNAPSHOT_ID.matcher(id).matches()) {
                    throw new SQLException("unexpected snapshot id " + id);
                }
                return new SnapshotSession(factory, db, c, pid, id, lockTimeout);
            }
        } catch (SQLException e) {
            closeQuietly(c);
            throw new PgEngineException(
                    "Could not start a snapshot transaction on " + LibpqParams.redactUrl(db.jdbcUrl()) + ": "
                            + e.getMessage(),
                    e.getSQLState(),
                    e);
        }
    }

    /**
     * The exported snapshot, e.g. {@code 00000003-0000001B-1}, for {@code SET TRANSACTION SNAPSHOT} and
     * {@code pg_dump --snapshot}.
     */
    public String snapshotId() {
        return snapshotId;
    }

    /** The coordinator connection, inside the snapshot transaction; for catalog reads, not for long COPYs. */
    public Connection coordinator() {
        return coordinator;
    }

    public Duration lockTimeout() {
        return lockTimeout;
    }

    /**
     * Takes ACCESS SHARE on every table, one statement each so a timeout names the table held by someone
     * else. The locks last until {@link #close()}.
     */
    public void lockTables(Collection<TableRef> tables) {
        ensureOpen();
        try (Statement st = coordinator.createStatement()) {
            for (TableRef t : tables) {
                try {
                    st.execute("LOCK TABLE " + t.sql() + " IN ACCESS SHARE MODE");
                } catch (SQLException e) {
                    if (PgCatalog.LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                        throw lockFailure(t, lockTimeout, e);
                    }
                    if ("42P01".equals(e.getSQLState())) {
                        throw new PgEngineException(
                                "Table " + t + " was dropped while the backup started; retry the backup",
                                e.getSQLState(),
                                e);
                    }
                    throw new PgEngineException(
                            "Could not lock table " + t + ": " + e.getMessage(), e.getSQLState(), e);
                }
            }
        } catch (SQLException e) {
            throw new PgEngineException("Could not lock tables: " + e.getMessage(), e.getSQLState(), e);
        }
    }

    /** Opens {@code n} worker connections, each in a transaction on this snapshot. */
    public List<Connection> openWorkers(int n) {
        List<Connection> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(openWorker());
        }
        return out;
    }

    /**
     * Opens one worker: {@code BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT}.
     * The session closes it; callers may close it earlier when done.
     */
    public Connection openWorker() {
        ensureOpen();
        Connection w = null;
        try {
            w = db.open(factory);
            w.setAutoCommit(true);
            try (Statement st = w.createStatement()) {
                st.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
                st.execute("SET TRANSACTION SNAPSHOT " + PgNames.quoteLiteral(snapshotId));
                configure(st, lockTimeout);
            }
            workers.add(w);
            return w;
        } catch (SQLException e) {
            closeQuietly(w);
            throw new PgEngineException(
                    "Could not open a worker on snapshot " + snapshotId + ": " + e.getMessage(), e.getSQLState(), e);
        }
    }

    /** Worker connections opened so far and not closed. */
    public List<Connection> workers() {
        return List.copyOf(workers);
    }

    /** The server process id of the coordinator, the session that holds the locks and exported the snapshot. */
    public int coordinatorPid() {
        return coordinatorPid;
    }

    /**
     * Watches the coordinator from a thread of its own: every {@code interval} it asks the server for a round
     * trip (bounded by {@code timeout}). The locks that keep the tables unchanged live only as long as the
     * coordinator's transaction; once it is gone (terminated, connection dropped, server restarted) a table not
     * yet copied may be truncated or altered under the workers, so the loss is recorded, the session is aborted
     * (every blocked COPY fails at once), and {@link #ensureHeld} reports it. Call after {@link #lockTables}: from then on
     * nothing else uses the coordinator until {@link #ensureHeld}.
     */
    public void watchCoordinator(Duration interval, Duration timeout) {
        ensureOpen();
        try {
            coordinator.setNetworkTimeout(Runnable::run, (int) Math.max(1, timeout.toMillis()));
        } catch (SQLException e) {
            throw new PgEngineException("Could not bound the snapshot session's waits: " + e.getMessage(), e);
        }
        Thread t = new Thread(
                () -> {
                    while (!closed && !aborted) {
                        try {
                            Thread.sleep(Math.max(1, interval.toMillis()));
                        } catch (InterruptedException e) {
                            return;
                        }
                        if (closed || aborted) {
                            return;
                        }
                        try {
                            roundTrip();
                        } catch (PgEngineException e) {
                            if (closed) {
                                return;
                            }
                            lost = e;
                            abort();
                            return;
                        }
                    }
                },
                "holdfast-snapshot-watch-" + coordinatorPid);
        t.setDaemon(true);
        watcher = t;
        t.start();
    }

    /**
     * Proves that the coordinator's transaction is still the one that took the locks: the connection answers
     * and is still inside a transaction (a connection is never silently reconnected, so this is the same
     * server session, which held its locks without a break). A backup calls it after every worker and pg_dump
     * finished and before it claims success.
     *
     * @throws PgEngineException when the coordinator was lost at any time, naming when it was noticed
     */
    public void ensureHeld() {
        if (lost != null) {
            throw lost;
        }
        if (aborted) {
            throw new PgEngineException("The snapshot session was aborted");
        }
        roundTrip();
    }

    /** The loss of the coordinator noticed by {@link #watchCoordinator}, if any. */
    public java.util.Optional<PgEngineException> lostCoordinator() {
        return java.util.Optional.ofNullable(lost);
    }

    private void roundTrip() {
        try {
            synchronized (coordinator) {
                try (Statement st = coordinator.createStatement();
                        ResultSet rs = st.executeQuery("SELECT 1")) {
                    rs.next();
                }
                org.postgresql.core.TransactionState ts = coordinator
                        .unwrap(org.postgresql.core.BaseConnection.class)
                        .getTransactionState();
                if (ts != org.postgresql.core.TransactionState.OPEN) {
                    throw new SQLException("the snapshot transaction is " + ts);
                }
            }
        } catch (SQLException e) {
            throw new PgEngineException(
                    "The backup's snapshot session (server process " + coordinatorPid
                            + ") was lost while tables were being copied (" + e.getMessage() + "): the locks that kept"
                            + " the tables from being truncated or altered were released, so the copy can no longer be"
                            + " trusted to match one snapshot. The backup was stopped; run it again.",
                    e.getSQLState(),
                    e);
        }
    }

    /**
     * Aborts every connection of the session at once, from any thread: sockets are closed without waiting for
     * the driver (a worker whose COPY failed can leave its connection locked, and a ROLLBACK would wait on that
     * forever), so every thread blocked on one of them fails promptly. The server rolls the transactions back.
     */
    public void abort() {
        aborted = true;
        for (Connection w : workers) {
            abortQuietly(w);
        }
        abortQuietly(coordinator);
    }

    /** Whether {@link #abort} was called (by a failure, a cancellation or a lost coordinator). */
    public boolean aborted() {
        return aborted;
    }

    /**
     * Ends every worker transaction and then the coordinator's, releasing the locks and the snapshot; after an
     * {@link #abort} only closes what is left.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Thread w = watcher;
        if (w != null) {
            w.interrupt();
        }
        for (Connection c : workers) {
            if (aborted) {
                abortQuietly(c);
            } else {
                endAndClose(c);
            }
        }
        workers.clear();
        if (aborted) {
            abortQuietly(coordinator);
        } else {
            endAndClose(coordinator);
        }
    }

    static PgEngineException lockFailure(TableRef table, SQLException cause) {
        return lockFailure(table, null, cause);
    }

    private static PgEngineException lockFailure(TableRef table, Duration timeout, SQLException cause) {
        return new PgEngineException(
                "Timed out " + (timeout == null ? "" : "after " + timeout.toMillis() + " ms ")
                        + "waiting for a lock on table " + table
                        + ": another session holds a conflicting lock (concurrent DDL such as ALTER, DROP, TRUNCATE"
                        + " or VACUUM FULL?). The backup was stopped rather than wait; retry when it is done.",
                PgCatalog.LOCK_NOT_AVAILABLE,
                cause);
    }

    private static void configure(Statement st, Duration lockTimeout) throws SQLException {
        // SET LOCAL: the settings end with the transaction, which also ends the session's use.
        st.execute("SET LOCAL lock_timeout = " + Math.max(1, lockTimeout.toMillis()));
        // A COPY of a big table may legitimately run for hours, and the coordinator sits idle meanwhile;
        // server-wide defaults for either would kill the backup halfway.
        st.execute("SET LOCAL statement_timeout = 0");
        st.execute("SET LOCAL idle_in_transaction_session_timeout = 0");
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("snapshot session is closed");
        }
    }

    private static void abortQuietly(Connection c) {
        try {
            c.abort(Runnable::run);
        } catch (SQLException | RuntimeException ignored) {
            // already closed or broken: either way it holds nothing any more
        }
    }

    private static void endAndClose(Connection c) {
        if (c == null) {
            return;
        }
        try {
            if (!c.isClosed()) {
                // bounded: a connection whose peer vanished must not hold the backup forever
                c.setNetworkTimeout(Runnable::run, 30_000);
                try (Statement st = c.createStatement()) {
                    st.execute("ROLLBACK"); // read only: nothing to commit, and never wrongly commit
                }
            }
        } catch (SQLException ignored) {
            // the connection may already be broken; closing is all that is left to do
        }
        closeQuietly(c);
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // nothing useful to report: the session is being discarded
            }
        }
    }
}
