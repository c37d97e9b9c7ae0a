package dev.holdfast.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.holdfast.archive.ArchiveWriter;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.Manifest;
import dev.holdfast.job.JobCancelledException;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgEngineException;
import dev.holdfast.pg.PgTools;
import dev.holdfast.pg.Selection;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestJob;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The backup engine against the faults a real server inflicts on it: its snapshot session or its COPY sessions
 * terminated mid-copy, and a cancel while a COPY waits on the server. Each must end promptly, fail honestly and
 * leave the source unlocked; none may produce a manifest.
 */
class DatabaseBackupFaultTest {
    static final String SERVER = TestDatabase.JDBC_SERVER;
    static final ConnectionFactory FACTORY = ConnectionFactory.driverManager();
    static final PgTools TOOLS = PgTools.locate(Optional.empty());

    String name;
    PgConnectionInfo db;
    Path dir;

    @BeforeEach
    void createDatabase() throws Exception {
        name = TestDatabase.throwaway("holdfast_bfault_");
        admin("CREATE DATABASE " + name);
        db = new PgConnectionInfo(SERVER + name, TestDatabase.USER, TestDatabase.PASSWORD);
        // big is copied first (largest first) and long enough to be caught mid-COPY; small comes after it
        exec(
                "CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 8) AS payload FROM generate_series(1, 200000) g",
                "CREATE TABLE small AS SELECT g AS id FROM generate_series(1, 1000) g",
                "ANALYZE");
        dir = Files.createTempDirectory("holdfast-bfault");
    }

    @AfterEach
    void dropDatabase() {
        admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    @Test
    void aBackupWhoseSnapshotSessionIsTerminatedFailsEvenIfATableIsTruncatedBeforeItIsCopied() {
        AtomicBoolean struck = new AtomicBoolean();
        DatabaseBackup.ProgressSink sink = (source, done, total, tablesDone, tablesTotal, current, rows, rowsTotal) -> {
            if (current != null && struck.compareAndSet(false, true)) {
                // The first table has started: once pg_dump has its snapshot and is gone (else it would fail the
                // backup by itself), kill the session that holds the locks, then empty a table not copied yet.
                awaitPgDumpDone();
                // Found by its lock on the table no worker has reached yet, not by its last statement: the
                // coordinator watch's round trips replace "LOCK TABLE ..." in pg_stat_activity.query.
                exec("SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a WHERE a.datname = current_database()"
                        + " AND a.pid <> pg_backend_pid() AND a.state = 'idle in transaction' AND a.pid IN (SELECT"
                        + " l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'small'"
                        + " AND l.granted)");
                truncateWhenPossible("small");
            }
        };
        assertTimeoutPreemptively(
                Duration.ofSeconds(60),
                () -> assertThatThrownBy(() -> backup(1, new TestJob(), sink))
                        .isInstanceOf(PgEngineException.class)
                        .hasMessageContaining("snapshot session")
                        .hasMessageContaining("was lost"));
        assertThat(struck).isTrue();
        assertSourceReleased();
    }

    @Test
    void terminatingTheCopySessionsEndsTheBackupPromptlyAndReleasesItsLocks() {
        TestJob job = new TestJob().slowCheckpoints(20); // keeps each COPY running for a few seconds
        CompletableFuture<Void> killer = CompletableFuture.runAsync(() -> {
            awaitActiveCopies(1);
            exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid() AND query LIKE 'COPY%'");
        });
        assertTimeoutPreemptively(
                Duration.ofSeconds(60),
                () -> assertThatThrownBy(() -> backup(2, job, (a, b, c, d, e, f, g, h) -> {}))
                        .isInstanceOf(PgEngineException.class));
        killer.join();
        assertSourceReleased();
    }

    @Test
    void aCancelReachesACopyThatWaitsOnTheServer() throws Exception {
        TestJob job = new TestJob();
        AtomicBoolean blocked = new AtomicBoolean();
        List<Connection> open = new ArrayList<>();
        DatabaseBackup.ProgressSink sink = (source, done, total, tablesDone, tablesTotal, current, rows, rowsTotal) -> {
            if (current != null && blocked.compareAndSet(false, true)) {
                // A TRUNCATE queued behind the backup's own locks makes the worker's COPY wait for its lock.
                try {
                    Connection c = FACTORY.open(db.jdbcUrl(), TestDatabase.USER, TestDatabase.PASSWORD);
                    open.add(c);
                    CompletableFuture.runAsync(() -> {
                        try (Statement st = c.createStatement()) {
                            st.execute("TRUNCATE big");
                        } catch (SQLException ignored) {
                            // ended by the test's clean-up
                        }
                    });
                    CompletableFuture.runAsync(() -> {
                        awaitLockWaiters(2); // the TRUNCATE and the COPY queued behind it
                        job.stop();
                    });
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        try {
            // the lock timeout is far longer than the bound: only the cancel can end this wait in time
            assertTimeoutPreemptively(
                    Duration.ofSeconds(60),
                    () -> assertThatThrownBy(() -> backup(1, job, sink, Duration.ofMinutes(10)))
                            .isInstanceOf(JobCancelledException.class));
        } finally {
            for (Connection c : open) {
                c.close();
            }
        }
        assertSourceReleased();
    }

    private Manifest.DatabaseSection backup(int parallelism, TestJob job, DatabaseBackup.ProgressSink sink)
            throws Exception {
        return backup(parallelism, job, sink, Duration.ofSeconds(10));
    }

    private Manifest.DatabaseSection backup(
            int parallelism, TestJob job, DatabaseBackup.ProgressSink sink, Duration lockTimeout) throws Exception {
        try (OutputStream out = Files.newOutputStream(dir.resolve("a.tar"));
                ArchiveWriter writer = new ArchiveWriter(out, ArchiveWriter.Options.defaults(dir, Long.MAX_VALUE))) {
            return new DatabaseBackup(FACTORY, TOOLS, parallelism, lockTimeout)
                    .coordinatorCheck(Duration.ofMillis(200))
                    .run("main", db, Selection.all(), Codec.ZSTD, writer, job, sink);
        }
    }

    /** No session of the backup is left on the source, so nothing holds its locks or its snapshot. */
    private void assertSourceReleased() {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String left;
        do {
            left = query("SELECT coalesce(string_agg(pid || ':' || state || ':' || left(query, 40), ', '), '')"
                    + " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        } while (!left.isEmpty() && System.nanoTime() < deadline && pause(100));
        assertThat(left).as("sessions left on the source").isEmpty();
        assertThat(query("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                        + " WHERE c.relname IN ('big', 'small') AND l.pid <> pg_backend_pid()"))
                .isEqualTo("0");
    }

    private void truncateWhenPossible(String table) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try (Connection c = FACTORY.open(db.jdbcUrl(), TestDatabase.USER, TestDatabase.PASSWORD);
                    Statement st = c.createStatement()) {
                st.execute("SET lock_timeout = '200ms'");
                st.execute("TRUNCATE " + table);
                return;
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("TRUNCATE never got its lock", e);
                }
            }
        }
    }

    private void awaitPgDumpDone() {
        long start = System.nanoTime();
        boolean seen = false;
        while (System.nanoTime() - start < Duration.ofSeconds(20).toNanos()) {
            boolean running = !"0"
                    .equals(query("SELECT count(*) FROM pg_stat_activity"
                            + " WHERE datname = current_database() AND application_name = 'pg_dump'"));
            seen |= running;
            if (!running
                    && (seen
                            || System.nanoTime() - start > Duration.ofSeconds(2).toNanos())) {
                return;
            }
            pause(20);
        }
        throw new IllegalStateException("pg_dump did not end");
    }

    private void awaitActiveCopies(int n) {
        awaitSessions("state = 'active' AND query LIKE 'COPY%'", n, "the COPYs never ran");
    }

    private void awaitLockWaiters(int n) {
        awaitSessions("wait_event_type = 'Lock'", n, "nothing waited on a lock");
    }

    /** Waits until at least {@code n} sessions on the database match {@code condition}. */
    private void awaitSessions(String condition, int n, String never) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Integer.parseInt(query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND " + condition))
                < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(never);
            }
            pause(20);
        }
    }

    private static boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void exec(String... sql) {
        try (Connection c = FACTORY.open(db.jdbcUrl(), TestDatabase.USER, TestDatabase.PASSWORD);
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private String query(String sql) {
        try (Connection c = FACTORY.open(db.jdbcUrl(), TestDatabase.USER, TestDatabase.PASSWORD);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void admin(String sql) {
        try (Connection c = FACTORY.open(SERVER + "postgres", TestDatabase.USER, TestDatabase.PASSWORD);
                Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
