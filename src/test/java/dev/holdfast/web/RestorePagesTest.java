package dev.holdfast.web;

import static dev.holdfast.web.DashboardPagesTest.get;
import static dev.holdfast.web.DashboardPagesTest.post;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.restore.RestoreApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's restore path over real HTTP with real tokens and a real database: only an admin gets the form;
 * its one button is a dry run that changes nothing and reports rows now and after; the real restore needs the
 * target's name typed and then puts the rows back (checked row for row); rollback returns the database to what it
 * was before the restore; refusals come back as HTML pages with the API's words.
 */
@QuarkusTest
class RestorePagesTest {
    static final Object RESOURCES = TestResources.class;

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
    }

    @Test
    void aDryRunComesFirstThenTheTypedConfirmationRestoresAndRollbackPutsItBack() throws Exception {
        UUID backup = BackupApiTest.create("{\"name\":\"ui-restore\",\"backup_type\":\"database\"}");
        assertThat(BackupApiTest.awaitBackup(backup).get("status").asText()).isEqualTo("SUCCEEDED");
        Map<String, String> atBackup = AppDatabase.tableHashes(TestDatabase.APP_DB);

        // only an admin is offered the form (viewer and operator get the 403 page)
        assertThat(given().auth()
                        .oauth2(Tokens.operator())
                        .get("/ui/backups/{id}/restore", backup)
                        .statusCode())
                .isEqualTo(403);
        assertThat(get(Tokens.operator(), "/ui/backups/" + backup).html()).doesNotContain("/restore\"");
        var form = get(Tokens.admin(), "/ui/backups/" + backup + "/restore");
        assertThat(form.html())
                .contains("Dry run (changes nothing)")
                .contains("<option value=\"public.auth_user\">public.auth_user (1 rows)</option>")
                .doesNotContain("name=\"confirm\"");
        String token = form.formToken();

        // the data changes after the backup
        AppDatabase.exec(
                TestDatabase.APP_DB,
                "INSERT INTO public.auth_user VALUES (2, 'intruder'), (3, 'other')",
                "DELETE FROM public.employee");
        Map<String, String> changed = AppDatabase.tableHashes(TestDatabase.APP_DB);
        assertThat(changed).isNotEqualTo(atBackup);

        // a viewer's forged POST of the form is refused and queues nothing
        assertThat(post(Tokens.viewer(), "/ui/backups/" + backup + "/restore", token, token, "restore_mode", "replace")
                        .statusCode())
                .isEqualTo(403);

        Response dry = post(
                Tokens.admin(),
                "/ui/backups/" + backup + "/restore",
                token,
                token,
                "restore_mode",
                "replace",
                "databases",
                "app");
        assertThat(dry.statusCode()).isEqualTo(303);
        UUID dryId = UUID.fromString(dry.header("Location").replaceAll(".*/ui/restores/", ""));
        JsonNode dryRun = RestoreApiTest.awaitRestore(dryId);
        assertThat(dryRun.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(dryRun.get("dry_run").asBoolean()).isTrue();
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB))
                .as("a dry run changes nothing")
                .isEqualTo(changed);

        var report = get(Tokens.admin(), "/ui/restores/" + dryId);
        String target =
                dryRun.get("report").get("databases").get(0).get("target").asText();
        // rows now (3 users) and after (the backup's 1), and the typed confirmation naming the target
        assertThat(report.html())
                .containsPattern("public\\.auth_user</th><td class=\"num\">3</td><td class=\"num\">1</td>")
                .contains("Type <code>" + target + "</code> to confirm")
                .contains("Restore for real");
        assertThat(get(Tokens.operator(), "/ui/restores/" + dryId).html()).doesNotContain("Restore for real");

        // a wrong name changes nothing
        Response wrong = post(Tokens.admin(), "/ui/restores/" + dryId + "/confirm", token, token, "confirm", "nope");
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(wrong.asString()).contains("type exactly: " + target);
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB)).isEqualTo(changed);

        Response real = post(Tokens.admin(), "/ui/restores/" + dryId + "/confirm", token, token, "confirm", target);
        assertThat(real.statusCode()).isEqualTo(303);
        UUID realId = UUID.fromString(real.header("Location").replaceAll(".*/ui/restores/", ""));
        JsonNode restored = RestoreApiTest.awaitRestore(realId);
        assertThat(restored.get("status").asText()).as(restored.toString()).isEqualTo("SUCCEEDED");
        assertThat(restored.get("dry_run").asBoolean()).isFalse();
        assertThat(restored.get("pre_backup_id").isNull()).isFalse();
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB))
                .as("row for row as at the backup")
                .isEqualTo(atBackup);

        // the restore's page offers rollback to an admin; rollback brings back the changed rows
        var done = get(Tokens.admin(), "/ui/restores/" + realId);
        assertThat(done.html()).contains("Roll back to the pre-restore backup");
        Response rb = post(Tokens.admin(), "/ui/restores/" + realId + "/rollback", token, token);
        assertThat(rb.statusCode()).isEqualTo(303);
        UUID rbId = UUID.fromString(rb.header("Location").replaceAll(".*/ui/restores/", ""));
        assertThat(RestoreApiTest.awaitRestore(rbId).get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB)).isEqualTo(changed);

        // once the pre-restore backup is gone, rollback is no longer offered
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", restored.get("pre_backup_id").asText())
                .then()
                .statusCode(204);
        assertThat(get(Tokens.admin(), "/ui/restores/" + realId).html())
                .doesNotContain("Roll back to the pre-restore backup");

        // the restores list shows all three kinds
        String list = get(Tokens.viewer(), "/ui/restores").html();
        assertThat(list).contains("dry run").contains("rollback").contains("/ui/restores/" + realId);

        // a dry run cannot be rolled back: the API's 409 comes back as a page with its words
        Response refused = post(Tokens.admin(), "/ui/restores/" + dryId + "/rollback", token, token);
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.contentType()).startsWith("text/html");
        assertThat(refused.asString())
                .contains("Nothing was changed by this request")
                .contains("dry run");
    }

    @Test
    void unknownThingsAndBadInputAreHtmlPagesWithTheApisWords() {
        Response missing = given().auth().oauth2(Tokens.viewer()).get("/ui/backups/{id}", UUID.randomUUID());
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.contentType()).startsWith("text/html");
        assertThat(missing.asString()).contains("<h1>").contains("Back to the overview");
        assertThat(missing.header("Content-Security-Policy")).isEqualTo(WebFilters.CSP);

        UUID backup = BackupApiTest.create("{\"backup_type\":\"database\"}");
        BackupApiTest.awaitBackup(backup);
        // the backups list's date filter: today includes the backup, yesterday does not, a bad date is a 400 page
        String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
        String yesterday =
                java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).toString();
        assertThat(get(Tokens.viewer(), "/ui/backups?from=" + today + "&to=" + today)
                        .html())
                .contains("/ui/backups/" + backup);
        assertThat(get(Tokens.viewer(), "/ui/backups?to=" + yesterday).html()).doesNotContain("/ui/backups/" + backup);
        Response badDate = given().auth().oauth2(Tokens.viewer()).get("/ui/backups?from=yesterday");
        assertThat(badDate.statusCode()).isEqualTo(400);
        assertThat(badDate.asString()).contains("<code>from</code>").contains("must be a date");
        int restoresBefore = given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/restores")
                .jsonPath()
                .getInt("total_items");
        var form = get(Tokens.admin(), "/ui/backups/" + backup + "/restore");
        String token = form.formToken();
        Response bad = post(
                Tokens.admin(),
                "/ui/backups/" + backup + "/restore",
                token,
                token,
                "restore_mode",
                "replace",
                "databases",
                "nosuch");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.contentType()).startsWith("text/html");
        assertThat(bad.asString()).contains("nosuch");
        // nothing ticked at all is refused before anything is queued
        Response none =
                post(Tokens.admin(), "/ui/backups/" + backup + "/restore", token, token, "restore_mode", "replace");
        assertThat(none.statusCode()).isEqualTo(400);
        assertThat(none.asString()).contains("choose at least one database");
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/restores")
                        .jsonPath()
                        .getInt("total_items"))
                .isEqualTo(restoresBefore);
    }
}
