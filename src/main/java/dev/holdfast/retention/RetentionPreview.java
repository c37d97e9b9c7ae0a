package dev.holdfast.retention;

import dev.holdfast.backup.BackupStatus;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** What a retention policy would keep and delete, backup by backup; computing it changes nothing. */
@Schema(description = "What a retention run would do now: every backup in scope with its decision and reasons")
public record RetentionPreview(
        @Schema(description = "The policy applied") RetentionPolicy policy,

        @Schema(
                description =
                        "Where the policy came from: request (ad-hoc), schedule, or global " + "(holdfast.retention.*)")
        String policySource,

        @Schema(
                description =
                        "The schedule whose backups are in scope; null: every backup no schedule policy " + "covers")
        UUID scheduleId,

        @Schema(description = "Time zone of the day, week, month and year buckets", example = "UTC")
        String timeZone,

        @Schema(description = "The instant ages are measured from")
        OffsetDateTime now,

        @Schema(description = "Backups kept") int keep,

        @Schema(description = "Backups that would be deleted")
        int delete,

        @Schema(description = "Every backup in scope, newest first")
        List<Item> backups) {

    /** One backup's decision. */
    @Schema(name = "RetentionItem", description = "One backup: keep or delete, and why")
    public record Item(
            UUID id,
            String name,
            OffsetDateTime createdAt,
            BackupStatus status,
            RetentionPlanner.Group group,
            RetentionPlanner.Decision decision,

            @Schema(
                    description = "Every rule that keeps it (keep_last 3, daily 2026-11-20, weekly 2026-W47, "
                            + "monthly 2026-11, yearly 2026, within 7d, max_age 30d, newest verified backup of app, "
                            + "protected, ...), or why it goes (no rule keeps it)")
            List<String> reasons) {}
}
