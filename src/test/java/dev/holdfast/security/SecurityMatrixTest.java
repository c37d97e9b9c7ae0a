package dev.holdfast.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The 401/403 matrix for every operation the API publishes: each operation is taken from the live
 * OpenAPI document, so a new endpoint is covered the day it appears (and must state its role).
 */
@QuarkusTest
class SecurityMatrixTest {
    static final Object RESOURCES = TestResources.class;
    static final Pattern ROLE = Pattern.compile("Role: (backup-viewer|backup-operator|backup-admin)");
    static final List<String> ORDER = List.of("backup-viewer", "backup-operator", "backup-admin");

    record Operation(String method, String path, String role) {
        String concretePath() {
            return path.replaceAll("\\{[^}]+}", UUID.randomUUID().toString());
        }

        @Override
        public String toString() {
            return method.toUpperCase() + " " + path;
        }
    }

    static List<Operation> operations = new ArrayList<>();

    @BeforeEach
    void readSpec() throws Exception {
        if (!operations.isEmpty()) {
            return; // RestAssured knows the random test port only from the first test on
        }
        String json =
                given().accept("application/json").get("/q/openapi?format=json").asString();
        JsonNode paths = new ObjectMapper().readTree(json).get("paths");
        for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            if (!p.getKey().startsWith("/api/")) {
                continue;
            }
            for (Iterator<Map.Entry<String, JsonNode>> ops = p.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                String description = op.getValue().path("description").asText("");
                Matcher m = ROLE.matcher(description);
                assertThat(m.find())
                        .as("%s %s states its role in its description", op.getKey(), p.getKey())
                        .isTrue();
                operations.add(new Operation(op.getKey(), p.getKey(), m.group(1)));
            }
        }
        assertThat(operations).hasSizeGreaterThanOrEqualTo(5);
    }

    Response call(Operation op, String token) {
        RequestSpecification r = given().redirects().follow(false);
        if (token != null) {
            r = r.auth().oauth2(token);
        }
        if (!op.method().equals("get") && !op.method().equals("delete")) {
            r = r.contentType("application/json").body("{}");
        }
        return r.request(op.method().toUpperCase(), op.concretePath());
    }

    @Test
    void everyOperationRefusesMissingAndInvalidTokensWith401Problem() {
        Map<String, String> bad = Map.of(
                "no token", "",
                "expired", Tokens.expired(),
                "wrong issuer", Tokens.wrongIssuer(),
                "bad signature", Tokens.badSignature(),
                "garbage", "not.a.jwt");
        for (Operation op : operations) {
            for (Map.Entry<String, String> t : bad.entrySet()) {
                Response r = call(op, t.getValue().isEmpty() ? null : t.getValue());
                assertThat(r.statusCode()).as("%s with %s", op, t.getKey()).isEqualTo(401);
                assertThat(r.contentType()).as("%s with %s", op, t.getKey()).startsWith("application/problem+json");
                assertThat(r.header("WWW-Authenticate"))
                        .as("%s with %s", op, t.getKey())
                        .startsWith("Bearer");
                assertThat(r.jsonPath().getInt("status")).isEqualTo(401);
            }
        }
    }

    @Test
    void everyOperationRefusesTokensBelowItsRoleWith403Problem() {
        for (Operation op : operations) {
            List<String> tokens = new ArrayList<>(List.of(Tokens.noRole()));
            int needed = ORDER.indexOf(op.role());
            for (int i = 0; i < needed; i++) {
                tokens.add(Tokens.realmRoles("low", ORDER.get(i)));
            }
            for (String token : tokens) {
                Response r = call(op, token);
                assertThat(r.statusCode()).as("%s below %s", op, op.role()).isEqualTo(403);
                assertThat(r.contentType()).startsWith("application/problem+json");
            }
        }
    }

    @Test
    void everyOperationAdmitsItsRoleAndEveryHigherRoleFromEitherClaim() {
        for (Operation op : operations) {
            for (int i = ORDER.indexOf(op.role()); i < ORDER.size(); i++) {
                for (String token :
                        List.of(Tokens.realmRoles("kc", ORDER.get(i)), Tokens.groups("grp", ORDER.get(i)))) {
                    Response r = call(op, token);
                    assertThat(r.statusCode())
                            .as("%s with %s", op, ORDER.get(i))
                            .isNotIn(401, 403);
                    assertThat(r.statusCode())
                            .as("%s with %s", op, ORDER.get(i))
                            .isLessThan(500);
                }
            }
        }
    }

    @Test
    void viewerSeesSourcesWithoutAnySecret() {
        String body = given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/sources")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(body).contains("\"name\":\"app\"").doesNotContain("password");
    }
}
