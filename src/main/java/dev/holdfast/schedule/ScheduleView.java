package dev.holdfast.schedule;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.holdfast.backup.BackupRequest;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.notify.NotificationSettings;
import dev.holdfast.retention.RetentionPolicy;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A schedule as the API shows it: what it is, when it fires next, and how its last runs went. */
@Schema(name = "Schedule", description = "A backup schedule")
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ScheduleView(
        @Schema(required = true) UUID id,
        @Schema(required = true) String name,
        String description,

        @Schema(required = true, description = "Five-field Unix cron expression")
        String cron,

        @Schema(required = true, description = "IANA time zone the cron is read in")
        String timeZone,

        @Schema(required = true) boolean enabled,

        @Schema(required = true, description = "The backup each run creates")
        BackupRequest backup,

        @Schema(description = "Retention applied after each run; null: the global policy only")
        RetentionPolicy retention,

        @Schema(description = "Notification settings; null: the global ones")
        NotificationSettings notifications,

        @Schema(
                required = true,
                description = "Effective overdue threshold in seconds: as given, or (alert_after_derived) twice the "
                        + "longest gap between the next runs plus the missed-run grace period")
        long alertAfterSeconds,

        @Schema(
                required = true,
                description = "True when alert_after_seconds was derived from the cron rather than given")
        boolean alertAfterDerived,

        @Schema(description = "When the schedule fires next, in its zone; null while disabled")
        OffsetDateTime nextRunAt,

        @Schema(required = true, description = "The next 5 fire times, in the schedule's zone; empty while disabled")
        List<OffsetDateTime> nextRuns,

        @Schema(description = "When the cron last queued a backup (run now does not count)")
        OffsetDateTime lastFiredAt,

        @Schema(description = "The newest backup this schedule made (cron or run now)")
        LastBackup lastBackup,

        @Schema(description = "When a backup of this schedule last succeeded")
        OffsetDateTime lastSuccessAt,

        @Schema(required = true) OffsetDateTime createdAt,
        @Schema(required = true) OffsetDateTime updatedAt,
        String createdBy,

        @Schema(required = true, description = "Changes with every update and every run; for clients that track edits")
        int version) {

    /** The newest backup of a schedule. */
    @Schema(name = "ScheduleLastBackup")
    public record LastBackup(UUID id, BackupStatus status, OffsetDateTime finishedAt) {}
}
