package dev.holdfast.security;

import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** Who is calling: the token subject and display name, for audit trails and {@code created_by}. */
@RequestScoped
public class CurrentUser {
    @Inject
    SecurityIdentity identity;

    /** The token's subject, or the principal name when the token has none. */
    public String subject() {
        if (identity.getPrincipal() instanceof JsonWebToken jwt && jwt.getSubject() != null) {
            return jwt.getSubject();
        }
        return identity.isAnonymous() ? "anonymous" : identity.getPrincipal().getName();
    }

    /** A human-readable name: preferred_username, name, or the subject. */
    public String name() {
        if (identity.getPrincipal() instanceof JsonWebToken jwt) {
            String n = jwt.getClaim("preferred_username");
            if (n == null) {
                n = jwt.getClaim("name");
            }
            if (n != null) {
                return n;
            }
        }
        return subject();
    }
}
