package dev.holdfast.web;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's pages over real HTTP with real signed tokens (the /ui tenant also takes a bearer token): what
 * each role sees and may do, the CSRF double submit, the security headers, and that /api keeps answering 401.
 * The browser login itself (code flow against Keycloak) is in the browser test.
 */
@QuarkusTest
class DashboardPagesTest {
    static final Object RESOURCES = TestResources.class;
    static final Pattern FIELD = Pattern.compile("name=\"csrf\" value=\"([A-Za-z0-9_-]+)\"");

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
    }

    /** A page as some role sees it, with the CSRF cookie it was given. */
    record Page(String html, String csrfCookie, Response response) {
        String formToken() {
            Matcher m = FIELD.matcher(html);
            assertThat(m.find()).as("a form with a CSRF field in\n" + html).isTrue();
            return m.group(1);
        }
    }

    static Page get(String token, String path) {
        Response r = given().auth().oauth2(token).redirects().follow(false).get(path);
        r.then().statusCode(200).contentType("text/html");
        return new Page(r.asString(), r.getCookie(Csrf.COOKIE), r);
    }

    static Response post(String token, String path, String cookie, String field, String... form) {
        var spec =
                given().auth().oauth2(token).redirects().follow(false).contentType("application/x-www-form-urlencoded");
        if (cookie != null) {
            spec = spec.cookie(Csrf.COOKIE, cookie);
        }
        if (field != null) {
            spec = spec.formParam("csrf", field);
        }
        for (int i = 0; i < form.length; i += 2) {
            spec = spec.formParam(form[i], form[i + 1]);
        }
        return spec.post(path);
    }

    static JsonNode backup(UUID id) {
        return BackupApiTest.awaitBackup(id);
    }

    @Test
    void apiStillAnswers401AndPagesSendABrowserToTheProvider() {
        Response api = given().redirects().follow(false).get("/api/backups");
        assertThat(api.statusCode()).isEqualTo(401);
        assertThat(api.header("Location")).isNull();

        Response ui = given().redirects().follow(false).get("/ui/backups");
        assertThat(ui.statusCode()).as(ui.headers() + "\n" + ui.asString()).isEqualTo(302);
        String location = ui.header("Location");
        assertThat(location)
                .contains("response_type=code")
                .contains("client_id=holdfast-dashboard")
                .contains("code_challenge_method=S256")
                .contains("code_challenge=");
        // the state cookie that holds the PKCE verifier is HttpOnly and only for the dashboard's paths
        String setCookie = String.join("\n", ui.headers().getValues("Set-Cookie"));
        assertThat(setCookie)
                .contains("q_auth")
                .containsIgnoringCase("HttpOnly")
                .contains("Path=/ui");

        // a signed-in account without a Holdfast role gets the 403 page
        Response none = given().auth().oauth2(Tokens.noRole()).get("/ui");
        assertThat(none.statusCode()).isEqualTo(403);
        assertThat(none.asString()).contains("has no Holdfast role");

        // the logged-out page needs no session
        Response out = given().redirects().follow(false).get("/ui/logged-out");
        assertThat(out.statusCode()).isEqualTo(200);
        assertThat(out.asString()).contains("Logged out");
    }

    @Test
    void pagesCarryAStrictPolicyAndACsrfCookie() {
        Page p = get(Tokens.viewer(), "/ui");
        String csp = p.response().header("Content-Security-Policy");
        assertThat(csp)
                .contains("script-src 'self'")
                .contains("frame-ancestors 'none'")
                .doesNotContain("unsafe");
        assertThat(p.response().header("Cache-Control")).isEqualTo("no-store");
        String setCookie = String.join("\n", p.response().headers().getValues("Set-Cookie"));
        assertThat(setCookie)
                .contains(Csrf.COOKIE + "=" + p.csrfCookie())
                .contains("HttpOnly")
                .contains("SameSite=Strict")
                .contains("Path=/ui");
        assertThat(p.csrfCookie()).hasSize(43);
        // no inline script or event handler anywhere: the policy would block them
        assertThat(p.html()).doesNotContainPattern("<script(?![^>]*\\bsrc=)").doesNotContainPattern("\\son[a-z]+=");
        assertThat(p.html())
                .contains("vera (viewer)")
                .contains("<h2 id=\"h-sources\">Sources</h2>")
                .contains(">app <small>");
        // a second page with the cookie keeps its token rather than making a new one
        Response again = given().auth()
                .oauth2(Tokens.viewer())
                .cookie(Csrf.COOKIE, p.csrfCookie())
                .get("/ui/backups");
        assertThat(again.headers().getValues("Set-Cookie")).noneMatch(c -> c.startsWith(Csrf.COOKIE));
        assertThat(again.asString()).contains("name=\"q\"");
    }

    @Test
    void aBackupIsListedAndItsManifestShownAndEachRoleIsOfferedItsActions() {
        UUID id = BackupApiTest.create("{\"name\":\"ui-nightly\",\"backup_type\":\"database\"}");
        JsonNode b = backup(id);
        assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");

        Page list = get(Tokens.viewer(), "/ui/backups?status=SUCCEEDED&q=ui-night");
        assertThat(list.html()).contains("href=\"/ui/backups/" + id + "\">ui-nightly</a>");
        assertThat(get(Tokens.viewer(), "/ui/backups?status=FAILED").html()).doesNotContain("ui-nightly");

        Page viewer = get(Tokens.viewer(), "/ui/backups/" + id);
        List<String> tables = new ArrayList<>();
        b.get("summary")
                .get("databases")
                .get(0)
                .get("tables")
                .forEach(t -> tables.add(
                        t.get("schema").asText() + "." + t.get("name").asText() + "</th><td class=\"num\">"
                                + t.get("rows").asLong() + "</td>"));
        assertThat(tables).hasSizeGreaterThan(5);
        for (String t : tables) {
            assertThat(viewer.html()).contains(t);
        }
        assertThat(viewer.html()).contains(b.get("sha256").asText()).contains("Database app");
        assertThat(viewer.html())
                .doesNotContain("/verify\"")
                .doesNotContain("/delete\"")
                .doesNotContain("/download\"");

        String operator = get(Tokens.operator(), "/ui/backups/" + id).html();
        assertThat(operator)
                .contains("/ui/backups/" + id + "/verify\"")
                .doesNotContain("/delete\"")
                .doesNotContain("/download\"");
        String admin = get(Tokens.admin(), "/ui/backups/" + id).html();
        assertThat(admin)
                .contains("/verify\"")
                .contains("/delete\"")
                .contains("/download\"")
                .contains("/protection\"");

        // the overview counts it for its source
        assertThat(get(Tokens.viewer(), "/ui").html()).contains("href=\"/ui/backups/" + id + "\"");
    }

    @Test
    void actionsNeedTheRoleAndTheCsrfTokenAndGoThroughTheApiServices() {
        UUID id = BackupApiTest.create("{\"name\":\"ui-actions\",\"backup_type\":\"database\"}");
        backup(id);

        // a viewer's forged POST, token and all, is refused with the 403 page and changes nothing
        Page v = get(Tokens.viewer(), "/ui/backups/" + id);
        Response refused = post(Tokens.viewer(), "/ui/backups/" + id + "/verify", v.csrfCookie(), v.csrfCookie());
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.asString()).contains("needs the backup-operator role");

        // an operator's POST without the field, with a field but no cookie, or with a different token: refused
        Page o = get(Tokens.operator(), "/ui/backups/" + id);
        String token = o.formToken();
        assertThat(token).isEqualTo(o.csrfCookie());
        assertThat(post(Tokens.operator(), "/ui/backups/" + id + "/verify", token, null)
                        .statusCode())
                .isEqualTo(403);
        assertThat(post(Tokens.operator(), "/ui/backups/" + id + "/verify", null, token)
                        .statusCode())
                .isEqualTo(403);
        assertThat(post(Tokens.operator(), "/ui/backups/" + id + "/verify", token, Csrf.newToken())
                        .statusCode())
                .isEqualTo(403);
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/backups/{id}", id)
                        .jsonPath()
                        .getString("verified_at"))
                .isNull();

        Response ok = post(Tokens.operator(), "/ui/backups/" + id + "/verify", token, token);
        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(ok.header("Location")).endsWith("/ui/backups/" + id);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> given().auth()
                                .oauth2(Tokens.viewer())
                                .get("/api/backups/{id}", id)
                                .jsonPath()
                                .getString("verified_at")
                        != null);
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/backups/{id}", id)
                        .jsonPath()
                        .getBoolean("verify_ok"))
                .isTrue();

        // an operator may not protect or delete
        assertThat(post(Tokens.operator(), "/ui/backups/" + id + "/protection", token, token, "protect", "true")
                        .statusCode())
                .isEqualTo(403);

        Page a = get(Tokens.admin(), "/ui/backups/" + id);
        String at = a.formToken();
        assertThat(post(Tokens.admin(), "/ui/backups/" + id + "/protection", at, at, "protect", "true")
                        .statusCode())
                .isEqualTo(303);
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/backups/{id}", id)
                        .jsonPath()
                        .getBoolean("is_protected"))
                .isTrue();
        // audited as the API's call is
        String audit = given().auth()
                .oauth2(Tokens.admin())
                .get("/api/audit?target_id=" + id)
                .asString();
        assertThat(audit).contains("backup.protect").contains("backup.verify");

        assertThat(post(Tokens.admin(), "/ui/backups/" + id + "/protection", at, at, "protect", "false")
                        .statusCode())
                .isEqualTo(303);
        // delete needs the confirmation
        assertThat(post(Tokens.admin(), "/ui/backups/" + id + "/delete", at, at).statusCode())
                .isEqualTo(403);
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/backups/{id}", id)
                        .statusCode())
                .isEqualTo(200);
        Response deleted = post(Tokens.admin(), "/ui/backups/" + id + "/delete", at, at, "confirm", "yes");
        assertThat(deleted.statusCode()).isEqualTo(303);
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/backups/{id}", id)
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void theCreateFormOffersTheSourcesRealTablesAndStartsABackupWhoseProgressStreamsUnderUi() {
        assertThat(given().auth().oauth2(Tokens.viewer()).get("/ui/new-backup").statusCode())
                .isEqualTo(403);
        Page form = get(Tokens.operator(), "/ui/new-backup");
        assertThat(form.html())
                .contains("<option value=\"public.Order\">public.Order</option>")
                .contains("<option value=\"Audit.EventLog\">")
                .contains("name=\"databases\" value=\"app\"");
        String token = form.formToken();

        int before = given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups")
                .jsonPath()
                .getInt("total_items");
        Response refused = post(Tokens.viewer(), "/ui/new-backup", token, token, "backup_type", "database");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/backups")
                        .jsonPath()
                        .getInt("total_items"))
                .isEqualTo(before);

        Response created = post(
                Tokens.operator(),
                "/ui/new-backup",
                token,
                token,
                "name",
                "from-the-form",
                "backup_type",
                "database",
                "databases",
                "app",
                "include_tables",
                "public.Order",
                "compression",
                "gzip");
        assertThat(created.statusCode()).isEqualTo(303);
        UUID id = UUID.fromString(created.header("Location").replaceAll(".*/ui/backups/", ""));
        JsonNode b = backup(id);
        assertThat(b.get("name").asText()).isEqualTo("from-the-form");
        assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(b.get("created_by").asText()).isEqualTo("sub-otto");
        assertThat(b.get("options").get("compression").asText()).isEqualTo("gzip");
        List<String> tables = new ArrayList<>();
        b.get("summary")
                .get("databases")
                .get(0)
                .get("tables")
                .forEach(t -> tables.add(t.get("name").asText()));
        assertThat(tables).containsExactly("Order");

        // the job's events, relayed under /ui as the HTML fragments the page swaps in, then the closing event
        String stream = given().auth()
                .oauth2(Tokens.viewer())
                .get("/ui/jobs/{id}/events", b.get("job_id").asText())
                .asString();
        assertThat(stream)
                .contains("event:progress")
                .contains("Finished: SUCCEEDED")
                .contains("event:end");
        assertThat(stream.indexOf("Finished: SUCCEEDED")).isLessThan(stream.lastIndexOf("event:end"));
    }
}
