package dev.holdfast.restore;

import dev.holdfast.pg.PgCatalog;
import dev.holdfast.pg.PgNames;
import dev.holdfast.pg.TableRef;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Clean mode in one transaction: runs the archive's pre-data schema as SQL (pg_restore {@code --clean
 * --if-exists} drops what it is about to create), loads the data, runs post-data, then checks the foreign keys
 * it created and sets the sequences, all in the one transaction {@link SingleTransactionRestore} commits.
 */
final class SingleTransactionCleanStrategy implements TransactionStrategy {

    private final RestoreContext ctx;
    private final RestoreOutcome outcome;
    private final RestoreSteps steps;

    SingleTransactionCleanStrategy(RestoreContext ctx, RestoreOutcome outcome, RestoreSteps steps) {
        this.ctx = ctx;
        this.outcome = outcome;
        this.steps = steps;
    }

    @Override
    public boolean clean() {
        return true;
    }

    @Override
    public RestorePlanner.LoadPlan plan(Connection c, PgCatalog catalog, SchemaScript pre) {
        return new RestorePlanner(ctx.section(), ctx.options()).planClean(pre);
    }

    @Override
    public List<RestoreReport.SequenceResult> restore(
            Connection c, PgCatalog before, SchemaScript pre, SchemaScript post, RestorePlanner.LoadPlan plan)
            throws SQLException, IOException {
        ctx.progress("schema", null, 0, 0);
        Set<TableRef> created = new LinkedHashSet<>(pre.tables());
        List<Long> existing = new ArrayList<>();
        for (PgCatalog.Table t : before.tables()) {
            if (created.contains(t.ref())) {
                existing.add(t.oid());
                if (t.dataCarrying()) {
                    outcome.removed(
                            t.ref(),
                            RestoreSteps.queryLong(
                                    c, "SELECT count(*) FROM ONLY " + t.ref().sql()));
                }
            }
        }
        try (Statement st = c.createStatement()) {
            // The script drops tables before it recreates them; keys among them would stop the drops. A key
            // from a table the archive does not know still does, and the restore fails rather than cascade.
            for (ConstraintCatalog.Ddl fk : ConstraintCatalog.foreignKeys(c, existing.toArray(Long[]::new))) {
                st.execute("ALTER TABLE " + fk.table().sql() + " DROP CONSTRAINT IF EXISTS "
                        + PgNames.quoteIdent(fk.name()));
            }
            st.execute(pre.sql());
            st.execute("SET search_path = ''");
        }
        ctx.checkpoint();
        ctx.lap("pre-data");
        new TableLoader(ctx, outcome, plan.conversions()).loadTables(c, plan.tables(), steps);
        ctx.progress("post-data", null, 0, 0);
        try (Statement st = c.createStatement()) {
            st.execute(post.sql());
            st.execute("SET search_path = ''");
        }
        ctx.lap("post-data");
        PgCatalog after = PgCatalog.read(c);
        steps.checkCreatedForeignKeys(c, after, fk -> created.contains(fk.from()));
        ctx.lap("post-data-check");
        return steps.setSequences(c, ctx.section().sequences(), after);
    }
}
