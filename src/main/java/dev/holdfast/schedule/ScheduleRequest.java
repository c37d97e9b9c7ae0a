package dev.holdfast.schedule;

import dev.holdfast.backup.BackupRequest;
import dev.holdfast.notify.NotificationSettings;
import dev.holdfast.retention.RetentionPolicy;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A schedule as a client writes it (POST creates, PUT replaces every field). */
@Schema(
        name = "ScheduleRequest",
        description = "A backup schedule. PUT replaces every field: omitted ones take " + "their defaults.")
public record ScheduleRequest(
        @NotBlank @Size(max = 200) @Schema(description = "Unique name", example = "nightly")
        String name,

        @Size(max = 2000) String description,

        @NotBlank
        @Size(max = 200)
        @Schema(
                description = "Five-field Unix cron expression: minute hour day-of-month month day-of-week "
                        + "(lists, ranges, steps and names such as MON or JAN; no seconds, no @daily)",
                example = "30 2 * * *")
        String cron,

        @Size(max = 64)
        @Schema(description = "IANA time zone the cron is read in; default UTC", example = "Europe/Berlin")
        String timeZone,

        @Schema(description = "Whether the schedule fires; default true")
        Boolean enabled,

        @Valid
        @Schema(
                description = "The backup each run creates, as POST /api/backups takes it; default a full "
                        + "backup of every source, named after the schedule")
        BackupRequest backup,

        @Valid @Schema(description = "Retention applied after each run; default the global policy only")
        RetentionPolicy retention,

        @Valid @Schema(description = "Who hears about runs; default the global settings")
        NotificationSettings notifications,

        @Size(max = 50)
        @Schema(
                description = "A last success older than this makes the schedule overdue (health, alerts): "
                        + "26h, 2d, 1w or ISO-8601 such as PT26H. Default: derived from the cron (see alert_after_seconds "
                        + "in the response)",
                example = "26h")
        String alertAfter) {}
