package dev.holdfast.support;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

/**
 * The database the tests back up (source {@code app}): reset to the shared fixture with every
 * catalog and COPY corner case, and compared table by table through content hashes.
 */
public final class AppDatabase {
    private AppDatabase() {}

    /** Drops and recreates the app database with the fixture schema and rows. */
    public static void reset() {
        TestDatabase.dropDatabase(TestDatabase.APP_DB);
        TestDatabase.ensureDatabase(TestDatabase.APP_DB);
        load(TestDatabase.APP_DB);
    }

    /** Loads the fixture into a database. */
    public static void load(String database) {
        try (InputStream in = AppDatabase.class.getResourceAsStream("/dev/holdfast/pg/fixture.sql");
                Connection c = TestDatabase.connect(database);
                Statement st = c.createStatement()) {
            st.execute(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException("Loading the fixture into " + database + " failed", e);
        }
    }

    /** Runs SQL statements against a database. */
    public static void exec(String database, String... sql) {
        try (Connection c = TestDatabase.connect(database);
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A hash of every user table's rows (order-independent, every column including generated
     * ones), keyed by schema.table; Holdfast's own schema is left out.
     */
    public static Map<String, String> tableHashes(String database) {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = TestDatabase.connect(database);
                Statement st = c.createStatement()) {
            Map<String, String> tables = new TreeMap<>();
            try (ResultSet rs = st.executeQuery("SELECT n.nspname || '.' || c.relname, "
                    + "format('%I.%I', n.nspname, c.relname) FROM pg_class c "
                    + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p') "
                    + "AND n.nspname NOT IN ('pg_catalog','information_schema','holdfast') "
                    + "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1")) {
                while (rs.next()) {
                    tables.put(rs.getString(1), rs.getString(2));
                }
            }
            for (Map.Entry<String, String> t : tables.entrySet()) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(x.r, '|' "
                        + "ORDER BY x.r)), '-') FROM (SELECT t::text AS r FROM " + t.getValue() + " t) x")) {
                    rs.next();
                    out.put(t.getKey(), rs.getString(1));
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** The plain schema.table keys of {@link #tableHashes}. */
    public static String key(String schema, String table) {
        return schema + "." + table;
    }

    /** last_value/is_called of every sequence outside Holdfast's schema. */
    public static Map<String, String> sequences(String database) {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = TestDatabase.connect(database);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT schemaname || '.' || sequencename, "
                        + "coalesce(last_value::text, 'null') FROM pg_sequences WHERE schemaname <> 'holdfast'")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out;
    }
}
