package dev.holdfast.archive;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The archive's table of contents, written last as {@code manifest.json}: what was backed up, from where,
 * and the size and SHA-256 of every entry. Sections the engines own are typed; {@code extensions} maps
 * (here and in each section) carry anything newer readers add without breaking older ones.
 *
 * @param formatVersion the archive format version, {@value #FORMAT_VERSION} for this layout
 * @param backupId the catalog id of the backup
 * @param name the human name of the backup
 * @param backupType {@code full}, {@code database} or {@code media}
 * @param createdAt when the backup started
 * @param tools versions of the programs that produced the archive ({@code holdfast}, {@code pg_dump}, ...)
 * @param entries every entry but the manifest and its checksum, in archive order; filled by the writer
 * @param databases one section per database source
 * @param media one section per media source
 * @param extensions open extension fields
 */
@JsonPropertyOrder({
    "format_version",
    "backup_id",
    "name",
    "backup_type",
    "created_at",
    "tools",
    "entries",
    "databases",
    "media",
    "extensions"
})
public record Manifest(
        int formatVersion,
        String backupId,
        String name,
        String backupType,
        Instant createdAt,
        Map<String, String> tools,
        List<EntryInfo> entries,
        List<DatabaseSection> databases,
        List<MediaSection> media,
        Map<String, JsonNode> extensions) {

    /** The format version this code writes and the highest it reads. */
    public static final int FORMAT_VERSION = 1;

    public Manifest {
        tools = tools == null ? Map.of() : Map.copyOf(tools);
        entries = new IndexedEntries(entries == null ? List.of() : entries);
        databases = databases == null ? List.of() : List.copyOf(databases);
        media = media == null ? List.of() : List.copyOf(media);
        extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
    }

    /** A manifest of the current format version with no entries or sections yet. */
    public static Manifest of(String backupId, String name, String backupType, Instant createdAt) {
        return new Manifest(
                FORMAT_VERSION,
                backupId,
                name,
                backupType,
                createdAt,
                Map.of(),
                List.of(),
                List.of(),
                List.of(),
                Map.of());
    }

    /** A copy with {@code entries} replaced. */
    public Manifest withEntries(List<EntryInfo> newEntries) {
        return new Manifest(
                formatVersion, backupId, name, backupType, createdAt, tools, newEntries, databases, media, extensions);
    }

    /** A copy with {@code tools} replaced. */
    public Manifest withTools(Map<String, String> newTools) {
        return new Manifest(
                formatVersion, backupId, name, backupType, createdAt, newTools, entries, databases, media, extensions);
    }

    /** A copy with the database sections replaced. */
    public Manifest withDatabases(List<DatabaseSection> newDatabases) {
        return new Manifest(
                formatVersion, backupId, name, backupType, createdAt, tools, entries, newDatabases, media, extensions);
    }

    /** A copy with the media sections replaced. */
    public Manifest withMedia(List<MediaSection> newMedia) {
        return new Manifest(
                formatVersion, backupId, name, backupType, createdAt, tools, entries, databases, newMedia, extensions);
    }

    /** A copy with the extension fields replaced. */
    public Manifest withExtensions(Map<String, JsonNode> newExtensions) {
        return new Manifest(
                formatVersion, backupId, name, backupType, createdAt, tools, entries, databases, media, newExtensions);
    }

    /** The entry with this name, or null. */
    public EntryInfo entry(String entryName) {
        return ((IndexedEntries) entries).byName(entryName);
    }

    /** A table as qualified name, used by foreign-key edges and cycles. */
    @JsonPropertyOrder({"schema", "name"})
    public record TableRef(String schema, String name) {}

    /**
     * One database source.
     *
     * @param source the configured source name
     * @param serverVersion the PostgreSQL server version ({@code server_version})
     * @param pgDumpVersion the pg_dump version that wrote the schema
     * @param snapshotId the exported snapshot every reader shared
     * @param snapshotTime when the snapshot was taken
     * @param copyFormat {@code text} or {@code binary}: COPY format of the tables that do not name their own
     *     ({@code binary} when any table is binary, so that a reader that ignores the tables' own field
     *     fails on the first text table instead of misreading it)
     * @param schemaEntry the entry holding the schema dump
     * @param tables tables in restore order
     * @param fkEdges foreign keys, child to parent
     * @param cycles sets of tables whose foreign keys form a cycle
     * @param sequences sequence values at snapshot time
     * @param warnings anything worth a human's attention that did not fail the backup
     * @param extensions open extension fields
     */
    @JsonPropertyOrder({
        "source",
        "server_version",
        "pg_dump_version",
        "snapshot_id",
        "snapshot_time",
        "copy_format",
        "schema_entry",
        "tables",
        "fk_edges",
        "cycles",
        "sequences",
        "warnings",
        "extensions"
    })
    public record DatabaseSection(
            String source,
            String serverVersion,
            String pgDumpVersion,
            String snapshotId,
            Instant snapshotTime,
            String copyFormat,
            String schemaEntry,
            List<TableEntry> tables,
            List<FkEdge> fkEdges,
            List<List<TableRef>> cycles,
            List<SequenceEntry> sequences,
            List<String> warnings,
            Map<String, JsonNode> extensions) {
        public DatabaseSection {
            tables = tables == null ? List.of() : List.copyOf(tables);
            fkEdges = fkEdges == null ? List.of() : List.copyOf(fkEdges);
            cycles = cycles == null
                    ? List.of()
                    : cycles.stream().map(List::copyOf).toList();
            sequences = sequences == null ? List.of() : List.copyOf(sequences);
            warnings = warnings == null ? List.of() : List.copyOf(warnings);
            extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
        }
    }

    /**
     * One table's data.
     *
     * @param schema the schema name
     * @param name the table name
     * @param columns the columns COPY wrote, in order (generated columns excluded)
     * @param rowCount rows written
     * @param entry the entry holding the COPY output
     * @param copyFormat {@code text} or {@code binary} COPY format of this entry; absent: the section's
     * @param extensions open extension fields
     */
    @JsonPropertyOrder({"schema", "name", "columns", "row_count", "entry", "copy_format", "extensions"})
    public record TableEntry(
            String schema,
            String name,
            List<String> columns,
            long rowCount,
            String entry,
            String copyFormat,
            Map<String, JsonNode> extensions) {
        public TableEntry {
            columns = columns == null ? List.of() : List.copyOf(columns);
            extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
        }

        /** This entry's COPY format: its own, else {@code section}'s, else {@code text}. */
        public String copyFormatIn(DatabaseSection section) {
            if (copyFormat != null) {
                return copyFormat;
            }
            return section.copyFormat() == null ? "text" : section.copyFormat();
        }
    }

    /**
     * A foreign key from a child table to the table it references.
     *
     * @param constraint the constraint name
     * @param from the referencing (child) table
     * @param to the referenced (parent) table
     * @param deferrable whether the constraint can be deferred to commit
     */
    @JsonPropertyOrder({"constraint", "from", "to", "deferrable"})
    public record FkEdge(String constraint, TableRef from, TableRef to, boolean deferrable) {}

    /**
     * A sequence's state.
     *
     * @param schema the schema name
     * @param name the sequence name
     * @param lastValue {@code last_value}
     * @param isCalled {@code is_called}
     * @param ownedBy the owning {@code table.column}, or null
     */
    @JsonPropertyOrder({"schema", "name", "last_value", "is_called", "owned_by"})
    public record SequenceEntry(String schema, String name, long lastValue, boolean isCalled, String ownedBy) {}

    /**
     * One media source.
     *
     * @param source the configured source name
     * @param files every file backed up, sorted by path
     * @param directories every directory with its mode and mtime, the root itself as {@code .}, so modes and
     *        empty directories survive a restore; absent in archives written before it existed
     * @param symlinks symbolic links, stored as their target text and never followed
     * @param warnings files skipped and why
     * @param extensions open extension fields
     */
    @JsonPropertyOrder({"source", "files", "directories", "symlinks", "warnings", "extensions"})
    public record MediaSection(
            String source,
            List<MediaFile> files,
            List<MediaDirectory> directories,
            List<MediaSymlink> symlinks,
            List<String> warnings,
            Map<String, JsonNode> extensions) {
        public MediaSection {
            files = files == null ? List.of() : List.copyOf(files);
            directories = directories == null ? List.of() : List.copyOf(directories);
            symlinks = symlinks == null ? List.of() : List.copyOf(symlinks);
            warnings = warnings == null ? List.of() : List.copyOf(warnings);
            extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
        }

        /** A section of files only, as written before directories and symlinks were recorded. */
        public MediaSection(
                String source, List<MediaFile> files, List<String> warnings, Map<String, JsonNode> extensions) {
            this(source, files, List.of(), List.of(), warnings, extensions);
        }
    }

    /**
     * One directory of a media tree.
     *
     * @param path the path relative to the media root, {@code /}-separated; {@code .} for the root itself
     * @param mode POSIX permissions in octal, e.g. {@code 0755}
     * @param mtime last modification time
     */
    @JsonPropertyOrder({"path", "mode", "mtime"})
    public record MediaDirectory(String path, String mode, Instant mtime) {}

    /**
     * One symbolic link of a media tree.
     *
     * @param path the link's path relative to the media root
     * @param target the link's target text exactly as stored in the link
     * @param mtime the link's own modification time
     */
    @JsonPropertyOrder({"path", "target", "mtime"})
    public record MediaSymlink(String path, String target, Instant mtime) {}

    /**
     * One media file.
     *
     * @param path the path relative to the media root, unencoded, {@code /}-separated
     * @param entry the entry holding its content
     * @param size bytes
     * @param mode POSIX permissions in octal, e.g. {@code 0644}
     * @param mtime last modification time
     * @param sha256 lower-case hex SHA-256 of the content
     */
    @JsonPropertyOrder({"path", "entry", "size", "mode", "mtime", "sha256"})
    public record MediaFile(String path, String entry, long size, String mode, Instant mtime, String sha256) {}
}
