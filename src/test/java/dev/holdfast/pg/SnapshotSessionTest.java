package dev.holdfast.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SnapshotSessionTest {

    static PgTestDatabase db;
    static final TableRef EVENTS = new TableRef("Audit", "EventLog");
    static final TableRef ORDER = new TableRef("public", "Order");

    @BeforeAll
    static void setUp() {
        db = PgTestDatabase.withFixture();
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void rowsCommittedAfterTheSnapshotAreInvisibleToWorkersOpenedLater() throws Exception {
        try (SnapshotSession s = SnapshotSession.begin(PgTestDatabase.FACTORY, db.info, Duration.ofSeconds(5))) {
            assertThat(s.snapshotId()).matches("[0-9A-F]+(-[0-9A-F]+)+");
            PgCatalog catalog = PgCatalog.read(s.coordinator());
            Selection.Result selection = Selection.all().apply(catalog);
            s.lockTables(selection.tableRefs());
            Connection early = s.openWorker();

            db.execute("INSERT INTO \"Audit\".\"EventLog\" (\"Payload\") VALUES ('after the snapshot');"
                    + "DELETE FROM public.profile");

            List<Connection> late = s.openWorkers(2);
            assertThat(s.workers()).hasSize(3);
            for (Connection w : List.of(early, late.get(0), late.get(1))) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                CopyStreamer.CopyResult r =
                        new CopyStreamer().copyOut(w, EVENTS, List.of("id", "Payload"), CopyStreamer.Format.TEXT, out);
                assertThat(r.rows()).isEqualTo(2);
                assertThat(out.toString(StandardCharsets.UTF_8))
                        .isEqualTo("1\tcreated\n2\t\\N\n")
                        .doesNotContain("after the snapshot");
                ByteArrayOutputStream profile = new ByteArrayOutputStream();
                assertThat(new CopyStreamer()
                                .copyOut(
                                        w,
                                        new TableRef("public", "profile"),
                                        List.of("id", "user_id"),
                                        CopyStreamer.Format.TEXT,
                                        profile)
                                .rows())
                        .isEqualTo(1);
            }
            assertThat(db.queryString("SELECT count(*) FROM \"Audit\".\"EventLog\""))
                    .isEqualTo("3");
        } finally {
            db.execute("DELETE FROM \"Audit\".\"EventLog\" WHERE \"Payload\" = 'after the snapshot';"
                    + "INSERT INTO public.profile VALUES (1, 1)");
        }
    }

    @Test
    void closingEndsWorkersAndCoordinator() throws Exception {
        SnapshotSession s = SnapshotSession.begin(PgTestDatabase.FACTORY, db.info, Duration.ofSeconds(5));
        Connection w = s.openWorker();
        Connection c = s.coordinator();
        s.close();
        assertThat(w.isClosed()).isTrue();
        assertThat(c.isClosed()).isTrue();
        assertThatThrownBy(s::openWorker).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void concurrentDdlLockFailsTheLockStepWithinTheTimeoutNamingTheTable() throws Exception {
        try (SnapshotSession s = SnapshotSession.begin(PgTestDatabase.FACTORY, db.info, Duration.ofSeconds(1))) {
            PgCatalog catalog = PgCatalog.read(s.coordinator());
            try (Connection blocker = db.connect();
                    Statement st = blocker.createStatement()) {
                blocker.setAutoCommit(false);
                st.execute("LOCK TABLE public.\"Order\" IN ACCESS EXCLUSIVE MODE");
                long start = System.nanoTime();
                assertThatThrownBy(() ->
                                s.lockTables(Selection.all().apply(catalog).tableRefs()))
                        .isInstanceOf(PgEngineException.class)
                        .hasMessageContaining("lock on table \"public\".\"Order\"")
                        .hasMessageContaining("1000 ms")
                        .extracting(e -> ((PgEngineException) e).sqlState())
                        .isEqualTo("55P03");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
                blocker.rollback();
            }
        }
    }

    @Test
    void concurrentDdlLockFailsTheCatalogReadNamingTheTable() throws Exception {
        try (Connection blocker = db.connect();
                Statement st = blocker.createStatement()) {
            blocker.setAutoCommit(false);
            st.execute("LOCK TABLE \"Audit\".\"EventLog\" IN ACCESS EXCLUSIVE MODE");
            long start = System.nanoTime();
            try (SnapshotSession s = SnapshotSession.begin(PgTestDatabase.FACTORY, db.info, Duration.ofMillis(500))) {
                assertThatThrownBy(() -> PgCatalog.read(s.coordinator()))
                        .isInstanceOf(PgEngineException.class)
                        .hasMessageContaining("\"Audit\".\"EventLog\"");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            blocker.rollback();
        }
    }

    @Test
    void ddlQueuedBehindTheSnapshotLocksFailsAWorkerCopyInsteadOfDeadlocking() throws Exception {
        java.util.concurrent.ExecutorService ddl = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<?> alter;
            try (SnapshotSession s = SnapshotSession.begin(PgTestDatabase.FACTORY, db.info, Duration.ofSeconds(1))) {
                s.lockTables(List.of(EVENTS));
                Connection w = s.openWorker();
                alter = ddl.submit(() -> {
                    db.execute("ALTER TABLE \"Audit\".\"EventLog\" ADD COLUMN extra int");
                    return null;
                });
                // wait until the ALTER is queued on the lock
                for (int i = 0;
                        i < 100
                                && db.queryString("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                                + " AND query LIKE 'ALTER TABLE%'")
                                        .equals("0");
                        i++) {
                    Thread.sleep(50);
                }
                long start = System.nanoTime();
                assertThatThrownBy(() -> new CopyStreamer()
                                .copyOut(
                                        w,
                                        EVENTS,
                                        List.of("id"),
                                        CopyStreamer.Format.TEXT,
                                        new ByteArrayOutputStream()))
                        .isInstanceOf(PgEngineException.class)
                        .hasMessageContaining("\"Audit\".\"EventLog\"")
                        .hasMessageContaining("concurrent DDL");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            }
            alter.get(10, java.util.concurrent.TimeUnit.SECONDS); // proceeds once the backup let go
        } finally {
            ddl.shutdownNow();
            db.execute("ALTER TABLE \"Audit\".\"EventLog\" DROP COLUMN IF EXISTS extra");
        }
    }
}
