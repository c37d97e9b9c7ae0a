package dev.holdfast.restore;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.backup.BackupStatus;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A restore operation as the API shows it. */
@Schema(name = "RestoreOperation", description = "A restore of a backup")
public record RestoreView(
        UUID id,
        UUID backupId,
        @Schema(description = "QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED") BackupStatus status,
        String restoreMode,
        boolean dryRun,
        String description,
        @Schema(description = "The options it runs with") JsonNode options,
        UUID jobId,
        @Schema(description = "The backup taken before anything changed; rollback restores it") UUID preBackupId,
        @Schema(description = "The restore this one rolled back") UUID rollbackOf,
        @Schema(description = "Per database: tables with rows loaded and removed, sequences, validation checks; "
                + "per media root: files added, changed, removed") JsonNode report,
        OffsetDateTime createdAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,
        String error,
        String createdBy) {

    static RestoreView of(RestoreOperation r) {
        return new RestoreView(r.id, r.backupId, r.status, r.restoreMode, r.dryRun, r.description, r.options, r.jobId,
                r.preBackupId, r.rollbackOf, r.report, r.createdAt, r.startedAt, r.finishedAt, r.error, r.createdBy);
    }
}
