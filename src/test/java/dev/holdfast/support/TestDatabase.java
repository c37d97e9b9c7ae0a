package dev.holdfast.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one place that says which PostgreSQL server the tests use, for JDBC and for the client tools alike:
 * {@code HOLDFAST_TEST_PG=host:port} (default 127.0.0.1:5432), {@code HOLDFAST_TEST_PG_USER} (default
 * postgres) and {@code HOLDFAST_TEST_PG_PASSWORD} (default none; handed to the tools as PGPASSWORD,
 * never as an argument). As a Quarkus test resource it creates the catalog and app test databases when
 * missing, so the test command works on a fresh machine with nothing but a running server. Throwaway
 * databases made through {@link #throwaway} are dropped when the test JVM exits, with whatever a restore
 * derived from them ({@code <name>__hf_...}), even after a failed test skipped its own clean-up.
 */
public class TestDatabase implements QuarkusTestResourceLifecycleManager {
    /** Host and port of the test server, from HOLDFAST_TEST_PG (default 127.0.0.1:5432). */
    public static final String SERVER = System.getenv().getOrDefault("HOLDFAST_TEST_PG", "127.0.0.1:5432");
    /** The server's host name (HOLDFAST_TEST_PG up to its last colon). */
    public static final String HOST = SERVER.contains(":") ? SERVER.substring(0, SERVER.lastIndexOf(':')) : SERVER;
    /** The server's port (after HOLDFAST_TEST_PG's last colon; 5432 when it names none). */
    public static final String PORT = SERVER.contains(":") ? SERVER.substring(SERVER.lastIndexOf(':') + 1) : "5432";
    /** The password of {@link #USER}, from HOLDFAST_TEST_PG_PASSWORD (empty: trust or .pgpass). */
    public static final String PASSWORD = System.getenv().getOrDefault("HOLDFAST_TEST_PG_PASSWORD", "");
    /** JDBC URL of the server without a database: append a database name. */
    public static final String JDBC_SERVER = "jdbc:postgresql://" + HOST + ":" + PORT + "/";
    /**
     * Appended to the test databases' names (HOLDFAST_TEST_DB_SUFFIX, default none), so that several
     * checkouts can run their tests on one server at the same time.
     */
    public static final String SUFFIX = System.getenv().getOrDefault("HOLDFAST_TEST_DB_SUFFIX", "");
    /** The catalog database the service under test uses. */
    public static final String CATALOG_DB = "holdfast_test" + SUFFIX;
    /** The database the tests back up and restore (source {@code app}). */
    public static final String APP_DB = "holdfast_app_test" + SUFFIX;

    /**
     * The drills' scratch-database prefix in tests, with the suffix: a drill test asserts that no scratch database
     * of its own is left, and must not see those of another checkout's run on the same server.
     */
    public static final String DRILL_PREFIX = drillPrefix(SUFFIX);

    /** A prefix may have 20 characters at most (ScratchTargets), so a long suffix is cut, never the prefix's end. */
    static String drillPrefix(String suffix) {
        String s = suffix.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "");
        if (s.isEmpty()) {
            return "hftest_drill_";
        }
        String p = "hft" + (s.startsWith("_") ? s : "_" + s);
        return (p.length() > 19 ? p.substring(0, 19) : p) + "_";
    }

    public static final String USER = System.getenv().getOrDefault("HOLDFAST_TEST_PG_USER", "postgres");

    private static final Set<String> THROWAWAY = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TestDatabase::dropThrowaways, "test-db-cleanup"));
    }

    /** JDBC URL of a database on the test server. */
    public static String url(String database) {
        return JDBC_SERVER + database;
    }

    public static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(url(database), USER, PASSWORD);
    }

    /** {@code -h HOST -p PORT -U USER} for psql, pg_dump and pg_restore. */
    public static List<String> toolArgs() {
        return List.of("-h", HOST, "-p", PORT, "-U", USER);
    }

    /** {@code tool -h HOST -p PORT -U USER args...}: a client tool's command line pointed at the test server. */
    public static List<String> pgTool(String tool, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool);
        cmd.addAll(toolArgs());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** A process builder for a client tool, with the password (if any) in its environment. */
    public static ProcessBuilder tool(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (!PASSWORD.isEmpty()) {
            pb.environment().put("PGPASSWORD", PASSWORD);
        }
        return pb;
    }

    /**
     * A fresh database name {@code prefix + 12 random hex digits}, remembered so that it and anything a
     * restore derived from it are dropped when the JVM exits.
     */
    public static String throwaway(String prefix) {
        return track(prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
    }

    /** Remembers a database this run created, to be dropped (with its derivatives) at JVM exit. */
    public static String track(String name) {
        THROWAWAY.add(name);
        return name;
    }

    /** Drops what is left of the tracked databases; quiet, since the server may be gone by then. */
    static void dropThrowaways() {
        if (THROWAWAY.isEmpty()) {
            return;
        }
        try (Connection c = connect("postgres");
                Statement st = c.createStatement()) {
            List<String> left = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT datname FROM pg_database")) {
                while (rs.next()) {
                    String db = rs.getString(1);
                    if (THROWAWAY.stream().anyMatch(t -> db.equals(t) || db.startsWith(t + "__"))) {
                        left.add(db);
                    }
                }
            }
            for (String db : left) {
                st.execute("DROP DATABASE IF EXISTS \"" + db.replace("\"", "\"\"") + "\" WITH (FORCE)");
            }
            if (!left.isEmpty()) {
                System.err.println("test-db-cleanup: dropped " + left.size() + " database(s) a test left: " + left);
            }
        } catch (SQLException e) {
            System.err.println("test-db-cleanup: " + e.getMessage());
        }
    }

    /** Creates a database unless it exists. */
    public static void ensureDatabase(String name) {
        try (Connection c = connect("postgres");
                Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
                if (rs.next()) {
                    return;
                }
            }
            st.execute("CREATE DATABASE \"" + name + "\"");
        } catch (SQLException e) {
            if (!"42P04".equals(e.getSQLState())) { // created concurrently
                throw new IllegalStateException(
                        "Cannot reach the test PostgreSQL at " + SERVER + " (start it, or set HOLDFAST_TEST_PG): "
                                + e.getMessage(),
                        e);
            }
        }
    }

    /** The first column of the first row of {@code sql} on {@code database}, or null when it returns no row. */
    public static String query(String database, String sql) {
        try (Connection c = connect(database);
                Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Drops a database, disconnecting its sessions first. */
    public static void dropDatabase(String name) {
        try (Connection c = connect("postgres");
                Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Map<String, String> start() {
        ensureDatabase(CATALOG_DB);
        ensureDatabase(APP_DB);
        return Map.of(
                "quarkus.datasource.jdbc.url",
                url(CATALOG_DB),
                "quarkus.datasource.username",
                USER,
                "quarkus.datasource.password",
                PASSWORD,
                "holdfast-test.app-url",
                url(APP_DB),
                "holdfast-test.app-user",
                USER,
                "holdfast-test.app-password",
                PASSWORD,
                "holdfast.drills.scratch-prefix",
                DRILL_PREFIX);
    }

    @Override
    public void stop() {
        // The database is kept: Flyway brings it up to date on the next run.
    }
}
