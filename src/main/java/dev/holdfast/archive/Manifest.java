package dev.holdfast.archive;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
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
 * @param incremental for an incremental backup: its parent and the archives it refers to; absent otherwise
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
    "incremental",
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
        @JsonInclude(JsonInclude.Include.NON_NULL) Incremental incremental,
        Map<String, JsonNode> extensions) {

    /**
     * The highest format version this code reads: 3, an archive whose small media files may be members of packs
     * (and whose media files may live in other archives, as in 2).
     */
    public static final int FORMAT_VERSION = 3;

    /** The format version of an archive that holds every byte it describes (what older readers know). */
    public static final int SELF_CONTAINED_VERSION = 1;

    /**
     * The format version of an archive with references to other archives ({@link Incremental}); readers that know
     * only version 1 refuse it rather than restore a tree with files missing.
     */
    public static final int REFERENCES_VERSION = 2;

    /**
     * The format version of an archive with packed media files ({@link MediaFile#member}); readers that know only
     * versions 1 and 2 refuse it rather than take a pack for a file's content.
     */
    public static final int PACKS_VERSION = 3;

    /** The lowest format version whose readers understand {@code media} and {@code incremental}. */
    static int requiredVersion(List<MediaSection> media, Incremental incremental) {
        for (MediaSection s : media == null ? List.<MediaSection>of() : media) {
            for (MediaFile f : s.files()) {
                if (f.packed()) {
                    return PACKS_VERSION;
                }
            }
        }
        return incremental == null ? SELF_CONTAINED_VERSION : REFERENCES_VERSION;
    }

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
                SELF_CONTAINED_VERSION,
                backupId,
                name,
                backupType,
                createdAt,
                Map.of(),
                List.of(),
                List.of(),
                List.of(),
                null,
                Map.of());
    }

    /** A copy with {@code entries} replaced. */
    public Manifest withEntries(List<EntryInfo> newEntries) {
        return new Manifest(
                formatVersion,
                backupId,
                name,
                backupType,
                createdAt,
                tools,
                newEntries,
                databases,
                media,
                incremental,
                extensions);
    }

    /** A copy with {@code tools} replaced. */
    public Manifest withTools(Map<String, String> newTools) {
        return new Manifest(
                formatVersion,
                backupId,
                name,
                backupType,
                createdAt,
                newTools,
                entries,
                databases,
                media,
                incremental,
                extensions);
    }

    /** A copy with the database sections replaced. */
    public Manifest withDatabases(List<DatabaseSection> newDatabases) {
        return new Manifest(
                formatVersion,
                backupId,
                name,
                backupType,
                createdAt,
                tools,
                entries,
                newDatabases,
                media,
                incremental,
                extensions);
    }

    /** A copy with the media sections replaced. */
    public Manifest withMedia(List<MediaSection> newMedia) {
        return new Manifest(
                requiredVersion(newMedia, incremental),
                backupId,
                name,
                backupType,
                createdAt,
                tools,
                entries,
                databases,
                newMedia,
                incremental,
                extensions);
    }

    /** A copy with the extension fields replaced. */
    public Manifest withExtensions(Map<String, JsonNode> newExtensions) {
        return new Manifest(
                formatVersion,
                backupId,
                name,
                backupType,
                createdAt,
                tools,
                entries,
                databases,
                media,
                incremental,
                newExtensions);
    }

    /**
     * A copy that refers to other archives for some media files: format version {@value #REFERENCES_VERSION} (or
     * {@value #PACKS_VERSION} with packs), or the version its media alone needs when {@code newIncremental} is null.
     */
    public Manifest withIncremental(Incremental newIncremental) {
        return new Manifest(
                requiredVersion(media, newIncremental),
                backupId,
                name,
                backupType,
                createdAt,
                tools,
                entries,
                databases,
                media,
                newIncremental,
                extensions);
    }

    /**
     * What an incremental backup builds on.
     *
     * @param parent the backup whose file index the changes were detected against (for each root, the newest
     *     earlier backup of it)
     * @param chainLength backups since the last full one: 1 for the first incremental after a full backup
     * @param references every archive that holds contents this one's media files name ({@code stored_in}); flat:
     *     the archive that holds the bytes, never one that refers further
     */
    @JsonPropertyOrder({"parent", "chain_length", "references"})
    public record Incremental(String parent, int chainLength, List<Reference> references) {
        public Incremental {
            references = references == null ? List.of() : List.copyOf(references);
        }
    }

    /**
     * Another backup's archive that holds some of this backup's file contents.
     *
     * @param backupId its catalog id, the value of {@code stored_in}
     * @param name its human name
     * @param createdAt when it was taken
     * @param storageKey its archive's key (file name) in storage, e.g. {@code <id>.tar}
     * @param archiveSha256 the SHA-256 of that archive as stored, so a person can check they have the right file
     * @param files how many of this backup's files it holds
     * @param bytes their total size
     */
    @JsonPropertyOrder({"backup_id", "name", "created_at", "storage_key", "archive_sha256", "files", "bytes"})
    public record Reference(
            String backupId,
            String name,
            Instant createdAt,
            String storageKey,
            String archiveSha256,
            long files,
            long bytes) {}

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

            @JsonSerialize(using = WrittenFiles.Serializer.class)
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
     * @param storedIn null when the content is {@code entry} of this archive; else the id of the backup whose
     *     archive holds it as {@code entry} (one of {@link Incremental#references})
     * @param inode the file's inode number when it was read, so that a later incremental backup recognises it
     *     unchanged without reading it; absent in older archives
     * @param ctime the file's status-change time when it was read, for the same purpose
     * @param member null when {@code entry} is the file's content alone; else {@code entry} is a pack (a tar of many
     *     small files, {@link EntryInfo#KIND_MEDIA_PACK}) and this is the file's name in it: its path when it was
     *     stored, which for a {@code stored_in} file may differ from {@code path}
     * @param memberOffset for a packed file, the offset of its content in the pack's decompressed tar stream (past
     *     its tar header), so that a reader reaches it without parsing the tar
     */
    @JsonPropertyOrder({
        "path",
        "entry",
        "size",
        "mode",
        "mtime",
        "sha256",
        "stored_in",
        "inode",
        "ctime",
        "member",
        "member_offset"
    })
    public record MediaFile(
            String path,
            String entry,
            long size,
            String mode,
            Instant mtime,
            String sha256,
            @JsonInclude(JsonInclude.Include.NON_NULL) String storedIn,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long inode,
            @JsonInclude(JsonInclude.Include.NON_NULL) Instant ctime,
            @JsonInclude(JsonInclude.Include.NON_NULL) String member,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long memberOffset) {
        /** A file whose content is its own entry of this archive, without the facts of change detection. */
        public MediaFile(String path, String entry, long size, String mode, Instant mtime, String sha256) {
            this(path, entry, size, mode, mtime, sha256, null, null, null, null, null);
        }

        /** A file whose content is its own entry (or, with {@code storedIn}, another archive's), not in a pack. */
        public MediaFile(
                String path,
                String entry,
                long size,
                String mode,
                Instant mtime,
                String sha256,
                String storedIn,
                Long inode,
                Instant ctime) {
            this(path, entry, size, mode, mtime, sha256, storedIn, inode, ctime, null, null);
        }

        /** Whether its content is a member of a pack entry rather than an entry of its own. */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public boolean packed() {
            return member != null;
        }

        /** Whether its content lives in another backup's archive. */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public boolean referenced() {
            return storedIn != null;
        }
    }
}
