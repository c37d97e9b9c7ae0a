package dev.holdfast.fault;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.restore.RestoreApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fault suite over server sessions: for backups and for each restore strategy (replace, single-transaction
 * clean, staged clean), each session the job uses is terminated in turn while table data moves, and the job is
 * cancelled in each phase. Every run must end within a bound, with the job and its row terminal and honest:
 * FAILED or CANCELLED with a reason, the source unlocked, the target exactly as before and nothing left behind;
 * or SUCCEEDED with data verified equal to the source. Figures of a run go to {@code docs/reliability.md}.
 */
@QuarkusTest
class SessionFaultSuiteTest {
    static final Object RESOURCES = TestResources.class;
    static final String APP = TestDatabase.APP_DB;
    static final Path STORAGE = BackupApiTest.STORAGE;
    /** Enough rows that a COPY of them takes a few seconds here, so that each fault lands inside it. */
    static final int BIG_ROWS = 600_000;

    static final Duration BOUND = Duration.ofSeconds(90);
    /** A staged clean restore builds a new database beside an empty or missing target, then swaps it in. */
    static final String STAGED_TARGET = "holdfast_target_fault" + TestDatabase.SUFFIX; // a configured target pattern

    static UUID backupOfBig;
    static Map<String, String> stateAtBackup;

    /** Where the fault strikes and what it is. */
    enum Fault {
        BACKUP_COORDINATOR(Kind.BACKUP, Strike.COORDINATOR),
        BACKUP_COPY_SESSIONS(Kind.BACKUP, Strike.COPY_SESSIONS),
        BACKUP_CATALOG_SESSIONS(Kind.BACKUP, Strike.CATALOG_SESSIONS),
        BACKUP_CANCEL_IN_SNAPSHOT(Kind.BACKUP, Strike.CANCEL_EARLY),
        BACKUP_CANCEL_IN_COPY(Kind.BACKUP, Strike.CANCEL),
        BACKUP_CANCEL_WHILE_FINISHING(Kind.BACKUP, Strike.CANCEL_LATE),
        REPLACE_TARGET_SESSION(Kind.REPLACE, Strike.COPY_SESSIONS),
        REPLACE_CATALOG_SESSIONS(Kind.REPLACE, Strike.CATALOG_SESSIONS),
        REPLACE_CANCEL_IN_LOAD(Kind.REPLACE, Strike.CANCEL),
        CLEAN_TARGET_SESSION(Kind.CLEAN, Strike.COPY_SESSIONS),
        CLEAN_CANCEL_IN_LOAD(Kind.CLEAN, Strike.CANCEL),
        STAGED_LOAD_SESSIONS(Kind.STAGED, Strike.COPY_SESSIONS),
        STAGED_CATALOG_SESSIONS(Kind.STAGED, Strike.CATALOG_SESSIONS),
        STAGED_CANCEL_IN_LOAD(Kind.STAGED, Strike.CANCEL);

        final Kind kind;
        final Strike strike;

        Fault(Kind kind, Strike strike) {
            this.kind = kind;
            this.strike = strike;
        }
    }

    enum Kind {
        BACKUP,
        REPLACE,
        CLEAN,
        STAGED
    }

    enum Strike {
        COORDINATOR,
        COPY_SESSIONS,
        CATALOG_SESSIONS,
        CANCEL,
        CANCEL_EARLY,
        CANCEL_LATE
    }

    /** Once, from the first test (the service is not up yet in a static {@code @BeforeAll}). */
    static void bigSource() {
        AppDatabase.reset();
        AppDatabase.exec(
                APP,
                "CREATE TABLE public.big_events (id bigint PRIMARY KEY, payload text)",
                "INSERT INTO public.big_events SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, " + BIG_ROWS
                        + ") g",
                "VACUUM ANALYZE public.big_events");
        backupOfBig = BackupApiTest.create("{\"backup_type\":\"database\",\"databases\":[\"app\"]}");
        assertThat(BackupApiTest.awaitBackup(backupOfBig).get("status").asText())
                .isEqualTo("SUCCEEDED");
        stateAtBackup = AppDatabase.tableHashes(APP);
    }

    @AfterAll
    static void dropBig() {
        AppDatabase.reset();
    }

    @BeforeEach
    void sourceAsBackedUp() {
        if (backupOfBig == null) {
            bigSource();
        }
        // A restore must change something, so that "as before" and "restored" differ.
        AppDatabase.exec(
                APP,
                "DELETE FROM public.big_events WHERE id > " + (BIG_ROWS - 1000),
                "INSERT INTO public.big_events VALUES (" + (BIG_ROWS + 1)
                        + ", 'after the backup') ON CONFLICT DO NOTHING");
        TestDatabase.dropDatabase(STAGED_TARGET);
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void everyFaultEndsInBoundedTimeWithHonestRowsAndNothingLeftBehind(Fault fault) throws Exception {
        String only = System.getProperty("holdfast-test.faults"); // e.g. -Dholdfast-test.faults=STAGED to rerun some
        org.junit.jupiter.api.Assumptions.assumeTrue(
                only == null || fault.name().contains(only));
        Map<String, String> before = AppDatabase.tableHashes(APP);
        String job;
        UUID row;
        if (fault.kind == Kind.BACKUP) {
            row = BackupApiTest.create("{\"backup_type\":\"database\",\"databases\":[\"app\"]}");
            job = given().auth()
                    .oauth2(Tokens.viewer())
                    .get("/api/backups/{id}", row)
                    .jsonPath()
                    .getString("job_id");
        } else {
            String body = switch (fault.kind) {
                case REPLACE -> "{\"restore_mode\":\"replace\",\"create_pre_backup\":false}";
                // into a target that holds data a clean restore is one transaction on the target
                case CLEAN -> "{\"restore_mode\":\"clean\",\"create_pre_backup\":false}";
                default -> "{\"restore_mode\":\"clean\",\"target\":\"" + STAGED_TARGET + "\",\"create_target\":true}";
            };
            row = RestoreApiTest.restore(backupOfBig, body);
            job = given().auth()
                    .oauth2(Tokens.viewer())
                    .get("/api/restores/{id}", row)
                    .jsonPath()
                    .getString("job_id");
        }

        long start = System.nanoTime();
        strike(fault, job);
        JsonPath ended = awaitEnd(fault.kind, row);
        long millis = (System.nanoTime() - start) / 1_000_000;
        String status = ended.getString("status");
        String error = ended.getString("error");
        System.out.printf("fault-suite %s: %s in %d ms (%s)%n", fault, status, millis, error);

        assertThat(Set.of("SUCCEEDED", "FAILED", "CANCELLED")).contains(status);
        String jobState = awaitJobEnd(job);
        assertThat(jobState).as("job state beside row status " + status).isEqualTo(status);
        if (fault.strike == Strike.CANCEL || fault.strike == Strike.CANCEL_EARLY) {
            assertThat(status).isEqualTo("CANCELLED");
            assertThat(error).isEqualTo("Cancelled by request");
        }
        if (fault.strike == Strike.CANCEL_LATE) {
            assertThat(status).isIn("CANCELLED", "SUCCEEDED");
        }
        if (!status.equals("SUCCEEDED")) {
            assertThat(error).as("a failure says why").isNotBlank();
        }
        if (fault.strike == Strike.COORDINATOR || fault.strike == Strike.COPY_SESSIONS) {
            // a terminated session of the job's own data never ends in a success
            assertThat(status).isNotEqualTo("SUCCEEDED");
        }

        if (fault.kind == Kind.BACKUP) {
            if (status.equals("SUCCEEDED")) {
                Manifest m = ArchiveReader.open(STORAGE.resolve(row + ".tar")).manifest();
                assertThat(m.databases().get(0).tables().stream()
                                .filter(t -> t.name().equals("big_events"))
                                .findFirst()
                                .orElseThrow()
                                .rowCount())
                        .isEqualTo(count("public.big_events"));
            } else {
                assertNoArchiveLeft(row);
            }
            assertThat(AppDatabase.tableHashes(APP))
                    .as("a backup changes nothing")
                    .isEqualTo(before);
        } else if (fault.kind == Kind.STAGED) {
            assertThat(AppDatabase.tableHashes(APP))
                    .as("the source is not the target")
                    .isEqualTo(before);
            boolean exists = "1"
                    .equals(query(
                            "postgres", "SELECT count(*) FROM pg_database WHERE datname = '" + STAGED_TARGET + "'"));
            if (status.equals("SUCCEEDED")) {
                assertThat(AppDatabase.tableHashes(STAGED_TARGET))
                        .as("restored as backed up")
                        .isEqualTo(stateAtBackup);
            } else {
                assertThat(exists)
                        .as("no half-restored database carries the target's name")
                        .isFalse();
            }
        } else if (status.equals("SUCCEEDED")) {
            assertThat(AppDatabase.tableHashes(APP)).as("restored as backed up").isEqualTo(stateAtBackup);
        } else {
            assertThat(AppDatabase.tableHashes(APP)).as("the target as it was").isEqualTo(before);
        }
        assertSourceReleased();
        assertThat(query(
                        "postgres",
                        "SELECT coalesce(string_agg(datname, ','), '') FROM pg_database"
                                + " WHERE (datname LIKE '" + APP + "%' OR datname LIKE '" + STAGED_TARGET + "%')"
                                + " AND datname LIKE '%\\_\\_hf\\_%'"))
                .as("staging databases left")
                .isEmpty();
    }

    /** Waits for the phase the fault aims at, then strikes. */
    void strike(Fault fault, String job) throws Exception {
        if (fault.strike == Strike.CANCEL_EARLY) {
            awaitPhase(job, Set.of("snapshot", "copy"));
            cancel(job);
            return;
        }
        if (fault.strike == Strike.CANCEL_LATE) {
            // re-reading, syncing or publishing the archive: a cancel may still win, or come after the end (409)
            awaitPhase(job, Set.of("verify", "store", "done"));
            int code = given().auth()
                    .oauth2(Tokens.operator())
                    .post("/api/jobs/{id}/cancel", job)
                    .statusCode();
            assertThat(code).isIn(202, 409);
            return;
        }
        // table data is moving: a COPY of big_events is under way on the server
        String target = fault.kind == Kind.STAGED ? STAGED_TARGET + "%" : APP;
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> copyUnderWay(target));
        switch (fault.strike) {
            case COORDINATOR ->
                terminate(
                        APP,
                        "state = 'idle in transaction' AND backend_start = (SELECT"
                                + " min(backend_start) FROM pg_stat_activity WHERE datname = '" + APP + "' AND pid <>"
                                + " pg_backend_pid() AND application_name <> 'pg_dump')");
            case COPY_SESSIONS -> terminate(target, "query LIKE 'COPY%'");
            case CATALOG_SESSIONS -> terminate(TestDatabase.CATALOG_DB, "true");
            case CANCEL -> cancel(job);
            default -> throw new IllegalStateException(fault.strike.name());
        }
    }

    static void cancel(String job) {
        given().auth()
                .oauth2(Tokens.operator())
                .post("/api/jobs/{id}/cancel", job)
                .then()
                .statusCode(202);
    }

    static void awaitPhase(String job, Set<String> phases) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> phases.contains(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/jobs/{id}", job)
                        .jsonPath()
                        .getString("progress.phase")));
    }

    JsonPath awaitEnd(Kind kind, UUID row) {
        String path = kind == Kind.BACKUP ? "/api/backups/{id}" : "/api/restores/{id}";
        await().atMost(BOUND)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !Set.of("QUEUED", "RUNNING")
                        .contains(given().auth()
                                .oauth2(Tokens.viewer())
                                .get(path, row)
                                .jsonPath()
                                .getString("status")));
        return given().auth().oauth2(Tokens.viewer()).get(path, row).jsonPath();
    }

    static String awaitJobEnd(String job) {
        await().atMost(BOUND)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !Set.of("QUEUED", "RUNNING")
                        .contains(given().auth()
                                .oauth2(Tokens.viewer())
                                .get("/api/jobs/{id}", job)
                                .jsonPath()
                                .getString("state")));
        return given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/jobs/{id}", job)
                .jsonPath()
                .getString("state");
    }

    /** Whether a COPY of big_events runs on {@code database} (a LIKE pattern). */
    static boolean copyUnderWay(String database) {
        String where = "datname LIKE '" + database + "'";
        return !"0"
                .equals(query(
                        "postgres",
                        "SELECT count(*) FROM pg_stat_activity WHERE " + where
                                + " AND state = 'active' AND query LIKE 'COPY%big_events%'"));
    }

    static void terminate(String database, String condition) {
        String where = "datname LIKE '" + database + "'";
        String killed = query(
                "postgres",
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE " + where
                        + " AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND (" + condition + ")");
        assertThat(Integer.parseInt(killed)).as("sessions terminated").isPositive();
    }

    /** Nothing of the job is left on the source: no session, so no lock and no snapshot. */
    static void assertSourceReleased() {
        await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(query(
                                "postgres",
                                "SELECT coalesce(string_agg(datname || ':' || state || ':'"
                                        + " || left(query, 40), ', '), '') FROM pg_stat_activity WHERE (datname LIKE '"
                                        + APP + "%'"
                                        + " OR datname LIKE '" + STAGED_TARGET
                                        + "%') AND backend_type = 'client backend'"
                                        + " AND pid <> pg_backend_pid()"))
                        .as("sessions left on the application's databases")
                        .isEmpty());
    }

    static void assertNoArchiveLeft(UUID id) throws Exception {
        assertThat(STORAGE.resolve(id + ".tar")).doesNotExist();
        try (Stream<Path> files = Files.walk(STORAGE)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(id.toString()));
        }
    }

    static long count(String table) {
        return Long.parseLong(query(APP, "SELECT count(*) FROM " + table));
    }

    static String query(String database, String sql) {
        return TestDatabase.query(database, sql);
    }
}
