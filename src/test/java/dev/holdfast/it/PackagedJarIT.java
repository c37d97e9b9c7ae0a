package dev.holdfast.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The packaged jar, in the prod profile, against the local PostgreSQL and a real OIDC issuer. */
@QuarkusIntegrationTest
@QuarkusTestResource(value = TestDatabase.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = ProdOidcResource.class, restrictToAnnotatedClass = true)
class PackagedJarIT {

    @Test
    void answersRealTokensAndRefusesOthers() {
        String body = given().auth()
                .oauth2(Tokens.admin())
                .get("/api/sources")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(body)
                .contains("\"name\":\"default\"")
                .contains("holdfast_test")
                .doesNotContain("password");
        given().get("/api/jobs").then().statusCode(401).contentType("application/problem+json");
        given().auth().oauth2(Tokens.noRole()).get("/api/jobs").then().statusCode(403);
        given().auth().oauth2(Tokens.viewer()).get("/api/jobs").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void productionProfileRefusesToStartWithoutAnIssuer() throws Exception {
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar");
        ProcessBuilder pb = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"), "-jar", jar.toString())
                .redirectErrorStream(true)
                .redirectOutput(new File("target/it-no-issuer.log"));
        pb.environment().put("QUARKUS_HTTP_PORT", "0");
        pb.environment().put("QUARKUS_DATASOURCE_JDBC_URL", TestDatabase.url(TestDatabase.CATALOG_DB));
        pb.environment().put("HOLDFAST_DB_USER", TestDatabase.USER);
        pb.environment().put("HOLDFAST_DB_PASSWORD", TestDatabase.PASSWORD);
        pb.environment().remove("QUARKUS_OIDC_AUTH_SERVER_URL");
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS))
                .as("process exits by itself")
                .isTrue();
        assertThat(p.exitValue()).isNotZero();
        String log = java.nio.file.Files.readString(Path.of("target/it-no-issuer.log"), StandardCharsets.UTF_8);
        // quarkus-oidc refuses first; SecurityStartupCheck backs it up should that ever change.
        assertThat(log)
                .containsAnyOf(
                        "refuses to start without an identity provider",
                        "'quarkus.oidc.auth-server-url' property must be configured",
                        // the dashboard's tenant (issue 16) takes its provider from the same setting
                        "'quarkus.oidc.web.auth-server-url' property must be configured");
    }
}
