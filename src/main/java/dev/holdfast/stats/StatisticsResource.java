package dev.holdfast.stats;

import dev.holdfast.api.Problem;
import dev.holdfast.api.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Backup statistics over HTTP (the seed's get_backup_statistics). */
@Path("/api/statistics")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Statistics", description = "The state of the backups at a glance")
@APIResponse(
        responseCode = "401",
        description = "Missing or invalid bearer token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(
        responseCode = "403",
        description = "The token lacks the required role",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class StatisticsResource {
    @Inject
    StatisticsService statistics;

    @GET
    @RolesAllowed(Roles.VIEWER)
    @Operation(
            summary = "Backup statistics",
            description = "Role: backup-viewer. Counts by status and type, total "
                    + "and per-source size, storage used and free, last success and last failure per source and per schedule "
                    + "(with whether the schedule is overdue), success rate over the last 7 and 30 days, average and p95 "
                    + "duration of the last 30 days.")
    @APIResponse(responseCode = "200", description = "The statistics")
    public Statistics get() {
        return statistics.statistics();
    }
}
