package dev.holdfast.pg;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** A throwaway database on the local server, created from the {@code postgres} database and dropped on close. */
final class PgTestDatabase implements AutoCloseable {

    static final String SERVER = dev.holdfast.support.TestDatabase.JDBC_SERVER;
    static final String USER = dev.holdfast.support.TestDatabase.USER;
    static final ConnectionFactory FACTORY = ConnectionFactory.driverManager();

    final String name;
    final PgConnectionInfo info;

    private PgTestDatabase(String name) {
        this.name = name;
        this.info = new PgConnectionInfo(SERVER + name, USER, dev.holdfast.support.TestDatabase.PASSWORD);
    }

    static PgTestDatabase create() {
        String name = dev.holdfast.support.TestDatabase.throwaway("holdfast_pgtest_");
        admin("CREATE DATABASE " + name);
        return new PgTestDatabase(name);
    }

    static PgTestDatabase withFixture() {
        PgTestDatabase db = create();
        db.execute(resource("fixture.sql"));
        return db;
    }

    Connection connect() throws SQLException {
        return info.open(FACTORY);
    }

    void execute(String sql) {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    String queryString(String sql) {
        try (Connection c = connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Order-independent content hash of a table, including generated columns. */
    String tableHash(TableRef t) {
        return queryString(
                "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM " + t.sql()
                        + " x");
    }

    static String resource(String name) {
        try (InputStream in = PgTestDatabase.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void admin(String sql) {
        try (Connection c = FACTORY.open(SERVER + "postgres", USER, dev.holdfast.support.TestDatabase.PASSWORD);
                Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
}
