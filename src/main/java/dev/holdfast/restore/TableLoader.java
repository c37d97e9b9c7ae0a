package dev.holdfast.restore;

import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.ReadAheadInputStream;
import dev.holdfast.pg.PgNames;
import dev.holdfast.pg.TableRef;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Loads archive entries into tables with {@code COPY}, checking each entry's raw checksum as it streams; binary
 * entries whose target columns differ in type go through a temporary table ({@link RestorePlanner.Conversion}).
 */
final class TableLoader {

    private static final int PROGRESS_EVERY = 4 << 20;
    /** 256 KiB CopyData messages, read up to 4 ahead: 1.5 MiB per loading connection. */
    private static final int READ_AHEAD_CHUNK = 256 * 1024;

    private static final int READ_AHEAD_DEPTH = 4;

    private final RestoreContext ctx;
    private final RestoreOutcome outcome;
    private final Map<TableRef, RestorePlanner.Conversion> conversions;

    TableLoader(RestoreContext ctx, RestoreOutcome outcome, Map<TableRef, RestorePlanner.Conversion> conversions) {
        this.ctx = ctx;
        this.outcome = outcome;
        this.conversions = Map.copyOf(conversions);
    }

    /** Loads {@code load} one table after the other on {@code c}, in its transaction. */
    void loadTables(Connection c, List<Manifest.TableEntry> load, RestoreSteps steps) throws SQLException, IOException {
        // FREEZE needs the table created or truncated in the current subtransaction, so the savepoints a
        // dry run uses to keep going after an error rule it out there.
        boolean freeze = !ctx.options().dryRun();
        for (Manifest.TableEntry te : load) {
            loadTable(c, te, freeze, steps);
        }
    }

    private void loadTable(Connection c, Manifest.TableEntry te, boolean freeze, RestoreSteps steps)
            throws SQLException, IOException {
        ctx.checkpoint();
        TableRef r = RestoreContext.ref(te);
        long size = ctx.rawSize(te);
        ctx.progress("load", te, 0, size);
        long[] result = new long[2];
        if (ctx.options().dryRun()) {
            String sp = steps.savepoint(c);
            try {
                copy(c, te, false, size, result);
                RestoreSteps.release(c, sp);
            } catch (SQLException | IOException e) {
                RestoreSteps.rollbackTo(c, sp);
                outcome.loadError(r, e.getMessage());
                outcome.error("loading " + r.dotted() + ": " + e.getMessage());
            }
        } else {
            copy(c, te, freeze, size, result);
        }
        outcome.loaded(r, result);
        ctx.lap("load");
        ctx.progress().tableLoaded(result[0]);
        ctx.progress("load", te, size, size);
    }

    /** Loads {@code te} on {@code c}; {@code result} receives the rows and bytes loaded. */
    void copy(Connection c, Manifest.TableEntry te, boolean freeze, long size, long[] result)
            throws SQLException, IOException {
        TableRef r = RestoreContext.ref(te);
        String format = te.copyFormatIn(ctx.section());
        RestorePlanner.Conversion conversion = conversions.get(r);
        if (conversion != null) {
            copyConverting(c, te, conversion, size, result);
            return;
        }
        String sql = "COPY " + r.sql() + " " + PgNames.columnList(te.columns()) + " FROM STDIN WITH (FORMAT " + format
                + (freeze ? ", FREEZE" : "") + ")";
        stream(c, sql, te, size, result);
    }

    /**
     * Loads a binary entry whose target columns differ in type from the archive's: COPY into a temporary
     * table of the archive's types, then insert with each converted value going through its text form
     * (output of the archive's type, input of the target's, the target's modifiers applied as in an
     * assignment), exactly what loading a text archive does.
     */
    private void copyConverting(
            Connection c, Manifest.TableEntry te, RestorePlanner.Conversion conversion, long size, long[] result)
            throws SQLException, IOException {
        TableRef r = RestoreContext.ref(te);
        String temp = "pg_temp." + PgNames.quoteIdent("holdfast_convert");
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TEMPORARY TABLE " + temp + " (" + String.join(", ", conversion.tempColumns())
                    + ") ON COMMIT DROP");
        }
        long[] staged = new long[2];
        stream(c, "COPY " + temp + " FROM STDIN WITH (FORMAT binary)", te, size, staged);
        result[1] = staged[1];
        try (Statement st = c.createStatement()) {
            result[0] = st.executeUpdate("INSERT INTO " + r.sql() + " " + PgNames.columnList(te.columns()) + " SELECT "
                    + String.join(", ", conversion.values()) + " FROM " + temp);
            st.execute("DROP TABLE " + temp);
        }
    }

    private void stream(Connection c, String sql, Manifest.TableEntry te, long size, long[] result)
            throws SQLException, IOException {
        CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        // Decompressed and checksummed on the way, on a thread of its own so that the server never waits for
        // it: the entry's raw SHA-256 is checked when it ends.
        try (InputStream in = new ReadAheadInputStream(
                ctx.archive().openEntry(te.entry()), READ_AHEAD_CHUNK, READ_AHEAD_DEPTH, "holdfast-restore-read")) {
            byte[] buf = new byte[READ_AHEAD_CHUNK];
            long sinceProgress = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                ctx.checkpoint();
                if (n > 0) {
                    copy.writeToCopy(buf, 0, n);
                    result[1] += n;
                    ctx.progress().addBytes(n);
                    sinceProgress += n;
                    if (sinceProgress >= PROGRESS_EVERY) {
                        sinceProgress = 0;
                        ctx.progress("load", te, result[1], size);
                    }
                }
            }
            // Reaching the end above checked the entry's digests; only then may the rows count.
            result[0] = copy.endCopy();
        } finally {
            if (copy.isActive()) {
                try {
                    copy.cancelCopy();
                } catch (SQLException ignored) {
                    // the transaction is rolled back anyway; the original failure is what matters
                }
            }
        }
    }
}
