package dev.holdfast.job;

import jakarta.ws.rs.core.Response.Status;
import jakarta.ws.rs.core.UriBuilder;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * The one answer to every request that queues work (create, verify or run a backup, restore, roll back): 202, the
 * resource the work is about, the job that does it, and where to follow both. {@code Location} is the resource.
 *
 * @param <T> the resource's view (a backup, a restore)
 */
@Schema(description = "Work accepted: the resource it is about, the queued job, and where to follow them")
public record Accepted<T>(
        @Schema(required = true, description = "The resource the work is about, as GET on links.self returns it")
        T resource,

        @Schema(required = true, description = "The job that does the work, as GET /api/jobs/{id} returns it")
        JobView job,

        @Schema(required = true) Links links) {

    /**
     * The documented envelope of a queued backup. {@code OpenApiConventions} derives every {@code Accepted<Name>}
     * schema from this record's schema, with {@code resource} a {@code Name}.
     */
    public static final String BACKUP = "#/components/schemas/AcceptedBackup";

    /** The documented envelope of work that is only a job, such as a catalog import (see {@link #BACKUP}). */
    public static final String JOB = "#/components/schemas/AcceptedJob";

    /** The documented envelope of a queued restore (see {@link #BACKUP}). */
    public static final String RESTORE = "#/components/schemas/AcceptedRestoreOperation";

    /** Where to follow the resource and its job. */
    @Schema(name = "AcceptedLinks", description = "Where to follow the resource and its job")
    public record Links(
            @Schema(required = true, description = "The resource (also the Location header)")
            URI self,

            @Schema(required = true, description = "The job")
            URI job,

            @Schema(required = true, description = "The job's Server-Sent Events stream (state, progress, end)")
            URI events) {}

    /** A 202 response carrying this envelope, {@code Location} set to the resource at {@code resourcePath/id}. */
    public static <T> RestResponse<Accepted<T>> response(
            UriInfo uri, String resourcePath, UUID resourceId, T resource, JobView job) {
        return response(uri, resourcePath, resourceId, resource, job, false);
    }

    /**
     * As {@link #response(UriInfo, String, UUID, Object, JobView)}; a {@code replayed} answer (a repeated
     * Idempotency-Key) also carries {@code Idempotent-Replayed: true}.
     */
    public static <T> RestResponse<Accepted<T>> response(
            UriInfo uri, String resourcePath, UUID resourceId, T resource, JobView job, boolean replayed) {
        URI self = path(uri).path(resourcePath).path(resourceId.toString()).build();
        URI jobUri = path(uri).path("api/jobs").path(job.id().toString()).build();
        URI events = path(uri)
                .path("api/jobs")
                .path(job.id().toString())
                .path("events")
                .build();
        RestResponse.ResponseBuilder<Accepted<T>> b = RestResponse.ResponseBuilder.create(
                        Status.ACCEPTED, new Accepted<>(resource, job, new Links(self, jobUri, events)))
                .location(self);
        if (replayed) {
            b.header(IdempotencyKeys.REPLAYED, "true");
        }
        return b.build();
    }

    private static UriBuilder path(UriInfo uri) {
        return uri.getBaseUriBuilder();
    }
}
