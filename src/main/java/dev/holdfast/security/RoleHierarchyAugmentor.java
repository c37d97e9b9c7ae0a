package dev.holdfast.security;

import dev.holdfast.api.Roles;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Expands the role hierarchy: an admin is also an operator, an operator also a viewer. Roles come
 * from the token's {@code realm_access.roles} (Keycloak) or {@code groups} claim.
 */
@ApplicationScoped
public class RoleHierarchyAugmentor implements SecurityIdentityAugmentor {
    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (identity.isAnonymous()) {
            return Uni.createFrom().item(identity);
        }
        boolean admin = identity.hasRole(Roles.ADMIN);
        boolean operator = admin || identity.hasRole(Roles.OPERATOR);
        boolean viewer = operator || identity.hasRole(Roles.VIEWER);
        if (!viewer) {
            return Uni.createFrom().item(identity);
        }
        QuarkusSecurityIdentity.Builder b = QuarkusSecurityIdentity.builder(identity);
        b.addRole(Roles.VIEWER);
        if (operator) {
            b.addRole(Roles.OPERATOR);
        }
        return Uni.createFrom().item(b.build());
    }
}
