package dev.holdfast.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.List;

/**
 * Answers a request line longer than {@link #MAX_URI_LENGTH} with a problem+json 414. The HTTP codec's own
 * limit ({@code quarkus.http.limits.max-initial-line-length}, set well above this one) would answer with an
 * empty body; only a line beyond that one still gets it.
 */
@ApplicationScoped
public class UriLengthGuard {
    /** The longest request URI (path and query) accepted, in characters. */
    public static final int MAX_URI_LENGTH = 8192;

    @Inject
    ObjectMapper mapper;

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            String uri = ctx.request().uri();
            if (uri.length() <= MAX_URI_LENGTH) {
                ctx.next();
                return;
            }
            String path = ctx.request().path();
            Problem p = new Problem(
                    ProblemMapper.typeUri("URI too long"),
                    "URI too long",
                    414,
                    "The request URI has " + uri.length() + " characters; at most " + MAX_URI_LENGTH
                            + " are accepted. Send long selections in a request body.",
                    path.length() > 200 ? path.substring(0, 200) + "…" : path,
                    List.of());
            try {
                ctx.response()
                        .setStatusCode(414)
                        .putHeader("Content-Type", Problem.MEDIA_TYPE)
                        .end(mapper.writeValueAsString(p));
            } catch (Exception e) {
                ctx.fail(e);
            }
        });
    }
}
