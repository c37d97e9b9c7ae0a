package dev.holdfast.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Every class of bad input gets a clear RFC 9457 problem, never a 500 or a stack trace. */
@QuarkusTest
class ProblemTest {
    static final Object RESOURCES = TestResources.class;

    RequestSpecification operator() {
        return given().auth().oauth2(Tokens.operator()).contentType("application/json");
    }

    @Test
    void malformedJson() {
        operator()
                .body("{\"name\": ")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("title", equalTo("Malformed JSON"))
                .body("status", equalTo(400))
                .body("type", startsWith("https://holdfast.dev/problems/"))
                .body("detail", containsString("not valid JSON"))
                .body("instance", equalTo("/api/backups"))
                .body(org.hamcrest.Matchers.not(containsString("at dev.holdfast")));
    }

    @Test
    void unknownEnumValueNamesTheFieldAndTheAllowedValues() {
        operator()
                .body("{\"backup_type\":\"everything\"}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("backup_type"))
                .body("violations[0].message", containsString("[full, database, media]"));
    }

    @Test
    void wrongTypesNameTheField() {
        operator()
                .body("{\"compress_backup\":\"sometimes\"}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("compress_backup"));
        operator()
                .body("{\"databases\":\"app\"}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("databases"));
        operator().body("[1,2]").post("/api/backups").then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void unknownFieldsAreRefusedSoTyposDoNotPassSilently() {
        operator()
                .body("{\"backup_typ\":\"database\"}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("backup_typ"))
                .body("violations[0].message", equalTo("unknown field"));
    }

    @Test
    void beanValidationListsEveryInvalidField() {
        operator()
                .body("{\"name\":\"" + "x".repeat(300) + "\",\"compression\":\"lz4\"}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations.field", org.hamcrest.Matchers.hasItems("compression", "name"));
    }

    @Test
    void oversizedBodiesAre413() {
        operator()
                .body("{\"description\":\"" + "x".repeat(1_100_000) + "\"}")
                .post("/api/backups")
                .then()
                .statusCode(413)
                .contentType("application/problem+json")
                .body("detail", containsString("at most"));
    }

    @Test
    void unknownIdsAre404() {
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups/{id}", UUID.randomUUID())
                .then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("detail", containsString("does not exist"));
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/jobs/{id}", UUID.randomUUID())
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/jobs/not-a-uuid")
                .then()
                .statusCode(org.hamcrest.Matchers.oneOf(400, 404))
                .contentType("application/problem+json");
    }

    @Test
    void badQueryParametersAre400() {
        given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("sort", "password,desc")
                .get("/api/jobs")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("sort"));
        given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("size", "0")
                .get("/api/jobs")
                .then()
                .statusCode(400)
                .contentType("application/problem+json");
        given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("size", "5000")
                .get("/api/backups")
                .then()
                .statusCode(400)
                .contentType("application/problem+json");
        given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("state", "SLEEPING")
                .get("/api/jobs")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("state"))
                .body("violations[0].message", containsString("'SLEEPING' is not one of"));
        given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("created_from", "yesterday")
                .get("/api/backups")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("created_from"));
        given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("type", "weekly")
                .get("/api/backups")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("type"));
    }

    @Test
    void wrongMethodAndMediaType() {
        given().auth()
                .oauth2(Tokens.admin())
                .put("/api/backups")
                .then()
                .statusCode(405)
                .contentType("application/problem+json");
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("text/plain")
                .body("hi")
                .post("/api/backups")
                .then()
                .statusCode(415)
                .contentType("application/problem+json");
    }
}
