package dev.holdfast.backup;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A backup as the API shows it; {@code summary} only in the single-backup view. */
@Schema(name = "Backup", description = "A backup in the catalog")
@JsonInclude(JsonInclude.Include.ALWAYS)
public record BackupView(
        @Schema(required = true) UUID id,
        @Schema(required = true) String name,
        String description,
        @Schema(required = true) BackupType backupType,

        @Schema(required = true, description = "QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED")
        BackupStatus status,

        @Schema(required = true, description = "Database sources covered")
        List<String> databases,

        @Schema(required = true, description = "Media roots covered")
        List<String> media,

        @Schema(required = true, description = "Compression and table selection used")
        BackupOptions options,

        @Schema(description = "The job that runs (or ran) the backup")
        UUID jobId,

        @Schema(description = "Archive size in bytes") Long sizeBytes,

        @Schema(
                description = "SHA-256 of the whole archive as stored (hex): for an encrypted archive, of the"
                        + " .age file, so that sha256sum of a download matches")
        String sha256,

        @Schema(
                description = "SHA-256 (hex) of the archive's manifest as stored: manifest.json.zst (manifest.json.gz"
                        + " for gzip, manifest.json for compression none and archives written before manifests were"
                        + " compressed); the archive's own <name>.sha256 entry holds the same digest")
        String manifestSha256,

        @Schema(
                description = "Fingerprints of the age recipients the archive is encrypted to: the first 16 hex"
                        + " digits of the SHA-256 of each age1... public key (printf %s age1... | sha256sum)."
                        + " Null for a plain archive. Never keys.")
        List<String> encryptedTo,

        @Schema(required = true) OffsetDateTime createdAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,
        Long durationMs,
        @Schema(description = "Why the backup failed") String error,
        String createdBy,

        @Schema(required = true, description = "Protected backups are never deleted, by retention or by hand")
        boolean isProtected,

        OffsetDateTime verifiedAt,

        @Schema(description = "Outcome of the last verification")
        Boolean verifyOk,

        @Schema(description = "Entries that failed the last verification")
        List<VerifyFailure> verifyFailures,

        @Schema(required = true, description = "Where the backup came from: api, schedule, pre-restore or cli")
        String trigger,

        @Schema(description = "The schedule that created it (null if none, or since deleted)")
        UUID scheduleId,

        @Schema(
                required = true,
                description = "Copies in named storages (copy_to, or POST /api/backups/{id}/copies), by storage;"
                        + " a FAILED one means the backup lacks that copy")
        List<BackupCopyView> copies,

        @Schema(
                required = true,
                description = "Whether it was asked to store its media roots incrementally (incremental: true);"
                        + " chain_length says whether it actually refers to earlier backups")
        boolean incremental,

        @Schema(description = "The backup its media roots were compared with; null for a self-contained backup")
        UUID parentBackupId,

        @Schema(
                required = true,
                description = "Incremental backups back to the last self-contained one, this one included; 0: the"
                        + " archive holds every byte it describes")
        int chainLength,

        @Schema(
                required = true,
                description = "Backups whose archives hold file contents this one refers to (stored_in): all of them"
                        + " are needed to restore it and none can be deleted before it")
        List<UUID> referencedBackups,

        @Schema(
                required = true,
                description = "Incremental backups that refer to file contents this one's archive holds: while any"
                        + " exists this one cannot be deleted and retention keeps it")
        List<UUID> referencedBy,

        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(
                description = "Manifest summary: per source the tables, rows, sizes and checksums, tool "
                        + "versions, warnings")
        BackupSummary summary) {

    private static final TypeReference<List<String>> NAMES = new TypeReference<>() {};
    private static final TypeReference<List<VerifyFailure>> FAILURES = new TypeReference<>() {};

    /** The view of a catalog row, its jsonb columns read into their types with the application's mapper. */
    static BackupView of(
            Backup b,
            boolean withSummary,
            ObjectMapper mapper,
            List<BackupCopy> copies,
            List<UUID> holders,
            List<UUID> dependents) {
        Long duration = b.startedAt != null && b.finishedAt != null
                ? java.time.Duration.between(b.startedAt, b.finishedAt).toMillis()
                : null;
        return new BackupView(
                b.id,
                b.name,
                b.description,
                b.backupType,
                b.status,
                read(mapper, b.databases, NAMES),
                read(mapper, b.media, NAMES),
                read(mapper, b.options, BackupOptions.class),
                b.jobId,
                b.sizeBytes,
                b.sha256,
                b.manifestSha256,
                b.encryptedTo == null ? null : read(mapper, b.encryptedTo, NAMES),
                b.createdAt,
                b.startedAt,
                b.finishedAt,
                duration,
                b.error,
                b.createdBy,
                b.protectedFromDeletion,
                b.verifiedAt,
                b.verifyOk,
                read(mapper, b.verifyFailures, FAILURES),
                b.trigger,
                b.scheduleId,
                copies.stream().map(BackupCopyView::of).toList(),
                b.incremental,
                b.parentBackupId,
                b.chainLength,
                List.copyOf(holders),
                List.copyOf(dependents),
                withSummary ? read(mapper, b.summary, BackupSummary.class) : null);
    }

    private static <T> T read(ObjectMapper mapper, JsonNode json, TypeReference<T> type) {
        return json == null || json.isNull() ? null : mapper.convertValue(json, type);
    }

    private static <T> T read(ObjectMapper mapper, JsonNode json, Class<T> type) {
        return json == null || json.isNull() ? null : mapper.convertValue(json, type);
    }
}
