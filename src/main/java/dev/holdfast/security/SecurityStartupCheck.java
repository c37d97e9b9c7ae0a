package dev.holdfast.security;

import dev.holdfast.config.HoldfastConfig;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Refuses to start a production instance without an OIDC issuer, and announces loudly when a dev
 * instance runs without an identity provider.
 */
@ApplicationScoped
public class SecurityStartupCheck {
    private static final Logger LOG = Logger.getLogger(SecurityStartupCheck.class);

    @ConfigProperty(name = "quarkus.oidc.auth-server-url")
    Optional<String> authServerUrl;

    @ConfigProperty(name = "quarkus.oidc.public-key")
    Optional<String> publicKey;

    @ConfigProperty(name = "quarkus.oidc.tenant-enabled", defaultValue = "true")
    boolean tenantEnabled;

    @Inject
    HoldfastConfig config;

    void check(@Observes StartupEvent ev) {
        LaunchMode mode = LaunchMode.current();
        // A static verification key (quarkus.oidc.public-key) is an identity provider too, without discovery.
        boolean issuer = (authServerUrl.filter(s -> !s.isBlank()).isPresent()
                        || publicKey.filter(s -> !s.isBlank()).isPresent())
                && tenantEnabled;
        if (mode == LaunchMode.NORMAL) {
            if (!issuer) {
                throw new IllegalStateException("Holdfast refuses to start without an identity provider: set "
                        + "QUARKUS_OIDC_AUTH_SERVER_URL (quarkus.oidc.auth-server-url) to your OIDC issuer, "
                        + "e.g. https://keycloak.example.com/realms/holdfast");
            }
            if (config.security().devAnonymousAdmin()) {
                throw new IllegalStateException(
                        "holdfast.security.dev-anonymous-admin is for dev mode only; remove it from production config");
            }
        } else if (!issuer) {
            String banner = "*".repeat(78);
            LOG.warnf(
                    "%n%s%n  NO IDENTITY PROVIDER: OIDC is off in %s mode.%n  %s%n  Set quarkus.oidc.auth-server-url "
                            + "(and holdfast.dev.oidc-enabled=true) to use Keycloak; see README.md.%n%s",
                    banner,
                    mode,
                    config.security().devAnonymousAdmin()
                            ? "Every request without a token acts as the administrator 'dev-anonymous'."
                            : "Every protected endpoint answers 401.",
                    banner);
        }
    }
}
