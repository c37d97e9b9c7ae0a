package dev.holdfast.api;

import dev.holdfast.domain.Violation;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Refuses a NUL character (U+0000) in any query or path parameter, name or value, with a 400 naming the
 * parameter, before it reaches a query that PostgreSQL would fail (a 500). Bodies are guarded by
 * {@link JsonInput}. Runs after matching, so that the refusal of an audited operation is audited.
 */
public class NulParameterFilter {

    @ServerRequestFilter
    public Response refuseNul(UriInfo uri) {
        String bad = firstWithNul(uri.getQueryParameters());
        if (bad == null) {
            bad = firstWithNul(uri.getPathParameters());
        }
        if (bad == null) {
            return null;
        }
        return ProblemMapper.problem(
                400,
                "Invalid request",
                bad + ": " + JsonInput.NUL_MESSAGE,
                uri,
                List.of(new Violation(bad, JsonInput.NUL_MESSAGE)));
    }

    private static String firstWithNul(MultivaluedMap<String, String> params) {
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            if (JsonInput.hasNul(e.getKey())) {
                return e.getKey().replace("\0", "\\u0000");
            }
            for (String v : e.getValue()) {
                if (JsonInput.hasNul(v)) {
                    return e.getKey();
                }
            }
        }
        return null;
    }
}
