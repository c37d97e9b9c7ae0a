package dev.holdfast.drill;

import dev.holdfast.api.PageRequest;
import dev.holdfast.api.Problem;
import dev.holdfast.api.Roles;
import dev.holdfast.audit.Audited;
import dev.holdfast.job.Accepted;
import dev.holdfast.job.JobService;
import dev.holdfast.security.CurrentUser;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
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

/** Restore drills over HTTP: run one now, list and inspect them, statistics per source. */
@Path("/api/drills")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Drills", description = "Restores of the latest backups into scratch databases, validated and timed")
@APIResponse(
        responseCode = "401",
        description = "Missing or invalid bearer token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(
        responseCode = "403",
        description = "The token lacks the required role",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class DrillResource {
    /** The documented envelope of a queued drill (see {@link Accepted#BACKUP}). */
    static final String ACCEPTED_DRILL = "#/components/schemas/AcceptedDrill";

    @Inject
    DrillService drills;

    @Inject
    JobService jobs;

    @Inject
    CurrentUser user;

    @GET
    @RolesAllowed(Roles.VIEWER)
    @Operation(
            summary = "List drills",
            description = "Role: backup-viewer. Newest first by default; sort fields: created_at, finished_at, status.")
    @APIResponse(responseCode = "200", description = "A page of drills")
    @APIResponse(
            responseCode = "400",
            description = "Invalid filter, paging or sort parameter",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public PageRequest.Page<DrillView> list(
            @QueryParam("source") @Parameter(description = "Only drills of this database source") String source,
            @QueryParam("status") @Parameter(description = "Only drills in this status") DrillStatus status,
            @Valid @BeanParam PageRequest page) {
        return drills.list(source, status, page);
    }

    @GET
    @Path("statistics")
    @RolesAllowed(Roles.VIEWER)
    @Operation(
            summary = "Drill statistics per source",
            description = "Role: backup-viewer. Per configured database source (and any drilled before, and any source"
                    + " with recovery objectives): the last drill, last success and failure, the recovery time measured"
                    + " and its trend, and the source's RPO and RTO objectives against the measured values.")
    @APIResponse(responseCode = "200", description = "One entry per source, by name")
    public List<DrillStatistics> statistics() {
        return drills.statistics();
    }

    @GET
    @Path("{id}")
    @RolesAllowed(Roles.VIEWER)
    @Operation(
            summary = "Get a drill",
            description = "Role: backup-viewer. With per table the rows expected and found, and every check.")
    @APIResponse(responseCode = "200", description = "The drill")
    @APIResponse(
            responseCode = "404",
            description = "No such drill",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public DrillView get(@PathParam("id") UUID id) {
        return drills.get(id);
    }

    @Audited(action = "drill.create", target = "drill")
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(
            summary = "Run a drill now",
            description = "Role: backup-operator. Restores the source's latest successful backup (or backup_id) into"
                    + " a scratch database, validates it and drops it. Drills on one server run one at a time and"
                    + " never wait for, or hold up, restores.")
    @APIResponse(
            responseCode = "202",
            description = "Drill queued: the drill, its job, and links; Location is the drill",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = ACCEPTED_DRILL)))
    @APIResponse(
            responseCode = "400",
            description = "Unknown source, or no successful backup of it",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @RequestBody(
            required = true,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = DrillRequest.class),
                            examples = {
                                @ExampleObject(
                                        name = "latest",
                                        summary = "Drill the latest successful backup of source app",
                                        value = """
                                                {"source": "app"}""")
                            }))
    public RestResponse<Accepted<DrillView>> run(@NotNull @Valid DrillRequest req, @Context UriInfo uri) {
        DrillView d = drills.create(req.source(), req.backupId(), "manual", user.subject());
        return Accepted.response(uri, "api/drills", d.id(), d, jobs.get(d.jobId()));
    }
}
