package dev.holdfast.api;

import io.quarkus.smallrye.openapi.OpenApiFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

/**
 * Adds the {@value #SCHEME} security scheme (OpenID Connect discovery of the configured issuer) to the served
 * document, and makes every operation that takes the {@value #BEARER} scheme accept it as an alternative, so that
 * Swagger UI can log in through the identity provider while a pasted token still works.
 *
 * <p>It runs when the service starts, not at build time, because the issuer ({@code quarkus.oidc.auth-server-url})
 * is set per deployment. Without an issuer (dev mode with OIDC off) the document keeps the bearer scheme only.
 */
@OpenApiFilter(stages = OpenApiFilter.RunStage.RUNTIME_STARTUP)
public class SwaggerLoginScheme implements OASFilter {
    /** Name of the scheme this filter adds. */
    public static final String SCHEME = "oidc";
    /** Name of the pasted-token scheme (quarkus.smallrye-openapi.security-scheme-name). */
    public static final String BEARER = "bearer";

    private final Optional<String> issuer;

    public SwaggerLoginScheme() {
        var config = ConfigProvider.getConfig();
        boolean enabled = config.getOptionalValue("quarkus.oidc.tenant-enabled", Boolean.class)
                .orElse(true);
        this.issuer = enabled
                ? config.getOptionalValue("quarkus.oidc.auth-server-url", String.class)
                        .filter(s -> !s.isBlank())
                : Optional.empty();
    }

    /** The OpenID Connect discovery document of an issuer, as the scheme names it. */
    public static String discoveryUrl(String issuer) {
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        return base + "/.well-known/openid-configuration";
    }

    @Override
    public Operation filterOperation(Operation operation) {
        if (issuer.isEmpty() || operation.getSecurity() == null) {
            return operation;
        }
        List<SecurityRequirement> requirements = new ArrayList<>(operation.getSecurity());
        boolean bearer = requirements.stream().anyMatch(r -> r.hasScheme(BEARER));
        boolean already = requirements.stream().anyMatch(r -> r.hasScheme(SCHEME));
        if (bearer && !already) {
            // Alternatives: either scheme is enough. The list is empty because it names OAuth scopes for this
            // scheme type; the role an operation needs comes from the token's roles, as the bearer entry says.
            requirements.add(OASFactory.createSecurityRequirement().addScheme(SCHEME));
            operation.setSecurity(requirements);
        }
        return operation;
    }

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (issuer.isEmpty()) {
            return;
        }
        Components components = openAPI.getComponents();
        if (components == null) {
            components = OASFactory.createComponents();
            openAPI.setComponents(components);
        }
        components.addSecurityScheme(
                SCHEME,
                OASFactory.createSecurityScheme()
                        .type(SecurityScheme.Type.OPENIDCONNECT)
                        .openIdConnectUrl(discoveryUrl(issuer.get()))
                        .description("Log in through the identity provider: authorization code flow with PKCE,"
                                + " public client holdfast-swagger (see README, Logging in from Swagger UI)."));
    }
}
