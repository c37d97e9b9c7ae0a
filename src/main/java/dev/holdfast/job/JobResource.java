package dev.holdfast.job;

import dev.holdfast.api.ApiException;
import dev.holdfast.api.PageRequest;
import dev.holdfast.api.Problem;
import dev.holdfast.api.Roles;
import dev.holdfast.audit.Audited;
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
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Jobs of the durable queue: list, inspect, follow live and cancel. */
@Path("/api/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Jobs", description = "Background work: backups, verifications and restores run as jobs")
@APIResponse(
        responseCode = "401",
        description = "Missing or invalid bearer token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(
        responseCode = "403",
        description = "The token lacks the required role",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class JobResource {
    @Inject
    JobService jobs;

    @Inject
    JobEventStream stream;

    @GET
    @RolesAllowed(Roles.VIEWER)
    @Operation(
            summary = "List jobs",
            description = "Role: backup-viewer. Newest first by default; sort fields: "
                    + "queued_at, started_at, finished_at, type, state.")
    @APIResponse(responseCode = "200", description = "A page of jobs")
    @APIResponse(
            responseCode = "400",
            description = "Invalid filter, paging or sort parameter",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public PageRequest.Page<JobView> list(
            @QueryParam("state") @Parameter(description = "Only jobs in this state") JobState state,
            @QueryParam("type") @Parameter(description = "Only jobs of this type") String type,
            @Valid @BeanParam PageRequest page) {
        // An unknown type would match nothing: say so rather than answer an empty page that reads as "none yet".
        if (type != null && !type.isBlank() && !jobs.types().contains(type)) {
            throw ApiException.BadRequest.field("type", "'" + type + "' is not one of " + jobs.types());
        }
        return jobs.list(state, type, page);
    }

    @GET
    @Path("{id}")
    @RolesAllowed(Roles.VIEWER)
    @Operation(summary = "Get a job", description = "Role: backup-viewer. State, progress, result or error.")
    @APIResponse(responseCode = "200", description = "The job")
    @APIResponse(
            responseCode = "404",
            description = "No such job",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public JobView get(@PathParam("id") UUID id) {
        return jobs.get(id);
    }

    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RolesAllowed(Roles.VIEWER)
    @Operation(summary = "Follow a job live (Server-Sent Events)", description = """
            Role: backup-viewer. Sends `state` (the whole job, as GET /api/jobs/{id}) at once, then a \
            `progress` event (a JobEvent) for each change of state or progress, from whichever instance runs \
            the job, then one `end` event with the final job, and closes. Each event's id is the job's seq. \
            A client that connects after the job ended gets `state` and `end` at once.""")
    @APIResponse(
            responseCode = "200",
            description = "An event stream",
            content =
                    @Content(
                            mediaType = MediaType.SERVER_SENT_EVENTS,
                            schema = @Schema(implementation = JobEvent.class)))
    @APIResponse(
            responseCode = "404",
            description = "No such job",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @Blocking
    public Multi<OutboundSseEvent> events(@PathParam("id") UUID id, @Context Sse sse) {
        return stream.stream(id, sse);
    }

    @Audited(action = "job.cancel", target = "job")
    @POST
    @Path("{id}/cancel")
    @RolesAllowed(Roles.OPERATOR)
    @Operation(summary = "Cancel a job", description = """
            Role: backup-operator. A queued job ends CANCELLED at once; a running job stops at its next \
            checkpoint, cleans up what it started and ends CANCELLED. Cancelling a cancelled job is a no-op.""")
    @APIResponse(
            responseCode = "202",
            description = "Cancellation accepted; the job as it is now",
            content =
                    @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobView.class)))
    @APIResponse(
            responseCode = "404",
            description = "No such job",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "The job already ended SUCCEEDED or FAILED",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public jakarta.ws.rs.core.Response cancel(@PathParam("id") UUID id) {
        return jakarta.ws.rs.core.Response.accepted(jobs.cancel(id)).build();
    }
}
