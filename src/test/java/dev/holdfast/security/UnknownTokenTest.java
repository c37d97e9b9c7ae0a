package dev.holdfast.security;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.holdfast.support.LogCapture;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.oidc.server.OidcWireMock;
import io.smallrye.jwt.build.Jwt;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * A token the service cannot verify with the provider's published keys (opaque, or signed with a key id the
 * provider never published) is refused locally: no call to the provider's introspection endpoint, no ERROR.
 */
@QuarkusTest
class UnknownTokenTest {
    static final Object RESOURCES = TestResources.class;

    @OidcWireMock
    WireMockServer provider;

    static String unknownKid() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return Jwt.subject("sub-mallory")
                .preferredUserName("mallory")
                .claim("realm_access", Map.of("roles", List.of("backup-admin")))
                .issuer(Tokens.ISSUER)
                .expiresIn(600)
                .jws()
                .keyId("never-published")
                .sign(g.generateKeyPair().getPrivate());
    }

    int introspections() {
        return provider.findAll(anyRequestedFor(urlPathMatching(".*/introspect.*")))
                .size();
    }

    @Test
    void opaqueTokensAndUnknownKeyIdsAreRefusedWithoutAskingTheProvider() throws Exception {
        given().auth().oauth2(Tokens.viewer()).get("/api/sources").then().statusCode(200); // keys are loaded
        int before = introspections();
        // The journal is live: the service fetched the provider's metadata and keys from it.
        assertThat(provider.findAll(anyRequestedFor(urlPathMatching(".*/certs.*"))))
                .isNotEmpty();
        try (LogCapture log = LogCapture.from(Level.INFO)) {
            for (String token : List.of("opaque-token-123", "x.y", unknownKid(), unknownKid(), "opaque-2")) {
                for (int i = 0; i < 3; i++) {
                    given().auth()
                            .oauth2(token)
                            .get("/api/backups")
                            .then()
                            .statusCode(401)
                            .contentType("application/problem+json")
                            .header("WWW-Authenticate", org.hamcrest.Matchers.startsWith("Bearer"))
                            .body("status", equalTo(401));
                }
            }
            assertThat(introspections())
                    .as("calls to the introspection endpoint")
                    .isEqualTo(before);
            assertThat(log.lines())
                    .as("what refusing 15 unknown tokens logged at INFO and above")
                    .isEmpty();
        }
        given().auth().oauth2(Tokens.viewer()).get("/api/sources").then().statusCode(200);
    }
}
