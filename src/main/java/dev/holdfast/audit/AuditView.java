package dev.holdfast.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One audit event as the API shows it. */
@Schema(description = "Who did what to which object, when, and how it ended")
public record AuditView(
        @Schema(required = true) long id,
        @Schema(required = true) OffsetDateTime at,

        @Schema(required = true, description = "Token subject, or 'system' for work the service did on its own")
        String actorSubject,

        @Schema(description = "Display name from the token (preferred_username or name)")
        String actorName,

        @Schema(
                required = true,
                description =
                        "e.g. backup.create, backup.delete, restore.rollback, schedule.update, " + "retention.delete")
        String action,

        @Schema(description = "backup, restore, job, schedule or retention")
        String targetType,

        String targetId,

        @Schema(
                required = true,
                description =
                        "ACCEPTED (queued as a job), SUCCEEDED, REFUSED (4xx: invalid or conflicting) " + "or FAILED")
        String outcome,

        @Schema(description = "The request body, the error, the job queued, what retention kept it for")
        JsonNode details) {

    static AuditView of(AuditEvent e) {
        return new AuditView(
                e.id, e.at, e.actorSubject, e.actorName, e.action, e.targetType, e.targetId, e.outcome, e.details);
    }
}
