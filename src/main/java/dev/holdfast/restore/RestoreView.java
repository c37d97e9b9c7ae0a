package dev.holdfast.restore;

import java.time.OffsetDateTime;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A restore operation as the API shows it. */
@Schema(name = "RestoreOperation", description = "A restore of a backup")
public record RestoreView(
        @Schema(required = true) UUID id,
        @Schema(required = true) UUID backupId,

        @Schema(required = true, description = "QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED")
        RestoreStatus status,

        @Schema(required = true) String restoreMode,
        @Schema(required = true) boolean dryRun,
        String description,

        @Schema(required = true, description = "The options it runs with")
        RestoreRequest options,

        UUID jobId,

        @Schema(description = "The backup taken before anything changed; rollback restores it")
        UUID preBackupId,

        @Schema(description = "The restore this one rolled back")
        UUID rollbackOf,

        @Schema(
                description = "Per database: tables with rows loaded and removed, sequences, validation checks; "
                        + "per media root: files added, changed, removed")
        RestoreResult report,

        @Schema(required = true) OffsetDateTime createdAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,
        String error,
        String createdBy) {

    /** The view of a restore whose stored options and report were read as {@code options} and {@code report}. */
    static RestoreView of(RestoreOperation r, RestoreRequest options, RestoreResult report) {
        return new RestoreView(
                r.id,
                r.backupId,
                r.status,
                r.restoreMode,
                r.dryRun,
                r.description,
                options,
                r.jobId,
                r.preBackupId,
                r.rollbackOf,
                report,
                r.createdAt,
                r.startedAt,
                r.finishedAt,
                r.error,
                r.createdBy);
    }
}
