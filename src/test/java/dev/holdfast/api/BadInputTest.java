package dev.holdfast.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.holdfast.restore.RestoreApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Bad input of every kind is a 400-range problem naming what was wrong, and the attempt is audited. */
@QuarkusTest
class BadInputTest {
    static final Object RESOURCES = TestResources.class;
    static final List<String> LISTS =
            List.of("/api/backups", "/api/restores", "/api/jobs", "/api/audit", "/api/schedules");

    static JsonPath audit(String query) {
        return given().auth()
                .oauth2(Tokens.admin())
                .get("/api/audit?" + query)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    static RequestSpecification as(String token) {
        return given().auth().oauth2(token).contentType("application/json");
    }

    @Test
    void nulInABodyStringIsA400NamingTheFieldAndTheRefusalIsAudited() {
        OffsetDateTime before = OffsetDateTime.now().minusSeconds(1);
        as(Tokens.operator())
                .body("{\"name\":\"night\\u0000ly\",\"description\":\"ok\"}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("name"))
                .body("violations[0].message", containsString("NUL"));
        as(Tokens.operator())
                .body("{\"exclude_tables\":[\"auth_*\",\"x\\u0000\"]}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("exclude_tables[1]"));
        as(Tokens.admin())
                .body("{\"name\":\"s\",\"cron\":\"0 3 * * *\",\"description\":\"\\u0000\"}")
                .post("/api/schedules")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations.field", hasItem("description"));
        UUID missing = UUID.randomUUID();
        as(Tokens.admin())
                .body("{\"tables\":[\"a\\u0000\"],\"media_globs\":[\"\\u0000\"]}")
                .post("/api/backups/{id}/restore", missing)
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("tables[0]"));

        // The attempts are in the trail, refused, with the reason, although the method never ran.
        JsonPath refused = audit("action=backup.create&outcome=REFUSED&actor=otto&from=" + before.toInstant());
        assertThat(refused.getList("items.details.error", String.class))
                .anyMatch(e -> e.contains("name") && e.contains("NUL"))
                .anyMatch(e -> e.contains("exclude_tables[1]"));
        JsonPath restore = audit("action=restore.create&outcome=REFUSED&target_id=" + missing);
        assertThat(restore.getList("items")).hasSize(1);
        assertThat(restore.getString("items[0].details.error")).contains("tables[0]");
    }

    @Test
    void nulInAQueryParameterIsA400NamingIt() {
        for (String query : List.of(
                "/api/backups?q=a%00b",
                "/api/backups?source=%00",
                "/api/backups?trigger=%00",
                "/api/jobs?type=x%00",
                "/api/schedules?q=%00",
                "/api/audit?actor=%00",
                "/api/audit?action=b.%00",
                "/api/audit?target_type=%00",
                "/api/audit?target_id=%00")) {
            String param = query.substring(query.indexOf('?') + 1, query.indexOf('='));
            given().urlEncodingEnabled(false)
                    .auth()
                    .oauth2(Tokens.admin())
                    .get(query)
                    .then()
                    .statusCode(400)
                    .contentType("application/problem+json")
                    .body("violations[0].field", equalTo(param))
                    .body("violations[0].message", containsString("NUL"));
        }
    }

    @Test
    void pagesBeyondTheRowRangeAndUnreadablePagingAre400NamingTheParameter() {
        for (String list : LISTS) {
            given().auth()
                    .oauth2(Tokens.admin())
                    .get(list + "?page=2147483&size=20")
                    .then()
                    .statusCode(200)
                    .body("items.size()", equalTo(0));
            for (Map.Entry<String, String> bad : Map.of(
                            "page=200000000&size=20",
                            "page",
                            "page=abc",
                            "page",
                            "size=xyz",
                            "size",
                            "page=99999999999",
                            "page",
                            "size=99999999999999999999",
                            "size",
                            "page=-1",
                            "page")
                    .entrySet()) {
                given().auth()
                        .oauth2(Tokens.admin())
                        .get(list + "?" + bad.getKey())
                        .then()
                        .log()
                        .ifValidationFails()
                        .statusCode(400)
                        .contentType("application/problem+json")
                        .body("violations[0].field", equalTo(bad.getValue()));
            }
        }
        given().auth()
                .oauth2(Tokens.admin())
                .get("/api/backups?page=abc")
                .then()
                .body("violations[0].message", containsString("'abc' is not a whole number"));
        given().auth()
                .oauth2(Tokens.admin())
                .get("/api/schedules?enabled=maybe")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("enabled"))
                .body("violations[0].message", containsString("true or false"));
    }

    @Test
    void scalarsAreNotCoercedIntoStringsOrFromThem() {
        as(Tokens.operator())
                .body("{\"name\":123}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("name"))
                .body("violations[0].message", equalTo("'123' is not a valid string"));
        as(Tokens.operator())
                .body("{\"description\":true}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("description"));
        as(Tokens.operator())
                .body("{\"databases\":[1.5]}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("databases[0]"));
        as(Tokens.operator())
                .body("{\"compress_backup\":\"true\"}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("compress_backup"));
    }

    @Test
    void unknownJobTypesAreRefusedNotAnsweredWithAnEmptyPage() {
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/jobs?type=bogus")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("type"))
                .body("violations[0].message", containsString("'bogus' is not one of"))
                .body("violations[0].message", containsString("backup"));
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/jobs?type=backup")
                .then()
                .statusCode(200);
    }

    @Test
    void aTooLongUriIsA414Problem() {
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups?q=" + "x".repeat(9000))
                .then()
                .statusCode(414)
                .contentType("application/problem+json")
                .body("status", equalTo(414))
                .body("title", equalTo("URI too long"))
                .body("detail", containsString("at most 8192"));
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups?q=" + "x".repeat(7000))
                .then()
                .statusCode(200);
    }

    @Test
    void aBackupIncludingATableThatDoesNotExistIsRefusedAtTheRequest() {
        AppDatabase.reset();
        as(Tokens.operator())
                .body("{\"backup_type\":\"database\",\"include_tables\":[\"auth_user\",\"nope\"]}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("include_tables[1]"))
                .body("violations[0].message", containsString("'nope' matches no table"));
        as(Tokens.operator())
                .body("{\"backup_type\":\"database\",\"schema_only_tables\":[\"sales.nope*\"]}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("schema_only_tables[0]"));
    }

    @Test
    void aRestoreOfATableTheBackupDoesNotHoldIsRefusedAtTheRequest() {
        AppDatabase.reset();
        UUID backup = RestoreApiTest.backup();
        as(Tokens.admin())
                .body("{\"tables\":[\"public.auth_user\",\"nope\"]}")
                .post("/api/backups/{id}/restore", backup)
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("tables[1]"))
                .body("violations[0].message", containsString("holds no table 'nope'"));
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/restores?backup_id=" + backup)
                .then()
                .body("total_items", equalTo(0));
    }
}
