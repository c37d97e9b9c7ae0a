package dev.holdfast.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import io.restassured.path.json.JsonPath;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kills the packaged service (SIGKILL, SIGTERM) while a backup or a restore is in the middle of a COPY. SIGTERM: the
 * instance stops the job and records it FAILED before it exits, the source released. SIGKILL of a backup: the next
 * instance ends the row and it can be deleted. SIGKILL of a replace restore (the first test) shows
 * that the target database is exactly as it was (every table's content hash, sequences, constraints and
 * indexes) and that a second instance, once the dead one's lease has expired, ends the restore FAILED with
 * an error that says what happened. Nothing in the service gets a chance to clean up: the guarantee comes
 * from the restore being one PostgreSQL transaction, which dies with its connection. SIGKILL of a drill in the
 * middle of its COPY into the scratch database leaves that database and the drill's scratch directory behind; the
 * next instance ends the drill FAILED saying why, and drops both.
 */
class ServiceKilledIT {
    static final String CATALOG = "holdfast_killit" + TestDatabase.SUFFIX;
    static final String TARGET = "holdfast_killit_app" + TestDatabase.SUFFIX;
    static final String ISSUER = "https://holdfast-kill-it.example";
    /** Big enough that its COPY takes seconds, so that the kill lands in the middle of it. */
    static final int BIG_ROWS = 2_000_000;

    static KeyPair key;
    static Path storage;

    @BeforeAll
    static void databases() throws Exception {
        TestDatabase.dropDatabase(CATALOG);
        TestDatabase.dropDatabase(TARGET);
        TestDatabase.ensureDatabase(CATALOG);
        TestDatabase.ensureDatabase(TARGET);
        AppDatabase.load(TARGET);
        AppDatabase.exec(
                TARGET,
                "CREATE TABLE public.big_events (id bigint PRIMARY KEY, user_id int REFERENCES public.auth_user (id),"
                        + " payload text)",
                "INSERT INTO public.big_events SELECT g, 1, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, "
                        + BIG_ROWS + ") g",
                "VACUUM ANALYZE public.big_events");
        key = PackagedService.Settings.newKey();
        storage = Files.createTempDirectory("holdfast-kill-it");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        TestDatabase.dropDatabase(TARGET);
        TestDatabase.dropDatabase(CATALOG);
        if (storage != null) {
            try (Stream<Path> files = Files.walk(storage)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    void killingTheServiceMidCopyLeavesTheTargetAsItWasAndTheRestoreEndsFailed() throws Exception {
        String backupId;
        String restoreId;
        String jobId;
        String before;
        PackagedService first = start("kill-it-a", "target/kill-it-a.log");
        try {
            backupId = first.post("/api/backups", "{\"backup_type\":\"database\",\"databases\":[\"app\"]}")
                    .getString("resource.id");
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> !Set.of("QUEUED", "RUNNING")
                            .contains(first.get("/api/backups/" + backupId).getString("status")));
            assertThat(first.get("/api/backups/" + backupId).getString("status"))
                    .isEqualTo("SUCCEEDED");

            // What the restore would undo: the state it must leave untouched when it dies.
            AppDatabase.exec(
                    TARGET,
                    "INSERT INTO public.auth_user VALUES (2, 'intruder')",
                    "UPDATE public.big_events SET payload = 'changed' WHERE id % 1000 = 0",
                    "DELETE FROM public.big_events WHERE id % 7 = 0",
                    "INSERT INTO \"Audit\".\"EventLog\" (\"Payload\") SELECT 'x' FROM generate_series(1, 50)");
            before = state();

            JsonPath restore = first.post(
                    "/api/backups/" + backupId + "/restore",
                    "{\"restore_mode\":\"replace\",\"create_pre_backup\":false}");
            restoreId = restore.getString("resource.id");
            jobId = restore.getString("job.id");

            // The job reports its COPY phase on the big table, and the server shows that COPY under way.
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        JsonPath job = first.get("/api/jobs/" + jobId);
                        return "load".equals(job.getString("progress.phase"))
                                && "app:public.big_events".equals(job.getString("progress.current_item"));
                    });
            long[] copy = new long[2];
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        long[] c = copyInProgress();
                        copy[0] = c[0];
                        copy[1] = c[1];
                        return c[1] > 0;
                    });
            first.kill();
            System.out.printf(
                    "service killed while its COPY into public.big_events had %d of %d rows%n", copy[1], BIG_ROWS);
            assertThat(copy[1])
                    .as("rows the COPY had loaded when the service was killed")
                    .isGreaterThan(0)
                    .isLessThan(BIG_ROWS);

            // The dead service's backend notices the closed connection and aborts its transaction.
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> !backendAlive(copy[0]));
            assertThat(state()).isEqualTo(before);
        } finally {
            first.kill();
        }

        // The restore is still recorded as running: nobody was left to say otherwise.
        assertThat(query(CATALOG, "SELECT status FROM holdfast.restore_operation WHERE id = '" + restoreId + "'"))
                .isEqualTo("RUNNING");

        PackagedService second = start("kill-it-b", "target/kill-it-b.log");
        try {
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> !"RUNNING"
                            .equals(second.get("/api/restores/" + restoreId).getString("status")));
            JsonPath r = second.get("/api/restores/" + restoreId);
            assertThat(r.getString("status")).isEqualTo("FAILED");
            assertThat(r.getString("error"))
                    .contains("Instance kill-it-a stopped renewing the lease of attempt 1")
                    .contains("not safe to retry")
                    .contains("It last reported phase 'load' (app:public.big_events)")
                    .contains("a database whose restore had not committed is as it was");
            JsonPath job = second.get("/api/jobs/" + jobId);
            assertThat(job.getString("state")).isEqualTo("FAILED");
            assertThat(job.getInt("attempts")).isEqualTo(1);
            assertThat(job.getInt("max_attempts")).isEqualTo(1);
            // Not retried by the second instance either: the target stays as it was.
            Thread.sleep(2000);
            assertThat(second.get("/api/jobs/" + jobId).getString("state")).isEqualTo("FAILED");
            assertThat(state()).isEqualTo(before);
        } finally {
            second.stop();
        }
    }

    @Test
    void sigtermMidBackupCopyEndsTheBackupFailedBeforeTheServiceExitsAndReleasesTheSource() throws Exception {
        PackagedService first = start("term-it-a", "target/term-it-a.log");
        String backupId;
        String jobId;
        try {
            JsonPath created = first.post("/api/backups", "{\"backup_type\":\"database\",\"databases\":[\"app\"]}");
            backupId = created.getString("resource.id");
            jobId = created.getString("job.id");
            awaitCopy("COPY TO");
            first.stop();
            assertThat(first.process.isAlive()).isFalse();
        } finally {
            first.kill();
        }
        // Recorded by the instance itself on its way out: nobody else is running. Either by the job's failure hook
        // ("The service instance is shutting down") or, when a heartbeat's reconcile runs between the job row's end
        // and that hook, by the reconcile ("Its job ended FAILED: The service instance is shutting down"): both
        // happen before the exit and give the same reason.
        assertThat(query(CATALOG, "SELECT status || ': ' || error FROM holdfast.backup WHERE id = '" + backupId + "'"))
                .startsWith("FAILED: ")
                .endsWith("The service instance is shutting down");
        assertThat(query(CATALOG, "SELECT state FROM holdfast.job WHERE id = '" + jobId + "'"))
                .isEqualTo("FAILED");
        assertReleased(backupId);
    }

    @Test
    void sigkillMidBackupCopyLeavesARowTheNextInstanceEndsAndThatCanThenBeDeleted() throws Exception {
        PackagedService first = start("kill-it-c", "target/kill-it-c.log");
        String backupId;
        try {
            backupId = first.post("/api/backups", "{\"backup_type\":\"database\",\"databases\":[\"app\"]}")
                    .getString("resource.id");
            awaitCopy("COPY TO");
        } finally {
            first.kill();
        }
        assertThat(query(CATALOG, "SELECT status FROM holdfast.backup WHERE id = '" + backupId + "'"))
                .isEqualTo("RUNNING");
        PackagedService second = start("kill-it-d", "target/kill-it-d.log");
        try {
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> !"RUNNING"
                            .equals(second.get("/api/backups/" + backupId).getString("status")));
            JsonPath b = second.get("/api/backups/" + backupId);
            assertThat(b.getString("status")).isEqualTo("FAILED");
            assertThat(b.getString("error")).contains("Instance kill-it-c stopped renewing the lease");
            assertThat(given().auth()
                            .oauth2(token())
                            .delete(second.uri("/api/backups/" + backupId))
                            .statusCode())
                    .isEqualTo(204);
        } finally {
            second.stop();
        }
        assertReleased(backupId);
    }

    @Test
    void sigtermMidRestoreLoadLeavesTheTargetAsItWasAndTheRestoreFailedBeforeExit() throws Exception {
        PackagedService first = start("term-it-b", "target/term-it-b.log");
        String restoreId;
        String before;
        try {
            String backupId = first.post("/api/backups", "{\"backup_type\":\"database\",\"databases\":[\"app\"]}")
                    .getString("resource.id");
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> !Set.of("QUEUED", "RUNNING")
                            .contains(first.get("/api/backups/" + backupId).getString("status")));
            AppDatabase.exec(TARGET, "UPDATE public.big_events SET payload = 'changed by term-it' WHERE id % 999 = 0");
            before = state();
            restoreId = first.post(
                            "/api/backups/" + backupId + "/restore",
                            "{\"restore_mode\":\"replace\",\"create_pre_backup\":false}")
                    .getString("resource.id");
            awaitCopy("COPY FROM");
            first.stop();
            assertThat(first.process.isAlive()).isFalse();
        } finally {
            first.kill();
        }
        assertThat(query(CATALOG, "SELECT status FROM holdfast.restore_operation WHERE id = '" + restoreId + "'"))
                .isEqualTo("FAILED");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> "0"
                        .equals(query(
                                "postgres",
                                "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + TARGET
                                        + "' AND pid <> pg_backend_pid()")));
        assertThat(state()).isEqualTo(before);
    }

    @Test
    void aDrillKilledMidRestoreIsSweptOnRestartAndEndsFailed() throws Exception {
        Path media = Files.createDirectories(storage.resolve("media-root"));
        Files.writeString(media.resolve("invoice.pdf"), "%PDF ".repeat(1000));
        Path scratchDir = storage.resolve("drill-scratch");
        // A prefix of its own: no other service on this server may take its scratch database for one of its own.
        java.util.Map<String, String> env = java.util.Map.of(
                "HOLDFAST_MEDIA_UPLOADS_PATH", media.toString(),
                "HOLDFAST_DRILLS_SCRATCH_DIR", scratchDir.toString(),
                "HOLDFAST_DRILLS_SCRATCH_PREFIX", "hfkill_drill_");
        PackagedService first = PackagedService.start(
                new PackagedService.Settings(CATALOG, TARGET, storage, key, ISSUER),
                "drill-it-a",
                "target/drill-it-a.log",
                env);
        String drillId;
        String scratch;
        try {
            String backupId =
                    first.post("/api/backups", "{\"backup_type\":\"full\"}").getString("resource.id");
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> !Set.of("QUEUED", "RUNNING")
                            .contains(first.get("/api/backups/" + backupId).getString("status")));
            assertThat(first.get("/api/backups/" + backupId).getString("status"))
                    .isEqualTo("SUCCEEDED");
            JsonPath drill = first.post("/api/drills", "{\"source\":\"app\",\"backup_id\":\"" + backupId + "\"}");
            drillId = drill.getString("resource.id");
            scratch = drill.getString("resource.scratch_database");
            assertThat(scratch).startsWith("hfkill_drill_");
            // The drill's COPY into the big table of its scratch database is under way.
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> "t"
                            .equals(query(
                                    "postgres",
                                    "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_copy WHERE datname = '" + scratch
                                            + "' AND command = 'COPY FROM' AND tuples_processed > 0)")));
            first.kill();
        } finally {
            first.kill();
        }
        // Left behind by the killed service: the scratch database and the drill's scratch directory.
        assertThat(query("postgres", "SELECT count(*) FROM pg_database WHERE datname = '" + scratch + "'"))
                .isEqualTo("1");
        assertThat(scratchDir.resolve(scratch)).isDirectory();
        assertThat(query(CATALOG, "SELECT status FROM holdfast.drill_run WHERE id = '" + drillId + "'"))
                .isEqualTo("RUNNING");

        PackagedService second = PackagedService.start(
                new PackagedService.Settings(CATALOG, TARGET, storage, key, ISSUER),
                "drill-it-b",
                "target/drill-it-b.log",
                env);
        try {
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> !"RUNNING"
                            .equals(second.get("/api/drills/" + drillId).getString("status")));
            JsonPath d = second.get("/api/drills/" + drillId);
            assertThat(d.getString("status")).isEqualTo("FAILED");
            assertThat(d.getString("error")).contains("Instance drill-it-a stopped renewing the lease");
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> "0"
                            .equals(query(
                                    "postgres", "SELECT count(*) FROM pg_database WHERE datname = '" + scratch + "'")));
            assertThat(scratchDir.resolve(scratch)).doesNotExist();
        } finally {
            second.stop();
        }
    }

    /** Waits until the service's COPY of big_events (TO: a backup, FROM: a restore) is under way. */
    static void awaitCopy(String command) {
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> "t"
                        .equals(query(
                                TARGET,
                                "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_copy WHERE datname = current_database()"
                                        + " AND command = '" + command + "' AND relid = 'public.big_events'::regclass"
                                        + " AND tuples_processed > 0)")));
    }

    /** No session is left on the source and no file of the backup in storage. */
    static void assertReleased(String backupId) throws Exception {
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> "0"
                        .equals(query(
                                "postgres",
                                "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + TARGET + "'"
                                        + " AND pid <> pg_backend_pid()")));
        try (Stream<Path> files = Files.walk(storage)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(backupId));
        }
    }

    /** Content hash of every table, sequences, constraints and indexes of the target. */
    static String state() {
        return AppDatabase.tableHashes(TARGET) + " " + AppDatabase.sequences(TARGET) + " "
                + query(
                        TARGET,
                        "SELECT string_agg(conrelid::regclass || '.' || conname || ' ' || convalidated::text"
                                + " || ' ' || pg_get_constraintdef(oid), ';' ORDER BY conrelid::regclass::text, conname)"
                                + " FROM pg_constraint WHERE connamespace::regnamespace::text NOT LIKE 'pg_%'")
                + " "
                + query(
                        TARGET,
                        "SELECT string_agg(pg_get_indexdef(indexrelid), ';' ORDER BY"
                                + " indexrelid::regclass::text) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
                                + " WHERE c.relnamespace::regnamespace::text NOT LIKE 'pg_%'");
    }

    /** Backend pid and rows so far of a COPY into big_events on the target, or zeros. */
    static long[] copyInProgress() throws Exception {
        try (Connection c = TestDatabase.connect(TARGET);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pid, tuples_processed FROM pg_stat_progress_copy"
                        + " WHERE datname = current_database() AND command = 'COPY FROM'"
                        + " AND relid = 'public.big_events'::regclass")) {
            return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : new long[2];
        }
    }

    static boolean backendAlive(long pid) throws Exception {
        return "t".equals(query("postgres", "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = " + pid + ")"));
    }

    static String query(String database, String sql) {
        return TestDatabase.query(database, sql);
    }

    static String token() {
        return new PackagedService.Settings(CATALOG, TARGET, storage, key, ISSUER).token();
    }

    static PackagedService start(String instanceId, String log) throws Exception {
        return PackagedService.start(
                new PackagedService.Settings(CATALOG, TARGET, storage, key, ISSUER), instanceId, log);
    }
}
