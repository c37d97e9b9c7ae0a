package dev.holdfast.restore;

import static dev.holdfast.restore.RestoreSteps.queryBoolean;
import static dev.holdfast.restore.RestoreSteps.queryLong;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.CopyStreamer;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgNames;
import dev.holdfast.pg.PgTools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Restores one database section of an archive into a target database in a single transaction, validated
 * before it commits, so that any failure or cancellation leaves the target exactly as it was.
 *
 * <p>Replace mode keeps the target's schema: after pre-flight checks (stored checksums, tables, columns by name
 * and type, foreign keys from outside the restored set) it drops the foreign keys, primary keys, unique
 * constraints and plain indexes of the restored tables, disables their user triggers, truncates them in one
 * statement, loads each table with {@code COPY ... FREEZE} (allowed because the table was truncated in the same
 * transaction), checking each entry's raw checksum as it streams, rebuilds keys and indexes, re-adds the
 * foreign keys (which validates them in one pass per key, cheaper than row-by-row
 * checks and independent of load order and cycles), sets the sequences, validates and commits. Clean
 * mode runs the archive's pre-data schema as SQL on the same connection (pg_restore {@code --clean
 * --if-exists} drops what it is about to create), loads the data, then runs post-data.
 *
 * <p>Everything happens in one transaction, so PostgreSQL's parallel restore is out of reach: a second
 * connection cannot see (or load into) the tables this transaction truncated or created. That is the
 * price of all-or-nothing; see {@code docs/restore.md} for the measured cost. The exception, when enabled with
 * {@link #stagedClean}: a clean restore into a database that is absent, or empty with nobody connected, has
 * nothing to protect, so it is built in a fresh staging database over several connections and renamed into
 * place only once validated; any failure drops the staging database and leaves the target as it was. An empty
 * target it replaces is moved aside to {@link #retiredName} and left to the caller to drop ({@link #dropRetired}),
 * since dropping a database forces a checkpoint that the restore itself need not wait for.
 *
 * <p>This class is the entry point and the housekeeping of staging and retired databases; it picks a strategy
 * and runs it. Each strategy is a class of its own with the state it needs: {@link ReplaceStrategy} and
 * {@link SingleTransactionCleanStrategy} (both run by {@link SingleTransactionRestore}), and
 * {@link StagedCleanStrategy} with its {@link StagedLoadScheduler} and {@link StagingDatabase}. What they share
 * is explicit: the inputs and trackers in a {@link RestoreContext}, the results in a {@link RestoreOutcome}, the
 * pre-flight in {@link RestorePlanner}, loading in {@link TableLoader} and the closing steps in
 * {@link RestoreSteps}. All of them log under this class's category, which the docs name.
 */
public final class DatabaseRestore {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(DatabaseRestore.class);

    /** 256 MiB for the restore's own transaction only; the server default (64 MiB) starves index builds. */
    static final long MAINTENANCE_WORK_MEM_KB = 256 * 1024;

    /** Where databases are created, renamed and dropped: never the target, which must be free for a rename. */
    static final String MAINTENANCE_DB = "postgres";

    private static final String STAGING_INFIX = "__hf_";
    /** True in a database with nothing a restore could destroy: no user relations, functions, types, extensions or large objects. */
    static final String HOLDS_NOTHING = """
                        SELECT NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                                             AND n.nspname !~ '^pg_(toast|temp_)')
                           AND NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                                           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
                           AND NOT EXISTS (SELECT 1 FROM pg_type y JOIN pg_namespace n ON n.oid = y.typnamespace
                                           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                                             AND n.nspname !~ '^pg_(toast|temp_)')
                           AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname <> 'plpgsql')
                           AND NOT EXISTS (SELECT 1 FROM pg_largeobject_metadata)
                        """;

    private static final String RETIRED_INFIX = "__hf_old_";
    private static final java.util.regex.Pattern RETIRED_NAME =
            java.util.regex.Pattern.compile("(?s).+" + RETIRED_INFIX + "([0-9a-f]{8})");
    private static final int MAX_IDENTIFIER_BYTES = 63;

    private final ConnectionFactory connections;
    private final PgTools tools;
    private final int parallelism;
    private int stagingConnections;
    private UUID stagingId;
    /** Told of each staged task as it starts ("load t", "keys t", "foreign-key a,b") and each load's end ("loaded t"). */
    private volatile Consumer<String> stagedTaskHook;

    /**
     * An engine that checks archive entries on as many threads as {@code holdfast.copy.parallelism} has by
     * default (the available processors); the job handler passes the configured value instead.
     */
    public DatabaseRestore(ConnectionFactory connections, PgTools tools) {
        this(connections, tools, Runtime.getRuntime().availableProcessors());
    }

    /**
     * An engine that uses up to {@code parallelism} threads to check archive entries (the job handler passes
     * {@code holdfast.copy.parallelism}); the connections of a staged clean restore are set with {@link #stagedClean}.
     */
    public DatabaseRestore(ConnectionFactory connections, PgTools tools, int parallelism) {
        this.connections = connections;
        this.tools = tools;
        this.parallelism = Math.max(1, parallelism);
    }

    /**
     * Lets a clean restore (whole archive, not a dry run) whose target database is absent, or exists empty (no
     * relations, functions, types or extensions of its own, default privileges and settings) with no other
     * session, run in a staging database named after the target and {@code restoreId}, loaded over
     * {@code connections} connections (at least 2, otherwise every restore stays one transaction). An empty target
     * is moved aside to {@link #retiredName} and left there: drop it with {@link #dropRetired} once the restore is
     * recorded.
     *
     * @return this engine
     */
    public DatabaseRestore stagedClean(int connections, UUID restoreId) {
        this.stagingConnections = connections;
        this.stagingId = restoreId;
        return this;
    }

    /** For tests: {@code hook} hears of each task of a staged restore as it starts, on the task's own thread. */
    DatabaseRestore onStagedTask(Consumer<String> hook) {
        this.stagedTaskHook = hook;
        return this;
    }

    /** The staging database of restore {@code restoreId} into {@code target} (at most 63 bytes). */
    public static String stagingName(String target, UUID restoreId) {
        return suffixed(target, STAGING_INFIX + restoreId.toString().substring(0, 8));
    }

    /** The name an empty target is moved to while the staging database takes its name. */
    public static String retiredName(String target, UUID restoreId) {
        return suffixed(target, RETIRED_INFIX + restoreId.toString().substring(0, 8));
    }

    private static String suffixed(String target, String suffix) {
        int room = MAX_IDENTIFIER_BYTES - suffix.length();
        StringBuilder b = new StringBuilder();
        int used = 0;
        for (int cp : target.codePoints().toArray()) {
            int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (used + n > room) {
                break;
            }
            b.appendCodePoint(cp);
            used += n;
        }
        return b + suffix;
    }

    /**
     * Removes what a staged clean restore of {@code restoreId} into database {@code target} on {@code server}'s
     * server left behind when it could not clean up itself (its service was killed): drops the staging
     * database and, if the service died between the two renames, gives the empty target its name back.
     *
     * @return what was done, empty if nothing was left
     */
    public static List<String> cleanUpStaging(
            ConnectionFactory factory, PgConnectionInfo server, String target, UUID restoreId) throws SQLException {
        String staging = stagingName(target, restoreId);
        String retired = retiredName(target, restoreId);
        List<String> done = new ArrayList<>();
        try (Connection c = server.withDatabase(MAINTENANCE_DB).open(factory);
                Statement st = c.createStatement()) {
            if (databaseExists(c, staging)) {
                st.execute("DROP DATABASE IF EXISTS " + PgNames.quoteIdent(staging) + " WITH (FORCE)");
                done.add("dropped the staging database " + staging);
            }
            if (databaseExists(c, retired)) {
                if (databaseExists(c, target)) {
                    // Both renames happened: the target holds the restored data, the retired one was empty
                    // (and is dropped only if it still is).
                    Retired outcome = dropRetired(factory, server, retired);
                    if (outcome != Retired.ABSENT) {
                        done.add(outcome.describe(retired));
                    }
                } else {
                    st.execute("ALTER DATABASE " + PgNames.quoteIdent(retired) + " RENAME TO "
                            + PgNames.quoteIdent(target));
                    done.add("renamed " + retired + " back to " + target);
                }
            }
        }
        return done;
    }

    /** What {@link #dropRetired} did with a database that a staged clean restore moved aside. */
    public enum Retired {
        DROPPED("dropped the empty former target %s"),
        ABSENT("%s is gone already"),
        HOLDS_OBJECTS("left %s as it is: it holds objects, which are not dropped"),
        IN_USE("left %s for later: someone is connected to it or another instance is dropping it");

        private final String description;

        Retired(String description) {
            this.description = description;
        }

        /** A sentence for logs and restore errors. */
        public String describe(String database) {
            return String.format(description, database);
        }
    }

    /**
     * Whether {@code database} is named like the empty target a staged clean restore moved aside
     * ({@code <target>__hf_old_<8 hex>}); returns those 8 hex digits (the start of the restore's id), or null.
     */
    public static String retiredRestorePrefix(String database) {
        java.util.regex.Matcher m = RETIRED_NAME.matcher(database);
        return m.matches() ? m.group(1) : null;
    }

    /**
     * Drops {@code database} on {@code server}'s server if it still holds nothing (the check the staged restore
     * made before it moved it aside) and nobody is connected to it. It is closed to new connections first and
     * checked from a session of its own, so anything created before is seen and nothing can be created after;
     * the drop then goes without {@code FORCE}, which PostgreSQL refuses while anyone is connected. A database
     * that gained objects is left as it is, open again, as is one in use (for a later attempt). One attempt per
     * database at a time across instances (an advisory lock on the maintenance database).
     */
    public static Retired dropRetired(ConnectionFactory factory, PgConnectionInfo server, String database)
            throws SQLException {
        String q = PgNames.quoteIdent(database);
        try (Connection m = server.withDatabase(MAINTENANCE_DB).open(factory);
                Statement st = m.createStatement()) {
            long lockKey = queryLong(
                    m, "SELECT hashtextextended(" + PgNames.quoteLiteral("holdfast-retired:" + database) + ", 0)");
            if (!queryBoolean(m, "SELECT pg_try_advisory_lock(" + lockKey + ")")) {
                return Retired.IN_USE;
            }
            try {
                Boolean allowed = null;
                try (PreparedStatement ps =
                        m.prepareStatement("SELECT datallowconn FROM pg_database WHERE datname = ?")) {
                    ps.setString(1, database);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            allowed = rs.getBoolean(1);
                        }
                    }
                }
                if (allowed == null) {
                    return Retired.ABSENT;
                }
                if (!allowed) {
                    // An attempt that stopped half-way closed it; under the lock nobody else is at it now.
                    st.execute("ALTER DATABASE " + q + " ALLOW_CONNECTIONS true");
                }
                try (Connection r = server.withDatabase(database).open(factory)) {
                    st.execute("ALTER DATABASE " + q + " ALLOW_CONNECTIONS false");
                    Retired refused = null;
                    if (queryLong(
                                    r,
                                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                            + " AND pid <> pg_backend_pid()")
                            > 0) {
                        refused = Retired.IN_USE;
                    } else if (!queryBoolean(r, HOLDS_NOTHING)) {
                        refused = Retired.HOLDS_OBJECTS;
                    }
                    if (refused != null) {
                        st.execute("ALTER DATABASE " + q + " ALLOW_CONNECTIONS true");
                        return refused;
                    }
                }
                try {
                    // No FORCE: it waits a few seconds for the check's own session to end, and refuses if anyone
                    // else is connected, which nobody new can be.
                    st.execute("DROP DATABASE " + q);
                } catch (SQLException e) {
                    if (databaseExists(m, database)) {
                        st.execute("ALTER DATABASE " + q + " ALLOW_CONNECTIONS true");
                    }
                    if ("55006".equals(e.getSQLState())) { // object_in_use
                        return Retired.IN_USE;
                    }
                    throw e;
                }
                return Retired.DROPPED;
            } finally {
                queryBoolean(m, "SELECT pg_advisory_unlock(" + lockKey + ")");
            }
        }
    }

    private static boolean databaseExists(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
    /**
     * Restores {@code section} of {@code archive} into {@code target}.
     *
     * @param checkpoint called between steps and between COPY buffers; whatever it throws cancels the
     *     restore, rolls it back and is rethrown unchanged
     * @return the report; for a dry run, what would have happened (errors captured, nothing thrown for them)
     * @throws RestoreException when refused in pre-flight or when the restore failed and was rolled back
     */
    public RestoreReport run(
            ArchiveReader archive,
            Manifest.DatabaseSection section,
            PgConnectionInfo target,
            RestoreOptions options,
            RestoreProgress.Listener progress,
            Runnable checkpoint) {
        for (Manifest.TableEntry te : section.tables()) {
            String format = te.copyFormatIn(section);
            if (!format.equals("text") && !format.equals("binary")) {
                throw new RestoreException("Unknown copy_format '" + format + "' of table " + te.schema() + "."
                        + te.name() + " in the archive's section " + section.source());
            }
        }
        RestoreContext ctx = new RestoreContext(
                archive,
                section,
                target,
                options,
                connections,
                tools,
                parallelism,
                new Cancellation(checkpoint),
                new PhaseTimer(),
                new LoadProgress(progress));
        try {
            RestoreReport r = execute(ctx);
            logPhases(ctx, r.committed() ? "committed" : "rolled back");
            return r;
        } catch (RuntimeException e) {
            ctx.lap("failing");
            logPhases(ctx, "failed");
            throw e;
        }
    }

    /** The checks every restore starts with, then the strategy that fits the mode and the target. */
    private RestoreReport execute(RestoreContext ctx) {
        ctx.checkpoint();
        RestoreOptions options = ctx.options();
        boolean clean = options.mode() == RestoreOptions.Mode.CLEAN;
        if (clean && !options.tables().isEmpty()) {
            throw new RestoreException("A clean restore recreates the whole schema of the archive and cannot be"
                    + " limited to some tables; use replace mode for a selective restore");
        }
        ctx.progress("verify", null, 0, 0);
        // The schema entry is small and must be sound before pg_restore reads it.
        verifyEntries(ctx.archive(), List.of(ctx.section().schemaEntry()), parallelism, ctx::checkpoint);
        ctx.lap("verify-schema");
        RestoreOutcome outcome = new RestoreOutcome();
        RestoreSteps steps = new RestoreSteps(ctx, outcome);
        if (clean) {
            StagingDatabase.Staging staging;
            try {
                staging = StagingDatabase.eligible(ctx, stagingConnections, stagingId);
            } catch (SQLException e) {
                throw ctx.failure(e);
            }
            ctx.lap("staging-check");
            if (staging != null) {
                return new StagedCleanStrategy(ctx, outcome, steps, stagingConnections, stagingId, stagedTaskHook)
                        .run(staging);
            }
        }
        TransactionStrategy strategy = clean
                ? new SingleTransactionCleanStrategy(ctx, outcome, steps)
                : new ReplaceStrategy(ctx, outcome, steps);
        return new SingleTransactionRestore(ctx, outcome, steps).run(strategy);
    }

    private static void logPhases(RestoreContext ctx, String outcome) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        RestoreOptions options = ctx.options();
        LOG.infof(
                "Restore of %s (%s%s) %s after %d ms: %s",
                ctx.section().source(),
                options.mode().name().toLowerCase(java.util.Locale.ROOT),
                options.dryRun() ? ", dry run" : "",
                outcome,
                ctx.phases().elapsedNanos() / 1_000_000,
                ctx.phases().summary());
    }

    /**
     * Reads each entry to its end, which checks its sizes and both SHA-256s, up to {@code readers} entries at a
     * time (reading is I/O and decompression bound: one thread per core the restore may use).
     *
     * @throws RestoreException naming the damaged entry
     */
    public static void verifyEntries(
            ArchiveReader archive, Collection<String> entries, int readers, Runnable checkpoint) {
        forEachEntry(archive, entries, readers, name -> {
            byte[] buf = new byte[CopyStreamer.DEFAULT_BUFFER_SIZE];
            try (InputStream in = archive.openEntry(name)) {
                while (in.read(buf) >= 0) {
                    checkpoint.run();
                }
            }
        });
    }

    /**
     * Checks each entry's stored size and stored SHA-256 (the compressed bytes, as recorded in the
     * manifest), up to {@code readers} entries at a time, without decompressing. This proves the archive is the
     * one that was written; the raw SHA-256 is checked while the entry streams into COPY, before that COPY ends.
     *
     * @throws RestoreException naming the damaged entry
     */
    public static void checkStoredEntries(
            ArchiveReader archive, Collection<String> entries, int readers, Runnable checkpoint) {
        forEachEntry(archive, entries, readers, name -> archive.checkStored(name, checkpoint));
    }

    private interface EntryCheck {
        void check(String name) throws IOException;
    }

    private static void forEachEntry(ArchiveReader archive, Collection<String> entries, int readers, EntryCheck check) {
        List<String> names = List.copyOf(new LinkedHashSet<>(entries));
        if (names.isEmpty()) {
            return;
        }
        int threads = Math.max(1, Math.min(names.size(), readers));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "holdfast-restore-verify");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (String name : names) {
                futures.add(pool.submit(() -> {
                    check.check(name);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    futures.forEach(x -> x.cancel(true));
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) {
                        throw new RestoreException(
                                "The archive failed verification, nothing was changed: " + io.getMessage(), io);
                    }
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new RestoreException("Verifying the archive failed: " + cause, cause);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RestoreException("Interrupted while verifying the archive", e);
        } finally {
            pool.shutdownNow();
        }
    }
}
