package dev.holdfast.web;

import static dev.holdfast.web.DashboardPagesTest.get;
import static dev.holdfast.web.DashboardPagesTest.post;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.job.JobService;
import dev.holdfast.job.JobState;
import dev.holdfast.job.TestJobHandlers;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's schedules, jobs, drills, sources and audit pages over real HTTP with real tokens: a schedule made
 * in the form is the API's schedule (cron in words, next runs, retention preview with reasons), edited and run now;
 * an operator cancels a running job from the jobs page; a drill started from its page succeeds; the audit log is the
 * admin's; each role sees only the actions it may take.
 */
@QuarkusTest
class OperationsPagesTest {
    static final Object RESOURCES = TestResources.class;

    @Inject
    JobService jobs;

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
    }

    @Test
    void aScheduleIsCreatedEditedPreviewedAndRunFromItsPages() {
        assertThat(given().auth()
                        .oauth2(Tokens.operator())
                        .get("/ui/schedules/new")
                        .statusCode())
                .isEqualTo(403);
        var form = get(Tokens.admin(), "/ui/schedules/new");
        String token = form.formToken();
        String name = "ui-nightly-" + UUID.randomUUID().toString().substring(0, 8);

        // a bad cron comes back as a page naming the field, and creates nothing
        Response bad = post(Tokens.admin(), "/ui/schedules", token, token, "name", name, "cron", "99 * * * *");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.contentType()).startsWith("text/html");
        assertThat(bad.asString()).contains("cron");

        Response created = post(
                Tokens.admin(),
                "/ui/schedules",
                token,
                token,
                "name",
                name,
                "cron",
                "30 2 * * *",
                "time_zone",
                "Europe/Berlin",
                "enabled",
                "true",
                "backup_type",
                "database",
                "databases",
                "app",
                "keep_last",
                "2");
        assertThat(created.statusCode()).as(created.asString()).isEqualTo(303);
        UUID id = UUID.fromString(created.header("Location").replaceAll(".*/ui/schedules/", ""));
        JsonNode api = json(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/schedules/{id}", id)
                .asString());
        assertThat(api.get("name").asText()).isEqualTo(name);
        assertThat(api.get("time_zone").asText()).isEqualTo("Europe/Berlin");
        assertThat(api.get("retention").get("keep_last").asInt()).isEqualTo(2);
        assertThat(api.get("backup").get("databases").get(0).asText()).isEqualTo("app");

        // the list and the page show the cron in words and the next runs
        assertThat(get(Tokens.viewer(), "/ui/schedules").html()).contains(name).contains("02:30");
        String page = get(Tokens.viewer(), "/ui/schedules/" + id).html();
        assertThat(page).contains("at 02:30").contains("This schedule has no backups yet.");
        assertThat(page).doesNotContain("/edit\"").doesNotContain("Run now");

        // run now twice (operator); both are kept by keep_last 2
        var op = get(Tokens.operator(), "/ui/schedules/" + id);
        assertThat(op.html()).contains("Run now").doesNotContain("/edit\"");
        String opToken = op.formToken();
        UUID first = backupOf(post(Tokens.operator(), "/ui/schedules/" + id + "/run", opToken, opToken));
        BackupApiTest.awaitBackup(first);
        UUID second = backupOf(post(Tokens.operator(), "/ui/schedules/" + id + "/run", opToken, opToken));
        BackupApiTest.awaitBackup(second);
        assertThat(get(Tokens.viewer(), "/ui/schedules/" + id).html())
                .contains("keep the last 2")
                .containsPattern(
                        "(?s)/ui/backups/" + first + "\">[^<]*</a></th>.*?<td>keep</td>\\s*<td>[^<]*keep_last 2");

        // edit: the form shows the values; saving changes the API's schedule, and the preview follows the new
        // policy at once: keep_last 1 would now delete the older backup and keep the newer, saying why
        var edit = get(Tokens.admin(), "/ui/schedules/" + id + "/edit");
        assertThat(edit.html()).contains("value=\"30 2 * * *\"").contains("value=\"Europe/Berlin\"");
        Response saved = post(
                Tokens.admin(),
                "/ui/schedules/" + id,
                token,
                token,
                "name",
                name,
                "cron",
                "0 */6 * * *",
                "time_zone",
                "UTC",
                "backup_type",
                "database",
                "keep_last",
                "1");
        assertThat(saved.statusCode()).isEqualTo(303);
        api = json(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/schedules/{id}", id)
                .asString());
        assertThat(api.get("cron").asText()).isEqualTo("0 */6 * * *");
        assertThat(api.get("enabled").asBoolean())
                .as("the unticked box disables it")
                .isFalse();
        assertThat(api.get("retention").get("keep_last").asInt()).isEqualTo(1);
        String preview = get(Tokens.viewer(), "/ui/schedules/" + id).html();
        assertThat(preview)
                .contains("keep the last 1")
                .containsPattern(
                        "(?s)/ui/backups/" + second + "\">[^<]*</a></th>.*?<td>keep</td>\\s*<td>[^<]*keep_last 1")
                .containsPattern("(?s)/ui/backups/" + first
                        + "\">[^<]*</a></th>[^\\n]*\\n<td><strong class=\"error\">delete</strong>");

        // delete needs the box; the audit page (admin only) shows what happened through the pages
        assertThat(post(Tokens.admin(), "/ui/schedules/" + id + "/delete", token, token)
                        .statusCode())
                .isEqualTo(403);
        assertThat(post(Tokens.admin(), "/ui/schedules/" + id + "/delete", token, token, "confirm", "yes")
                        .statusCode())
                .isEqualTo(303);
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/schedules/{id}", id)
                        .statusCode())
                .isEqualTo(404);
        assertThat(given().auth().oauth2(Tokens.operator()).get("/ui/audit").statusCode())
                .isEqualTo(403);
        String audit = get(Tokens.admin(), "/ui/audit?action=schedule.").html();
        assertThat(audit)
                .contains("schedule.create")
                .contains("schedule.update")
                .contains("schedule.delete");
        assertThat(audit).doesNotContain("backup.create");
    }

    @Test
    void editingAnIncrementalScheduleInThePagesKeepsWhatTheFormDoesNotShow() {
        String name = "ui-media-" + UUID.randomUUID().toString().substring(0, 8);
        String id = given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"name\":\"" + name + "\",\"cron\":\"0 2 * * *\",\"backup\":{\"backup_type\":\"media\","
                        + "\"incremental\":true,\"full_every\":7,\"media_exclude\":[\"cache/**\"]}}")
                .post("/api/schedules")
                .then()
                .statusCode(201)
                .extract()
                .jsonPath()
                .getString("id");
        var edit = get(Tokens.admin(), "/ui/schedules/" + id + "/edit");
        assertThat(edit.html())
                .contains("name=\"incremental\" value=\"true\" checked")
                .contains("value=\"7\"");
        String token = edit.formToken();
        Response saved = saveMediaSchedule(id, name, token, "incremental", "true", "full_every", "5");
        assertThat(saved.statusCode()).as(saved.asString()).isEqualTo(303);
        JsonNode backup = scheduleBackup(id);
        assertThat(backup.get("incremental").asBoolean()).isTrue();
        assertThat(backup.get("full_every").asInt()).isEqualTo(5);
        assertThat(backup.get("media_exclude").toString()).isEqualTo("[\"cache/**\"]");

        // Unticked: a full backup every run again; a bad number is named.
        Response bad = saveMediaSchedule(id, name, token, "incremental", "true", "full_every", "weekly");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.asString()).contains("full_every");
        assertThat(saveMediaSchedule(id, name, token).statusCode()).isEqualTo(303);
        backup = scheduleBackup(id);
        assertThat(backup.path("incremental").asBoolean(false)).isFalse();
        assertThat(backup.path("full_every").isNull()
                        || backup.path("full_every").isMissingNode())
                .isTrue();
        given().auth().oauth2(Tokens.admin()).delete("/api/schedules/{id}", id);
    }

    /** Saves schedule {@code id} from its form as a media backup at 03:00, with {@code more} form fields. */
    private static Response saveMediaSchedule(String id, String name, String token, String... more) {
        List<String> form =
                new java.util.ArrayList<>(List.of("name", name, "cron", "0 3 * * *", "backup_type", "media"));
        form.addAll(List.of(more));
        return post(Tokens.admin(), "/ui/schedules/" + id, token, token, form.toArray(String[]::new));
    }

    private static JsonNode scheduleBackup(String id) {
        return json(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/schedules/{id}", id)
                        .asString())
                .get("backup");
    }

    @Test
    void anOperatorCancelsARunningJobFromTheJobsPage() {
        UUID job = jobs.enqueue(
                        TestJobHandlers.Steps.TYPE, new TestJobHandlers.StepsPayload(600, 100, null), null, "test")
                .id;
        await().atMost(Duration.ofSeconds(30)).until(() -> jobs.get(job).state() == JobState.RUNNING);

        assertThat(get(Tokens.viewer(), "/ui/jobs?state=RUNNING").html())
                .contains("test.steps")
                .contains("/ui/jobs/" + job + "/events")
                .doesNotContain("/ui/jobs/" + job + "/cancel");
        var page = get(Tokens.operator(), "/ui/jobs?state=RUNNING");
        assertThat(page.html()).contains("/ui/jobs/" + job + "/cancel");
        String token = page.formToken();
        assertThat(post(Tokens.viewer(), "/ui/jobs/" + job + "/cancel", token, token)
                        .statusCode())
                .isEqualTo(403);
        assertThat(jobs.get(job).state()).isEqualTo(JobState.RUNNING);

        assertThat(post(Tokens.operator(), "/ui/jobs/" + job + "/cancel", token, token)
                        .statusCode())
                .isEqualTo(303);
        await().atMost(Duration.ofSeconds(30)).until(() -> jobs.get(job).state() == JobState.CANCELLED);
        assertThat(get(Tokens.viewer(), "/ui/jobs?state=CANCELLED").html()).contains("test.steps");
    }

    @Test
    void aDrillStartedFromItsPageSucceedsAndSourcesAreListedWithoutSecrets() {
        UUID backup = BackupApiTest.create("{\"backup_type\":\"database\",\"databases\":[\"app\"]}");
        BackupApiTest.awaitBackup(backup);
        var page = get(Tokens.operator(), "/ui/drills");
        assertThat(page.html()).contains("Run a drill now").contains("<option value=\"app\">app</option>");
        assertThat(get(Tokens.viewer(), "/ui/drills").html()).doesNotContain("Run a drill now");
        String token = page.formToken();
        Response started = post(Tokens.operator(), "/ui/drills", token, token, "source", "app");
        assertThat(started.statusCode()).isEqualTo(303);
        UUID drill = UUID.fromString(started.header("Location").replaceAll(".*/ui/drills/", ""));
        await().atMost(Duration.ofSeconds(120)).until(() -> {
            String s = given().auth()
                    .oauth2(Tokens.viewer())
                    .get("/api/drills/{id}", drill)
                    .jsonPath()
                    .getString("status");
            return !s.equals("QUEUED") && !s.equals("RUNNING");
        });
        JsonNode d = json(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/drills/{id}", drill)
                .asString());
        assertThat(d.get("status").asText()).as(d.toString()).isEqualTo("SUCCEEDED");
        String detail = get(Tokens.viewer(), "/ui/drills/" + drill).html();
        assertThat(detail)
                .contains("SUCCEEDED")
                .contains("/ui/backups/" + backup)
                .contains("auth_user");

        String sources = get(Tokens.viewer(), "/ui/sources").html();
        assertThat(sources).contains("<th scope=\"row\">app</th>").doesNotContain("password=");
    }

    private static UUID backupOf(Response r) {
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(303);
        return UUID.fromString(r.header("Location").replaceAll(".*/ui/backups/", ""));
    }

    private static JsonNode json(String s) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
