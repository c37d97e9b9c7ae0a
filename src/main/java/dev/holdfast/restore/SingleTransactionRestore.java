package dev.holdfast.restore;

import dev.holdfast.archive.Manifest;
import dev.holdfast.pg.PgCatalog;
import dev.holdfast.pg.PgTools;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Runs a {@link TransactionStrategy} in one transaction on the target, validated before it commits, so that any
 * failure or cancellation leaves the target exactly as it was; a dry run always rolls back.
 */
final class SingleTransactionRestore {

    private final RestoreContext ctx;
    private final RestoreOutcome outcome;
    private final RestoreSteps steps;

    SingleTransactionRestore(RestoreContext ctx, RestoreOutcome outcome, RestoreSteps steps) {
        this.ctx = ctx;
        this.outcome = outcome;
        this.steps = steps;
    }

    RestoreReport run(TransactionStrategy strategy) {
        boolean clean = strategy.clean();
        try (Connection c = ctx.target().open(ctx.connections())) {
            try (Statement st = c.createStatement()) {
                // Types come out as pg_dump writes them (schema-qualified), and names can't be captured.
                st.execute("SET search_path = ''");
            }
            c.setAutoCommit(false);
            boolean superuser =
                    RestoreSteps.queryBoolean(c, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
            PgTools.RestoreOptions scriptOptions = new PgTools.RestoreOptions(!superuser, !superuser, false, clean);
            SchemaScript pre = steps.script(PgTools.Section.PRE_DATA, scriptOptions);
            PgCatalog catalog = PgCatalog.read(c);
            c.rollback();
            ctx.lap("read-schema");
            RestorePlanner.LoadPlan plan = strategy.plan(c, catalog, pre);
            c.rollback();
            ctx.progress().plan(plan.tables(), ctx::rawSize);
            ctx.lap("plan");
            ctx.progress("verify", null, 0, 0);
            // Stored bytes now, before anything changes; raw bytes as they stream into COPY (see TableLoader).
            DatabaseRestore.checkStoredEntries(
                    ctx.archive(),
                    plan.tables().stream().map(Manifest.TableEntry::entry).toList(),
                    ctx.parallelism(),
                    ctx::checkpoint);
            ctx.lap("verify");
            SchemaScript post = clean ? steps.script(PgTools.Section.POST_DATA, scriptOptions) : null;
            ctx.checkpoint();
            ctx.lap("read-schema");
            try {
                return restore(c, strategy, catalog, pre, post, plan);
            } catch (RuntimeException | SQLException | IOException e) {
                RestoreSteps.rollbackQuietly(c);
                throw ctx.failure(e);
            }
        } catch (SQLException | IOException e) {
            throw ctx.failure(e);
        }
    }

    /** Restores, validates, then commits, or rolls back a dry run or a restore that failed validation. */
    private RestoreReport restore(
            Connection c,
            TransactionStrategy strategy,
            PgCatalog catalog,
            SchemaScript pre,
            SchemaScript post,
            RestorePlanner.LoadPlan plan)
            throws SQLException, IOException {
        RestoreSteps.raiseMaintenanceMemory(c);
        List<RestoreReport.SequenceResult> sequences = strategy.restore(c, catalog, pre, post, plan);
        steps.validate(c, plan.tables());
        ctx.checkpoint();
        boolean commit = !ctx.options().dryRun() && outcome.passed();
        if (commit) {
            ctx.progress("commit", null, 0, 0);
            c.commit();
            ctx.lap("commit");
        } else {
            ctx.progress("rollback", null, 0, 0);
            c.rollback();
            ctx.lap("rollback");
        }
        RestoreReport report = outcome.report(ctx, plan.tables(), sequences, commit);
        if (!ctx.options().dryRun() && !commit) {
            throw new RestoreException("Restore of " + ctx.section().source() + " failed validation and was"
                    + " rolled back, the target is unchanged: " + RestoreOutcome.describeFailures(report));
        }
        return report;
    }
}
