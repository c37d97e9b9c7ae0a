package dev.holdfast.drill;

import dev.holdfast.archive.Manifest;
import dev.holdfast.pg.PgNames;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a drill's scratch database after the restore committed, independently of the restore's own validation:
 * every table's rows against the manifest, every foreign key re-validated (dropped and added again in a
 * transaction that is rolled back, which checks every row whatever its shape, partitioned tables included),
 * every sequence owned by a column ahead of that column's largest value, and the source's user checks.
 */
public final class DrillValidation {
    private DrillValidation() {}

    /** One table's rows: what the manifest recorded and what the scratch database holds. */
    @org.eclipse.microprofile.openapi.annotations.media.Schema(name = "DrillTable")
    public record TableCheck(String schema, String name, long rowsExpected, long rowsFound, boolean ok) {}

    /** One check: {@code row-count}, {@code foreign-key}, {@code sequence} or {@code user}. */
    @org.eclipse.microprofile.openapi.annotations.media.Schema(name = "DrillCheck")
    public record Check(String kind, String subject, boolean passed, String detail) {}

    /** A user check: a query and the text its first value must be. */
    public record UserCheck(String name, String sql, String expected) {}

    /** Everything found; {@link #failures()} names each failed table or check. */
    public record Result(List<TableCheck> tables, List<Check> checks) {
        public List<String> failures() {
            return checks.stream()
                    .filter(c -> !c.passed())
                    .map(c -> c.kind() + " " + c.subject() + ": " + c.detail())
                    .toList();
        }
    }

    /** Validates the database {@code c} is connected to (autocommit on) against {@code section}. */
    public static Result validate(Connection c, Manifest.DatabaseSection section, List<UserCheck> userChecks)
            throws SQLException {
        List<TableCheck> tables = new ArrayList<>();
        List<Check> checks = new ArrayList<>();
        try (Statement st = c.createStatement()) {
            for (Manifest.TableEntry t : section.tables()) {
                String subject = t.schema() + "." + t.name();
                long found;
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM ONLY " + PgNames.quoteIdent(t.schema()) + "."
                        + PgNames.quoteIdent(t.name()))) {
                    rs.next();
                    found = rs.getLong(1);
                } catch (SQLException e) {
                    tables.add(new TableCheck(t.schema(), t.name(), t.rowCount(), -1, false));
                    checks.add(new Check("row-count", subject, false, "cannot be read: " + e.getMessage()));
                    continue;
                }
                boolean ok = found == t.rowCount();
                tables.add(new TableCheck(t.schema(), t.name(), t.rowCount(), found, ok));
                checks.add(new Check(
                        "row-count",
                        subject,
                        ok,
                        ok ? found + " rows" : "holds " + found + " rows, the backup recorded " + t.rowCount()));
            }
        }
        checks.addAll(foreignKeys(c));
        checks.addAll(sequences(c));
        for (UserCheck u : userChecks) {
            checks.add(user(c, u));
        }
        return new Result(tables, checks);
    }

    private static final String USER_SCHEMAS =
            "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'";

    private static List<Check> foreignKeys(Connection c) throws SQLException {
        record Fk(String table, String name, String def) {}
        List<Fk> fks = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT format('%I.%I', n.nspname, t.relname), con.conname,"
                        + " pg_get_constraintdef(con.oid) FROM pg_constraint con"
                        + " JOIN pg_class t ON t.oid = con.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
                        + " WHERE con.contype = 'f' AND con.conparentid = 0 AND con.convalidated AND " + USER_SCHEMAS
                        + " ORDER BY 1, 2")) {
            while (rs.next()) {
                fks.add(new Fk(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
        }
        List<Check> out = new ArrayList<>();
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            for (Fk fk : fks) {
                String subject = fk.table() + " " + fk.name();
                try {
                    st.execute("ALTER TABLE " + fk.table() + " DROP CONSTRAINT " + PgNames.quoteIdent(fk.name()));
                    st.execute("ALTER TABLE " + fk.table() + " ADD CONSTRAINT " + PgNames.quoteIdent(fk.name()) + " "
                            + fk.def());
                    out.add(new Check("foreign-key", subject, true, "every row has its referenced row"));
                } catch (SQLException e) {
                    out.add(new Check("foreign-key", subject, false, e.getMessage()));
                } finally {
                    c.rollback();
                }
            }
        } finally {
            c.setAutoCommit(auto);
        }
        return out;
    }

    private static List<Check> sequences(Connection c) throws SQLException {
        record Owned(String seq, String table, String column) {}
        List<Owned> owned = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT format('%I.%I', sn.nspname, s.relname),"
                        + " format('%I.%I', n.nspname, t.relname), a.attname FROM pg_depend d"
                        + " JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
                        + " JOIN pg_namespace sn ON sn.oid = s.relnamespace"
                        + " JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = t.relnamespace"
                        + " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid"
                        + " WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
                        + " AND d.deptype IN ('a', 'i') AND " + USER_SCHEMAS + " ORDER BY 1")) {
            while (rs.next()) {
                owned.add(new Owned(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
        }
        List<Check> out = new ArrayList<>();
        try (Statement st = c.createStatement()) {
            for (Owned o : owned) {
                String subject = o.seq() + " (" + o.table() + "." + o.column() + ")";
                try (ResultSet rs = st.executeQuery("SELECT s.last_value, s.is_called, (SELECT max("
                        + PgNames.quoteIdent(o.column()) + ")::numeric FROM " + o.table() + ") FROM " + o.seq()
                        + " s")) {
                    rs.next();
                    long last = rs.getLong(1);
                    boolean called = rs.getBoolean(2);
                    java.math.BigDecimal max = rs.getBigDecimal(3);
                    // The next value is last_value + 1 once called, last_value itself before.
                    long next = called ? last + 1 : last;
                    boolean ok =
                            max == null || java.math.BigDecimal.valueOf(next).compareTo(max) > 0;
                    out.add(new Check(
                            "sequence",
                            subject,
                            ok,
                            "next value " + next + ", column's largest " + (max == null ? "none" : max)));
                } catch (SQLException e) {
                    out.add(new Check("sequence", subject, false, "cannot be read: " + e.getMessage()));
                }
            }
        }
        return out;
    }

    private static Check user(Connection c, UserCheck u) {
        String sql = u.sql().strip().replaceAll(";+\\s*$", "");
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT q.x::text FROM (" + sql + ") AS q(x) LIMIT 1")) {
            String value = rs.next() ? rs.getString(1) : null;
            boolean ok = u.expected().equals(value);
            return new Check(
                    "user",
                    u.name(),
                    ok,
                    ok
                            ? "returned " + value
                            : "returned " + (value == null ? "no row" : value) + ", expected " + u.expected());
        } catch (SQLException e) {
            return new Check("user", u.name(), false, "failed: " + e.getMessage());
        }
    }
}
