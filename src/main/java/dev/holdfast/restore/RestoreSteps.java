package dev.holdfast.restore;

import dev.holdfast.archive.Manifest;
import dev.holdfast.pg.PgCatalog;
import dev.holdfast.pg.PgEngineException;
import dev.holdfast.pg.PgNames;
import dev.holdfast.pg.PgTools;
import dev.holdfast.pg.TableRef;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The steps every restore strategy shares once its tables are loaded (sequences, row counts, deferred keys, the
 * foreign keys post-data created), and the statement runner that lets a dry run record a failure and go on.
 */
final class RestoreSteps {

    private final RestoreContext ctx;
    private final RestoreOutcome outcome;
    /** Savepoints a dry run took so far: each gets a name of its own. */
    private int savepoints;

    RestoreSteps(RestoreContext ctx, RestoreOutcome outcome) {
        this.ctx = ctx;
        this.outcome = outcome;
    }

    /** The archive's schema dump as SQL: {@code part} of it, written by pg_restore with {@code scriptOptions}. */
    SchemaScript script(PgTools.Section part, PgTools.RestoreOptions scriptOptions) throws IOException {
        ByteArrayOutputStream sql = new ByteArrayOutputStream();
        try (InputStream dump = ctx.archive().openEntry(ctx.section().schemaEntry())) {
            ctx.tools().script(dump, part, scriptOptions, sql);
        } catch (PgEngineException e) {
            throw new RestoreException(
                    "Reading the archive's schema failed, nothing was changed: " + e.getMessage(), e);
        }
        return SchemaScript.parse(sql.toString(StandardCharsets.UTF_8));
    }

    /**
     * Index builds and key validation after the load are where a single transaction loses most to
     * {@code pg_restore -j}; enough memory lets the sorts stay in memory and lets CREATE INDEX use the
     * server's parallel maintenance workers, the one kind of parallelism a single transaction can have.
     */
    static void raiseMaintenanceMemory(Connection c) throws SQLException {
        long currentKb = queryLong(c, "SELECT setting::bigint FROM pg_settings WHERE name = 'maintenance_work_mem'");
        if (currentKb < DatabaseRestore.MAINTENANCE_WORK_MEM_KB) {
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL maintenance_work_mem = '" + DatabaseRestore.MAINTENANCE_WORK_MEM_KB + "kB'");
            }
        }
    }

    /** {@link #raiseMaintenanceMemory} for the whole session: a staged restore's statements commit one by one. */
    static void raiseSessionMaintenanceMemory(Connection c) throws SQLException {
        long currentKb = queryLong(c, "SELECT setting::bigint FROM pg_settings WHERE name = 'maintenance_work_mem'");
        if (currentKb < DatabaseRestore.MAINTENANCE_WORK_MEM_KB) {
            try (Statement st = c.createStatement()) {
                st.execute("SET maintenance_work_mem = '" + DatabaseRestore.MAINTENANCE_WORK_MEM_KB + "kB'");
            }
        }
    }

    /** Checks each foreign key of {@code after} that {@code restored} accepts: post-data created it, valid or not. */
    void checkCreatedForeignKeys(Connection c, PgCatalog after, Predicate<PgCatalog.ForeignKey> restored)
            throws SQLException {
        for (PgCatalog.ForeignKey fk : after.foreignKeys()) {
            if (restored.test(fk)) {
                boolean valid = queryBoolean(
                        c,
                        "SELECT convalidated FROM pg_constraint WHERE conname = "
                                + PgNames.quoteLiteral(fk.name()) + " AND conrelid = "
                                + PgNames.quoteLiteral(fk.from().sql())
                                + "::regclass AND contype = 'f'");
                outcome.check(new RestoreReport.Check(
                        "foreign-key",
                        fk.from().dotted() + "." + fk.name(),
                        valid,
                        valid ? "created and validated by post-data" : "created NOT VALID, as in the source"));
            }
        }
    }

    /** Sets each of {@code wanted} to its archived value and checks it against the column it feeds. */
    List<RestoreReport.SequenceResult> setSequences(
            Connection c, List<Manifest.SequenceEntry> wanted, PgCatalog catalog) throws SQLException {
        Map<TableRef, PgCatalog.Sequence> bySeq = new HashMap<>();
        catalog.sequences().forEach(s -> bySeq.put(s.ref(), s));
        List<RestoreReport.SequenceResult> out = new ArrayList<>();
        ctx.lap("other");
        try (Statement st = c.createStatement()) {
            for (Manifest.SequenceEntry s : wanted) {
                TableRef sr = new TableRef(s.schema(), s.name());
                PgCatalog.Sequence ts = bySeq.get(sr);
                if (ts == null) {
                    outcome.error("sequence " + sr.dotted() + " is not in the target");
                    continue;
                }
                // setval alone is not transactional; after RESTART (a new relfilenode in this transaction)
                // it writes into that new file, which a rollback discards with everything else.
                st.execute("ALTER SEQUENCE " + sr.sql() + " RESTART");
                st.execute("SELECT pg_catalog.setval(" + PgNames.quoteLiteral(sr.sql()) + ", " + s.lastValue() + ", "
                        + s.isCalled() + ")");
                Long max = null;
                String ownedBy = null;
                if (ts.ownedByTable().isPresent() && ts.ownedByColumn().isPresent()) {
                    TableRef owner = ts.ownedByTable().get();
                    ownedBy = owner.dotted() + "." + ts.ownedByColumn().get();
                    try (ResultSet rs = st.executeQuery("SELECT max("
                            + PgNames.quoteIdent(ts.ownedByColumn().get()) + ")::bigint FROM " + owner.sql())) {
                        rs.next();
                        max = (Long) rs.getObject(1, Long.class);
                    }
                    long next = s.isCalled() ? s.lastValue() : s.lastValue() - ts.increment();
                    boolean ok = max == null || (ts.increment() > 0 ? next >= max : next <= max);
                    outcome.check(new RestoreReport.Check(
                            "sequence",
                            sr.dotted(),
                            ok,
                            "last value " + next
                                    + (max == null
                                            ? ", column empty"
                                            : ", column " + (ts.increment() > 0 ? "max " : "min ") + max)));
                }
                out.add(new RestoreReport.SequenceResult(
                        s.schema(), s.name(), s.lastValue(), s.isCalled(), ownedBy, max));
            }
        }
        ctx.lap("sequences");
        return out;
    }

    /** Checks each loaded table's row count against the manifest, then every deferred key. */
    void validate(Connection c, List<Manifest.TableEntry> load) throws SQLException {
        ctx.progress("validate", null, 0, 0);
        // Every restored table was emptied (TRUNCATE) or created (clean) in this transaction, which holds it
        // exclusively, and only its COPY wrote to it: user triggers are disabled (replace) or not created
        // yet (clean), and COPY applies no rules. The row count COPY returned is the table's row count,
        // exactly, without scanning the table a second time.
        for (Manifest.TableEntry te : load) {
            TableRef r = RestoreContext.ref(te);
            long count = outcome.rowsLoaded(r);
            boolean ok = count == te.rowCount();
            outcome.check(new RestoreReport.Check(
                    "row-count", r.dotted(), ok, count + " rows, manifest says " + te.rowCount()));
        }
        ctx.lap("validate-row-counts");
        // Deferred keys of the restored tables (none are left after a re-add, but the target may have more)
        // must hold now, not at a commit that a dry run never reaches.
        if (!step(c, "deferred constraints", null, "SET CONSTRAINTS ALL IMMEDIATE")) {
            outcome.check(new RestoreReport.Check("foreign-key", "deferred constraints", false, "violated"));
        }
        ctx.lap("validate-deferred");
    }

    /** Runs one statement; a dry run records its failure and goes on, a real restore stops at it. */
    boolean step(Connection c, String what, TableRef table, String sql) throws SQLException {
        ctx.checkpoint();
        if (!ctx.options().dryRun()) {
            try (Statement st = c.createStatement()) {
                st.execute(sql);
            }
            return true;
        }
        String sp = savepoint(c);
        try (Statement st = c.createStatement()) {
            st.execute(sql);
            release(c, sp);
            return true;
        } catch (SQLException e) {
            rollbackTo(c, sp);
            outcome.error(what + ": " + e.getMessage());
            if (table != null) {
                outcome.stepError(table, e.getMessage());
            }
            return false;
        }
    }

    String savepoint(Connection c) throws SQLException {
        String name = "holdfast_sp_" + (++savepoints);
        try (Statement st = c.createStatement()) {
            st.execute("SAVEPOINT " + name);
        }
        return name;
    }

    static void release(Connection c, String name) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("RELEASE SAVEPOINT " + name);
        }
    }

    static void rollbackTo(Connection c, String name) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("ROLLBACK TO SAVEPOINT " + name);
        }
    }

    static long queryLong(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static boolean queryBoolean(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    static void rollbackQuietly(Connection c) {
        try {
            if (!c.isClosed()) {
                c.rollback();
            }
        } catch (SQLException ignored) {
            // a dead connection has been rolled back by the server already
        }
    }
}
