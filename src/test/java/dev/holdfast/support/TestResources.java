package dev.holdfast.support;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.oidc.server.OidcWiremockTestResource;

/**
 * Test resources shared by every {@code @QuarkusTest}: a real PostgreSQL catalog database, a
 * local OIDC server that signs real tokens, a real SMTP server and real webhook endpoints.
 */
@QuarkusTestResource(TestDatabase.class)
@QuarkusTestResource(OidcWiremockTestResource.class)
@QuarkusTestResource(MailServer.class)
@QuarkusTestResource(WebhookReceiver.class)
public final class TestResources {
    private TestResources() {}
}
