package dev.holdfast.support;

import io.smallrye.jwt.build.Jwt;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Real signed access tokens for tests, accepted by the local OIDC server that
 * {@code OidcWiremockTestResource} runs (issuer https://server.example.com).
 */
public final class Tokens {
    public static final String ISSUER = "https://server.example.com";

    private Tokens() {}

    /** A token with the roles in the Keycloak {@code realm_access.roles} claim. */
    public static String realmRoles(String user, String... roles) {
        return Jwt.subject("sub-" + user)
                .preferredUserName(user)
                .claim("realm_access", Map.of("roles", List.of(roles)))
                .issuer(ISSUER)
                .audience("https://service.example.com")
                .expiresIn(600)
                .sign();
    }

    /** A token with the roles in the {@code groups} claim. */
    public static String groups(String user, String... roles) {
        return Jwt.subject("sub-" + user)
                .preferredUserName(user)
                .groups(Set.of(roles))
                .issuer(ISSUER)
                .audience("https://service.example.com")
                .expiresIn(600)
                .sign();
    }

    public static String viewer() {
        return realmRoles("vera", "backup-viewer");
    }

    public static String operator() {
        return groups("otto", "backup-operator");
    }

    public static String admin() {
        return realmRoles("ada", "backup-admin");
    }

    /** A valid token that carries no Holdfast role. */
    public static String noRole() {
        return realmRoles("nobody", "offline_access");
    }

    public static String expired() {
        return Jwt.subject("sub-late")
                .preferredUserName("late")
                .claim("realm_access", Map.of("roles", List.of("backup-admin")))
                .issuer(ISSUER)
                .issuedAt(Instant.now().minusSeconds(7200))
                .expiresAt(Instant.now().minusSeconds(3600))
                .sign();
    }

    public static String wrongIssuer() {
        return Jwt.subject("sub-eve")
                .preferredUserName("eve")
                .claim("realm_access", Map.of("roles", List.of("backup-admin")))
                .issuer("https://evil.example.org")
                .expiresIn(600)
                .sign();
    }

    /** Right claims, signed with a key the identity provider never published. */
    public static String badSignature() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            return Jwt.subject("sub-mallory")
                    .preferredUserName("mallory")
                    .claim("realm_access", Map.of("roles", List.of("backup-admin")))
                    .issuer(ISSUER)
                    .expiresIn(600)
                    .jws()
                    .keyId("1")
                    .sign(kp.getPrivate());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
