package dev.holdfast.restore;

import dev.holdfast.api.PageRequest;
import dev.holdfast.api.Problem;
import dev.holdfast.api.Roles;
import dev.holdfast.audit.Audited;
import dev.holdfast.job.Accepted;
import dev.holdfast.job.JobEventStream;
import dev.holdfast.job.JobService;
import dev.holdfast.security.CurrentUser;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;

/** Restore operations over HTTP: list, inspect, follow and roll back (creation: {@link BackupRestoreResource}). */
@Path("/api/restores")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Restores", description = "Validated, all-or-nothing restores and their rollback")
@APIResponse(
        responseCode = "401",
        description = "Missing or invalid bearer token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(
        responseCode = "403",
        description = "The token lacks the required role",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class RestoreResource {
    @Inject
    RestoreService restores;

    @Inject
    JobEventStream events;

    @Inject
    CurrentUser user;

    @Inject
    JobService jobs;

    @GET
    @RolesAllowed(Roles.VIEWER)
    @Operation(
            summary = "List restores",
            description =
                    "Role: backup-viewer. Newest first by default; sort " + "fields: created_at, finished_at, status.")
    @APIResponse(responseCode = "200", description = "A page of restores")
    @APIResponse(
            responseCode = "400",
            description = "Invalid filter, paging or sort parameter",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public PageRequest.Page<RestoreView> list(
            @QueryParam("backup_id") @Parameter(description = "Only restores of this backup") UUID backupId,
            @QueryParam("status") @Parameter(description = "Only restores in this status") RestoreStatus status,
            @Valid @BeanParam PageRequest page) {
        return restores.list(backupId, status, page);
    }

    @GET
    @Path("{id}")
    @RolesAllowed(Roles.VIEWER)
    @Operation(
            summary = "Get a restore",
            description = "Role: backup-viewer. With its report: per table the "
                    + "rows loaded and removed, sequences set, validation checks; per media root the files added, changed "
                    + "and removed.")
    @APIResponse(responseCode = "200", description = "The restore")
    @APIResponse(
            responseCode = "404",
            description = "No such restore",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public RestoreView get(@PathParam("id") UUID id) {
        return restores.get(id);
    }

    @GET
    @Path("{id}/progress")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RolesAllowed(Roles.VIEWER)
    @Blocking
    @Operation(
            summary = "Follow a restore live (Server-Sent Events)",
            description = "Role: backup-viewer. The "
                    + "event stream of the restore's job, as GET /api/jobs/{id}/events (phases pre-backup, verify, load, "
                    + "validate, media; per table rows and bytes).")
    @APIResponse(
            responseCode = "200",
            description = "The restore job's event stream",
            content =
                    @Content(
                            mediaType = MediaType.SERVER_SENT_EVENTS,
                            schema = @Schema(implementation = dev.holdfast.job.JobEvent.class)))
    @APIResponse(
            responseCode = "404",
            description = "No such restore",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Multi<OutboundSseEvent> progress(@PathParam("id") UUID id, @Context Sse sse) {
        return events.stream(restores.jobOf(id), sse);
    }

    @Audited(action = "restore.rollback", target = "restore")
    @POST
    @Path("{id}/rollback")
    @RolesAllowed(Roles.ADMIN)
    @Operation(
            summary = "Roll a restore back",
            description = "Role: backup-admin. Restores the restore's "
                    + "pre-restore backup the same way; recorded as a new restore (rollback_of) with its own pre-restore "
                    + "backup.")
    @APIResponse(
            responseCode = "202",
            description = "Rollback queued: the new restore, its job, and links; Location is the new restore",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = Accepted.RESTORE)))
    @APIResponse(
            responseCode = "404",
            description = "No such restore",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "Dry run, still running, or no pre-restore backup",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public RestResponse<Accepted<RestoreView>> rollback(@PathParam("id") UUID id, @Context UriInfo uri) {
        RestoreView r = restores.rollback(id, user.subject());
        return Accepted.response(uri, "api/restores", r.id(), r, jobs.get(r.jobId()));
    }
}
