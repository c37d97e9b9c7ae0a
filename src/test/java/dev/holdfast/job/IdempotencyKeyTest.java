package dev.holdfast.job;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.restore.RestoreApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * {@code Idempotency-Key}: a retried create or restore answers the first request's resource and job, also when the
 * two arrive at once; the same key for another request is refused; a first request that failed leaves no key.
 */
@QuarkusTest
class IdempotencyKeyTest {
    static final Object RESOURCES = TestResources.class;

    static Response create(String token, String key, String body) {
        return given().auth()
                .oauth2(token)
                .contentType("application/json")
                .header(IdempotencyKeys.HEADER, key)
                .body(body)
                .post("/api/backups");
    }

    static long backupsNamed(String name) {
        return given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("q", name)
                .get("/api/backups")
                .jsonPath()
                .getLong("total_items");
    }

    @Test
    void aRepeatedCreateAnswersTheFirstBackupAndStartsNoOther() {
        String key = "nightly-" + UUID.randomUUID();
        String name = "idem-" + UUID.randomUUID();
        String body = "{\"name\":\"" + name + "\",\"backup_type\":\"database\"}";
        Response first = create(Tokens.operator(), key, body);
        first.then().statusCode(202);
        assertThat(first.header(IdempotencyKeys.REPLAYED)).isNull();
        Response again = create(Tokens.operator(), key, body);
        again.then()
                .statusCode(202)
                .header(IdempotencyKeys.REPLAYED, "true")
                .header("Location", first.header("Location"))
                .body("resource.id", equalTo(first.jsonPath().getString("resource.id")))
                .body("job.id", equalTo(first.jsonPath().getString("job.id")));
        BackupApiTest.awaitBackup(UUID.fromString(first.jsonPath().getString("resource.id")));
        assertThat(backupsNamed(name)).isEqualTo(1);

        // The same key for another body is refused; another token's same key is its own.
        create(Tokens.operator(), key, "{\"name\":\"" + name + "\",\"backup_type\":\"full\"}")
                .then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("detail", containsString("different request"));
        Response other = create(Tokens.admin(), key, body);
        other.then().statusCode(202);
        assertThat(other.jsonPath().getString("resource.id"))
                .isNotEqualTo(first.jsonPath().getString("resource.id"));
        BackupApiTest.awaitBackup(UUID.fromString(other.jsonPath().getString("resource.id")));
        assertThat(backupsNamed(name)).isEqualTo(2);
    }

    @Test
    void twoRequestsWithOneKeyAtOnceMakeOneBackup() throws Exception {
        String key = "race-" + UUID.randomUUID();
        String name = "race-" + UUID.randomUUID();
        String body = "{\"name\":\"" + name + "\",\"backup_type\":\"database\"}";
        String token = Tokens.operator();
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return create(token, key, body);
            }));
        }
        go.countDown();
        List<String> ids = new ArrayList<>();
        for (CompletableFuture<Response> c : calls) {
            Response r = c.get();
            r.then().statusCode(202);
            ids.add(r.jsonPath().getString("resource.id"));
        }
        assertThat(ids).as("every answer names the one backup").containsOnly(ids.get(0));
        BackupApiTest.awaitBackup(UUID.fromString(ids.get(0)));
        assertThat(backupsNamed(name)).isEqualTo(1);
    }

    @Test
    void aRefusedFirstRequestLeavesNoKeyAndBadKeysAreRefused() {
        String key = "fix-" + UUID.randomUUID();
        create(Tokens.operator(), key, "{\"backup_type\":\"nonsense\"}").then().statusCode(400);
        Response ok = create(Tokens.operator(), key, "{\"backup_type\":\"database\"}");
        ok.then().statusCode(202);
        assertThat(ok.header(IdempotencyKeys.REPLAYED)).isNull();
        BackupApiTest.awaitBackup(UUID.fromString(ok.jsonPath().getString("resource.id")));

        create(Tokens.operator(), "has space", "{\"backup_type\":\"database\"}")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("Idempotency-Key"));
        create(Tokens.operator(), "x".repeat(256), "{\"backup_type\":\"database\"}")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("Idempotency-Key"));
    }

    @Test
    void aRepeatedRestoreAnswersTheFirstRestore() throws Exception {
        AppDatabase.reset();
        UUID backup = BackupApiTest.create("{\"backup_type\":\"database\"}");
        BackupApiTest.awaitBackup(backup);
        String key = "restore-" + UUID.randomUUID();
        Response[] answers = new Response[2];
        for (int i = 0; i < 2; i++) {
            answers[i] = given().auth()
                    .oauth2(Tokens.admin())
                    .contentType("application/json")
                    .header(IdempotencyKeys.HEADER, key)
                    .body("{\"dry_run\":true}")
                    .post("/api/backups/{id}/restore", backup);
            answers[i].then().statusCode(202);
        }
        String restore = answers[0].jsonPath().getString("resource.id");
        assertThat(answers[1].jsonPath().getString("resource.id")).isEqualTo(restore);
        assertThat(answers[1].header(IdempotencyKeys.REPLAYED)).isEqualTo("true");
        assertThat(RestoreApiTest.awaitRestore(UUID.fromString(restore))
                        .get("status")
                        .asText())
                .isEqualTo("SUCCEEDED");
        long restores = given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("backup_id", backup)
                .get("/api/restores")
                .jsonPath()
                .getLong("total_items");
        assertThat(restores).isEqualTo(1);
    }
}
