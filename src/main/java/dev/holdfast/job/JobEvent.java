package dev.holdfast.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A change of a job's state or progress, as broadcast to every instance over PostgreSQL
 * NOTIFY and sent to SSE clients as a {@code progress} event.
 */
@Schema(description = "A state or progress change of a job (SSE event 'progress')")
public record JobEvent(
        @Schema(required = true, description = "The job") UUID jobId,

        @Schema(
                required = true,
                description = "Increases with every change of the job; SSE clients may use it to order events")
        long seq,

        @Schema(required = true, description = "State after the change")
        JobState state,

        @Schema(required = true, description = "Whether a cancellation is pending")
        boolean cancelRequested,

        @Schema(implementation = Progress.class, description = "Progress snapshot")
        JsonNode progress) {}
