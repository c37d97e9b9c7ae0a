package dev.holdfast.restore;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.ArchiveWriter;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.Manifest;
import dev.holdfast.backup.DatabaseBackup;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgTools;
import dev.holdfast.pg.Selection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

/** A throwaway database for restore tests, with content hashes, sequence states and schema dumps to compare. */
final class RestoreTestDb implements AutoCloseable {

    static final String SERVER = dev.holdfast.support.TestDatabase.JDBC_SERVER;
    static final String USER = dev.holdfast.support.TestDatabase.USER;
    static final ConnectionFactory FACTORY = ConnectionFactory.driverManager();
    static final PgTools TOOLS = PgTools.locate(Optional.empty());

    final String name;
    final PgConnectionInfo info;

    private RestoreTestDb(String name) {
        this.name = name;
        this.info = new PgConnectionInfo(SERVER + name, USER, dev.holdfast.support.TestDatabase.PASSWORD);
    }

    static RestoreTestDb create() {
        return createFrom(null);
    }

    /** A new database, empty or copied from {@code template} (which must have no open connections). */
    static RestoreTestDb createFrom(RestoreTestDb template) {
        String name = dev.holdfast.support.TestDatabase.throwaway("holdfast_rtest_");
        admin("CREATE DATABASE " + name + (template == null ? "" : " TEMPLATE " + template.name));
        return new RestoreTestDb(name);
    }

    /** A name for a database that does not exist yet, for a restore to create; closing drops it if it was. */
    static RestoreTestDb absent() {
        return new RestoreTestDb(dev.holdfast.support.TestDatabase.throwaway("holdfast_rtest_"));
    }

    /** An existing database by name (closing drops it). */
    static RestoreTestDb named(String name) {
        return new RestoreTestDb(name);
    }

    /** Databases on the server whose name starts with {@code prefix} (taken literally). */
    static List<String> databasesStartingWith(String prefix) {
        try (Connection c = FACTORY.open(SERVER + "postgres", USER, dev.holdfast.support.TestDatabase.PASSWORD);
                java.sql.PreparedStatement ps = c.prepareStatement(
                        "SELECT datname FROM pg_database WHERE left(datname, length(?)) = ? ORDER BY datname")) {
            ps.setString(1, prefix);
            ps.setString(2, prefix);
            List<String> out = new java.util.ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    Connection connect() throws SQLException {
        return info.open(FACTORY);
    }

    void exec(String... sql) {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    String query(String sql) {
        try (Connection c = connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Row count and order-independent md5 of every table (generated columns included), holdfast's schema left out. */
    Map<String, String> tableHashes() {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            List<String> tables;
            try (ResultSet rs = st.executeQuery("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN"
                    + " pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname !~ '^pg_'"
                    + " AND n.nspname NOT IN ('information_schema', 'holdfast')")) {
                tables = new java.util.ArrayList<>();
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|'"
                        + " ORDER BY x::text)), '') FROM " + t + " x")) {
                    rs.next();
                    out.put(t, rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** {@code last_value:is_called} of every sequence outside holdfast's schema. */
    Map<String, String> sequences() {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            List<String> seqs = new java.util.ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences"
                    + " WHERE schemaname <> 'holdfast'")) {
                while (rs.next()) {
                    seqs.add(rs.getString(1));
                }
            }
            for (String s : seqs) {
                try (ResultSet rs = st.executeQuery("SELECT last_value || ':' || is_called FROM " + s)) {
                    rs.next();
                    out.put(s, rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Table contents and sequences together: what "unchanged" means for a target. */
    String state() {
        return tableHashes() + " " + sequences() + " "
                + query("SELECT string_agg(conname || '=' || convalidated,"
                        + " ',' ORDER BY conrelid::regclass::text, conname) FROM pg_constraint WHERE contype = 'f'")
                + " "
                + query("SELECT string_agg(indexrelid::regclass::text, ',' ORDER BY indexrelid::regclass::text)"
                        + " FROM pg_index");
    }

    /** {@code pg_dump --schema-only} without holdfast's schema, comments and the per-run restrict keys. */
    String schemaDump() {
        try {
            Process p = dev.holdfast.support.TestDatabase.tool(dev.holdfast.support.TestDatabase.pgTool(
                            "pg_dump", "--schema-only", "-N", "holdfast", name))
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException(out);
            }
            return out.lines()
                    .filter(l -> !l.startsWith("--") && !l.startsWith("\\"))
                    .filter(l -> !l.isBlank())
                    .collect(Collectors.joining("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Backs this database up with the real backup engine into {@code file} and opens it. */
    ArchiveReader backup(Path file) throws Exception {
        Path spool = Files.createTempDirectory("holdfast-rtest-spool");
        try (OutputStream out = Files.newOutputStream(file);
                ArchiveWriter writer = new ArchiveWriter(out, ArchiveWriter.Options.defaults(spool, Long.MAX_VALUE))) {
            Manifest.DatabaseSection section = new DatabaseBackup(FACTORY, TOOLS, 2, Duration.ofSeconds(10))
                    .run(
                            "main",
                            info,
                            Selection.all(),
                            Codec.ZSTD,
                            writer,
                            new dev.holdfast.support.TestJob(),
                            (a, b, c, d, e, f, g, h) -> {});
            writer.finish(Manifest.of(UUID.randomUUID().toString(), "rtest", "database", Instant.now())
                    .withDatabases(List.of(section)));
        }
        return ArchiveReader.open(file);
    }

    static String resource(String name) {
        try (InputStream in = RestoreTestDb.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void admin(String sql) {
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
