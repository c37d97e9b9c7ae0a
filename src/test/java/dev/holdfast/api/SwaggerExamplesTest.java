package dev.holdfast.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.restore.RestoreApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Every request body the served OpenAPI document offers (what Swagger UI's "Try it out" pre-fills) has an example,
 * and every example is accepted as sent: 2xx, request and response checked against the contract by the
 * {@code ContractFilter}, and the work it queues ends SUCCEEDED.
 */
@QuarkusTest
class SwaggerExamplesTest {
    static final Object RESOURCES = TestResources.class;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> METHODS_WITH_BODY = Set.of("post", "put", "patch");

    @Test
    void everyRequestBodyHasAnExampleAndEveryExampleIsAccepted() throws Exception {
        AppDatabase.reset();
        Path media = Path.of("target/test-media/uploads");
        Files.createDirectories(media);
        Files.writeString(media.resolve("examples-test.txt"), "a file for the full backup example");
        UUID backup = RestoreApiTest.backup();
        String schedule = null;

        JsonNode spec = JSON.readTree(given().get("/q/openapi?format=json").asString());
        List<String> sent = new ArrayList<>();
        List<String> withoutExample = new ArrayList<>();
        List<String> jobs = new ArrayList<>();
        // POST before PUT, so that the schedule the create example makes is the one the replace example replaces.
        for (String wanted : List.of("post", "put", "patch")) {
            for (var path : (Iterable<java.util.Map.Entry<String, JsonNode>>)
                    () -> spec.get("paths").fields()) {
                JsonNode op = path.getValue().get(wanted);
                if (op == null || !op.has("requestBody") || !METHODS_WITH_BODY.contains(wanted)) {
                    continue;
                }
                String name = wanted.toUpperCase() + " " + path.getKey();
                JsonNode examples = op.at("/requestBody/content/application~1json/examples");
                if (examples.isMissingNode() || examples.isEmpty()) {
                    withoutExample.add(name);
                    continue;
                }
                String target = path.getKey()
                        .replace("/api/backups/{id}", "/api/backups/" + backup)
                        .replace("/api/schedules/{id}", "/api/schedules/" + schedule);
                assertThat(target).as(name + ": every path parameter is known").doesNotContain("{");
                for (var example : (Iterable<java.util.Map.Entry<String, JsonNode>>) examples::fields) {
                    String body = example.getValue().get("value").isTextual()
                            ? example.getValue().get("value").asText()
                            : example.getValue().get("value").toString();
                    Response r = given().auth()
                            .oauth2(Tokens.admin())
                            .contentType("application/json")
                            .body(body)
                            .request(wanted, target);
                    assertThat(r.statusCode())
                            .as("%s example %s: %s -> %s", name, example.getKey(), body, r.asString())
                            .isBetween(200, 299);
                    sent.add(name + " " + example.getKey());
                    JsonNode answer = JSON.readTree(r.asString());
                    if (answer.path("job").has("id")) {
                        jobs.add(answer.path("job").path("id").asText());
                        awaitSucceeded(answer.path("job").path("id").asText(), name + " " + example.getKey());
                    }
                    if (path.getKey().equals("/api/schedules")) {
                        schedule = answer.get("id").asText();
                    }
                }
            }
        }
        assertThat(withoutExample).as("request bodies without an example").isEmpty();
        assertThat(sent)
                .as("examples sent")
                .contains(
                        "POST /api/backups database",
                        "POST /api/backups full",
                        "POST /api/backups/{id}/restore dry-run",
                        "POST /api/backups/{id}/restore tables",
                        "POST /api/schedules nightly",
                        "PUT /api/schedules/{id} nightly",
                        "PUT /api/backups/{id}/protection protect",
                        "POST /api/retention/apply older-than-30-days",
                        "POST /api/catalog/import protected",
                        "POST /api/backups/{id}/copies offsite",
                        "POST /api/drills latest");
        assertThat(jobs).hasSize(7);

        // The import example may have registered archives other tests left in storage, protected: unprotect them.
        for (String job : jobs) {
            JsonNode view = JSON.readTree(given().auth()
                    .oauth2(Tokens.viewer())
                    .get("/api/jobs/{id}", job)
                    .asString());
            for (JsonNode imported : view.path("result").path("imported")) {
                given().auth()
                        .oauth2(Tokens.admin())
                        .contentType("application/json")
                        .body("{\"protected\": false}")
                        .put("/api/backups/{id}/protection", imported.asText())
                        .then()
                        .statusCode(200);
            }
        }

        // Leave nothing behind that other tests would trip over.
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"protected\": false}")
                .put("/api/backups/{id}/protection", backup)
                .then()
                .statusCode(200);
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/schedules/{id}", schedule)
                .then()
                .statusCode(204);
    }

    private static void awaitSucceeded(String job, String what) {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> Set.of("SUCCEEDED", "FAILED", "CANCELLED").contains(BackupApiTest.jobState(job)));
        assertThat(BackupApiTest.jobState(job)).as(what).isEqualTo("SUCCEEDED");
    }
}
