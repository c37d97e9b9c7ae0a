package dev.holdfast.backup;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.stats.CopyMetrics;
import dev.holdfast.stats.Metrics;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Offsite copies between two local storages (the test profile's {@code offsite}): asked for with the backup, proven
 * byte for byte at the destination, repeated and repaired through the API, refused when the source is damaged (and
 * then visible as a failed copy in the API and the metrics), and deleted with the backup.
 */
@QuarkusTest
public class BackupCopyTest {
    static final Object RESOURCES = TestResources.class;
    public static final Path OFFSITE = Path.of("target/holdfast-test-offsite");
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    CopyMetrics metrics;

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
    }

    public static JsonNode awaitCopy(UUID id, String storage) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    JsonNode b = BackupApiTest.awaitBackup(id);
                    for (JsonNode c : b.get("copies")) {
                        if (c.get("storage").asText().equals(storage)) {
                            last[0] = c;
                            return c.get("status").asText().matches("SUCCEEDED|FAILED");
                        }
                    }
                    return false;
                });
        return last[0];
    }

    public static Response copy(UUID id, String storage) {
        return given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body("{\"storage\":\"" + storage + "\"}")
                .post("/api/backups/{id}/copies", id);
    }

    static String jobResult(String job) throws Exception {
        return given().auth().oauth2(Tokens.viewer()).get("/api/jobs/{id}", job).asString();
    }

    @Test
    void aBackupAskedWithCopyToIsCopiedAndTheCopyIsTheSameBytes() throws Exception {
        UUID id =
                BackupApiTest.create("{\"name\":\"with-copy\",\"backup_type\":\"database\",\"copy_to\":[\"offsite\"]}");
        JsonNode b = BackupApiTest.awaitBackup(id);
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("SUCCEEDED");
        assertThat(b.get("options").get("copy_to").get(0).asText()).isEqualTo("offsite");
        JsonNode c = awaitCopy(id, "offsite");
        assertThat(c.get("status").asText()).as(c.toString()).isEqualTo("SUCCEEDED");
        assertThat(c.get("sha256").asText()).isEqualTo(b.get("sha256").asText());
        assertThat(c.get("size_bytes").asLong()).isEqualTo(b.get("size_bytes").asLong());
        byte[] primary = Files.readAllBytes(BackupApiTest.STORAGE.resolve(id + ".tar"));
        assertThat(Files.readAllBytes(OFFSITE.resolve(id + ".tar"))).isEqualTo(primary);

        // Asked again: the copy there is recognised by its SHA-256 and kept.
        String again =
                copy(id, "offsite").then().statusCode(202).extract().jsonPath().getString("job.id");
        assertThat(awaitCopy(id, "offsite").get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(JSON.readTree(jobResult(again))
                        .path("result")
                        .path("already_there")
                        .asBoolean())
                .isTrue();

        // A damaged copy is replaced by a good one.
        flipByte(OFFSITE.resolve(id + ".tar"), 700);
        String repair =
                copy(id, "offsite").then().statusCode(202).extract().jsonPath().getString("job.id");
        assertThat(awaitCopy(id, "offsite").get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(JSON.readTree(jobResult(repair))
                        .path("result")
                        .path("already_there")
                        .asBoolean())
                .isFalse();
        assertThat(Files.readAllBytes(OFFSITE.resolve(id + ".tar"))).isEqualTo(primary);

        // Deleting the backup deletes the copy too.
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", id)
                .then()
                .statusCode(204);
        assertThat(Files.exists(OFFSITE.resolve(id + ".tar"))).isFalse();
        assertThat(Files.exists(BackupApiTest.STORAGE.resolve(id + ".tar"))).isFalse();
    }

    @Test
    void aDamagedSourceIsNotCopiedAndTheFailedCopyShowsInTheApiAndTheMetrics() throws Exception {
        metrics.refresh();
        double before = Metrics.scrape().valueOrZero("holdfast_backup_copies_failed", Map.of("storage", "offsite"));
        UUID id = BackupApiTest.create("{\"backup_type\":\"database\"}");
        JsonNode b = BackupApiTest.awaitBackup(id);
        assertThat(b.get("copies")).isEmpty();
        flipByte(BackupApiTest.STORAGE.resolve(id + ".tar"), 1000);

        Response accepted = copy(id, "offsite");
        accepted.then().statusCode(202).header("Location", containsString("/api/backups/" + id));
        assertThat(accepted.jsonPath().getString("resource.copies[0].status")).isIn("QUEUED", "RUNNING", "FAILED");
        JsonNode c = awaitCopy(id, "offsite");
        assertThat(c.get("status").asText()).isEqualTo("FAILED");
        assertThat(c.get("error").asText())
                .contains("not the recorded")
                .contains(b.get("sha256").asText());
        assertThat(Files.exists(OFFSITE.resolve(id + ".tar")))
                .as("nothing kept")
                .isFalse();
        try (var left = Files.list(OFFSITE)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(id.toString()));
        }
        metrics.refresh();
        assertThat(Metrics.scrape().valueOrZero("holdfast_backup_copies_failed", Map.of("storage", "offsite")))
                .isEqualTo(before + 1);
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .queryParam("copy_status", "FAILED")
                        .queryParam("size", 200)
                        .get("/api/backups")
                        .jsonPath()
                        .getList("items.id", String.class))
                .contains(id.toString());
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .queryParam("copy_status", "SUCCEEDED")
                        .queryParam("size", 200)
                        .get("/api/backups")
                        .jsonPath()
                        .getList("items.id", String.class))
                .doesNotContain(id.toString());
        given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("copy_status", "BROKEN")
                .get("/api/backups")
                .then()
                .statusCode(400);

        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", id)
                .then()
                .statusCode(204);
        metrics.refresh();
        assertThat(Metrics.scrape().valueOrZero("holdfast_backup_copies_failed", Map.of("storage", "offsite")))
                .isEqualTo(before);
    }

    @Test
    void unknownOrPrimaryStoragesAreRefusedNamingTheField() {
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body("{\"backup_type\":\"database\",\"copy_to\":[\"offsite\",\"moon\"]}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("copy_to[1]"))
                .body("violations[0].message", containsString("unknown storage 'moon'"))
                .body("violations[0].message", containsString("[offsite]"));
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body("{\"backup_type\":\"database\",\"copy_to\":[\"default\"]}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("copy_to[0]"));
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"name\":\"far\",\"cron\":\"0 3 * * *\",\"backup\":{\"copy_to\":[\"moon\"]}}")
                .post("/api/schedules")
                .then()
                .statusCode(400)
                .body("detail", containsString("moon"));

        UUID id = BackupApiTest.create("{\"backup_type\":\"database\"}");
        BackupApiTest.awaitBackup(id);
        copy(id, "moon").then().statusCode(400).body("violations[0].field", equalTo("storage"));
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body("{}")
                .post("/api/backups/{id}/copies", id)
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("storage"));
        // A viewer may not copy.
        given().auth()
                .oauth2(Tokens.viewer())
                .contentType("application/json")
                .body("{\"storage\":\"offsite\"}")
                .post("/api/backups/{id}/copies", id)
                .then()
                .statusCode(403);
        copy(UUID.randomUUID(), "offsite").then().statusCode(404);
    }

    static void flipByte(Path file, long at) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int v = f.read();
            f.seek(at);
            f.write(v ^ 0xFF);
        }
    }
}
