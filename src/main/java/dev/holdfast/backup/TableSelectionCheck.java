package dev.holdfast.backup;

import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgCatalog;
import dev.holdfast.pg.Selection;
import dev.holdfast.pg.TableRef;
import dev.holdfast.source.SourceRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Refuses, at the request, an {@code include_tables} or {@code schema_only_tables} entry that matches no table
 * of the databases a backup covers: such a backup would otherwise succeed without what was asked for (an
 * include that matches nothing backs up nothing). Exclusions that match nothing exclude nothing and are
 * accepted, so that one request can serve databases that differ. Schedules are not checked when saved:
 * the tables they name may not exist yet.
 */
@ApplicationScoped
public class TableSelectionCheck {
    private static final Logger LOG = Logger.getLogger(TableSelectionCheck.class);

    @Inject
    SourceRegistry sources;

    /** @throws InvalidSelection naming the first entry that matches no table */
    public void check(BackupRequest req) {
        if (req.backupType() == BackupType.MEDIA || (empty(req.includeTables()) && empty(req.schemaOnlyTables()))) {
            return;
        }
        List<String> dbs =
                empty(req.databases()) ? List.copyOf(sources.databases().keySet()) : req.databases();
        List<TableRef> tables = new ArrayList<>();
        for (String name : dbs) {
            SourceRegistry.DatabaseSource src = sources.databases().get(name);
            if (src == null) {
                return; // an unknown source is refused by BackupService, with its own message
            }
            try (Connection c = src.connectionInfo().open(ConnectionFactory.driverManager())) {
                tables.addAll(tables(c));
            } catch (SQLException e) {
                // The job reaches the source or fails saying why; the check is a courtesy, not a gate.
                LOG.debugf("Table names of %s not checked: %s", name, e.getMessage());
                return;
            }
        }
        refuseUnmatched("include_tables", req.includeTables(), tables, dbs);
        refuseUnmatched("schema_only_tables", req.schemaOnlyTables(), tables, dbs);
    }

    /**
     * The tables of a configured database source as schema.name, sorted, for pickers (the dashboard's create form);
     * empty when the source is unknown or cannot be reached.
     */
    public List<String> tablesOf(String source) {
        SourceRegistry.DatabaseSource src = sources.databases().get(source);
        if (src == null) {
            return List.of();
        }
        try (Connection c = src.connectionInfo().open(ConnectionFactory.driverManager())) {
            return tables(c).stream()
                    .map(t -> t.schema() + "." + t.name())
                    .sorted()
                    .toList();
        } catch (SQLException e) {
            LOG.debugf("Table names of %s not read: %s", source, e.getMessage());
            return List.of();
        }
    }

    private static void refuseUnmatched(String field, List<String> patterns, List<TableRef> tables, List<String> dbs) {
        for (int i = 0; patterns != null && i < patterns.size(); i++) {
            List<String> one = List.of(patterns.get(i));
            if (tables.stream().noneMatch(t -> Selection.matchesTable(one, t))) {
                throw new InvalidSelection(
                        field + "[" + i + "]", "'" + patterns.get(i) + "' matches no table in " + dbs);
            }
        }
    }

    private static List<TableRef> tables(Connection c) throws SQLException {
        List<TableRef> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', ?)
                  AND n.nspname NOT LIKE 'pg\\_%'""")) {
            ps.setString(1, PgCatalog.HOLDFAST_SCHEMA);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TableRef(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    private static boolean empty(List<String> l) {
        return l == null || l.isEmpty();
    }
}
