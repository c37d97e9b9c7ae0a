package dev.holdfast.schedule;

import static dev.holdfast.schedule.ScheduleTestSupport.audit;
import static dev.holdfast.schedule.ScheduleTestSupport.backupsOf;
import static dev.holdfast.schedule.ScheduleTestSupport.create;
import static dev.holdfast.schedule.ScheduleTestSupport.get;
import static dev.holdfast.schedule.ScheduleTestSupport.rows;
import static dev.holdfast.schedule.ScheduleTestSupport.scheduleRow;
import static dev.holdfast.schedule.ScheduleTestSupport.sql;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import dev.holdfast.time.MovableTime;
import dev.holdfast.time.TimeSource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The schedule API: definitions, validation, computed fire times, roles, run now; real tokens, real PostgreSQL. */
@QuarkusTest
class ScheduleApiTest {
    static final Object RESOURCES = TestResources.class;
    static final ObjectMapper JSON = new ObjectMapper();
    /** Two days before Berlin's spring-forward night (2026-03-29). */
    static final Instant NOW = Instant.parse("2026-03-27T12:00:00Z");

    MovableTime clock;

    @BeforeEach
    void fixture() throws Exception {
        ScheduleTestSupport.clean();
        clock = new MovableTime(NOW);
        QuarkusMock.installMockForType(clock, TimeSource.class);
    }

    @AfterEach
    void leaveNoSchedule() throws Exception {
        // Later tests that fire schedules must not find ours due.
        ScheduleTestSupport.clean();
    }

    static Response post(String token, String json) {
        return given().auth()
                .oauth2(token)
                .contentType("application/json")
                .body(json)
                .post("/api/schedules");
    }

    @Test
    void createReadReplaceAndDeleteKeepEveryFieldAndTheAuditTrail() throws Exception {
        UUID id = create("""
                {"name":"nightly","description":"the app, every night","cron":"30 2 * * *",
                 "time_zone":"Europe/Berlin","backup":{"backup_type":"database","databases":["app"],
                 "exclude_tables":["django_session"],"compression":"gzip"},
                 "retention":{"keep_daily":7,"keep_weekly":4,"max_age":"30d"},
                 "notifications":{"on_failure":true,"email_to":["ops@example.com"]},"alert_after":"26h"}""");
        JsonPath s = get(id);
        assertThat(s.getString("name")).isEqualTo("nightly");
        assertThat(s.getString("description")).isEqualTo("the app, every night");
        assertThat(s.getString("cron")).isEqualTo("30 2 * * *");
        assertThat(s.getString("time_zone")).isEqualTo("Europe/Berlin");
        assertThat(s.getBoolean("enabled")).isTrue();
        assertThat(s.getString("backup.backup_type")).isEqualTo("database");
        assertThat(s.getList("backup.databases")).containsExactly("app");
        assertThat(s.getList("backup.exclude_tables")).containsExactly("django_session");
        assertThat(s.getInt("retention.keep_daily")).isEqualTo(7);
        assertThat(s.getString("retention.max_age")).isEqualTo("30d");
        assertThat(s.getList("notifications.email_to")).containsExactly("ops@example.com");
        assertThat(s.getLong("alert_after_seconds")).isEqualTo(26 * 3600);
        assertThat(s.getBoolean("alert_after_derived")).isFalse();
        assertThat(s.getString("next_run_at")).isEqualTo("2026-03-28T02:30:00+01:00");
        assertThat(s.getString("created_by")).isEqualTo("sub-ada");
        assertThat(s.getString("last_backup")).isNull();

        // The catalog row: JSON columns in the API's snake_case without nulls, the claim point in UTC.
        Map<String, Object> row = scheduleRow(id);
        JsonNode backup = JSON.readTree(row.get("backup_request").toString());
        assertThat(backup.get("backup_type").asText()).isEqualTo("database");
        assertThat(backup.has("name")).isFalse();
        assertThat(JSON.readTree(row.get("retention").toString())
                        .get("keep_weekly")
                        .asInt())
                .isEqualTo(4);
        assertThat(JSON.readTree(row.get("notifications").toString())
                        .get("on_failure")
                        .asBoolean())
                .isTrue();
        assertThat(row.get("alert_after_seconds")).isEqualTo(93600L);
        assertThat(row.get("next_text")).isEqualTo("2026-03-28 01:30:00+00");

        // A later pending slot is kept by an edit that leaves the timing alone.
        sql("UPDATE holdfast.schedule SET next_run_at = '2026-03-27T11:55:00Z' WHERE id = ?", id);
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"name\":\"nightly\",\"description\":\"reworded\",\"cron\":\"30 2 * * *\","
                        + "\"time_zone\":\"Europe/Berlin\",\"backup\":{\"backup_type\":\"database\"}}")
                .put("/api/schedules/{id}", id)
                .then()
                .statusCode(200)
                .body("description", org.hamcrest.Matchers.equalTo("reworded"))
                .body("retention", org.hamcrest.Matchers.nullValue())
                .body("alert_after_derived", org.hamcrest.Matchers.equalTo(true));
        assertThat(scheduleRow(id).get("next_text")).isEqualTo("2026-03-27 11:55:00+00");

        // A new cron gets its first slot after now; disabling clears it.
        JsonPath changed = given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"name\":\"hourly\",\"cron\":\"0 * * * *\"}")
                .put("/api/schedules/{id}", id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(changed.getString("name")).isEqualTo("hourly");
        assertThat(changed.getString("time_zone")).isEqualTo("UTC");
        assertThat(changed.getString("next_run_at")).isEqualTo("2026-03-27T13:00:00Z");
        assertThat(changed.getString("backup.backup_type")).isNull();
        JsonPath disabled = given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"name\":\"hourly\",\"cron\":\"0 * * * *\",\"enabled\":false}")
                .put("/api/schedules/{id}", id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(disabled.getString("next_run_at")).isNull();
        assertThat(disabled.getList("next_runs")).isEmpty();
        assertThat(scheduleRow(id).get("next_run_at")).isNull();
        assertThat(disabled.getInt("version")).isGreaterThan(s.getInt("version"));

        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/schedules/{id}", id)
                .then()
                .statusCode(204);
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/schedules/{id}", id)
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
        assertThat(rows("SELECT id FROM holdfast.schedule WHERE id = ?", id)).isEmpty();

        List<Map<String, Object>> trail = audit(id);
        assertThat(trail)
                .extracting(e -> e.get("action") + ":" + e.get("outcome") + ":" + e.get("actor_subject"))
                .containsExactly(
                        "schedule.create:SUCCEEDED:sub-ada",
                        "schedule.update:SUCCEEDED:sub-ada",
                        "schedule.update:SUCCEEDED:sub-ada",
                        "schedule.update:SUCCEEDED:sub-ada",
                        "schedule.delete:SUCCEEDED:sub-ada");
        assertThat(((Map<?, ?>) ((Map<?, ?>) trail.get(0).get("details")).get("request")).get("cron"))
                .isEqualTo("30 2 * * *");
    }

    @Test
    void nextRunsFollowTheWallClockOfTheZoneAcrossTheSpringForwardNight() {
        UUID id = create("{\"name\":\"berlin\",\"cron\":\"30 2 * * *\",\"time_zone\":\"Europe/Berlin\"}");
        JsonPath s = get(id);
        assertThat(s.getList("next_runs", String.class))
                .containsExactly(
                        "2026-03-28T02:30:00+01:00",
                        "2026-03-29T03:30:00+02:00",
                        "2026-03-30T02:30:00+02:00",
                        "2026-03-31T02:30:00+02:00",
                        "2026-04-01T02:30:00+02:00");
        assertThat(s.getString("next_run_at")).isEqualTo("2026-03-28T02:30:00+01:00");
        // Derived threshold: twice the longest gap between the next runs (24 h) plus the grace period (1 h).
        assertThat(s.getLong("alert_after_seconds")).isEqualTo(49 * 3600);
        assertThat(s.getBoolean("alert_after_derived")).isTrue();

        clock.set(Instant.parse("2026-10-24T12:00:00Z"));
        assertThat(get(id).getList("next_runs", String.class))
                .startsWith("2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00");
    }

    @Test
    void invalidDefinitionsAreRefusedNamingTheFieldAndNothingIsStored() throws Exception {
        assertViolation("{\"name\":\"a\",\"cron\":\"61 2 * * *\"}", "cron", "Value 61 not in range [0, 59]");
        assertViolation("{\"name\":\"a\",\"cron\":\"0 2 * *\"}", "cron", "it has 4 fields, not 5");
        assertViolation("{\"name\":\"a\",\"cron\":\"0 0 30 2 *\"}", "cron", "never fires");
        assertViolation(
                "{\"name\":\"a\",\"cron\":\"0 2 * * *\",\"time_zone\":\"Europe/Atlantis\"}",
                "time_zone",
                "'Europe/Atlantis' is not an IANA time zone");
        assertViolation(
                "{\"name\":\"a\",\"cron\":\"0 2 * * *\",\"backup\":{\"databases\":[\"app\",\"nope\"]}}",
                "backup.databases[1]",
                "unknown source 'nope'");
        assertViolation(
                "{\"name\":\"a\",\"cron\":\"0 2 * * *\",\"backup\":{\"compression\":\"lz4\"}}",
                "backup.compression",
                "must be zstd, gzip or none");
        assertViolation(
                "{\"name\":\"a\",\"cron\":\"0 2 * * *\",\"alert_after\":\"a day\"}",
                "alert_after",
                "must be a duration");
        assertViolation(
                "{\"name\":\"a\",\"cron\":\"0 2 * * *\",\"retention\":{\"keep_last\":-1}}",
                "retention.keep_last",
                "greater than or equal to 0");
        assertViolation(
                "{\"name\":\"a\",\"cron\":\"0 2 * * *\",\"notifications\":{\"email_to\":[\"not-mail\"]}}",
                "notifications.email_to",
                "well-formed email");
        assertViolation("{\"cron\":\"0 2 * * *\"}", "name", "must not be blank");
        // Every bad field at once.
        Response both = post(Tokens.admin(), "{\"name\":\"a\",\"cron\":\"x\",\"time_zone\":\"+02:00\"}");
        both.then().statusCode(400);
        assertThat(both.jsonPath().getList("violations.field", String.class))
                .containsExactlyInAnyOrder("cron", "time_zone");
        assertThat(rows("SELECT id FROM holdfast.schedule")).isEmpty();

        create("{\"name\":\"taken\",\"cron\":\"0 2 * * *\"}");
        post(Tokens.admin(), "{\"name\":\"taken\",\"cron\":\"0 3 * * *\"}")
                .then()
                .statusCode(409)
                .contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.containsString("'taken' already exists"));
        UUID other = create("{\"name\":\"other\",\"cron\":\"0 2 * * *\"}");
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"name\":\"taken\",\"cron\":\"0 2 * * *\"}")
                .put("/api/schedules/{id}", other)
                .then()
                .statusCode(409);
        assertThat(rows("SELECT name FROM holdfast.schedule ORDER BY name"))
                .extracting(r -> r.get("name"))
                .containsExactly("other", "taken");
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"name\":\"x\",\"cron\":\"0 2 * * *\"}")
                .put("/api/schedules/{id}", UUID.randomUUID())
                .then()
                .statusCode(404);
    }

    static void assertViolation(String body, String field, String message) {
        Response r = post(Tokens.admin(), body);
        r.then().statusCode(400).contentType("application/problem+json");
        List<Map<String, String>> v = r.jsonPath().getList("violations");
        assertThat(v).as(r.asString()).anySatisfy(x -> {
            assertThat(x.get("field")).startsWith(field);
            assertThat(x.get("message")).contains(message);
        });
    }

    @Test
    void listIsPagedSortedAndFilteredAndReadableByViewers() {
        create("{\"name\":\"b-weekly\",\"cron\":\"0 3 * * 0\"}");
        create("{\"name\":\"a-nightly\",\"cron\":\"0 2 * * *\"}");
        create("{\"name\":\"c-off\",\"cron\":\"0 4 * * *\",\"enabled\":false}");
        JsonPath page = given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/schedules?size=2")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(page.getList("items.name")).containsExactly("a-nightly", "b-weekly");
        assertThat(page.getLong("total_items")).isEqualTo(3);
        assertThat(page.getInt("total_pages")).isEqualTo(2);
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/schedules?sort=next_run_at,desc&enabled=true")
                        .jsonPath()
                        .getList("items.name"))
                .containsExactly("b-weekly", "a-nightly");
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/schedules?q=OFF")
                        .jsonPath()
                        .getList("items.name"))
                .containsExactly("c-off");
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/schedules?sort=cron")
                .then()
                .statusCode(400);
    }

    @Test
    void onlyAdminsDefineSchedulesAndOperatorsMayRunThem() {
        String body = "{\"name\":\"roles\",\"cron\":\"0 2 * * *\"}";
        post(Tokens.viewer(), body).then().statusCode(403).contentType("application/problem+json");
        post(Tokens.operator(), body).then().statusCode(403);
        UUID id = create(body);
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body(body)
                .put("/api/schedules/{id}", id)
                .then()
                .statusCode(403);
        given().auth()
                .oauth2(Tokens.operator())
                .delete("/api/schedules/{id}", id)
                .then()
                .statusCode(403);
        given().auth()
                .oauth2(Tokens.viewer())
                .post("/api/schedules/{id}/run", id)
                .then()
                .statusCode(403);
        given().post("/api/schedules/{id}/run", id).then().statusCode(401);
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/schedules")
                        .jsonPath()
                        .getList("items.name"))
                .containsExactly("roles");
    }

    @Test
    void runNowQueuesTheScheduleBackupLinkedToItAndRefusesASecondWhileOneIsInFlight() throws Exception {
        AppDatabase.reset();
        UUID id = create("{\"name\":\"on-demand\",\"cron\":\"0 2 * * *\",\"enabled\":false,"
                + "\"backup\":{\"backup_type\":\"database\",\"databases\":[\"app\"]}}");
        Response r = given().auth().oauth2(Tokens.operator()).post("/api/schedules/{id}/run", id);
        r.then().statusCode(202);
        UUID backupId = UUID.fromString(r.jsonPath().getString("resource.id"));
        assertThat(r.header("Location")).endsWith("/api/backups/" + backupId);
        assertThat(r.jsonPath().getString("resource.name")).isEqualTo("on-demand");
        assertThat(r.jsonPath().getString("job.id")).isEqualTo(r.jsonPath().getString("resource.job_id"));

        List<Map<String, Object>> made = backupsOf(id);
        assertThat(made).hasSize(1);
        assertThat(made.get(0).get("id")).isEqualTo(backupId);
        assertThat(made.get(0).get("trigger")).isEqualTo("api");
        assertThat(made.get(0).get("created_by")).isEqualTo("sub-otto");
        assertThat(scheduleRow(id).get("last_backup_id")).isEqualTo(backupId);
        assertThat(scheduleRow(id).get("last_fired_at")).isNull();

        JsonNode done = BackupApiTest.awaitBackup(backupId);
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("schedule_id").asText()).isEqualTo(id.toString());
        assertThat(done.get("trigger").asText()).isEqualTo("api");
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/backups?schedule_id={s}&trigger=api", id)
                        .jsonPath()
                        .getList("items.id"))
                .containsExactly(backupId.toString());
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/backups?schedule_id={s}&trigger=schedule", id)
                        .jsonPath()
                        .getList("items"))
                .isEmpty();
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups?trigger=cron")
                .then()
                .statusCode(400)
                .body("violations[0].field", org.hamcrest.Matchers.equalTo("trigger"));
        JsonPath s = get(id);
        assertThat(s.getString("last_backup.id")).isEqualTo(backupId.toString());
        assertThat(s.getString("last_backup.status")).isEqualTo("SUCCEEDED");
        assertThat(OffsetDateTime.parse(s.getString("last_success_at")))
                .isEqualTo(OffsetDateTime.parse(done.get("finished_at").asText()));

        // A run of the schedule still in flight (as another instance would have queued it): 409, nothing queued.
        UUID inFlight = UUID.randomUUID();
        sql(
                "INSERT INTO holdfast.backup (id, name, backup_type, status, schedule_id, trigger) "
                        + "VALUES (?, 'in-flight', 'database', 'RUNNING', ?, 'schedule')",
                inFlight,
                id);
        given().auth()
                .oauth2(Tokens.operator())
                .post("/api/schedules/{id}/run", id)
                .then()
                .statusCode(409)
                .contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.containsString(inFlight.toString()));
        assertThat(backupsOf(id)).hasSize(2);
        List<Map<String, Object>> trail = audit(id);
        assertThat(trail)
                .extracting(e -> e.get("action") + ":" + e.get("outcome"))
                .containsExactly("schedule.create:SUCCEEDED", "schedule.run:ACCEPTED", "schedule.run:REFUSED");
        assertThat(((Map<?, ?>) trail.get(1).get("details")).get("result_id")).isEqualTo(backupId.toString());
        sql("UPDATE holdfast.backup SET status = 'FAILED' WHERE id = ?", inFlight);

        // Deleting the schedule keeps its backups, unlinked.
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/schedules/{id}", id)
                .then()
                .statusCode(204);
        List<Map<String, Object>> kept = rows("SELECT id, schedule_id FROM holdfast.backup WHERE id = ANY(?)", (Object)
                new UUID[] {backupId, inFlight});
        assertThat(kept)
                .hasSize(2)
                .allSatisfy(b -> assertThat(b.get("schedule_id")).isNull());
        given().auth()
                .oauth2(Tokens.operator())
                .post("/api/schedules/{id}/run", id)
                .then()
                .statusCode(404);
    }

    @Test
    void everyOutcomeCounterExistsAtZeroOnceTheScheduleIsCreated() {
        create("{\"name\":\"metered\",\"cron\":\"0 2 * * *\"}");
        for (String outcome : List.of("fired", "skipped_running", "missed", "failed")) {
            assertThat(ScheduleTestSupport.runsMetric("metered", outcome))
                    .as(outcome)
                    .isEqualTo(0.0);
        }
    }
}
