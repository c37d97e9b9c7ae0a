package dev.holdfast.web;

import dev.holdfast.api.Problem;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Headers of every dashboard response: a Content-Security-Policy that allows scripts, styles and connections from
 * the service itself only (no inline script or handler anywhere, htmx is configured through a meta tag), no
 * framing, no caching of pages, and the CSRF cookie; the 403 page; and an HTML page in place of the API's problem
 * document for every other refusal a dashboard action meets (404, 409, 400 ...), with the same status and words.
 */
public class WebFilters {
    /** Everything from the service itself; inline SVG is markup, not script, so charts need nothing more. */
    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    @Inject
    UiContext context;

    @Location("web/error.html")
    Template error;

    static boolean isUi(ContainerRequestContext req) {
        String p = req.getUriInfo().getPath();
        return p.equals("/ui") || p.startsWith("/ui/");
    }

    @ServerRequestFilter
    void csrfCookie(ContainerRequestContext req) {
        if (!isUi(req)) {
            return;
        }
        Cookie c = req.getCookies().get(Csrf.COOKIE);
        context.useCookie(c == null ? null : c.getValue());
    }

    @ServerResponseFilter
    void headers(ContainerRequestContext req, ContainerResponseContext res) {
        if (!isUi(req)) {
            return;
        }
        if (res.getEntity() instanceof Problem p) {
            // The page calls the API's resources, whose refusals are problem documents: a person gets them as a page
            // (same status, the API's own words, the fields that were wrong) with the way back.
            res.setEntity(
                    error.data("ui", context.ui()).data("p", p).render(),
                    null,
                    MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"));
        }
        var h = res.getHeaders();
        h.putSingle("Content-Security-Policy", CSP);
        h.putSingle("X-Content-Type-Options", "nosniff");
        h.putSingle("Referrer-Policy", "same-origin");
        h.putSingle("X-Frame-Options", "DENY");
        h.putSingle("Cache-Control", "no-store");
        String newCookie = context.newCookie();
        if (newCookie != null) {
            boolean tls = "https".equals(req.getUriInfo().getRequestUri().getScheme());
            h.add(
                    "Set-Cookie",
                    Csrf.COOKIE + "=" + newCookie + "; Path=/ui; HttpOnly; SameSite=Strict" + (tls ? "; Secure" : ""));
        }
    }

    @ServerExceptionMapper
    Response refused(UiForbidden e) {
        return context.forbiddenPage(e.getMessage());
    }
}
