package dev.holdfast.retention;

import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** What a retention run deleted, how many backups it kept, and which deletions failed. */
@Schema(description = "Outcome of a retention run")
public record RetentionResult(
        @Schema(description = "The policy applied") RetentionPolicy policy,

        @Schema(description = "request (ad-hoc), schedule, or global")
        String policySource,

        @Schema(description = "The schedule whose backups were in scope; null: the global scope")
        UUID scheduleId,

        @Schema(description = "Backups deleted (archive, then catalog entry)")
        List<Deleted> deleted,

        @Schema(description = "Backups in scope that were kept")
        int kept,

        @Schema(description = "Deletions refused or failed (e.g. protected or put in use meanwhile)")
        List<Failure> failures) {

    /** A deleted backup and why it went. */
    @Schema(name = "RetentionDeleted")
    public record Deleted(UUID id, String name, String reason) {}

    /** A deletion that did not happen. */
    @Schema(name = "RetentionFailure")
    public record Failure(UUID id, String name, String error) {}
}
