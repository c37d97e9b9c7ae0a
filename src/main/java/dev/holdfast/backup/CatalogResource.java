package dev.holdfast.backup;

import dev.holdfast.api.Problem;
import dev.holdfast.api.Roles;
import dev.holdfast.audit.Audited;
import dev.holdfast.job.Accepted;
import dev.holdfast.job.JobService;
import dev.holdfast.job.JobView;
import dev.holdfast.security.CurrentUser;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;

/** The catalog as a whole: rebuilding it from the archives in storage. */
@Path("/api/catalog")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Catalog", description = "Rebuild the catalog from storage")
public class CatalogResource {
    @Inject
    JobService jobs;

    @Inject
    CurrentUser user;

    /** What an import is asked to do. */
    @Schema(name = "CatalogImportRequest", description = "How to register the backups found in storage")
    public record ImportRequest(
            @Schema(
                    description = "Register the imported backups as protected (default true), so that "
                            + "retention deletes none of them before someone has looked")
            Boolean protect) {}

    @Audited(action = "catalog.import", target = "job")
    @POST
    @Path("import")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Rebuild the catalog from storage", description = """
            Role: backup-admin. Queues a job that lists every archive in storage, verifies each one the catalog \
            lacks (every entry's SHA-256 and the manifest's), and registers it as a SUCCEEDED backup with what \
            its manifest records: name, type, sources, summary, description, options, trigger, creator, and its \
            schedule when a schedule of that id or name exists. Backups the catalog knows are left alone, so \
            running it twice adds nothing. The job's result lists the imported ids and every archive that \
            could not be imported, with the reason.""")
    @RequestBody(
            required = false,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ImportRequest.class),
                            examples =
                                    @ExampleObject(
                                            name = "protected",
                                            summary = "Import, and keep every imported backup from retention",
                                            value = "{\"protect\": true}")))
    @APIResponse(
            responseCode = "202",
            description = "Import queued: the job (as resource and as job), and links; Location is the job",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = Accepted.JOB)))
    @APIResponse(
            responseCode = "400",
            description = "Invalid request",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public RestResponse<Accepted<JobView>> importFromStorage(@Valid ImportRequest request, @Context UriInfo uri) {
        boolean protect = request == null || request.protect() == null || request.protect();
        JobView job = jobs.get(jobs.enqueue(
                        CatalogImportJobHandler.TYPE,
                        new CatalogImportJobHandler.Payload(protect),
                        CatalogImportJobHandler.TYPE,
                        user.subject())
                .id);
        return Accepted.response(uri, "api/jobs", job.id(), job, job);
    }
}
