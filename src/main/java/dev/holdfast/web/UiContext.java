package dev.holdfast.web;

import dev.holdfast.api.Roles;
import dev.holdfast.security.CurrentUser;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** The request's {@link Ui}, and the role and CSRF checks every dashboard action makes before it acts. */
@RequestScoped
public class UiContext {
    @Inject
    SecurityIdentity identity;

    @Inject
    CurrentUser user;

    // Reached through methods only: callers hold a client proxy, whose own fields are not the request's.
    private String csrf;
    private boolean newCsrf;

    /** Takes the cookie's token, or makes a fresh one the response sets when the cookie has none usable. */
    void useCookie(String cookie) {
        if (Csrf.wellFormed(cookie)) {
            csrf = cookie;
        } else {
            csrf = Csrf.newToken();
            newCsrf = true;
        }
    }

    /** The token to set as the cookie, or null when the request's cookie already holds it. */
    String newCookie() {
        return newCsrf ? csrf : null;
    }

    /** Who is looking and what they may do. */
    public Ui ui() {
        return new Ui(user.name(), identity.hasRole(Roles.OPERATOR), identity.hasRole(Roles.ADMIN), csrf);
    }

    @Location("web/forbidden.html")
    Template forbidden;

    /** The 403 page, saying why. */
    Response forbiddenPage(String reason) {
        return Response.status(Response.Status.FORBIDDEN)
                .type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"))
                .entity(forbidden.data("ui", ui()).data("reason", reason).render())
                .build();
    }

    /** Refuses (403 page) unless the user has the role. */
    public void requireRole(String role) {
        if (!identity.hasRole(role)) {
            throw new UiForbidden("This needs the " + role + " role.");
        }
    }

    /** Refuses (403 page) unless the user has the role and the request carries the page's CSRF token. */
    public void require(String role, String submittedCsrf) {
        requireRole(role);
        if (newCsrf || !Csrf.matches(csrf, submittedCsrf)) {
            throw new UiForbidden("The form was not sent from this dashboard (missing or wrong CSRF token); "
                    + "reload the page and try again.");
        }
    }
}
