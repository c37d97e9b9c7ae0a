package dev.holdfast.drill;

import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scratch databases of drills: their names ({@code <prefix><32 hex of the drill id>__hfdrill}, a shape no
 * configured source may have), creating, dropping and sweeping them. Only names of exactly that shape are ever
 * dropped, so a sweep cannot reach a database it did not create.
 */
public final class ScratchTargets {
    /** Ends every scratch database's name; together with the prefix and the id it marks the database as a drill's. */
    static final String MARKER = "__hfdrill";

    /** Where databases are created and dropped from. */
    static final String MAINTENANCE_DB = "postgres";

    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,19}");

    private final String prefix;
    private final Pattern name;

    /** Scratch names under {@code prefix} (lower case letters, digits, underscores; at most 20 characters). */
    public ScratchTargets(String prefix) {
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("holdfast.drills.scratch-prefix must be lower case letters, digits and"
                    + " underscores, starting with a letter, at most 20 characters");
        }
        this.prefix = prefix;
        this.name = Pattern.compile(Pattern.quote(prefix) + "([0-9a-f]{32})" + Pattern.quote(MARKER));
    }

    /** The scratch database of drill {@code drillId}. */
    public String nameOf(UUID drillId) {
        return prefix + drillId.toString().replace("-", "") + MARKER;
    }

    /** The drill a scratch database belongs to, or null when {@code database} is not named like one. */
    public UUID drillOf(String database) {
        Matcher m = name.matcher(database);
        if (!m.matches()) {
            return null;
        }
        String h = m.group(1);
        return UUID.fromString(h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-"
                + h.substring(16, 20) + "-" + h.substring(20));
    }

    /** Creates the scratch database on {@code server}'s server; refuses one that exists already. */
    public void create(ConnectionFactory factory, PgConnectionInfo server, String database) throws SQLException {
        if (drillOf(database) == null) {
            throw new IllegalArgumentException(database + " is not a scratch database name");
        }
        try (Connection c = server.withDatabase(MAINTENANCE_DB).open(factory);
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + PgNames.quoteIdent(database));
        }
    }

    /**
     * Drops a scratch database (its sessions ended first) if it exists.
     *
     * @return whether there was one to drop
     */
    public boolean drop(ConnectionFactory factory, PgConnectionInfo server, String database) throws SQLException {
        if (drillOf(database) == null) {
            throw new IllegalArgumentException(database + " is not a scratch database name");
        }
        try (Connection c = server.withDatabase(MAINTENANCE_DB).open(factory);
                Statement st = c.createStatement()) {
            boolean exists = exists(c, database);
            if (exists) {
                st.execute("DROP DATABASE IF EXISTS " + PgNames.quoteIdent(database) + " WITH (FORCE)");
            }
            return exists;
        }
    }

    /**
     * Drops every scratch database on {@code server}'s server whose drill {@code ended} says is over (or unknown).
     *
     * @return the databases dropped
     */
    public List<String> sweep(ConnectionFactory factory, PgConnectionInfo server, Predicate<UUID> ended)
            throws SQLException {
        List<String> dropped = new ArrayList<>();
        try (Connection c = server.withDatabase(MAINTENANCE_DB).open(factory)) {
            List<String> found = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT datname FROM pg_database WHERE datname LIKE ?")) {
                ps.setString(1, prefix.replace("_", "\\_") + "%");
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found.add(rs.getString(1));
                    }
                }
            }
            for (String db : found) {
                UUID drill = drillOf(db);
                if (drill != null && ended.test(drill)) {
                    try (Statement st = c.createStatement()) {
                        st.execute("DROP DATABASE IF EXISTS " + PgNames.quoteIdent(db) + " WITH (FORCE)");
                    }
                    dropped.add(db);
                }
            }
        }
        return dropped;
    }

    /** Whether a database of this name exists on the server {@code c} is connected to. */
    public static boolean exists(Connection c, String database) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
