package dev.holdfast.restore;

import dev.holdfast.pg.TableRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The foreign keys, keys, indexes and user triggers of the restored tables that a restore drops or disables for
 * the load and puts back after it, read from the target's catalog with their definitions.
 */
final class ConstraintCatalog {

    /** A foreign key or index definition captured before it is dropped, to be recreated verbatim. */
    record Ddl(TableRef table, String name, String definition) {}

    /** A user trigger disabled for the load and its {@code tgenabled} state to restore. */
    record Trigger(TableRef table, String name, String enabled) {}

    private ConstraintCatalog() {}

    static List<Ddl> foreignKeys(Connection c, Long[] oids) throws SQLException {
        // Only original keys: clones on partitions go with their parent's key.
        return ddl(c, """
                SELECT n.nspname, r.relname, con.conname, pg_get_constraintdef(con.oid)
                FROM pg_constraint con JOIN pg_class r ON r.oid = con.conrelid
                JOIN pg_namespace n ON n.oid = r.relnamespace
                WHERE con.contype = 'f' AND con.conparentid = 0 AND con.conrelid = ANY (?)
                ORDER BY n.nspname, r.relname, con.conname
                """, oids);
    }

    /**
     * Primary keys and unique constraints of {@code oids} that can be dropped and re-added verbatim: their
     * own (not a partitioned parent's), with an index of the same name that carries no state a new build
     * would lose (clustered, replica identity, comments), and nothing depending on them but foreign keys
     * defined on {@code keyed} tables, which this restore drops and re-adds anyway. Anything else (a view
     * relying on the key for GROUP BY, an exclusion constraint) keeps its key in place.
     */
    static List<Ddl> uniqueKeys(Connection c, Long[] oids, Long[] keyed) throws SQLException {
        return ddl(c, """
                SELECT n.nspname, r.relname, con.conname, pg_get_constraintdef(con.oid)
                FROM pg_constraint con JOIN pg_class r ON r.oid = con.conrelid
                JOIN pg_namespace n ON n.oid = r.relnamespace
                JOIN pg_index i ON i.indexrelid = con.conindid JOIN pg_class ic ON ic.oid = con.conindid
                WHERE con.contype IN ('p', 'u') AND con.conparentid = 0 AND con.conrelid = ANY (?)
                  AND ic.relname = con.conname AND i.indisvalid AND i.indisready
                  AND NOT i.indisreplident AND NOT i.indisclustered
                  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = con.conindid)
                  AND NOT EXISTS (SELECT 1 FROM pg_description d
                                  WHERE (d.classoid = 'pg_constraint'::regclass AND d.objoid = con.oid)
                                     OR (d.classoid = 'pg_class'::regclass AND d.objoid = con.conindid))
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                  WHERE ((d.refclassid = 'pg_constraint'::regclass AND d.refobjid = con.oid)
                                      OR (d.refclassid = 'pg_class'::regclass AND d.refobjid = con.conindid))
                                    AND NOT (d.classid = 'pg_class'::regclass AND d.objid = con.conindid)
                                    AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                                                    WHERE d.classid = 'pg_constraint'::regclass
                                                      AND f.oid = d.objid AND f.contype = 'f'
                                                      AND f.conrelid = ANY (?)))
                ORDER BY n.nspname, r.relname, con.conname
                """, oids, keyed);
    }

    static List<Ddl> plainIndexes(Connection c, Long[] oids, Long[] keyed) throws SQLException {
        // Indexes behind constraints are handled with their constraint (uniqueKeys) or stay; so do
        // partition indexes attached to a parent, and any that carry state a CREATE INDEX would lose or
        // that something other than a re-added foreign key depends on.
        return ddl(c, """
                SELECT n.nspname, r.relname, ic.relname, pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                JOIN pg_class r ON r.oid = i.indrelid JOIN pg_namespace n ON n.oid = r.relnamespace
                WHERE i.indrelid = ANY (?) AND NOT i.indisreplident AND NOT i.indisclustered AND i.indisvalid
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                                  AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
                  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
                  AND NOT EXISTS (SELECT 1 FROM pg_description d WHERE d.objoid = i.indexrelid
                                  AND d.classoid = 'pg_class'::regclass)
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refobjid = i.indexrelid
                                  AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'n'
                                  AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                                                  WHERE d.classid = 'pg_constraint'::regclass
                                                    AND f.oid = d.objid AND f.contype = 'f'
                                                    AND f.conrelid = ANY (?)))
                ORDER BY n.nspname, r.relname, ic.relname
                """, oids, keyed);
    }

    private static List<Ddl> ddl(Connection c, String sql, Long[]... oidArrays) throws SQLException {
        List<Ddl> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < oidArrays.length; i++) {
                ps.setArray(i + 1, c.createArrayOf("oid", oidArrays[i]));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Ddl(new TableRef(rs.getString(1), rs.getString(2)), rs.getString(3), rs.getString(4)));
                }
            }
        }
        return out;
    }

    static List<Trigger> userTriggers(Connection c, Long[] oids) throws SQLException {
        // Clones of a partitioned parent's triggers on its partitions included: they fire on a COPY into
        // the partition just the same, and can be disabled on it alone.
        List<Trigger> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, r.relname, t.tgname, t.tgenabled
                FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace
                WHERE t.tgrelid = ANY (?) AND NOT t.tgisinternal AND t.tgenabled <> 'D'
                ORDER BY n.nspname, r.relname, t.tgname
                """)) {
            ps.setArray(1, c.createArrayOf("oid", oids));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Trigger(
                            new TableRef(rs.getString(1), rs.getString(2)), rs.getString(3), rs.getString(4)));
                }
            }
        }
        return out;
    }
}
