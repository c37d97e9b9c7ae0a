package dev.holdfast.restore;

import dev.holdfast.archive.Manifest;
import dev.holdfast.pg.PgCatalog;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgTools;
import dev.holdfast.pg.TableRef;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Staged parallel clean mode: a clean restore into a target that has nothing to protect is built in a fresh
 * staging database over several connections ({@link StagedLoadScheduler}, the way {@code pg_restore -j} does),
 * validated, and renamed into place ({@link StagingDatabase}); any failure drops the staging database and leaves
 * the target as it was.
 */
final class StagedCleanStrategy {

    /** Logged as the engine: {@code docs/restore.md} names {@code DatabaseRestore}'s log category. */
    private static final Logger LOG = Logger.getLogger(DatabaseRestore.class);

    /** The schema scripts and the tables to load, read and checked before the staging database is used. */
    private record Prepared(SchemaScript pre, SchemaScript post, List<Manifest.TableEntry> load) {}

    private final RestoreContext ctx;
    private final RestoreOutcome outcome;
    private final RestoreSteps steps;
    private final int stagingConnections;
    private final UUID restoreId;
    /** For tests: told of each task as it starts and of each load's end, on the task's own thread; or null. */
    private final Consumer<String> taskHook;
    /** Loads straight into the new tables: a staged restore converts no column types. */
    private final TableLoader loader;

    StagedCleanStrategy(
            RestoreContext ctx,
            RestoreOutcome outcome,
            RestoreSteps steps,
            int stagingConnections,
            UUID restoreId,
            Consumer<String> taskHook) {
        this.ctx = ctx;
        this.outcome = outcome;
        this.steps = steps;
        this.stagingConnections = stagingConnections;
        this.restoreId = restoreId;
        this.taskHook = taskHook;
        this.loader = new TableLoader(ctx, outcome, Map.of());
    }

    /** Restores into a staging database and renames it to {@code staging}'s name. */
    RestoreReport run(StagingDatabase.Staging staging) {
        String stagingDb = DatabaseRestore.stagingName(staging.database(), restoreId);
        StagingDatabase databases = new StagingDatabase(ctx, restoreId);
        PgConnectionInfo maintenance = ctx.target().withDatabase(DatabaseRestore.MAINTENANCE_DB);
        PgConnectionInfo into = ctx.target().withDatabase(stagingDb);
        int n = Math.max(
                2,
                Math.min(stagingConnections, Math.max(1, ctx.section().tables().size())));
        outcome.path(RestoreReport.STAGING_DATABASE, n);
        boolean created = false;
        CompletableFuture<Void> creating = null;
        try {
            boolean superuser;
            try (Connection m = maintenance.open(ctx.connections())) {
                superuser = RestoreSteps.queryBoolean(m, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
            }
            // The staging database is created while the schema is read and the checksums checked (about
            // 0.1 s each, on a cold path of every restore); it is dropped like any other if those fail.
            creating = databases.create(stagingDb, staging);
            Prepared prepared = prepare(superuser);
            ctx.progress("schema", null, 0, 0);
            try {
                creating.join();
            } catch (CompletionException e) {
                creating = null; // it failed: nothing to drop
                if (e.getCause() instanceof SQLException sql) {
                    throw sql;
                }
                throw e;
            }
            created = true;
            ctx.lap("create-database");
            List<RestoreReport.SequenceResult> sequences = restoreInto(into, n, prepared);
            ctx.progress("commit", null, 0, 0);
            databases.swap(staging, stagingDb);
            ctx.lap("rename");
            return outcome.report(ctx, prepared.load(), sequences, true);
        } catch (RuntimeException | SQLException | IOException e) {
            ctx.cancellation().stopAll();
            if (!created && creating != null) {
                // failed while the staging database was still being created: wait to know whether it exists
                try {
                    creating.join();
                    created = true;
                } catch (RuntimeException ignored) {
                    // not created: nothing to drop
                }
            }
            if (created) {
                databases.dropQuietly(stagingDb);
            }
            throw ctx.failure(e);
        }
    }

    /** Reads the schema scripts, plans the load and checks the stored entries. */
    private Prepared prepare(boolean superuser) throws IOException {
        PgTools.RestoreOptions scriptOptions = new PgTools.RestoreOptions(!superuser, !superuser, false, true);
        SchemaScript pre = steps.script(PgTools.Section.PRE_DATA, scriptOptions);
        ctx.lap("read-schema");
        List<Manifest.TableEntry> load =
                new RestorePlanner(ctx.section(), ctx.options()).planClean(pre).tables();
        ctx.progress().plan(load, ctx::rawSize);
        ctx.lap("plan");
        ctx.progress("verify", null, 0, 0);
        DatabaseRestore.checkStoredEntries(
                ctx.archive(),
                load.stream().map(Manifest.TableEntry::entry).toList(),
                ctx.parallelism(),
                ctx::checkpoint);
        ctx.lap("verify");
        // Post-data without --clean: the staging database is new, and the drops that --clean puts at the
        // top of the script would run on every connection, dropping what another one just built.
        SchemaScript post = steps.script(
                PgTools.Section.POST_DATA, new PgTools.RestoreOptions(!superuser, !superuser, false, false));
        ctx.checkpoint();
        ctx.lap("read-schema");
        return new Prepared(pre, post, load);
    }

    /** Builds the staging database: schema, data, post-data, sequences; validated, or it throws. */
    private List<RestoreReport.SequenceResult> restoreInto(PgConnectionInfo into, int n, Prepared prepared)
            throws SQLException, IOException {
        try (Connection c = into.open(ctx.connections())) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute(prepared.pre().sql());
                st.execute("SET search_path = ''");
            }
            c.commit();
            ctx.checkpoint();
            ctx.lap("pre-data");
            loadAndPostData(c, into, n, prepared.post(), prepared.load());
            PgCatalog after = PgCatalog.read(c);
            steps.checkCreatedForeignKeys(c, after, fk -> true);
            ctx.lap("post-data-check");
            List<RestoreReport.SequenceResult> sequences =
                    steps.setSequences(c, ctx.section().sequences(), after);
            steps.validate(c, prepared.load());
            ctx.checkpoint();
            if (!outcome.passed()) {
                throw new RestoreException("Restore of " + ctx.section().source() + " failed validation, the"
                        + " staging database was dropped and the target is unchanged: "
                        + RestoreOutcome.describeFailures(outcome.report(ctx, prepared.load(), sequences, false)));
            }
            c.commit();
            return sequences;
        }
    }

    /**
     * Loads the tables and runs post-data over {@code n} connections as one schedule, the way
     * {@code pg_restore -j} does: a table's keys and indexes start as soon as that table is loaded, while
     * others still load, and a foreign key as soon as both its tables are loaded and their keys and indexes
     * built (see {@link StagedLoadScheduler}). What must precede the foreign keys (index attachments of
     * partitions) runs in order once every key and index is built, the foreign keys after it; the rest of
     * post-data (triggers, comments...) in script order on {@code c} at the end. If the script changes the
     * session's tablespace or access method between objects, all tables load first and post-data runs as one
     * script.
     */
    private void loadAndPostData(
            Connection c, PgConnectionInfo into, int n, SchemaScript post, List<Manifest.TableEntry> load)
            throws SQLException, IOException {
        PostDataScript split = PostDataScript.split(post.sql());
        if (load.isEmpty()) {
            ctx.progress("post-data", null, 0, 0); // otherwise sent when the last table is loaded
        }
        if (split == null) {
            schedule(into, n, null, load, Map.of(), List.of(), "post-data");
            try (Statement st = c.createStatement()) {
                RestoreSteps.raiseSessionMaintenanceMemory(c);
                st.execute(post.sql());
                st.execute("SET search_path = ''");
            }
            c.commit();
            ctx.checkpoint();
            ctx.lap("post-data");
            return;
        }
        if (split.before().isEmpty()) {
            schedule(into, n, split.preamble(), load, split.groups(), split.foreignKeys(), "keys-and-foreign-keys");
        } else {
            schedule(into, n, split.preamble(), load, split.groups(), List.of(), "indexes");
            runScript(c, split.preamble() + String.join("\n", split.before()));
            runSchedule(
                    into,
                    n,
                    split.preamble(),
                    new StagedLoadScheduler(
                            ctx.cancellation(), List.of(), ctx::rawSize, Map.of(), split.foreignKeys()));
            ctx.lap("foreign-keys");
        }
        if (!split.after().isEmpty()) {
            runScript(c, split.preamble() + String.join("\n", split.after()));
        }
        ctx.lap("post-data");
    }

    private void runScript(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
            st.execute("SET search_path = ''");
        }
        c.commit();
        ctx.checkpoint();
    }

    /**
     * Runs the loads of {@code load} plus {@code groups} (key and index statements by table, as written) and
     * {@code foreignKeys} as one schedule; charges the time until the last table was loaded to {@code load}
     * and the rest to {@code tail}.
     */
    private void schedule(
            PgConnectionInfo into,
            int n,
            String preamble,
            List<Manifest.TableEntry> load,
            Map<String, List<String>> groups,
            List<PostDataScript.ForeignKey> foreignKeys,
            String tail)
            throws SQLException, IOException {
        StagedLoadScheduler s = new StagedLoadScheduler(ctx.cancellation(), load, ctx::rawSize, groups, foreignKeys);
        runSchedule(into, n, preamble, s);
        ctx.phases().lapUntil(s.lastLoadEnd(), "load");
        ctx.lap(tail);
        if (s.postTasks() > 0) {
            LOG.infof(
                    "Restore of %s: %d of %d key, index and foreign-key tasks started while tables were still"
                            + " loading",
                    ctx.section().source(), s.overlapped(), s.postTasks());
        }
    }

    private void runSchedule(PgConnectionInfo into, int n, String preamble, StagedLoadScheduler s)
            throws SQLException, IOException {
        if (s.isEmpty()) {
            return;
        }
        try {
            new ParallelConnections(ctx).run(into, n, "holdfast-restore-staged", w -> runTasks(w, preamble, s));
        } finally {
            if (LOG.isDebugEnabled()) {
                LOG.debugf("Restore of %s, staged tasks: %s", ctx.section().source(), s.timeline());
            }
        }
    }

    /** One connection's share of a schedule: takes tasks until none is left. */
    private void runTasks(Connection w, String preamble, StagedLoadScheduler s) throws SQLException, IOException {
        w.setAutoCommit(true);
        try (Statement st = w.createStatement()) {
            // The script's session settings (search_path, check_function_bodies...) for every task;
            // loads name their tables in full and COPY reads none of them but xmloption, which
            // pg_restore sets for its data too.
            if (preamble != null) {
                st.execute(preamble);
            }
            RestoreSteps.raiseSessionMaintenanceMemory(w);
            StagedLoadScheduler.Task next;
            while ((next = s.take()) != null) {
                boolean done = false;
                try {
                    if (taskHook != null) {
                        taskHook.accept(next.describe());
                    }
                    if (next.entry() != null) {
                        loadTable(w, next.entry());
                    } else {
                        for (String sql : next.sql()) {
                            ctx.checkpoint();
                            executeRetryingDeadlock(st, sql);
                        }
                    }
                    done = true;
                } finally {
                    if (s.finished(next, done)) {
                        ctx.progress("post-data", null, 0, 0);
                    }
                }
            }
        }
    }

    /**
     * Loads one table in its own transaction that truncates the new table first so that {@code COPY FREEZE}
     * is allowed ({@code ONLY}: an inheritance parent must not empty a child loaded before it).
     */
    private void loadTable(Connection w, Manifest.TableEntry te) throws SQLException, IOException {
        ctx.checkpoint();
        TableRef r = RestoreContext.ref(te);
        long size = ctx.rawSize(te);
        ctx.progress("load", te, 0, size);
        long[] result = new long[2];
        w.setAutoCommit(false);
        try (Statement st = w.createStatement()) {
            st.execute("TRUNCATE TABLE ONLY " + r.sql());
        }
        loader.copy(w, te, true, size, result);
        w.commit();
        w.setAutoCommit(true);
        outcome.loaded(r, result);
        ctx.progress().tableLoaded(result[0]);
        ctx.progress("load", te, size, size);
        if (taskHook != null) {
            taskHook.accept("loaded " + r.dotted());
        }
    }

    /**
     * Runs one statement, again if PostgreSQL chose it as a deadlock victim: each runs in a transaction of
     * its own on a database nobody else uses, so a retry meets the same state minus the other party's lock.
     */
    private static void executeRetryingDeadlock(Statement st, String sql) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                st.execute(sql);
                return;
            } catch (SQLException e) {
                if (!"40P01".equals(e.getSQLState()) || attempt >= 3) {
                    throw e;
                }
            }
        }
    }
}
