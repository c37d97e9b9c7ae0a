package dev.holdfast.restore;

import dev.holdfast.pg.PgCatalog;
import dev.holdfast.pg.PgNames;
import dev.holdfast.pg.TableRef;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Replace mode: keeps the target's schema. Drops the foreign keys, primary keys, unique constraints and plain
 * indexes of the restored tables, disables their user triggers, truncates them in one statement, loads each with
 * {@code COPY ... FREEZE}, rebuilds keys and indexes, re-adds the foreign keys (validating each in one pass) and
 * sets the sequences, all in the one transaction {@link SingleTransactionRestore} commits.
 */
final class ReplaceStrategy implements TransactionStrategy {

    /** What the load drops or disables on the restored tables, to put back after it. */
    private record Prepared(
            List<ConstraintCatalog.Ddl> foreignKeys,
            List<ConstraintCatalog.Ddl> keys,
            List<ConstraintCatalog.Ddl> indexes,
            List<ConstraintCatalog.Trigger> triggers) {}

    private final RestoreContext ctx;
    private final RestoreOutcome outcome;
    private final RestoreSteps steps;

    ReplaceStrategy(RestoreContext ctx, RestoreOutcome outcome, RestoreSteps steps) {
        this.ctx = ctx;
        this.outcome = outcome;
        this.steps = steps;
    }

    @Override
    public boolean clean() {
        return false;
    }

    @Override
    public RestorePlanner.LoadPlan plan(Connection c, PgCatalog catalog, SchemaScript pre) throws SQLException {
        return new RestorePlanner(ctx.section(), ctx.options()).planReplace(c, catalog, pre);
    }

    @Override
    public List<RestoreReport.SequenceResult> restore(
            Connection c, PgCatalog catalog, SchemaScript pre, SchemaScript post, RestorePlanner.LoadPlan plan)
            throws SQLException, IOException {
        ctx.progress("prepare", null, 0, 0);
        List<TableRef> refs = plan.tables().stream().map(RestoreContext::ref).toList();
        Prepared prepared = prepare(c, catalog, refs);
        ctx.checkpoint();
        ctx.lap("prepare");
        new TableLoader(ctx, outcome, plan.conversions()).loadTables(c, plan.tables(), steps);
        ctx.progress("post-data", null, 0, 0);
        putBack(c, prepared);
        return steps.setSequences(c, plan.sequences(), catalog);
    }

    /** Counts, then empties the restored tables, their keys, indexes and triggers out of the load's way. */
    private Prepared prepare(Connection c, PgCatalog catalog, List<TableRef> refs) throws SQLException {
        for (TableRef r : refs) {
            outcome.removed(r, RestoreSteps.queryLong(c, "SELECT count(*) FROM ONLY " + r.sql()));
        }
        Long[] leafOids =
                refs.stream().map(r -> catalog.table(r).orElseThrow().oid()).toArray(Long[]::new);
        Set<Long> withAncestors = new LinkedHashSet<>(List.of(leafOids));
        for (TableRef r : refs) {
            Optional<TableRef> parent = catalog.table(r).flatMap(PgCatalog.Table::partitionOf);
            while (parent.isPresent()) {
                PgCatalog.Table p = catalog.table(parent.get()).orElseThrow();
                withAncestors.add(p.oid());
                parent = p.partitionOf();
            }
        }
        Long[] keyed = withAncestors.toArray(Long[]::new);
        Prepared prepared = new Prepared(
                ConstraintCatalog.foreignKeys(c, keyed),
                ConstraintCatalog.uniqueKeys(c, leafOids, keyed),
                ConstraintCatalog.plainIndexes(c, leafOids, keyed),
                ConstraintCatalog.userTriggers(c, leafOids));
        try (Statement st = c.createStatement()) {
            for (ConstraintCatalog.Ddl fk : prepared.foreignKeys()) {
                st.execute("ALTER TABLE " + fk.table().sql() + " DROP CONSTRAINT " + PgNames.quoteIdent(fk.name()));
            }
            // Primary keys and unique constraints too: maintaining a unique index row by row costs the load
            // far more than one sorted build afterwards (which also checks uniqueness, once).
            for (ConstraintCatalog.Ddl key : prepared.keys()) {
                st.execute("ALTER TABLE " + key.table().sql() + " DROP CONSTRAINT " + PgNames.quoteIdent(key.name()));
            }
            for (ConstraintCatalog.Ddl ix : prepared.indexes()) {
                st.execute(
                        "DROP INDEX " + PgNames.quoteIdent(ix.table().schema()) + "." + PgNames.quoteIdent(ix.name()));
            }
            // Restored rows are the archive's; audit or sync triggers must not fire for them, as with
            // pg_restore --disable-triggers, but without needing superuser for the system triggers.
            for (ConstraintCatalog.Trigger t : prepared.triggers()) {
                st.execute("ALTER TABLE " + t.table().sql() + " DISABLE TRIGGER " + PgNames.quoteIdent(t.name()));
            }
            if (!refs.isEmpty()) {
                st.execute("TRUNCATE TABLE "
                        + String.join(", ", refs.stream().map(TableRef::sql).toList()));
            }
        }
        return prepared;
    }

    /** Rebuilds the keys and indexes, re-adds (and so validates) the foreign keys and re-enables the triggers. */
    private void putBack(Connection c, Prepared prepared) throws SQLException {
        for (ConstraintCatalog.Ddl key : prepared.keys()) {
            steps.step(
                    c,
                    "constraint " + key.name() + " on " + key.table().dotted(),
                    key.table(),
                    "ALTER TABLE " + key.table().sql() + " ADD CONSTRAINT " + PgNames.quoteIdent(key.name()) + " "
                            + key.definition());
        }
        for (ConstraintCatalog.Ddl ix : prepared.indexes()) {
            steps.step(c, "index " + ix.name() + " on " + ix.table().dotted(), ix.table(), ix.definition());
        }
        ctx.lap("indexes");
        for (ConstraintCatalog.Ddl fk : prepared.foreignKeys()) {
            boolean ok = steps.step(
                    c,
                    "foreign key " + fk.name() + " on " + fk.table().dotted(),
                    fk.table(),
                    "ALTER TABLE " + fk.table().sql() + " ADD CONSTRAINT " + PgNames.quoteIdent(fk.name()) + " "
                            + fk.definition());
            outcome.check(new RestoreReport.Check(
                    "foreign-key",
                    fk.table().dotted() + "." + fk.name(),
                    ok,
                    ok ? "re-added and validated" : "violated by the restored rows"));
        }
        try (Statement st = c.createStatement()) {
            for (ConstraintCatalog.Trigger t : prepared.triggers()) {
                String how = switch (t.enabled()) {
                    case "A" -> "ENABLE ALWAYS";
                    case "R" -> "ENABLE REPLICA";
                    default -> "ENABLE";
                };
                st.execute("ALTER TABLE " + t.table().sql() + " " + how + " TRIGGER " + PgNames.quoteIdent(t.name()));
            }
        }
        ctx.lap("foreign-keys");
    }
}
