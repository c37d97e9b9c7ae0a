package dev.holdfast.support;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.oidc.server.OidcWiremockTestResource;

/**
 * Test resources shared by every {@code @QuarkusTest}: a real PostgreSQL catalog database and a
 * local OIDC server that signs real tokens.
 */
@QuarkusTestResource(TestDatabase.class)
@QuarkusTestResource(OidcWiremockTestResource.class)
public final class TestResources {
    private TestResources() {}
}
