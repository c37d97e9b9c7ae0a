package dev.holdfast.schedule;

import dev.holdfast.api.PageRequest;
import dev.holdfast.api.Problem;
import dev.holdfast.api.Roles;
import dev.holdfast.audit.Audited;
import dev.holdfast.backup.BackupView;
import dev.holdfast.job.Accepted;
import dev.holdfast.job.JobService;
import dev.holdfast.security.CurrentUser;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;

/** Backup schedules over HTTP: define them, read when they fire next and how they went, run one now. */
@Path("/api/schedules")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Schedules", description = "Cron schedules that create backups, with retention and notifications")
@APIResponse(
        responseCode = "401",
        description = "Missing or invalid bearer token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(
        responseCode = "403",
        description = "The token lacks the required role",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class ScheduleResource {
    /** The request body example Swagger UI offers for create and replace (SwaggerExamplesTest sends it). */
    static final String EXAMPLE = """
            {"name": "nightly-app", "cron": "30 2 * * *", "time_zone": "Europe/Berlin", \
            "backup": {"backup_type": "database", "databases": ["app"]}, \
            "retention": {"keep_daily": 7, "keep_weekly": 4}, \
            "notifications": {"on_failure": true, "email_to": ["ops@example.com"]}}""";

    @Inject
    ScheduleService schedules;

    @Inject
    CurrentUser user;

    @Inject
    JobService jobs;

    @GET
    @RolesAllowed(Roles.VIEWER)
    @Operation(
            summary = "List schedules",
            description = "Role: backup-viewer. By name by default; sort fields: "
                    + "name, created_at, updated_at, next_run_at, last_fired_at.")
    @APIResponse(responseCode = "200", description = "A page of schedules")
    @APIResponse(
            responseCode = "400",
            description = "Invalid paging or sort parameter",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public PageRequest.Page<ScheduleView> list(
            @QueryParam("enabled") @Parameter(description = "Only enabled (true) or disabled (false) schedules")
                    Boolean enabled,
            @QueryParam("q") @Parameter(description = "Text searched in name and description") String q,
            @Valid @BeanParam PageRequest page) {
        return schedules.list(enabled, q, page);
    }

    @Audited(action = "schedule.create", target = "schedule")
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Create a schedule", description = """
            Role: backup-admin. The cron is five-field Unix cron read in time_zone; the schedule fires first at its \
            first slot after now. The backup request is checked as POST /api/backups checks it.""")
    @RequestBody(
            required = true,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ScheduleRequest.class),
                            examples =
                                    @ExampleObject(
                                            name = "nightly",
                                            summary = "A nightly database backup, kept 7 days and 4 weeks",
                                            value = EXAMPLE)))
    @APIResponse(
            responseCode = "201",
            description = "Created: the schedule; Location points at it",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ScheduleView.class)))
    @APIResponse(
            responseCode = "400",
            description = "Invalid cron, time zone, duration or backup request",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "A schedule with this name exists",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response create(@Valid @NotNull ScheduleRequest request, @Context UriInfo uri) {
        ScheduleView s = schedules.create(request, user.subject());
        return Response.created(uri.getBaseUriBuilder()
                        .path("api/schedules")
                        .path(s.id().toString())
                        .build())
                .entity(s)
                .build();
    }

    @GET
    @Path("{id}")
    @RolesAllowed(Roles.VIEWER)
    @Operation(
            summary = "Get a schedule",
            description = "Role: backup-viewer. With its next 5 fire times, its "
                    + "newest backup, its last success and its effective overdue threshold.")
    @APIResponse(responseCode = "200", description = "The schedule")
    @APIResponse(
            responseCode = "404",
            description = "No such schedule",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public ScheduleView get(@PathParam("id") UUID id) {
        return schedules.get(id);
    }

    @Audited(action = "schedule.update", target = "schedule")
    @PUT
    @Path("{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Replace a schedule", description = """
            Role: backup-admin. Replaces every field (omitted ones take their defaults). A schedule whose cron, \
            zone and enabled state are unchanged keeps its pending slot; otherwise it fires first at its first slot \
            after now, and not at all while disabled.""")
    @RequestBody(
            required = true,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ScheduleRequest.class),
                            examples =
                                    @ExampleObject(
                                            name = "nightly",
                                            summary = "A nightly database backup, kept 7 days and 4 weeks",
                                            value = EXAMPLE)))
    @APIResponse(responseCode = "200", description = "The schedule as it is now")
    @APIResponse(
            responseCode = "400",
            description = "Invalid cron, time zone, duration or backup request",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "404",
            description = "No such schedule",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "Another schedule has this name",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public ScheduleView update(@PathParam("id") UUID id, @Valid @NotNull ScheduleRequest request) {
        return schedules.update(id, request);
    }

    @Audited(action = "schedule.delete", target = "schedule")
    @DELETE
    @Path("{id}")
    @RolesAllowed(Roles.ADMIN)
    @Operation(
            summary = "Delete a schedule",
            description = "Role: backup-admin. The backups it made stay; they " + "are no longer linked to it.")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(
            responseCode = "404",
            description = "No such schedule",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response delete(@PathParam("id") UUID id) {
        schedules.delete(id);
        return Response.noContent().build();
    }

    @Audited(action = "schedule.run", target = "schedule")
    @POST
    @Path("{id}/run")
    @RolesAllowed(Roles.OPERATOR)
    @Operation(summary = "Run a schedule now", description = """
            Role: backup-operator. Queues the schedule's backup now (trigger api, linked to the schedule), even \
            while the schedule is disabled; its cron slots are unaffected.""")
    @APIResponse(
            responseCode = "202",
            description = "Backup queued: the backup, its job, and links; Location is the backup",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = Accepted.BACKUP)))
    @APIResponse(
            responseCode = "400",
            description = "The schedule's backup no longer fits the configured sources",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "404",
            description = "No such schedule",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "A backup of this schedule is still queued or running",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public RestResponse<Accepted<BackupView>> run(@PathParam("id") UUID id, @Context UriInfo uri) {
        BackupView b = schedules.run(id, user.subject());
        return Accepted.response(uri, "api/backups", b.id(), b, jobs.get(b.jobId()));
    }
}
