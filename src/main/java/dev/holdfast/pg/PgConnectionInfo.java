package dev.holdfast.pg;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;

/** Where a database is and how to log in; {@link #toString()} never shows the password. */
public record PgConnectionInfo(String jdbcUrl, String user, String password) {

    public PgConnectionInfo {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    }

    public Connection open(ConnectionFactory factory) throws SQLException {
        return factory.open(jdbcUrl, user, password);
    }

    /** The same server and credentials with another database name, e.g. for admin work on {@code postgres}. */
    public PgConnectionInfo withDatabase(String database) {
        LibpqParams.fromJdbcUrl(jdbcUrl);
        int slash = jdbcUrl.indexOf('/', "jdbc:postgresql://".length());
        int query = jdbcUrl.indexOf('?');
        String head = slash >= 0 ? jdbcUrl.substring(0, slash) : query >= 0 ? jdbcUrl.substring(0, query) : jdbcUrl;
        String tail = query < 0 ? "" : jdbcUrl.substring(query);
        return new PgConnectionInfo(
                head + "/" + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8) + tail,
                user,
                password);
    }

    /**
     * The same connection with {@code ApplicationName} set (replacing one the URL had), so that every session it
     * opens, and pg_dump/pg_restore through {@code PGAPPNAME}, can be found in {@code pg_stat_activity}: how the
     * job watchdog tells a job's own sessions from others when it looks for lock waits.
     */
    public PgConnectionInfo withApplicationName(String name) {
        String url =
                jdbcUrl.replaceAll("(?i)([?&])ApplicationName=[^&]*&?", "$1").replaceAll("[?&]$", "");
        String value = java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8);
        return new PgConnectionInfo(
                url + (url.indexOf('?') < 0 ? "?" : "&") + "ApplicationName=" + value, user, password);
    }

    @Override
    public String toString() {
        return "PgConnectionInfo[jdbcUrl=" + LibpqParams.redactUrl(jdbcUrl) + ", user=" + user + ", password="
                + (password == null || password.isEmpty() ? "<none>" : "***") + "]";
    }
}
