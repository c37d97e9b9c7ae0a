package dev.holdfast.api;

import dev.holdfast.config.HoldfastConfig;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Refuses request bodies above {@code holdfast.api.max-body-size} with a problem+json 413 before
 * they are read (the Vert.x limit behind it would answer with an empty body).
 */
public class BodySizeFilter {
    // Looked up per request: filters are created at static init, before runtime config exists.
    @Inject
    Instance<HoldfastConfig> config;

    @ServerRequestFilter(preMatching = true)
    public Response checkSize(ContainerRequestContext ctx, UriInfo uri) {
        long limit = config.get().api().maxBodySize().asLongValue();
        int length = ctx.getLength();
        if (length > limit) {
            return ProblemMapper.problem(
                    413,
                    "Payload too large",
                    "The request body has " + length + " bytes; at most " + limit + " are accepted",
                    uri,
                    List.of());
        }
        return null;
    }
}
