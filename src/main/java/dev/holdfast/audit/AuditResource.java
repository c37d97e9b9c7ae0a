package dev.holdfast.audit;

import dev.holdfast.api.PageRequest;
import dev.holdfast.api.Problem;
import dev.holdfast.api.Roles;
import dev.holdfast.config.HoldfastConfig;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.validation.Valid;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The audit trail over HTTP, for administrators. */
@Path("/api/audit")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Audit", description = "Who did what, when, and how it ended")
@APIResponse(
        responseCode = "401",
        description = "Missing or invalid bearer token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(
        responseCode = "403",
        description = "The token lacks the required role",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class AuditResource {
    static final Map<String, String> SORT_FIELDS =
            Map.of("at", "at", "action", "action", "actor_subject", "actorSubject", "outcome", "outcome");

    @Inject
    HoldfastConfig config;

    @GET
    @RolesAllowed(Roles.ADMIN)
    @Transactional
    @Operation(
            summary = "List audit events",
            description = "Role: backup-admin. Every create, delete, verify, "
                    + "download, restore, rollback, cancel, schedule change and retention deletion, newest first by default; "
                    + "sort fields: at, action, actor_subject, outcome.")
    @APIResponse(responseCode = "200", description = "A page of audit events")
    @APIResponse(
            responseCode = "400",
            description = "Invalid filter, paging or sort parameter",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public PageRequest.Page<AuditView> list(
            @QueryParam("actor") @Parameter(description = "Token subject or display name") String actor,
            @QueryParam("action") @Parameter(description = "Action, or a prefix ending in '.' such as backup.")
                    String action,
            @QueryParam("target_type") @Parameter(description = "backup, restore, job, schedule, retention")
                    String targetType,
            @QueryParam("target_id") @Parameter(description = "Id of the object acted on") String targetId,
            @QueryParam("outcome") @Parameter(description = "ACCEPTED, SUCCEEDED, REFUSED or FAILED")
                    AuditLog.Outcome outcome,
            @QueryParam("from") @Parameter(description = "At or after this instant (ISO-8601)") OffsetDateTime from,
            @QueryParam("to") @Parameter(description = "Before this instant (ISO-8601)") OffsetDateTime to,
            @Valid @BeanParam PageRequest page) {
        page.check(config.api().maxPageSize());
        Sort sort = page.toSort(SORT_FIELDS, "at", Sort.Direction.Descending);
        List<String> where = new ArrayList<>();
        Parameters p = new Parameters();
        if (actor != null && !actor.isBlank()) {
            where.add("(actorSubject = :actor or actorName = :actor)");
            p.and("actor", actor);
        }
        if (action != null && !action.isBlank()) {
            if (action.endsWith(".")) {
                where.add("action like :action");
                p.and("action", action.replace("%", "\\%").replace("_", "\\_") + "%");
            } else {
                where.add("action = :action");
                p.and("action", action);
            }
        }
        if (targetType != null && !targetType.isBlank()) {
            where.add("targetType = :tt");
            p.and("tt", targetType);
        }
        if (targetId != null && !targetId.isBlank()) {
            where.add("targetId = :tid");
            p.and("tid", targetId);
        }
        if (outcome != null) {
            where.add("outcome = :o");
            p.and("o", outcome.name());
        }
        if (from != null) {
            where.add("at >= :from");
            p.and("from", from);
        }
        if (to != null) {
            where.add("at < :to");
            p.and("to", to);
        }
        var q = where.isEmpty()
                ? AuditEvent.<AuditEvent>findAll(sort)
                : AuditEvent.<AuditEvent>find(String.join(" and ", where), sort, p);
        long total = q.count();
        return PageRequest.Page.of(
                q.page(page.page, page.size).list().stream().map(AuditView::of).toList(), page, total);
    }
}
