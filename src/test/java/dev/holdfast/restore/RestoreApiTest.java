package dev.holdfast.restore;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.job.JobHandler;
import dev.holdfast.job.JobState;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Database restores end to end: replace, clean into a new database, dry run, refusal, rollback. */
@QuarkusTest
public class RestoreApiTest {
    static final Object RESOURCES = TestResources.class;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
    }

    public static UUID backup() {
        UUID id = BackupApiTest.create("{\"backup_type\":\"database\"}");
        assertThat(BackupApiTest.awaitBackup(id).get("status").asText()).isEqualTo("SUCCEEDED");
        return id;
    }

    public static UUID restore(UUID backup, String body) {
        Response r = given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body(body)
                .post("/api/backups/{id}/restore", backup);
        r.then().statusCode(202);
        String id = r.jsonPath().getString("resource.id");
        assertThat(r.header("Location")).endsWith("/api/restores/" + id);
        assertThat(r.jsonPath().getString("job.id")).isEqualTo(r.jsonPath().getString("resource.job_id"));
        return UUID.fromString(id);
    }

    public static JsonNode awaitRestore(UUID id) throws Exception {
        await().atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    String s = given().auth()
                            .oauth2(Tokens.viewer())
                            .get("/api/restores/{id}", id)
                            .jsonPath()
                            .getString("status");
                    return !s.equals("QUEUED") && !s.equals("RUNNING");
                });
        return JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/restores/{id}", id)
                .asString());
    }

    static void mutate() {
        AppDatabase.exec(
                TestDatabase.APP_DB,
                "INSERT INTO public.auth_user VALUES (2, 'intruder')",
                "UPDATE sales.customer SET name = 'changed' WHERE region = 'eu'",
                "DELETE FROM public.\"select\" WHERE note IS NULL",
                "TRUNCATE public.profile",
                "INSERT INTO \"Audit\".\"EventLog\" (\"Payload\") SELECT 'x' FROM generate_series(1, 100)",
                "UPDATE public.everything SET note = 'rewritten'");
    }

    @Test
    void replaceRestoreBringsBackEveryRowAndRollbackReturnsToThePreRestoreState() throws Exception {
        Map<String, String> original = AppDatabase.tableHashes(TestDatabase.APP_DB);
        Map<String, String> originalSeq = AppDatabase.sequences(TestDatabase.APP_DB);
        UUID backup = backup();
        mutate();
        Map<String, String> mutated = AppDatabase.tableHashes(TestDatabase.APP_DB);
        Map<String, String> mutatedSeq = AppDatabase.sequences(TestDatabase.APP_DB);
        assertThat(mutated).isNotEqualTo(original);

        UUID id = restore(backup, "{\"description\":\"back to last night\"}");
        JsonNode r = awaitRestore(id);
        assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB)).isEqualTo(original);
        assertThat(AppDatabase.sequences(TestDatabase.APP_DB)).isEqualTo(originalSeq);
        JsonNode db = r.get("report").get("databases").get(0);
        assertThat(db.get("committed").asBoolean()).isTrue();
        assertThat(db.get("validation").toString()).contains("row-count").contains("foreign-key");
        String pre = r.get("pre_backup_id").asText();
        assertThat(BackupApiTest.awaitBackup(UUID.fromString(pre)).get("status").asText())
                .isEqualTo("SUCCEEDED");

        Response rb = given().auth().oauth2(Tokens.admin()).post("/api/restores/{id}/rollback", id);
        rb.then().statusCode(202);
        JsonNode back = awaitRestore(UUID.fromString(rb.jsonPath().getString("resource.id")));
        assertThat(back.get("status").asText()).as(back.toString()).isEqualTo("SUCCEEDED");
        assertThat(back.get("rollback_of").asText()).isEqualTo(id.toString());
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB)).isEqualTo(mutated);
        assertThat(AppDatabase.sequences(TestDatabase.APP_DB)).isEqualTo(mutatedSeq);
        given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("backup_id", backup)
                .get("/api/restores")
                .then()
                .statusCode(200)
                .body("items[0].id", org.hamcrest.Matchers.equalTo(id.toString()));
    }

    @Test
    void dryRunReportsWhatWouldChangeAndChangesNothing() throws Exception {
        UUID backup = backup();
        mutate();
        Map<String, String> mutated = AppDatabase.tableHashes(TestDatabase.APP_DB);
        Map<String, String> mutatedSeq = AppDatabase.sequences(TestDatabase.APP_DB);
        JsonNode r = awaitRestore(restore(backup, "{\"dry_run\":true}"));
        assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
        assertThat(r.get("pre_backup_id").isNull()).isTrue();
        JsonNode db = r.get("report").get("databases").get(0);
        assertThat(db.get("committed").asBoolean()).isFalse();
        assertThat(db.toString()).contains("\"auth_user\"").contains("rows_removed");
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB)).isEqualTo(mutated);
        assertThat(AppDatabase.sequences(TestDatabase.APP_DB)).isEqualTo(mutatedSeq);
        given().auth()
                .oauth2(Tokens.admin())
                .post("/api/restores/{id}/rollback", r.get("id").asText())
                .then()
                .statusCode(409)
                .contentType("application/problem+json");
    }

    @Test
    void cleanRestoreIntoANewDatabaseEqualsTheSource() throws Exception {
        Map<String, String> source = AppDatabase.tableHashes(TestDatabase.APP_DB);
        UUID backup = backup();
        String target = dev.holdfast.support.TestDatabase.throwaway("holdfast_clean_");
        try {
            JsonNode r = awaitRestore(restore(
                    backup, "{\"restore_mode\":\"clean\",\"target\":\"" + target + "\",\"create_target\":true}"));
            assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
            assertThat(r.get("report").get("pre_backup").asText()).startsWith("skipped");
            assertThat(AppDatabase.tableHashes(target)).isEqualTo(source);
            // a new target is built in a staging database over several connections and renamed into place
            JsonNode db = r.get("report").get("databases").get(0);
            assertThat(db.get("path").asText()).isEqualTo("staging-database");
            assertThat(db.get("parallel_connections").asInt()).isGreaterThanOrEqualTo(2);
            assertThat(AppDatabase.tableHashes(target)).isEqualTo(source);
        } finally {
            TestDatabase.dropDatabase(target);
        }
    }

    @Inject
    RestoreJobHandler handler;

    static boolean databaseExists(String name) throws Exception {
        try (var c = TestDatabase.connect("postgres");
                var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, name);
            try (var rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Test
    void onFailureDropsTheStagingDatabaseAKilledInstanceLeftAndRestoresAMovedTargetsName() throws Exception {
        UUID backup = backup();
        String target = dev.holdfast.support.TestDatabase.throwaway("holdfast_clean_");
        try {
            UUID id = restore(
                    backup, "{\"restore_mode\":\"clean\",\"target\":\"" + target + "\",\"create_target\":true}");
            JsonNode r = awaitRestore(id);
            assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
            Map<String, String> restored = AppDatabase.tableHashes(target);
            awaitAfterSuccess(r);
            // What a service killed between the two renames leaves: the staging copy and the target moved aside.
            String staging = DatabaseRestore.stagingName(target, id);
            String retired = DatabaseRestore.retiredName(target, id);
            AppDatabase.exec(
                    "postgres", "CREATE DATABASE " + staging, "ALTER DATABASE " + target + " RENAME TO " + retired);
            handler.onFailure(new JobHandler.JobOutcome(
                    UUID.fromString(r.get("job_id").asText()),
                    RestoreService.RESTORE_JOB,
                    JSON.createObjectNode().put("restore_id", id.toString()),
                    JobState.FAILED,
                    "lease expired"));
            assertThat(databaseExists(staging)).isFalse();
            assertThat(databaseExists(retired)).isFalse();
            assertThat(AppDatabase.tableHashes(target)).isEqualTo(restored);
        } finally {
            TestDatabase.dropDatabase(target);
        }
    }

    @Inject
    RetiredDatabases retiredDatabases;

    /** Once the restore's job has ended, its drop after success is queued; this waits until that has run too. */
    void awaitAfterSuccess(JsonNode restore) throws Exception {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> "SUCCEEDED"
                        .equals(given().auth()
                                .oauth2(Tokens.viewer())
                                .get("/api/jobs/{id}", restore.get("job_id").asText())
                                .jsonPath()
                                .getString("state")));
        retiredDatabases.awaitIdle();
    }

    @Test
    void aStagedRestoreIntoAnExistingEmptyDatabaseDropsTheOneItReplacedAfterwards() throws Exception {
        Map<String, String> source = AppDatabase.tableHashes(TestDatabase.APP_DB);
        UUID backup = backup();
        String target = dev.holdfast.support.TestDatabase.throwaway("holdfast_clean_");
        AppDatabase.exec("postgres", "CREATE DATABASE " + target);
        try {
            UUID id = restore(backup, "{\"restore_mode\":\"clean\",\"target\":\"" + target + "\"}");
            JsonNode r = awaitRestore(id);
            assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
            assertThat(r.get("report").get("databases").get(0).get("path").asText())
                    .isEqualTo("staging-database");
            assertThat(AppDatabase.tableHashes(target)).isEqualTo(source);
            // The empty database it replaced is dropped after the restore ended, on a thread of its own.
            String retired = DatabaseRestore.retiredName(target, id);
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> !databaseExists(retired));
            assertThat(databaseExists(DatabaseRestore.stagingName(target, id))).isFalse();
            assertThat(AppDatabase.tableHashes(target)).isEqualTo(source);
        } finally {
            TestDatabase.dropDatabase(target);
        }
    }

    @Test
    void theSweepDropsAnEmptyRetiredDatabaseOfASucceededRestoreAndNeverOneThatHoldsObjects() throws Exception {
        UUID backup = backup();
        String target = dev.holdfast.support.TestDatabase.throwaway("holdfast_clean_");
        UUID id = restore(backup, "{\"restore_mode\":\"clean\",\"target\":\"" + target + "\",\"create_target\":true}");
        String retired = DatabaseRestore.retiredName(target, id);
        // Named like a retired database, but of no restore this catalog knows: never touched.
        String stranger = DatabaseRestore.retiredName(target, UUID.randomUUID());
        try {
            JsonNode r = awaitRestore(id);
            assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
            Map<String, String> restored = AppDatabase.tableHashes(target);
            awaitAfterSuccess(r);
            // What a service stopped between the second rename and the drop leaves.
            AppDatabase.exec("postgres", "CREATE DATABASE " + retired, "CREATE DATABASE " + stranger);
            assertThat(retiredDatabases.sweep()).contains("dropped the empty former target " + retired);
            assertThat(databaseExists(retired)).isFalse();
            assertThat(databaseExists(stranger)).isTrue();
            assertThat(AppDatabase.tableHashes(target)).isEqualTo(restored);

            // One that someone put a table into is kept, table and row included.
            AppDatabase.exec("postgres", "CREATE DATABASE " + retired);
            AppDatabase.exec(
                    retired, "CREATE TABLE public.precious (id int)", "INSERT INTO public.precious VALUES (1)");
            assertThat(retiredDatabases.sweep()).contains(DatabaseRestore.Retired.HOLDS_OBJECTS.describe(retired));
            assertThat(databaseExists(retired)).isTrue();
            assertThat(AppDatabase.tableHashes(retired)).containsOnlyKeys(AppDatabase.key("public", "precious"));
            assertThat(retiredDatabases.sweep()).contains(DatabaseRestore.Retired.HOLDS_OBJECTS.describe(retired));
            assertThat(databaseExists(retired)).isTrue();
        } finally {
            TestDatabase.dropDatabase(retired);
            TestDatabase.dropDatabase(stranger);
            TestDatabase.dropDatabase(target);
        }
    }

    @Test
    void selectiveRestoreOfAReferencedTableIsRefusedAndChangesNothing() throws Exception {
        UUID backup = backup();
        mutate();
        Map<String, String> mutated = AppDatabase.tableHashes(TestDatabase.APP_DB);
        JsonNode r = awaitRestore(restore(backup, "{\"tables\":[\"public.auth_user\"]}"));
        assertThat(r.get("status").asText()).isEqualTo("FAILED");
        assertThat(r.get("error").asText()).containsAnyOf("django_session", "profile");
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB)).isEqualTo(mutated);

        // The leaf of the same web restores alone.
        JsonNode ok = awaitRestore(restore(backup, "{\"tables\":[\"public.profile\"]}"));
        assertThat(ok.get("status").asText()).as(ok.toString()).isEqualTo("SUCCEEDED");
        Map<String, String> after = AppDatabase.tableHashes(TestDatabase.APP_DB);
        assertThat(after.get("public.profile")).isNotEqualTo(mutated.get("public.profile"));
        assertThat(after.get("public.auth_user")).isEqualTo(mutated.get("public.auth_user"));
    }

    @Test
    void invalidRestoreRequestsAreClearProblems() {
        UUID backup = backup();
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"restore_mode\":\"clean\",\"tables\":[\"a\"]}")
                .post("/api/backups/{id}/restore", backup)
                .then()
                .statusCode(400)
                .body("violations[0].field", org.hamcrest.Matchers.equalTo("tables"));
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"databases\":[\"other\"]}")
                .post("/api/backups/{id}/restore", backup)
                .then()
                .statusCode(400)
                .body("violations[0].field", org.hamcrest.Matchers.equalTo("databases[0]"));
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"restore_mode\":\"merge\"}")
                .post("/api/backups/{id}/restore", backup)
                .then()
                .statusCode(400);
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body("{}")
                .post("/api/backups/{id}/restore", backup)
                .then()
                .statusCode(403);
    }
}
