package dev.holdfast.restore;

import dev.holdfast.api.Problem;
import dev.holdfast.api.Roles;
import dev.holdfast.audit.Audited;
import dev.holdfast.job.Accepted;
import dev.holdfast.job.IdempotencyKeys;
import dev.holdfast.job.JobService;
import dev.holdfast.security.CurrentUser;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
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

/**
 * Creating a restore over HTTP ({@code POST /api/backups/{id}/restore}), which lives in restore/ so that backup/
 * does not depend on restore/.
 *
 * <p>A class of its own rather than a method of {@link RestoreResource}: its URL is under /api/backups, and a
 * JAX-RS method cannot leave its class's path. It keeps the "Backups" tag it has always had in the OpenAPI document.
 */
@Path("/api/backups/{id}/restore")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Backups", description = "Full, database and media backups")
@APIResponse(
        responseCode = "401",
        description = "Missing or invalid bearer token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(
        responseCode = "403",
        description = "The token lacks the required role",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class BackupRestoreResource {
    @Inject
    IdempotencyKeys idempotency;

    @Inject
    RestoreService restores;

    @Inject
    CurrentUser user;

    @Inject
    JobService jobs;

    @Audited(action = "restore.create", target = "backup")
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Restore a backup", description = """
            Role: backup-admin. Queues a restore (202 with the RestoreOperation and its job). Restores run one at \
            a time: a second one waits in the queue until the first has ended. Every database is restored in one \
            transaction and validated (row counts against the manifest, foreign keys, sequences) before it \
            commits; media roots are extracted to staging, verified, then swapped in. Unless create_pre_backup \
            is false, what the restore will change is backed up first, and POST /api/restores/{id}/rollback \
            puts it back.""")
    @RequestBody(
            required = false,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = RestoreRequest.class),
                            examples = {
                                @ExampleObject(
                                        name = "dry-run",
                                        summary = "Check what a clean restore would do, change nothing",
                                        value = """
                                                {"restore_mode": "clean", "dry_run": true}"""),
                                @ExampleObject(
                                        name = "tables",
                                        summary = "Put the users back, and the rows that reference them",
                                        value = """
                                                {"restore_mode": "replace", "databases": ["app"], \
                                                "tables": ["public.auth_user"], "include_referencing": true, \
                                                "include_media": false}""")
                            }))
    @APIResponse(
            responseCode = "202",
            description = "Restore queued: the restore, its job, and links; Location is the restore",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = Accepted.RESTORE)))
    @APIResponse(
            responseCode = "400",
            description = "Invalid options",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "404",
            description = "No such backup",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "The backup has no archive (not SUCCEEDED), or a target holds"
                    + " data that no pre-restore backup can cover (it is no configured source) and create_pre_backup is not"
                    + " false",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "422",
            description = "The Idempotency-Key was used for a different request within its lifetime",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public RestResponse<Accepted<RestoreView>> restore(
            @PathParam("id") UUID id,
            @Valid RestoreRequest request,
            @HeaderParam(IdempotencyKeys.HEADER)
                    @Parameter(
                            description = "Makes a retry safe: a repeat with the same key (and the same backup and"
                                    + " body) within holdfast.api.idempotency-key-ttl answers the first request's"
                                    + " restore and job, with Idempotent-Replayed: true, instead of restoring again")
                    String idempotencyKey,
            @Context UriInfo uri) {
        RestoreRequest req = request == null
                ? new RestoreRequest(
                        null, null, null, null, null, null, null, null, null, null, null, null, null, null, null)
                : request;
        IdempotencyKeys.Outcome o = idempotency.once(idempotencyKey, "restore:" + id, user.subject(), req, () -> {
            RestoreView r = restores.create(id, req, user.subject(), null);
            return new IdempotencyKeys.Outcome(r.id(), r.jobId(), false);
        });
        return Accepted.response(
                uri, "api/restores", o.resourceId(), restores.get(o.resourceId()), jobs.get(o.jobId()), o.replayed());
    }
}
