package dev.holdfast.restore;

import dev.holdfast.pg.PgCatalog;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * A restore that runs in one transaction on the target ({@link SingleTransactionRestore} opens, validates and
 * commits it): what it loads, and how it changes the target's tables around the load.
 */
interface TransactionStrategy {

    /** Whether pg_restore writes the schema with {@code --clean}, and post-data is run after the load. */
    boolean clean();

    /** Pre-flight: what to load, or a {@link RestoreException} refusing with every problem, changing nothing. */
    RestorePlanner.LoadPlan plan(Connection c, PgCatalog catalog, SchemaScript pre) throws SQLException;

    /**
     * Changes the target within the open transaction: prepares its tables, loads {@code plan}'s and finishes them
     * (keys, indexes, post-data), then sets the sequences.
     *
     * @param post the post-data script, null unless {@link #clean()}
     * @return the sequences set
     */
    List<RestoreReport.SequenceResult> restore(
            Connection c, PgCatalog catalog, SchemaScript pre, SchemaScript post, RestorePlanner.LoadPlan plan)
            throws SQLException, IOException;
}
