package dev.holdfast.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.support.TestResources;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** The served document offers the OIDC login beside the pasted token, for every operation that needs a token. */
@QuarkusTest
class SwaggerLoginSchemeTest {
    static final Object RESOURCES = TestResources.class;

    @Test
    void servedDocumentPointsSwaggerUiAtTheConfiguredIssuersDiscoveryDocument() throws Exception {
        JsonNode spec = spec();
        String issuer = ConfigProvider.getConfig().getValue("quarkus.oidc.auth-server-url", String.class);
        JsonNode scheme = spec.at("/components/securitySchemes/oidc");
        assertThat(scheme.path("type").asText()).isEqualTo("openIdConnect");
        assertThat(scheme.path("openIdConnectUrl").asText())
                .isEqualTo(issuer.replaceAll("/$", "") + "/.well-known/openid-configuration");
        assertThat(spec.at("/components/securitySchemes/bearer/scheme").asText())
                .as("the pasted-token scheme stays")
                .isEqualTo("bearer");
    }

    @Test
    void everyOperationThatTakesABearerTokenAlsoTakesTheLogin() throws Exception {
        JsonNode spec = spec();
        List<String> bearerOnly = new ArrayList<>();
        int checked = 0;
        for (var path : (Iterable<java.util.Map.Entry<String, JsonNode>>) spec.path("paths")::fields) {
            for (var op : (Iterable<java.util.Map.Entry<String, JsonNode>>) path.getValue()::fields) {
                JsonNode security = op.getValue().path("security");
                boolean bearer = false;
                boolean oidc = false;
                for (JsonNode alternative : security) {
                    bearer |= alternative.has("bearer");
                    // Each alternative alone is enough: the login is its own entry, not added to the bearer one.
                    oidc |= alternative.has("oidc") && alternative.size() == 1;
                }
                if (bearer) {
                    checked++;
                    if (!oidc) {
                        bearerOnly.add(op.getKey() + " " + path.getKey());
                    }
                }
            }
        }
        assertThat(checked).as("operations that take a bearer token").isGreaterThan(20);
        assertThat(bearerOnly).as("operations without the login alternative").isEmpty();
    }

    static JsonNode spec() throws Exception {
        return new ObjectMapper()
                .readTree(given().accept("application/json")
                        .get("/q/openapi?format=json")
                        .then()
                        .statusCode(200)
                        .extract()
                        .asString());
    }
}
