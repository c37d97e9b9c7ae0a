package dev.holdfast.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * Points the tests at a real local PostgreSQL: creates the catalog test database when missing, so
 * the test command works on a fresh machine with nothing but a running server.
 */
public class TestDatabase implements QuarkusTestResourceLifecycleManager {
    /** Host and port of the test server, from HOLDFAST_TEST_PG (default 127.0.0.1:5432). */
    public static final String SERVER = System.getenv().getOrDefault("HOLDFAST_TEST_PG", "127.0.0.1:5432");
    /**
     * Appended to the test databases' names (HOLDFAST_TEST_DB_SUFFIX, default none), so that several
     * checkouts can run their tests on one server at the same time.
     */
    public static final String SUFFIX = System.getenv().getOrDefault("HOLDFAST_TEST_DB_SUFFIX", "");
    /** The catalog database the service under test uses. */
    public static final String CATALOG_DB = "holdfast_test" + SUFFIX;
    /** The database the tests back up and restore (source {@code app}). */
    public static final String APP_DB = "holdfast_app_test" + SUFFIX;
    public static final String USER = System.getenv().getOrDefault("HOLDFAST_TEST_PG_USER", "postgres");

    public static String url(String database) {
        return "jdbc:postgresql://" + SERVER + "/" + database;
    }

    public static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(url(database), USER, "");
    }

    /** Creates a database unless it exists. */
    public static void ensureDatabase(String name) {
        try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
                if (rs.next()) {
                    return;
                }
            }
            st.execute("CREATE DATABASE \"" + name + "\"");
        } catch (SQLException e) {
            if (!"42P04".equals(e.getSQLState())) { // created concurrently
                throw new IllegalStateException("Cannot reach the test PostgreSQL at " + SERVER
                        + " (start it, or set HOLDFAST_TEST_PG): " + e.getMessage(), e);
            }
        }
    }

    /** Drops a database, disconnecting its sessions first. */
    /** The first column of the first row of {@code sql} on {@code database}, or null when it returns no row. */
    public static String query(String database, String sql) {
        try (Connection c = connect(database); Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void dropDatabase(String name) {
        try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Map<String, String> start() {
        ensureDatabase(CATALOG_DB);
        ensureDatabase(APP_DB);
        return Map.of("quarkus.datasource.jdbc.url", url(CATALOG_DB), "quarkus.datasource.username", USER,
                "holdfast-test.app-url", url(APP_DB));
    }

    @Override
    public void stop() {
        // The database is kept: Flyway brings it up to date on the next run.
    }
}
