package dev.holdfast.restore;

import dev.holdfast.pg.LibpqParams;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;

/**
 * The database-level steps of a staged clean restore, run from the maintenance database: whether the target may
 * be replaced at all, creating the staging database, renaming it into place (moving an empty target aside) and
 * dropping it after a failure.
 */
final class StagingDatabase {

    /** Logged as the engine: {@code docs/restore.md} names {@code DatabaseRestore}'s log category. */
    private static final Logger LOG = Logger.getLogger(DatabaseRestore.class);

    private static final long SESSION_WAIT_NANOS = 1_000_000_000L;

    /** A target that a staged clean restore may take the name of. */
    record Staging(String database, boolean existed, String owner) {}

    private final RestoreContext ctx;
    private final PgConnectionInfo maintenance;
    private final UUID restoreId;

    StagingDatabase(RestoreContext ctx, UUID restoreId) {
        this.ctx = ctx;
        this.maintenance = ctx.target().withDatabase(DatabaseRestore.MAINTENANCE_DB);
        this.restoreId = restoreId;
    }

    /**
     * Whether this clean restore may run in a staging database: enabled, not a dry run, the whole archive,
     * and a target that is absent or has nothing to protect (no objects of its own, default privileges
     * and settings, owned by a role we act for) and no other session that would lose it under a rename.
     *
     * @return the target to replace, or null to stay in one transaction
     */
    static Staging eligible(RestoreContext ctx, int stagingConnections, UUID stagingId) throws SQLException {
        RestoreOptions options = ctx.options();
        if (stagingConnections < 2
                || stagingId == null
                || options.dryRun()
                || !options.tables().isEmpty()) {
            return null;
        }
        String db = LibpqParams.fromJdbcUrl(ctx.target().jdbcUrl()).dbname();
        PgConnectionInfo maintenance = ctx.target().withDatabase(DatabaseRestore.MAINTENANCE_DB);
        Connection opened;
        try {
            opened = maintenance.open(ctx.connections());
        } catch (SQLException e) {
            // Creating, renaming and dropping databases happens from there; without it, stay in one transaction.
            LOG.warnf(
                    "Clean restore of %s stays one transaction: the maintenance database %s cannot be reached"
                            + " (%s)",
                    ctx.section().source(), DatabaseRestore.MAINTENANCE_DB, e.getMessage());
            return null;
        }
        Staging found;
        try (Connection m = opened) {
            if (!RestoreSteps.queryBoolean(
                    m, "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user")) {
                return null;
            }
            found = described(m, db);
        }
        if (found == null || !found.existed()) {
            return found;
        }
        long ownPid;
        try (Connection t = ctx.target().open(ctx.connections())) {
            ownPid = RestoreSteps.queryLong(t, "SELECT pg_backend_pid()");
            if (!RestoreSteps.queryBoolean(t, DatabaseRestore.HOLDS_NOTHING)) {
                return null;
            }
        }
        return othersGone(ctx, maintenance, db, ownPid) ? found : null;
    }

    /** An absent target, an existing one a restore may replace (default settings, ours), or null. */
    private static Staging described(Connection m, String db) throws SQLException {
        try (PreparedStatement ps = m.prepareStatement("""
                SELECT pg_has_role(d.datdba, 'MEMBER') AND d.datacl IS NULL AND d.datconnlimit = -1
                       AND NOT d.datistemplate AND d.datallowconn
                       AND NOT EXISTS (SELECT 1 FROM pg_db_role_setting s WHERE s.setdatabase = d.oid)
                       AND NOT EXISTS (SELECT 1 FROM pg_shdescription x WHERE x.objoid = d.oid
                                       AND x.classoid = 'pg_database'::regclass)
                       AND NOT EXISTS (SELECT 1 FROM pg_shseclabel x WHERE x.objoid = d.oid
                                       AND x.classoid = 'pg_database'::regclass),
                       pg_get_userbyid(d.datdba)
                FROM pg_database d WHERE d.datname = ?
                """)) {
            ps.setString(1, db);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new Staging(db, false, null);
                }
                if (!rs.getBoolean(1)) {
                    return null;
                }
                return new Staging(db, true, rs.getString(2));
            }
        }
    }

    /** Whether nobody but the check's own session ({@code ownPid}) is, or within a second remains, on {@code db}. */
    private static boolean othersGone(RestoreContext ctx, PgConnectionInfo maintenance, String db, long ownPid)
            throws SQLException {
        try (Connection m = maintenance.open(ctx.connections());
                PreparedStatement ps = m.prepareStatement(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = ?" + " AND pid <> ?")) {
            // The check's own session may not have exited yet; it is not someone else's. A session that
            // just closed takes a moment to leave too, so give others up to a second to be gone.
            ps.setString(1, db);
            ps.setInt(2, (int) ownPid);
            long deadline = System.nanoTime() + SESSION_WAIT_NANOS;
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        return true;
                    }
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /**
     * Starts creating {@code stagingDb} on a thread of its own: a copy of the empty target keeps its encoding,
     * locale and owner; with no target, the server's defaults, as CREATE DATABASE for create_target would have
     * given.
     */
    CompletableFuture<Void> create(String stagingDb, Staging staging) {
        return CompletableFuture.runAsync(
                () -> {
                    try (Connection m = maintenance.open(ctx.connections());
                            Statement st = m.createStatement()) {
                        st.execute("CREATE DATABASE " + PgNames.quoteIdent(stagingDb)
                                + (staging.existed()
                                        ? " TEMPLATE " + PgNames.quoteIdent(staging.database()) + " OWNER "
                                                + PgNames.quoteIdent(staging.owner())
                                        : ""));
                    } catch (SQLException e) {
                        throw new CompletionException(e);
                    }
                },
                r -> {
                    Thread t = new Thread(r, "holdfast-restore-create");
                    t.setDaemon(true);
                    t.start();
                });
    }

    /**
     * Renames the validated staging database to the target's name, moving an empty target aside first to
     * {@link DatabaseRestore#retiredName}, where it stays for the caller to drop ({@link DatabaseRestore#dropRetired}).
     */
    void swap(Staging staging, String stagingDb) throws SQLException {
        String target = PgNames.quoteIdent(staging.database());
        try (Connection m = maintenance.open(ctx.connections());
                Statement st = m.createStatement()) {
            if (!staging.existed()) {
                try {
                    st.execute("ALTER DATABASE " + PgNames.quoteIdent(stagingDb) + " RENAME TO " + target);
                } catch (SQLException e) {
                    throw new RestoreException(
                            "The restored database could not take the name "
                                    + staging.database() + " (" + e.getMessage() + "); it was dropped and nothing else"
                                    + " changed",
                            e);
                }
                return;
            }
            String retired = DatabaseRestore.retiredName(staging.database(), restoreId);
            ctx.lap("rename-wait");
            try {
                st.execute("ALTER DATABASE " + target + " RENAME TO " + PgNames.quoteIdent(retired));
            } catch (SQLException e) {
                throw new RestoreException(
                        "The empty target database " + staging.database() + " could not be"
                                + " renamed to make way for the restored one (" + e.getMessage() + "; is someone"
                                + " connected to it?); the restored copy was dropped and the target is unchanged",
                        e);
            }
            // Checked again now that nobody can be connected to it (a rename needs that) or reach it by its
            // name: someone may have created objects since the check at the start, and those must not be
            // dropped with it.
            boolean stillEmpty;
            try (Connection r = maintenance.withDatabase(retired).open(ctx.connections())) {
                stillEmpty = RestoreSteps.queryBoolean(r, DatabaseRestore.HOLDS_NOTHING);
            }
            if (!stillEmpty) {
                renameBack(st, retired, target);
                throw new RestoreException("The target database " + staging.database() + " gained objects while"
                        + " the restore ran; it was left as it is and the restored copy was dropped");
            }
            try {
                st.execute("ALTER DATABASE " + PgNames.quoteIdent(stagingDb) + " RENAME TO " + target);
            } catch (SQLException e) {
                st.execute("ALTER DATABASE " + PgNames.quoteIdent(retired) + " RENAME TO " + target);
                throw new RestoreException(
                        "The restored database could not take the name "
                                + staging.database() + " (" + e.getMessage() + "); it was dropped and the target is"
                                + " unchanged",
                        e);
            }
            // Not dropped here: DROP DATABASE forces a checkpoint that writes out everything just loaded,
            // which the restore need not wait for. The caller drops it once the restore is recorded
            // (dropRetired; RetiredDatabases in the service, whose sweep also finds any left by a stop).
        }
    }

    /**
     * Gives the moved-aside target its name back. The session that just checked it may take a moment to
     * leave, and a rename needs it gone; if it never goes, the job's failure handling renames it back.
     */
    private static void renameBack(Statement st, String retired, String quotedTarget) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                st.execute("ALTER DATABASE " + PgNames.quoteIdent(retired) + " RENAME TO " + quotedTarget);
                return;
            } catch (SQLException e) {
                if (attempt >= 20) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    void dropQuietly(String db) {
        try (Connection m = maintenance.open(ctx.connections());
                Statement st = m.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + PgNames.quoteIdent(db) + " WITH (FORCE)");
        } catch (SQLException e) {
            LOG.warnf("Could not drop the staging database %s after a failed restore: %s", db, e.getMessage());
        }
    }
}
