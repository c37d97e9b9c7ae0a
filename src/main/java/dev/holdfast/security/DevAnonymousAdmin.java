package dev.holdfast.security;

import dev.holdfast.api.Roles;
import dev.holdfast.config.HoldfastConfig;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Dev mode convenience behind {@code holdfast.security.dev-anonymous-admin}: requests without a
 * token act as the administrator {@code dev-anonymous}. Inactive outside dev mode, whatever the
 * configuration says (and the prod profile refuses to start with it set).
 */
@ApplicationScoped
public class DevAnonymousAdmin implements SecurityIdentityAugmentor {
    @Inject
    HoldfastConfig config;

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (!identity.isAnonymous()
                || LaunchMode.current() != LaunchMode.DEVELOPMENT
                || !config.security().devAnonymousAdmin()) {
            return Uni.createFrom().item(identity);
        }
        return Uni.createFrom()
                .item(QuarkusSecurityIdentity.builder()
                        .setPrincipal(new QuarkusPrincipal("dev-anonymous"))
                        .addRole(Roles.ADMIN)
                        .addRole(Roles.OPERATOR)
                        .addRole(Roles.VIEWER)
                        .build());
    }
}
