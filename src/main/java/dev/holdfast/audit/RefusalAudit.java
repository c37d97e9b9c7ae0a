package dev.holdfast.audit;

import dev.holdfast.api.Problem;
import dev.holdfast.security.CurrentUser;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import java.lang.reflect.Method;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;
import org.jboss.resteasy.reactive.server.SimpleResourceInfo;

/**
 * Records the requests to an {@link Audited} operation that were refused before it ran (a body that
 * does not read, a NUL character, a parameter that does not convert, a missing role): the audit trail
 * promises an event for every attempt, not only for those that reached the method.
 */
public class RefusalAudit {
    @Inject
    AuditLog audit;

    @Inject
    AuditedRequest seen;

    @Inject
    CurrentUser user;

    @ServerResponseFilter
    public Uni<Void> recordRefusal(
            ContainerRequestContext request, ContainerResponseContext response, SimpleResourceInfo resource) {
        int status = response.getStatus();
        // 401: nobody to attribute it to, and an unauthenticated client must not be able to fill the trail.
        if (status < 400 || status == 401 || resource == null || resource.getMethodName() == null || seen.recorded()) {
            return Uni.createFrom().voidItem();
        }
        Audited a = audited(resource);
        if (a == null) {
            return Uni.createFrom().voidItem();
        }
        Method m = method(resource);
        String action = a.action().isEmpty() ? (m == null ? resource.getMethodName() : m.getName()) : a.action();
        String target = a.target().isEmpty() ? null : a.target();
        String targetId = request.getUriInfo().getPathParameters().getFirst("id");
        String detail = response.getEntity() instanceof Problem p ? p.detail() : "HTTP " + status;
        var details = new java.util.LinkedHashMap<String, Object>();
        details.put("error", detail);
        details.put("status", status);
        String subject = user.subject();
        String name = user.name();
        AuditLog.Outcome outcome = status < 500 ? AuditLog.Outcome.REFUSED : AuditLog.Outcome.FAILED;
        if (!Context.isOnEventLoopThread()) {
            audit.recordAs(subject, name, action, target, targetId, outcome, details);
            return Uni.createFrom().voidItem();
        }
        // The audit write is a JDBC transaction: never on the event loop (refusals of bodies read there).
        return Uni.createFrom()
                .<Void>item(() -> {
                    audit.recordAs(subject, name, action, target, targetId, outcome, details);
                    return null;
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private static Audited audited(SimpleResourceInfo r) {
        Method m = method(r);
        Audited a = m == null ? null : m.getAnnotation(Audited.class);
        return a != null ? a : r.getResourceClass().getAnnotation(Audited.class);
    }

    private static Method method(SimpleResourceInfo r) {
        try {
            return r.getResourceClass().getMethod(r.getMethodName(), r.parameterTypes());
        } catch (NoSuchMethodException | RuntimeException e) {
            return null;
        }
    }
}
