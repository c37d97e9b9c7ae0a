package dev.holdfast.job;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A job as the API shows it. Payload and result stay free-form maps: each job type has its own (a backup id, a
 * restore id, a verification's counts), they are the queue's business rather than a domain record's, and the
 * typed records are the backup and restore views the ids lead to.
 */
@Schema(name = "Job", description = "A background job in the durable queue")
public record JobView(
        @Schema(required = true) UUID id,

        @Schema(required = true, description = "Job type, e.g. backup, verify, restore")
        String type,

        @Schema(required = true, description = "QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED")
        JobState state,

        @Schema(required = true, description = "Options the job was queued with, as its type defines them")
        Map<String, Object> payload,

        @Schema(description = "Jobs with the same key never run at once (e.g. restore:db:default)")
        String resourceKey,

        @Schema(required = true, description = "Starts so far")
        int attempts,

        @Schema(required = true, description = "Most starts allowed (more than 1 only for types safe to repeat)")
        int maxAttempts,

        @Schema(required = true) OffsetDateTime queuedAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,
        @Schema(description = "Instance running the job") String ownerInstance,
        OffsetDateTime heartbeatAt,
        OffsetDateTime leaseExpiresAt,
        @Schema(required = true) boolean cancelRequested,
        Progress progress,

        @Schema(required = true, description = "Increases with every change; the SSE event id")
        long seq,

        @Schema(description = "What the job produced, when it succeeded, as its type defines it")
        Map<String, Object> result,

        @Schema(description = "Why the job failed or was cancelled")
        String error,

        @Schema(description = "Subject of the token that queued it, or 'scheduler'")
        String createdBy,

        @Schema(description = "While the running job is stalled: the watchdog's report (see the SSE event 'stalled')")
        JobStall stall) {

    private static final TypeReference<Map<String, Object>> FREE_FORM = new TypeReference<>() {};

    /** The view of a queue row, its jsonb columns read with the application's mapper. */
    static JobView of(Job j, ObjectMapper mapper) {
        return new JobView(
                j.id,
                j.type,
                j.state,
                map(mapper, j.payload),
                j.resourceKey,
                j.attempts,
                j.maxAttempts,
                j.queuedAt,
                j.startedAt,
                j.finishedAt,
                j.ownerInstance,
                j.heartbeatAt,
                j.leaseExpiresAt,
                j.cancelRequested,
                j.progress == null || j.progress.isNull() ? null : mapper.convertValue(j.progress, Progress.class),
                j.progressSeq,
                map(mapper, j.result),
                j.error,
                j.createdBy,
                j.state == JobState.RUNNING && j.stall != null && !j.stall.isNull()
                        ? mapper.convertValue(j.stall, JobStall.class)
                        : null);
    }

    private static Map<String, Object> map(ObjectMapper mapper, JsonNode json) {
        return json == null || json.isNull() ? null : mapper.convertValue(json, FREE_FORM);
    }
}
