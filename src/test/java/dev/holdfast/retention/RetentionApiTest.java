package dev.holdfast.retention;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retention over HTTP: preview, apply, protection, with real tokens, real backups and the real catalog. */
@QuarkusTest
class RetentionApiTest {
    static final Object RESOURCES = TestResources.class;

    Instant now;

    @BeforeEach
    void clean() {
        Catalog.wipe();
        now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    Instant daysAgo(int days) {
        return now.minus(days, ChronoUnit.DAYS);
    }

    static Instant at(java.time.LocalDate day, int hour) {
        return day.atTime(hour, 0).toInstant(java.time.ZoneOffset.UTC);
    }

    static JsonPath preview(String query) {
        return given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/retention/preview" + query)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    static JsonPath apply(String body) {
        return given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body(body)
                .post("/api/retention/apply")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    @Test
    void previewChangesNothingAndApplyDeletesExactlyWhatItShowed() {
        String src = "db-" + UUID.randomUUID().toString().substring(0, 8);
        UUID schedule = Catalog.schedule("{\"keep_daily\": 2}", "UTC");
        java.time.LocalDate today = now.atZone(java.time.ZoneOffset.UTC).toLocalDate();
        UUID y1 = Catalog.ok("yesterday 10:00", at(today.minusDays(1), 10), schedule, src);
        UUID y1early = Catalog.ok("yesterday 08:00", at(today.minusDays(1), 8), schedule, src);
        // Two days ago has no backup: it does not count as one of the two days.
        UUID y3 = Catalog.ok("3 days ago", at(today.minusDays(3), 12), schedule, src);
        UUID y4 = Catalog.ok("4 days ago", at(today.minusDays(4), 12), schedule, src);
        UUID y5 = Catalog.ok("5 days ago", at(today.minusDays(5), 12), schedule, src);
        UUID unscheduled = Catalog.ok("api backup", daysAgo(100), null, src);

        Map<String, String> before = Catalog.state();
        JsonPath p = preview("?schedule_id=" + schedule);
        assertThat(Catalog.state()).isEqualTo(before);

        assertThat(p.getString("policy_source")).isEqualTo("schedule");
        assertThat(p.getInt("policy.keep_daily")).isEqualTo(2);
        assertThat(p.getString("schedule_id")).isEqualTo(schedule.toString());
        assertThat(p.getString("time_zone")).isEqualTo("UTC");
        // Only the schedule's backups are in scope, newest first.
        assertThat(p.getList("backups.id", String.class))
                .containsExactly(y1.toString(), y1early.toString(), y3.toString(), y4.toString(), y5.toString());
        Map<String, Object> first = p.getMap("backups[0]");
        assertThat(first.get("decision")).isEqualTo("keep");
        assertThat(first.get("name")).isEqualTo("yesterday 10:00");
        assertThat(first.get("status")).isEqualTo("SUCCEEDED");
        assertThat(java.time.OffsetDateTime.parse((String) first.get("created_at"))
                        .toInstant())
                .isEqualTo(at(today.minusDays(1), 10));
        assertThat(p.getList("backups[0].reasons", String.class))
                .containsExactly("daily " + today.minusDays(1), "newest successful backup of " + src);
        assertThat(p.getList("backups[2].reasons", String.class)).containsExactly("daily " + today.minusDays(3));
        assertThat(p.getMap("backups[0].group"))
                .containsEntry("schedule_id", schedule.toString())
                .containsEntry("backup_type", "database")
                .containsEntry("sources", List.of(src));
        List<String> deletions = p.getList("backups.findAll { it.decision == 'delete' }.id", String.class);
        assertThat(deletions).containsExactly(y1early.toString(), y4.toString(), y5.toString());
        assertThat(p.getList("backups.findAll { it.decision == 'delete' }.reasons.flatten()", String.class))
                .containsOnly("no rule keeps it");
        assertThat(p.getInt("delete")).isEqualTo(3);
        assertThat(p.getInt("keep")).isEqualTo(2);

        JsonPath r = apply("{\"schedule_id\":\"" + schedule + "\"}");
        assertThat(r.getList("deleted.id", String.class)).containsExactlyInAnyOrderElementsOf(deletions);
        assertThat(r.getList("deleted.reason", String.class)).containsOnly("no rule keeps it");
        assertThat(r.getInt("kept")).isEqualTo(2);
        assertThat(r.getList("failures")).isEmpty();
        for (UUID id : List.of(y1, y1early, y3, y4, y5, unscheduled)) {
            assertThat(Catalog.exists(id)).as(id.toString()).isEqualTo(!deletions.contains(id.toString()));
        }
        // Each deletion by the API is audited as the admin who applied, and the apply itself too.
        assertThat(Catalog.audit(y4)).singleElement().satisfies(a -> {
            assertThat(a[0]).isEqualTo("sub-ada");
            assertThat(a[1]).isEqualTo("SUCCEEDED");
            assertThat(a[2]).contains("\"keep_daily\": 2");
        });
        JsonPath trail = given().auth()
                .oauth2(Tokens.admin())
                .get("/api/audit?action=retention.apply&size=1")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(trail.getString("items[0].actor_subject")).isEqualTo("sub-ada");
        assertThat(trail.getString("items[0].outcome")).isEqualTo("SUCCEEDED");
        assertThat(trail.getString("items[0].details.request.schedule_id")).isEqualTo(schedule.toString());
    }

    @Test
    void adHocPoliciesComeFromQueryParametersOrTheBodyAndAreValidatedByField() {
        String src = "db-" + UUID.randomUUID().toString().substring(0, 8);
        UUID old = Catalog.ok("old", daysAgo(40), null, src);
        UUID recent = Catalog.ok("recent", daysAgo(10), null, src);
        UUID newest = Catalog.ok("newest", daysAgo(1), null, src);

        JsonPath global = preview("");
        assertThat(global.getString("policy_source")).isEqualTo("global");
        assertThat(global.getString("policy.max_age")).isEqualTo("30d");
        assertThat(global.getList("backups.findAll { it.decision == 'delete' }.id", String.class))
                .containsExactly(old.toString());

        JsonPath adHoc = preview("?keep_last=1&keep_within=2w");
        assertThat(adHoc.getString("policy_source")).isEqualTo("request");
        assertThat(adHoc.getInt("policy.keep_last")).isEqualTo(1);
        assertThat(adHoc.getString("policy.max_age")).isNull();
        assertThat(adHoc.getList("backups.find { it.name == 'recent' }.reasons", String.class))
                .containsExactly("within 2w");
        assertThat(adHoc.getList("backups.find { it.name == 'newest' }.reasons", String.class))
                .containsExactly("keep_last 1", "within 2w", "newest successful backup of " + src);

        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/retention/preview?keep_last=many")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("keep_last"));
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/retention/preview?max_age=30%20days")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("max_age"))
                .body("detail", containsString("30d, 12h"));
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/retention/preview?schedule_id=" + UUID.randomUUID())
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"policy\":{\"keep_last\":-1}}")
                .post("/api/retention/apply")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("policy.keep_last"));
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"policy\":{\"max_age\":\"soon\"}}")
                .post("/api/retention/apply")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("policy.max_age"));
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"policy\":{\"keep_everything\":1}}")
                .post("/api/retention/apply")
                .then()
                .statusCode(400);
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body("{}")
                .post("/api/retention/apply")
                .then()
                .statusCode(403);
        assertThat(List.of(old, recent, newest)).allMatch(Catalog::exists);

        // The seed's cleanup_old_backups --days 30.
        JsonPath r = apply("{\"policy\":{\"max_age\":\"30d\"}}");
        assertThat(r.getString("policy_source")).isEqualTo("request");
        assertThat(r.getList("deleted.id", String.class)).containsExactly(old.toString());
        assertThat(Catalog.exists(old)).isFalse();
        assertThat(Catalog.exists(recent)).isTrue();
        assertThat(Catalog.exists(newest)).isTrue();
    }

    @Test
    void aProtectedBackupIsRefusedByDeleteAndKeptByRetentionUntilUnprotected() {
        String src = "db-" + UUID.randomUUID().toString().substring(0, 8);
        UUID guarded = Catalog.ok("guarded", daysAgo(90), null, src);
        Catalog.ok("newest", daysAgo(1), null, src);

        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"protected\":true}")
                .put("/api/backups/{id}/protection", guarded)
                .then()
                .statusCode(200)
                .body("id", equalTo(guarded.toString()))
                .body("is_protected", equalTo(true));
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", guarded)
                .then()
                .statusCode(409)
                .body("detail", containsString("protected"));
        assertThat(preview("?max_age=1s").getList("backups.find { it.name == 'guarded' }.reasons", String.class))
                .containsExactly("protected");
        assertThat(apply("{\"policy\":{\"max_age\":\"1s\"}}").getList("deleted"))
                .isEmpty();
        assertThat(Catalog.exists(guarded)).isTrue();

        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{}")
                .put("/api/backups/{id}/protection", guarded)
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("protected"));
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body("{\"protected\":false}")
                .put("/api/backups/{id}/protection", guarded)
                .then()
                .statusCode(403);
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"protected\":false}")
                .put("/api/backups/{id}/protection", UUID.randomUUID())
                .then()
                .statusCode(404);
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"protected\":false}")
                .put("/api/backups/{id}/protection", guarded)
                .then()
                .statusCode(200)
                .body("is_protected", equalTo(false));
        JsonPath trail = given().auth()
                .oauth2(Tokens.admin())
                .get("/api/audit?action=backup.protect&target_id=" + guarded + "&sort=at,asc")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        // The invalid body and the operator's attempt without the role are both refused, and both recorded.
        assertThat(trail.getList("items.outcome", String.class))
                .containsExactly("SUCCEEDED", "REFUSED", "REFUSED", "SUCCEEDED");
        assertThat(trail.getString("items[2].actor_subject")).isEqualTo("sub-otto");

        assertThat(apply("{\"policy\":{\"max_age\":\"1s\"}}").getList("deleted.id", String.class))
                .containsExactly(guarded.toString());
        assertThat(Catalog.exists(guarded)).isFalse();
    }

    @Test
    void realBackupsCreatedThroughTheApiAreDeletedArchiveAndEntry() {
        AppDatabase.reset();
        UUID first = BackupApiTest.create("{\"backup_type\":\"database\",\"name\":\"first\"}");
        assertThat(BackupApiTest.awaitBackup(first).get("status").asText()).isEqualTo("SUCCEEDED");
        UUID second = BackupApiTest.create("{\"backup_type\":\"database\",\"name\":\"second\"}");
        assertThat(BackupApiTest.awaitBackup(second).get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(Catalog.fileExists(first)).isTrue();

        JsonPath p = preview("?keep_last=1");
        assertThat(p.getList("backups.id", String.class)).containsExactly(second.toString(), first.toString());
        assertThat(p.getList("backups.decision", String.class)).containsExactly("keep", "delete");
        assertThat(p.getList("backups[0].reasons", String.class))
                .contains("keep_last 1", "newest successful backup of app");

        JsonPath r = apply("{\"policy\":{\"keep_last\":1}}");
        assertThat(r.getList("deleted.id", String.class)).containsExactly(first.toString());
        assertThat(r.getList("deleted.name", String.class)).containsExactly("first");
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups/{id}", first)
                .then()
                .statusCode(404);
        assertThat(Catalog.fileExists(first)).isFalse();
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups/{id}", second)
                .then()
                .statusCode(200);
        assertThat(Catalog.fileExists(second)).isTrue();
    }
}
