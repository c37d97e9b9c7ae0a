package dev.holdfast.backup;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A backup's copy in a named storage, as the API shows it. */
@Schema(name = "BackupCopy", description = "A copy of the backup's archive in a named storage (offsite)")
@JsonInclude(JsonInclude.Include.ALWAYS)
public record BackupCopyView(
        @Schema(required = true, description = "The storage's name (holdfast.storage.\"<name>\".*)")
        String storage,

        @Schema(
                required = true,
                description = "QUEUED, RUNNING, SUCCEEDED (copied and its SHA-256 read back from the storage) or"
                        + " FAILED (see error; POST /api/backups/{id}/copies tries again)")
        BackupCopy.Status status,

        @Schema(description = "The copy job") UUID jobId,
        @Schema(description = "Bytes copied") Long sizeBytes,

        @Schema(description = "SHA-256 of the copy as read back from the storage (hex); equals the backup's")
        String sha256,

        @Schema(description = "Why the copy failed") String error,
        @Schema(required = true) OffsetDateTime requestedAt,
        OffsetDateTime finishedAt,
        String requestedBy) {

    static BackupCopyView of(BackupCopy c) {
        return new BackupCopyView(
                c.storage,
                c.status,
                c.jobId,
                c.sizeBytes,
                c.sha256,
                c.error,
                c.requestedAt,
                c.finishedAt,
                c.requestedBy);
    }
}
