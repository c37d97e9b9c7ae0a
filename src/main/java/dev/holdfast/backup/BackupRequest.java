package dev.holdfast.backup;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** What a client asks for when it creates a backup (the seed's fields plus sources and selection). */
@Schema(description = "A backup to create. Every field is optional.")
public record BackupRequest(
        @Size(max = 200) @Schema(description = "Name; default backup-<UTC timestamp>", example = "nightly")
        String name,

        @Schema(description = "full (databases and media), database or media; default full")
        BackupType backupType,

        @Size(max = 2000) String description,

        @Schema(description = "For full backups: include media roots (default true)")
        Boolean includeMedia,

        @Schema(description = "Compress entries (default true); false stores them as they are")
        Boolean compressBackup,

        @Pattern(regexp = "zstd|gzip|none", message = "must be zstd, gzip or none")
        @Schema(description = "Codec: zstd, gzip or none; default holdfast.archive.compression")
        String compression,

        @Schema(description = "Database sources to cover (names from GET /api/sources); default all")
        List<@Size(max = 100) String> databases,

        @Schema(description = "Media roots to cover; default all")
        List<@Size(max = 100) String> media,

        @Schema(description = "Schemas to include (names or globs); default all but Holdfast's own")
        List<@Size(max = 200) String> includeSchemas,

        @Schema(description = "Schemas to leave out (names or globs)")
        List<@Size(max = 200) String> excludeSchemas,

        @Schema(description = "Tables to include, as table, schema.table or globs such as sales.*")
        List<@Size(max = 200) String> includeTables,

        @Schema(description = "Tables to leave out, e.g. [\"auth_*\", \"django_session\"]")
        List<@Size(max = 200) String> excludeTables,

        @Schema(description = "Tables whose schema is kept but whose rows are left out")
        List<@Size(max = 200) String> schemaOnlyTables,

        @Schema(description = "Media globs to include (relative paths, e.g. uploads/**), added to each root's")
        List<@Size(max = 500) String> mediaInclude,

        @Schema(description = "Media globs to leave out (e.g. cache/**, **.tmp), added to each root's")
        List<@Size(max = 500) String> mediaExclude,

        @Schema(
                description = "Named storages to copy the archive to once it is stored and checked"
                        + " (holdfast.storage.\"<name>\".*), e.g. [\"offsite\"]; each copy is a job of its own")
        List<@Size(max = 63) String> copyTo,

        @Schema(
                description =
                        "Media roots: store only files whose content no earlier backup of the root holds and"
                                + " refer to the backups that hold the rest (an incremental backup; docs/incremental.md). Each root is"
                                + " compared with its newest successful backup; a root without one is stored whole. Default false")
        Boolean incremental,

        @Schema(
                description = "With incremental: read and hash every file instead of trusting an unchanged path,"
                        + " size, mtime, ctime and inode; unchanged contents are still referenced, not stored")
        Boolean rehash,

        @Min(1)
        @Max(10000)
        @Schema(
                description = "With incremental: a backup whose chain since the last full backup would reach this"
                        + " length is taken as a full backup instead, starting a new chain (7 under a daily schedule: a"
                        + " full backup every week). Default: chains are never cut",
                example = "7")
        Integer fullEvery) {

    /** A request of the fields before incremental backups existed: a full (self-contained) backup. */
    public BackupRequest(
            String name,
            BackupType backupType,
            String description,
            Boolean includeMedia,
            Boolean compressBackup,
            String compression,
            List<String> databases,
            List<String> media,
            List<String> includeSchemas,
            List<String> excludeSchemas,
            List<String> includeTables,
            List<String> excludeTables,
            List<String> schemaOnlyTables,
            List<String> mediaInclude,
            List<String> mediaExclude,
            List<String> copyTo) {
        this(
                name,
                backupType,
                description,
                includeMedia,
                compressBackup,
                compression,
                databases,
                media,
                includeSchemas,
                excludeSchemas,
                includeTables,
                excludeTables,
                schemaOnlyTables,
                mediaInclude,
                mediaExclude,
                copyTo,
                null,
                null,
                null);
    }

    static List<String> orEmpty(List<String> l) {
        return l == null ? List.of() : l;
    }
}
