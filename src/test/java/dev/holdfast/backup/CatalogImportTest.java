package dev.holdfast.backup;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.restore.RestoreApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A catalog that lost its rows gets them back from storage: every verified archive is registered with what its
 * manifest recorded (name, description, options, trigger, schedule by name when its id is gone, sizes and
 * checksums), protected; a damaged archive is reported and not registered; a second import adds nothing; and an
 * imported backup restores the data it holds.
 */
@QuarkusTest
class CatalogImportTest {
    static final Object RESOURCES = TestResources.class;
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void lostRowsComeBackFromStorageVerifiedAndAnImportedBackupRestores() throws Exception {
        AppDatabase.reset();
        Map<String, String> before = AppDatabase.tableHashes(TestDatabase.APP_DB);
        String scheduleName = "import-nightly-" + UUID.randomUUID().toString().substring(0, 8);
        UUID plain = BackupApiTest.create("{\"name\":\"import-plain\",\"description\":\"before the upgrade\","
                + "\"backup_type\":\"database\",\"compression\":\"gzip\"}");
        Response schedule = given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"name\":\"" + scheduleName + "\",\"cron\":\"0 3 * * *\",\"enabled\":false,"
                        + "\"backup\":{\"backup_type\":\"database\"}}")
                .post("/api/schedules");
        schedule.then().statusCode(201);
        String oldSchedule = schedule.jsonPath().getString("id");
        UUID scheduled = UUID.fromString(given().auth()
                .oauth2(Tokens.operator())
                .post("/api/schedules/{id}/run", oldSchedule)
                .then()
                .statusCode(202)
                .extract()
                .jsonPath()
                .getString("resource.id"));
        JsonNode plainRow = BackupApiTest.awaitBackup(plain);
        JsonNode scheduledRow = BackupApiTest.awaitBackup(scheduled);
        assertThat(plainRow.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(scheduledRow.get("status").asText()).isEqualTo("SUCCEEDED");

        // A damaged copy of an archive under another backup's name: verification must keep it out.
        UUID damagedId = UUID.randomUUID();
        Path damaged = BackupApiTest.STORAGE.resolve(damagedId + ".tar");
        Files.copy(BackupApiTest.STORAGE.resolve(plain + ".tar"), damaged);
        try (RandomAccessFile f = new RandomAccessFile(damaged.toFile(), "rw")) {
            f.seek(1200);
            int v = f.read();
            f.seek(1200);
            f.write(v ^ 0x01);
        }
        try {
            // The catalog loses both rows, and the schedule is deleted and made again (a new id, the same name).
            AppDatabase.exec(
                    TestDatabase.CATALOG_DB,
                    "DELETE FROM holdfast.backup WHERE id IN ('" + plain + "', '" + scheduled + "')");
            given().auth().oauth2(Tokens.admin()).delete("/api/schedules/{id}", oldSchedule);
            String newSchedule = given().auth()
                    .oauth2(Tokens.admin())
                    .contentType("application/json")
                    .body("{\"name\":\"" + scheduleName + "\",\"cron\":\"0 3 * * *\",\"enabled\":false}")
                    .post("/api/schedules")
                    .then()
                    .statusCode(201)
                    .extract()
                    .jsonPath()
                    .getString("id");
            given().auth()
                    .oauth2(Tokens.viewer())
                    .get("/api/backups/{id}", plain)
                    .then()
                    .statusCode(404);

            JsonNode first = runImport();
            assertThat(ids(first.get("imported"))).contains(plain.toString(), scheduled.toString());
            assertThat(first.get("failed").toString())
                    .contains(damagedId.toString())
                    .contains("verification");

            JsonNode p = BackupApiTest.awaitBackup(plain);
            for (String field : List.of(
                    "name",
                    "description",
                    "backup_type",
                    "status",
                    "databases",
                    "options",
                    "sha256",
                    "size_bytes",
                    "manifest_sha256",
                    "trigger",
                    "created_by")) {
                assertThat(p.get(field)).as(field).isEqualTo(plainRow.get(field));
            }
            assertThat(p.get("is_protected").asBoolean()).isTrue();
            assertThat(p.get("verify_ok").asBoolean()).isTrue();
            assertThat(p.at("/summary/databases/0/tables")).isEqualTo(plainRow.at("/summary/databases/0/tables"));
            JsonNode s = BackupApiTest.awaitBackup(scheduled);
            assertThat(s.get("schedule_id").asText()).isEqualTo(newSchedule);
            assertThat(s.get("trigger")).isEqualTo(scheduledRow.get("trigger"));
            given().auth()
                    .oauth2(Tokens.viewer())
                    .get("/api/backups/{id}", damagedId)
                    .then()
                    .statusCode(404);

            // Twice adds nothing.
            JsonNode second = runImport();
            assertThat(second.get("imported")).isEmpty();
            assertThat(second.get("already_known").asInt()).isGreaterThanOrEqualTo(2);

            // And the imported backup restores what it holds.
            AppDatabase.exec(TestDatabase.APP_DB, "DELETE FROM public.profile", "DELETE FROM sales.measurement");
            JsonNode restore = RestoreApiTest.awaitRestore(RestoreApiTest.restore(plain, "{}"));
            assertThat(restore.get("status").asText()).as(restore.toString()).isEqualTo("SUCCEEDED");
            assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB)).isEqualTo(before);

            for (UUID id : List.of(plain, scheduled)) {
                given().auth()
                        .oauth2(Tokens.admin())
                        .contentType("application/json")
                        .body("{\"protected\": false}")
                        .put("/api/backups/{id}/protection", id)
                        .then()
                        .statusCode(200);
            }
            given().auth().oauth2(Tokens.admin()).delete("/api/schedules/{id}", newSchedule);
        } finally {
            Files.deleteIfExists(damaged);
        }
    }

    /** Runs an import through the API and returns its job's result. */
    static JsonNode runImport() throws Exception {
        Response r = given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{}")
                .post("/api/catalog/import");
        r.then().statusCode(202);
        String job = r.jsonPath().getString("job.id");
        assertThat(r.header("Location")).endsWith("/api/jobs/" + job);
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> Set.of("SUCCEEDED", "FAILED", "CANCELLED").contains(BackupApiTest.jobState(job)));
        JsonNode view = JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/jobs/{id}", job)
                .asString());
        assertThat(view.get("state").asText()).as(view.toString()).isEqualTo("SUCCEEDED");
        return view.get("result");
    }

    private static List<String> ids(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false)
                .map(JsonNode::asText)
                .toList();
    }
}
