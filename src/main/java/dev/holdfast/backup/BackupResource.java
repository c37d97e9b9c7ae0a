package dev.holdfast.backup;

import dev.holdfast.api.ApiException;
import dev.holdfast.api.PageRequest;
import dev.holdfast.api.Problem;
import dev.holdfast.api.Roles;
import dev.holdfast.audit.Audited;
import dev.holdfast.job.Accepted;
import dev.holdfast.job.IdempotencyKeys;
import dev.holdfast.job.JobEvent;
import dev.holdfast.job.JobEventStream;
import dev.holdfast.job.JobService;
import dev.holdfast.job.JobView;
import dev.holdfast.security.CurrentUser;
import dev.holdfast.storage.ArchiveStorage;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestResponse;

/** The backup catalog over HTTP: create, list, inspect, follow, verify, download and delete. */
@Path("/api/backups")
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
public class BackupResource {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
    private static final Logger LOG = Logger.getLogger(BackupResource.class);

    /** The response stream, noting whether a write failed (the client went away) and how much was sent. */
    private static final class ClientStream extends FilterOutputStream {
        boolean gone;
        long written;

        ClientStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
                written += len;
            } catch (IOException | RuntimeException e) {
                gone = true;
                throw e instanceof IOException io ? io : new IOException(e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                gone = true;
                throw e;
            }
        }
    }

    @Inject
    BackupService backups;

    @Inject
    BackupCopies copies;

    @Inject
    IdempotencyKeys idempotency;

    @Inject
    JobEventStream events;

    @Inject
    ArchiveStorage storage;

    @Inject
    CurrentUser user;

    @Inject
    TableSelectionCheck tableCheck;

    @Inject
    JobService jobs;

    @Audited(action = "backup.create", target = "backup")
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(summary = "Create a backup", description = """
            Role: backup-operator. Records the backup and queues its job; the response is immediate. Follow it \
            with GET /api/backups/{id}/progress. The backup is SUCCEEDED only once its archive is durably \
            stored and every checksum was re-read and verified.""")
    @RequestBody(
            required = false,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = BackupRequest.class),
                            examples = {
                                @ExampleObject(
                                        name = "database",
                                        summary = "One database, without its session table",
                                        value = """
                                                {"name": "before-release-42", "backup_type": "database", \
                                                "databases": ["app"], "exclude_tables": ["django_session"]}"""),
                                @ExampleObject(
                                        name = "full",
                                        summary = "Every database and media root (the same as no body)",
                                        value = """
                                                {"backup_type": "full", "description": "weekly, by hand"}""")
                            }))
    @APIResponse(
            responseCode = "202",
            description = "Backup queued: the backup, its job, and links; Location is the backup",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = Accepted.BACKUP)))
    @APIResponse(
            responseCode = "400",
            description = "Invalid request (unknown source, bad option)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "413",
            description = "Request body too large",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "422",
            description = "The Idempotency-Key was used for a different request within its lifetime",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public RestResponse<Accepted<BackupView>> create(
            @Valid BackupRequest request,
            @HeaderParam(IdempotencyKeys.HEADER)
                    @Parameter(
                            description = "Makes a retry safe: a repeat with the same key (and the same body) within"
                                    + " holdfast.api.idempotency-key-ttl answers the first request's backup and job,"
                                    + " with Idempotent-Replayed: true, instead of starting another backup")
                    String idempotencyKey,
            @Context UriInfo uri) {
        BackupRequest req = request == null
                ? new BackupRequest(
                        null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null)
                : request;
        tableCheck.check(req);
        IdempotencyKeys.Outcome o = idempotency.once(idempotencyKey, "backup.create", user.subject(), req, () -> {
            BackupView b = backups.create(req, user.subject());
            return new IdempotencyKeys.Outcome(b.id(), b.jobId(), false);
        });
        return Accepted.response(
                uri, "api/backups", o.resourceId(), backups.get(o.resourceId()), jobs.get(o.jobId()), o.replayed());
    }

    @GET
    @RolesAllowed(Roles.VIEWER)
    @Operation(summary = "List backups", description = """
            Role: backup-viewer. Newest first by default. Sort fields: created_at, finished_at, name, status, \
            size_bytes, backup_type.""")
    @APIResponse(responseCode = "200", description = "A page of backups")
    @APIResponse(
            responseCode = "400",
            description = "Invalid filter, paging or sort parameter",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public PageRequest.Page<BackupView> list(
            @QueryParam("status") @Parameter(description = "Only backups in this status") BackupStatus status,
            @QueryParam("type") @Parameter(description = "full, database or media") BackupType type,
            @QueryParam("source") @Parameter(description = "Only backups covering this source") String source,
            @QueryParam("created_from") @Parameter(description = "Created at or after (ISO-8601)") OffsetDateTime from,
            @QueryParam("created_to") @Parameter(description = "Created before (ISO-8601)") OffsetDateTime to,
            @QueryParam("q") @Parameter(description = "Text searched in name and description") String q,
            @QueryParam("schedule_id") @Parameter(description = "Only backups this schedule created") UUID scheduleId,
            @QueryParam("trigger") @Parameter(description = "Only backups from api, schedule, pre-restore or cli")
                    String trigger,
            @QueryParam("copy_status")
                    @Parameter(
                            description = "Only backups with a copy in this state in some named storage, e.g. FAILED:"
                                    + " the backups that lack a copy they asked for")
                    BackupCopy.Status copyStatus,
            @Valid @BeanParam PageRequest page) {
        if (trigger != null
                && !trigger.isBlank()
                && !List.of("api", "schedule", "pre-restore", "cli").contains(trigger)) {
            throw ApiException.BadRequest.field(
                    "trigger", "'" + trigger + "' is not one of [api, schedule, pre-restore, cli]");
        }
        return backups.list(
                new BackupService.Filter(
                        status,
                        type,
                        source,
                        from,
                        to,
                        q,
                        scheduleId,
                        trigger == null || trigger.isBlank() ? null : trigger,
                        copyStatus),
                page);
    }

    @GET
    @Path("{id}")
    @RolesAllowed(Roles.VIEWER)
    @Operation(summary = "Get a backup", description = """
            Role: backup-viewer. With the manifest summary: per database the tables in restore order, rows, \
            raw and stored sizes, codecs and SHA-256, FK cycles, warnings, tool versions and duration.""")
    @APIResponse(responseCode = "200", description = "The backup")
    @APIResponse(
            responseCode = "404",
            description = "No such backup",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public BackupView get(@PathParam("id") UUID id) {
        return backups.get(id);
    }

    @Audited(action = "backup.delete", target = "backup")
    @DELETE
    @Path("{id}")
    @RolesAllowed(Roles.ADMIN)
    @Operation(
            summary = "Delete a backup",
            description = "Role: backup-admin. Removes the archive, then the catalog entry. Refused (409) while an"
                    + " incremental backup refers to file contents this one's archive holds (its referenced_backups"
                    + " names this one): delete those first, newest first.")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(
            responseCode = "404",
            description = "No such backup",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "The backup is protected, queued, running, used by a restore or holds contents an"
                    + " incremental backup refers to",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response delete(@PathParam("id") UUID id) {
        backups.delete(id);
        return Response.noContent().build();
    }

    @Audited(action = "backup.protect", target = "backup")
    @PUT
    @Path("{id}/protection")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Protect or unprotect a backup", description = """
            Role: backup-admin. A protected backup is never deleted: retention keeps it whatever the policy, and \
            DELETE answers 409 until the protection is lifted.""")
    @RequestBody(
            required = true,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ProtectionRequest.class),
                            examples =
                                    @ExampleObject(
                                            name = "protect",
                                            summary = "Keep it whatever retention says",
                                            value = "{\"protected\": true}")))
    @APIResponse(responseCode = "200", description = "The backup")
    @APIResponse(
            responseCode = "400",
            description = "protected is missing or not a boolean",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "404",
            description = "No such backup",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public BackupView protect(@PathParam("id") UUID id, ProtectionRequest body) {
        if (body == null || body.isProtected() == null) {
            throw ApiException.BadRequest.field("protected", "is required: true or false");
        }
        return backups.setProtection(id, body.isProtected());
    }

    @Audited(action = "backup.verify", target = "backup")
    @POST
    @Path("{id}/verify")
    @RolesAllowed(Roles.OPERATOR)
    @Operation(summary = "Verify a backup", description = """
            Role: backup-operator. Queues a job that re-reads the archive and checks every entry's SHA-256, the \
            manifest's checksum and the archive's SHA-256; the outcome and each failing entry are recorded on \
            the backup (verified_at, verify_ok, verify_failures).""")
    @APIResponse(
            responseCode = "202",
            description = "Verification queued: the backup, the verify job, and links; Location is the backup",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = Accepted.BACKUP)))
    @APIResponse(
            responseCode = "404",
            description = "No such backup",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "The backup has no archive (not SUCCEEDED)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public RestResponse<Accepted<BackupView>> verify(@PathParam("id") UUID id, @Context UriInfo uri) {
        JobView job = backups.verify(id, user.subject());
        return Accepted.response(uri, "api/backups", id, backups.get(id), job);
    }

    @Audited(action = "backup.copy", target = "backup")
    @POST
    @Path("{id}/copies")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(summary = "Copy a backup to another storage", description = """
            Role: backup-operator. Queues a job that streams the archive from the primary storage to the named one             (holdfast.storage."<name>".*), reads the copy back there and checks its SHA-256 against the backup's;             the outcome is recorded in the backup's copies. Also the way to try a FAILED copy again. A backup             asks for copies when it is created with copy_to (a schedule's backup too).""")
    @RequestBody(
            required = true,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = CopyRequest.class),
                            examples =
                                    @ExampleObject(
                                            name = "offsite",
                                            summary = "Copy to the storage named offsite",
                                            value = "{\"storage\": \"offsite\"}")))
    @APIResponse(
            responseCode = "202",
            description = "Copy queued: the backup (its copies list the new one as QUEUED), the copy job, and"
                    + " links; Location is the backup",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = Accepted.BACKUP)))
    @APIResponse(
            responseCode = "400",
            description = "storage is missing, unknown, or the primary one",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "404",
            description = "No such backup",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "The backup has no archive (not SUCCEEDED), or a copy to that storage is queued or running",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public RestResponse<Accepted<BackupView>> copy(
            @PathParam("id") UUID id, @Valid CopyRequest body, @Context UriInfo uri) {
        UUID job = copies.request(id, body == null ? null : body.storage(), user.subject());
        return Accepted.response(uri, "api/backups", id, backups.get(id), jobs.get(job));
    }

    @GET
    @Path("{id}/progress")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RolesAllowed(Roles.VIEWER)
    @Blocking
    @Operation(summary = "Follow a backup live (Server-Sent Events)", description = """
            Role: backup-viewer. The event stream of the backup's job, as GET /api/jobs/{id}/events: `state`, \
            then `progress` (phase snapshot/copy/store/verify, bytes and tables done and total against the \
            catalog's size estimate, current table, ETA), then `end`.""")
    @APIResponse(
            responseCode = "200",
            description = "The backup job's event stream",
            content =
                    @Content(
                            mediaType = MediaType.SERVER_SENT_EVENTS,
                            schema = @Schema(implementation = JobEvent.class)))
    @APIResponse(
            responseCode = "404",
            description = "No such backup",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Multi<OutboundSseEvent> progress(@PathParam("id") UUID id, @Context Sse sse) {
        return events.stream(backups.jobOf(id), sse);
    }

    @Audited(action = "backup.download", target = "backup")
    @GET
    @Path("{id}/download")
    @Produces({"application/x-tar", MediaType.APPLICATION_JSON})
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Download a backup's archive", description = """
            Role: backup-admin. Streams the archive as stored (a tar, see docs/archive-format.md; for an encrypted \
            backup, encrypted_to set, the age file unchanged: decrypt it with age -d -i key.txt) with \
            Content-Length, the SHA-256 of the stored bytes in the Digest and X-Holdfast-SHA256 headers, and \
            single Range requests (206).""")
    @APIResponse(
            responseCode = "200",
            description = "The archive",
            content =
                    @Content(
                            mediaType = "application/x-tar",
                            schema = @Schema(type = SchemaType.STRING, format = "binary")))
    @APIResponse(
            responseCode = "206",
            description = "The requested byte range (Content-Range says which)",
            content =
                    @Content(
                            mediaType = "application/x-tar",
                            schema = @Schema(type = SchemaType.STRING, format = "binary")))
    @APIResponse(
            responseCode = "404",
            description = "No such backup",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "The backup has no archive (not SUCCEEDED)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "416",
            description = "Range not satisfiable",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response download(@PathParam("id") UUID id, @HeaderParam("Range") String range) throws Exception {
        BackupView b = backups.get(id);
        if (b.status() != BackupStatus.SUCCEEDED) {
            throw new BackupNotStored("Backup " + id + " is " + b.status() + " and has no archive");
        }
        String key = backups.storageKeyOf(id);
        long size = storage.size(key);
        long start = 0;
        long end = size - 1;
        boolean partial = false;
        if (range != null && !range.isBlank()) {
            Matcher m = RANGE.matcher(range.trim());
            if (m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
                if (m.group(1).isEmpty()) {
                    start = Math.max(0, size - Long.parseLong(m.group(2)));
                } else {
                    start = Long.parseLong(m.group(1));
                    if (!m.group(2).isEmpty()) {
                        end = Math.min(end, Long.parseLong(m.group(2)));
                    }
                }
                if (start >= size || start > end) {
                    return Response.status(416)
                            .type(Problem.MEDIA_TYPE)
                            .header("Content-Range", "bytes */" + size)
                            .entity(new Problem(
                                    "https://holdfast.dev/problems/range-not-satisfiable",
                                    "Range not satisfiable",
                                    416,
                                    "The archive has " + size + " bytes; asked for " + range,
                                    "/api/backups/" + id + "/download",
                                    java.util.List.of()))
                            .build();
                }
                partial = true;
            } // other forms (several ranges) are answered with the whole archive, as RFC 9110 allows
        }
        long from = start;
        long length = end - start + 1;
        StreamingOutput body = out -> {
            ClientStream client = new ClientStream(out);
            try (InputStream in = storage.open(key, from, length)) {
                in.transferTo(client);
            } catch (IOException e) {
                if (!client.gone) {
                    throw e; // the archive could not be read: a real failure
                }
                // A client that hangs up mid-download is ordinary (a cancelled transfer, a Range probe).
                LOG.debugf(
                        "Download of backup %s ended by the client after %d of %d bytes: %s",
                        id, client.written, length, e.getMessage());
            }
        };
        String filename = b.name().replaceAll("[^A-Za-z0-9._-]", "_") + "-" + id + ".tar";
        Response.ResponseBuilder r = Response.status(partial ? 206 : 200)
                .entity(body)
                .type("application/x-tar")
                .header("Content-Length", length)
                .header("Accept-Ranges", "bytes")
                .header("Content-Disposition", "attachment; filename=\"" + filename + "\"")
                .header("X-Holdfast-SHA256", b.sha256())
                .header(
                        "Digest",
                        "sha-256="
                                + Base64.getEncoder()
                                        .encodeToString(HexFormat.of().parseHex(b.sha256())))
                .header("ETag", "\"" + b.sha256() + "\"");
        if (partial) {
            r.header("Content-Range", "bytes " + start + "-" + end + "/" + size);
        }
        return r.build();
    }
}
