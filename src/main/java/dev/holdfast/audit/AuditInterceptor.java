package dev.holdfast.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.api.ApiException;
import dev.holdfast.domain.DomainException;
import io.quarkus.arc.Arc;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * Writes one audit event per call of an {@link Audited} resource method, whatever its outcome. The
 * target is the method's {@code id} path parameter, or else the {@code id()} of the record it returned
 * (what was created); request bodies (records) go into the details.
 */
@Audited
@Interceptor
@Priority(Interceptor.Priority.APPLICATION)
public class AuditInterceptor {
    @Inject
    AuditLog audit;

    @Inject
    ObjectMapper mapper;

    @Inject
    AuditedRequest seen;

    @AroundInvoke
    Object around(InvocationContext ctx) throws Exception {
        Method m = ctx.getMethod();
        Audited a = m.getAnnotation(Audited.class);
        if (a == null) {
            a = m.getDeclaringClass().getAnnotation(Audited.class);
        }
        String action = a.action().isEmpty() ? m.getName() : a.action();
        if (Arc.container().requestContext().isActive()) {
            seen.markRecorded(); // whatever happens next, this method writes the event
        }
        String target = a.target().isEmpty() ? null : a.target();
        String targetId = null;
        ObjectNode details = mapper.createObjectNode();
        Annotation[][] annotations = m.getParameterAnnotations();
        Object[] args = ctx.getParameters();
        for (int i = 0; i < args.length; i++) {
            for (Annotation ann : annotations[i]) {
                if (ann instanceof PathParam p && "id".equals(p.value()) && args[i] != null) {
                    targetId = args[i].toString();
                }
            }
            if (args[i] != null && args[i].getClass().isRecord()) {
                details.set("request", mapper.valueToTree(args[i]));
            }
        }
        try {
            Object result = ctx.proceed();
            Object entity = result instanceof Response r
                    ? r.getEntity()
                    : result instanceof RestResponse<?> rr ? rr.getEntity() : result;
            int status = result instanceof Response r
                    ? r.getStatus()
                    : result instanceof RestResponse<?> rr ? rr.getStatus() : 200;
            AuditLog.Outcome outcome = status == 202 ? AuditLog.Outcome.ACCEPTED : AuditLog.Outcome.SUCCEEDED;
            if (entity != null && entity.getClass().isRecord()) {
                // The DTO as clients see it (snake_case): its id, and the job it queued (job.Accepted's envelope
                // carries both as resource.id and job.id).
                com.fasterxml.jackson.databind.JsonNode view = mapper.valueToTree(entity);
                String id =
                        view.path("id").asText(view.path("resource").path("id").asText(null));
                if (targetId == null) {
                    targetId = id;
                } else if (id != null && !id.equals(targetId)) {
                    details.put("result_id", id); // e.g. the job a verify queued, the restore a rollback made
                }
                String jobId =
                        view.path("job_id").asText(view.path("job").path("id").asText(null));
                if (jobId != null) {
                    details.put("job_id", jobId);
                }
            }
            audit.record(action, target, targetId, outcome, details);
            return result;
        } catch (ApiException | DomainException | ConstraintViolationException e) {
            details.put("error", e.getMessage());
            audit.record(action, target, targetId, AuditLog.Outcome.REFUSED, details);
            throw e;
        } catch (WebApplicationException e) {
            details.put("error", e.getMessage());
            audit.record(
                    action,
                    target,
                    targetId,
                    e.getResponse().getStatus() < 500 ? AuditLog.Outcome.REFUSED : AuditLog.Outcome.FAILED,
                    details);
            throw e;
        } catch (Exception e) {
            details.put("error", e.getClass().getSimpleName());
            audit.record(action, target, targetId, AuditLog.Outcome.FAILED, details);
            throw e;
        }
    }
}
