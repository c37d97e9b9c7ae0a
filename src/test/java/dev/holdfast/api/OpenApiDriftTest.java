package dev.holdfast.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.support.TestResources;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The committed OpenAPI document ({@code openapi/holdfast-openapi.yaml}) must equal the one the
 * service serves. To accept a deliberate API change, run the tests with
 * {@code -Dupdate-openapi=true} and commit the file.
 *
 * <p>One value differs per deployment: the {@code oidc} scheme's {@code openIdConnectUrl}, which
 * {@link SwaggerLoginScheme} derives from the configured issuer when the service starts. The test
 * replaces the served one with {@link #ISSUER_PLACEHOLDER} before comparing (and before writing),
 * so the committed document names no test issuer and says where the real URL comes from; nothing
 * else is normalised.
 */
@QuarkusTest
class OpenApiDriftTest {
    static final Object RESOURCES = TestResources.class;
    static final Path COMMITTED = Path.of("openapi/holdfast-openapi.yaml");
    /** Stands for the configured issuer in the committed document. */
    static final String ISSUER_PLACEHOLDER = "https://issuer.invalid/set-by-quarkus.oidc.auth-server-url";

    @Test
    void committedSpecMatchesTheServedOne() throws Exception {
        String served = given().accept("application/yaml")
                .get("/q/openapi")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        String issuer = ConfigProvider.getConfig().getValue("quarkus.oidc.auth-server-url", String.class);
        assertThat(served).as("served document has the login scheme").contains(SwaggerLoginScheme.discoveryUrl(issuer));
        served = served.replace(
                SwaggerLoginScheme.discoveryUrl(issuer), SwaggerLoginScheme.discoveryUrl(ISSUER_PLACEHOLDER));
        if (Boolean.getBoolean("update-openapi")) {
            Files.createDirectories(COMMITTED.getParent());
            Files.writeString(COMMITTED, served);
        }
        assertThat(COMMITTED).as("committed spec exists").exists();
        Files.writeString(Path.of("target/openapi-served.yaml"), served);
        String committed = Files.readString(COMMITTED);
        assertThat(served)
                .as(
                        "The API changed (served: target/openapi-served.yaml): rerun with -Dupdate-openapi=true and "
                                + "commit %s. First difference:%n%s",
                        COMMITTED, firstDifference(committed, served))
                .isEqualTo(committed);
    }

    /** The first line where two documents differ, with two lines of context, for a readable failure. */
    static String firstDifference(String expected, String actual) {
        String[] e = expected.split("\n", -1);
        String[] a = actual.split("\n", -1);
        int i = 0;
        while (i < e.length && i < a.length && e[i].equals(a[i])) {
            i++;
        }
        int from = Math.max(0, i - 2);
        StringBuilder sb = new StringBuilder();
        for (int k = from; k < Math.min(i + 3, Math.max(e.length, a.length)); k++) {
            sb.append(k + 1)
                    .append(": committed ")
                    .append(k < e.length ? e[k] : "<end>")
                    .append(" | served ")
                    .append(k < a.length ? a[k] : "<end>")
                    .append('\n');
        }
        return sb.toString();
    }

    @Test
    void everySchemaNamesItsFieldsAsTheWireDoes() throws Exception {
        // The API reads and writes snake_case only (an unknown camelCase field is a 400), so a camelCase name in
        // the document teaches Swagger UI users requests that fail; it named 340 fields so before.
        var spec = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(given().accept("application/json")
                        .get("/q/openapi?format=json")
                        .asString());
        java.util.List<String> camel = new java.util.ArrayList<>();
        spec.path("components")
                .path("schemas")
                .fields()
                .forEachRemaining(s -> s.getValue()
                        .path("properties")
                        .fieldNames()
                        .forEachRemaining(f -> {
                            if (!f.matches("[a-z0-9_]+")) {
                                camel.add(s.getKey() + "." + f);
                            }
                        }));
        assertThat(camel).as("schema properties not in snake_case").isEmpty();
        assertThat(spec.at("/components/schemas/BackupRequest/properties").has("backup_type"))
                .as("BackupRequest documents backup_type")
                .isTrue();
    }

    @Test
    void everyOperationHasASummaryItsRoleAndItsErrorResponses() throws Exception {
        var spec = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(given().accept("application/json")
                        .get("/q/openapi?format=json")
                        .asString());
        spec.get("paths").fields().forEachRemaining(p -> {
            if (!p.getKey().startsWith("/api/")) {
                return;
            }
            p.getValue().fields().forEachRemaining(op -> {
                String name = op.getKey() + " " + p.getKey();
                assertThat(op.getValue().path("summary").asText())
                        .as("%s summary", name)
                        .isNotBlank();
                assertThat(op.getValue().path("description").asText())
                        .as("%s role", name)
                        .contains("Role: ");
                assertThat(op.getValue().path("responses").has("401"))
                        .as("%s documents 401", name)
                        .isTrue();
                assertThat(op.getValue().path("responses").has("403"))
                        .as("%s documents 403", name)
                        .isTrue();
                assertThat(op.getValue().path("security").isArray() || spec.has("security"))
                        .as("%s declares bearer security", name)
                        .isTrue();
            });
        });
    }
}
