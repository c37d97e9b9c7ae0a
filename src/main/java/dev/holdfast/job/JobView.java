package dev.holdfast.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A job as the API shows it. */
@Schema(name = "Job", description = "A background job in the durable queue")
public record JobView(
        UUID id,
        @Schema(description = "Job type, e.g. backup, verify, restore") String type,
        @Schema(description = "QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED") JobState state,
        @Schema(description = "Options the job was queued with") JsonNode payload,
        @Schema(description = "Jobs with the same key never run at once (e.g. restore:db:default)") String resourceKey,
        @Schema(description = "Starts so far") int attempts,
        @Schema(description = "Most starts allowed (more than 1 only for types safe to repeat)") int maxAttempts,
        OffsetDateTime queuedAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,
        @Schema(description = "Instance running the job") String ownerInstance,
        OffsetDateTime heartbeatAt,
        OffsetDateTime leaseExpiresAt,
        boolean cancelRequested,
        @Schema(implementation = Progress.class) JsonNode progress,
        @Schema(description = "Increases with every change; the SSE event id") long seq,
        @Schema(description = "What the job produced, when it succeeded") JsonNode result,
        @Schema(description = "Why the job failed or was cancelled") String error,
        @Schema(description = "Subject of the token that queued it, or 'scheduler'") String createdBy) {

    static JobView of(Job j) {
        return new JobView(j.id, j.type, j.state, j.payload, j.resourceKey, j.attempts, j.maxAttempts, j.queuedAt,
                j.startedAt, j.finishedAt, j.ownerInstance, j.heartbeatAt, j.leaseExpiresAt, j.cancelRequested,
                j.progress, j.progressSeq, j.result, j.error, j.createdBy);
    }
}
