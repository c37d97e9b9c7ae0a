package dev.holdfast.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The audit trail records who did what to which object and how it ended, including refusals. */
@QuarkusTest
class AuditApiTest {
    static final Object RESOURCES = TestResources.class;

    static JsonPath audit(String query) {
        return given().auth()
                .oauth2(Tokens.admin())
                .get("/api/audit?" + query)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    @Test
    void createVerifyDeleteAndARefusalAreRecordedWithActorTargetAndOutcome() {
        AppDatabase.reset();
        OffsetDateTime before = OffsetDateTime.now().minusSeconds(1);
        UUID id = BackupApiTest.create("{\"backup_type\":\"database\",\"name\":\"audited\"}");
        assertThat(BackupApiTest.awaitBackup(id).path("status").asText()).isEqualTo("SUCCEEDED");

        String verifyJob = given().auth()
                .oauth2(Tokens.operator())
                .post("/api/backups/{id}/verify", id)
                .then()
                .statusCode(202)
                .extract()
                .jsonPath()
                .getString("job.id");
        // An unknown source is refused: the refusal is recorded with its reason, and no backup is created.
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body("{\"databases\":[\"nope\"]}")
                .post("/api/backups")
                .then()
                .statusCode(400);
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(60))
                .until(() -> BackupApiTest.jobState(verifyJob).equals("SUCCEEDED"));
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", id)
                .then()
                .statusCode(204);

        JsonPath trail = audit("target_type=backup&target_id=" + id + "&sort=at,asc&size=50");
        List<Map<String, Object>> items = trail.getList("items");
        assertThat(items)
                .extracting(m -> m.get("action") + ":" + m.get("outcome"))
                .contains("backup.create:ACCEPTED", "backup.verify:ACCEPTED", "backup.delete:SUCCEEDED");
        Map<String, Object> created = items.get(0);
        assertThat(created.get("action")).isEqualTo("backup.create");
        assertThat(created.get("actor_subject")).isEqualTo("sub-otto");
        assertThat(created.get("actor_name")).isEqualTo("otto");
        assertThat(((Map<?, ?>) ((Map<?, ?>) created.get("details")).get("request")).get("name"))
                .isEqualTo("audited");
        assertThat(OffsetDateTime.parse((String) created.get("at"))).isAfter(before);
        Map<String, Object> verify = items.stream()
                .filter(m -> m.get("action").equals("backup.verify"))
                .findFirst()
                .orElseThrow();
        // verify answers the backup (its target) and the job it queued
        assertThat(verify.get("target_id")).isEqualTo(id.toString());
        assertThat(((Map<?, ?>) verify.get("details")).get("job_id")).isEqualTo(verifyJob);
        Map<String, Object> deleted = items.get(items.size() - 1);
        assertThat(deleted.get("actor_subject")).isEqualTo("sub-ada");

        JsonPath refused = audit("action=backup.create&outcome=REFUSED&actor=otto&from=" + before.toInstant());
        assertThat(refused.getList("items")).isNotEmpty();
        Map<String, Object> r = refused.getMap("items[0]");
        assertThat(r.get("target_id")).isNull();
        assertThat((String) ((Map<?, ?>) r.get("details")).get("error")).contains("nope");

        // A prefix filter returns every backup.* action and nothing else.
        assertThat(audit("action=backup.&size=200").getList("items.action", String.class))
                .allMatch(a -> a.startsWith("backup."));
    }

    @Test
    void auditTrailIsForAdminsOnlyAndFiltersAreValidated() {
        given().auth().oauth2(Tokens.operator()).get("/api/audit").then().statusCode(403);
        given().auth()
                .oauth2(Tokens.admin())
                .get("/api/audit?outcome=MAYBE")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body(
                        "detail",
                        org.hamcrest.Matchers.containsString("not one of [ACCEPTED, SUCCEEDED, REFUSED, FAILED]"));
        given().auth()
                .oauth2(Tokens.admin())
                .get("/api/audit?from=yesterday")
                .then()
                .statusCode(400)
                .body("detail", org.hamcrest.Matchers.containsString("ISO-8601"));
        given().auth()
                .oauth2(Tokens.admin())
                .get("/api/audit?sort=secret")
                .then()
                .statusCode(400);
    }
}
