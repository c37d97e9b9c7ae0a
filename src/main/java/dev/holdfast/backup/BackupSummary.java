package dev.holdfast.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.holdfast.archive.ArchiveSummary;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest;
import dev.holdfast.media.MediaBackup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What a stored backup holds, as the catalog keeps it in {@code backup.summary} and the API shows it: per
 * database source its tables with rows, sizes and checksums, per media root its files, and the tools used.
 * Written and read with the application's snake_case mapper; unknown keys are ignored so that a summary an
 * older version wrote still reads.
 *
 * @param postWriteCheck the {@code holdfast.archive.verify-after-write} mode the archive was checked with
 */
@Schema(
        name = "BackupSummary",
        description =
                "Manifest summary: per source the tables, rows, sizes and checksums, " + "tool versions, warnings")
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record BackupSummary(
        int formatVersion,
        long durationMs,
        int entries,
        long archiveBytes,
        Map<String, String> tools,
        List<DatabaseResult> databases,
        List<MediaResult> media,
        String postWriteCheck) {

    public BackupSummary {
        tools = tools == null ? Map.of() : tools;
        databases = databases == null ? List.of() : List.copyOf(databases);
        media = media == null ? List.of() : List.copyOf(media);
    }

    /** The summary of a written archive, its media roots' results and how it was checked. */
    static BackupSummary of(
            ArchiveSummary archive, long millis, List<MediaBackup.Result> media, String postWriteCheck) {
        Manifest m = archive.manifest();
        Map<String, EntryInfo> byName = new HashMap<>();
        m.entries().forEach(e -> byName.put(e.name(), e));
        List<DatabaseResult> dbs = new ArrayList<>();
        for (Manifest.DatabaseSection s : m.databases()) {
            dbs.add(DatabaseResult.of(s, byName));
        }
        return new BackupSummary(
                m.formatVersion(),
                millis,
                m.entries().size(),
                archive.archiveBytes(),
                m.tools(),
                dbs,
                media.stream().map(MediaResult::of).toList(),
                postWriteCheck);
    }

    /**
     * The summary of an archive known only by its manifest (a catalog import): how long the backup took and how
     * it was checked when written are not recorded there, so the duration is 0 and the check {@code imported}.
     */
    static BackupSummary of(Manifest m, long archiveBytes) {
        Map<String, EntryInfo> byName = new HashMap<>();
        m.entries().forEach(e -> byName.put(e.name(), e));
        return new BackupSummary(
                m.formatVersion(),
                0,
                m.entries().size(),
                archiveBytes,
                m.tools(),
                m.databases().stream().map(s -> DatabaseResult.of(s, byName)).toList(),
                m.media().stream().map(MediaResult::of).toList(),
                "imported");
    }

    /** Rows over all database sources. */
    public long rows() {
        return databases.stream().mapToLong(DatabaseResult::rows).sum();
    }

    /** Uncompressed bytes over all tables and media files. */
    public long rawBytes() {
        return databases.stream().mapToLong(DatabaseResult::rawBytes).sum()
                + media.stream().mapToLong(MediaResult::bytes).sum();
    }

    /**
     * One database source.
     *
     * @param snapshotTime when its snapshot was taken (ISO-8601)
     * @param fkEdges how many foreign keys link its tables
     * @param cycles groups of tables whose foreign keys form a cycle
     * @param sequences how many sequences it holds
     */
    @Schema(name = "BackupDatabaseSummary")
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record DatabaseResult(
            String source,
            String serverVersion,
            String pgDumpVersion,
            String snapshotTime,
            int tableCount,
            long rows,
            long rawBytes,
            long storedBytes,
            List<TableResult> tables,
            int fkEdges,
            List<List<Manifest.TableRef>> cycles,
            int sequences,
            List<String> warnings) {

        public DatabaseResult {
            tables = tables == null ? List.of() : List.copyOf(tables);
            cycles = cycles == null ? List.of() : cycles;
            warnings = warnings == null ? List.of() : warnings;
        }

        static DatabaseResult of(Manifest.DatabaseSection s, Map<String, EntryInfo> byName) {
            long rows = 0;
            long raw = 0;
            long stored = 0;
            List<TableResult> tables = new ArrayList<>();
            for (Manifest.TableEntry t : s.tables()) {
                EntryInfo e = byName.get(t.entry());
                rows += t.rowCount();
                raw += e.rawSize();
                stored += e.storedSize();
                tables.add(new TableResult(
                        t.schema(),
                        t.name(),
                        t.rowCount(),
                        e.rawSize(),
                        e.storedSize(),
                        e.codec().jsonName(),
                        e.sha256()));
            }
            return new DatabaseResult(
                    s.source(),
                    s.serverVersion(),
                    s.pgDumpVersion(),
                    s.snapshotTime().toString(),
                    s.tables().size(),
                    rows,
                    raw,
                    stored,
                    tables,
                    s.fkEdges().size(),
                    s.cycles(),
                    s.sequences().size(),
                    s.warnings());
        }
    }

    /** One table, in restore order: its rows, raw and stored sizes, codec and the stored entry's SHA-256. */
    @Schema(name = "BackupTableSummary")
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record TableResult(
            String schema, String name, long rows, long rawBytes, long storedBytes, String codec, String sha256) {}

    /**
     * One media root.
     *
     * @param complete whether no file changed while it was read
     * @param inconsistent files that changed both times they were read, so were not stored
     * @param referencedFiles files an earlier backup's archive holds, referred to instead of stored (incremental)
     * @param referencedBytes their bytes, included in {@code bytes}
     */
    @Schema(name = "BackupMediaSummary")
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record MediaResult(
            String source,
            long files,
            long bytes,
            int directories,
            int symlinks,
            boolean complete,
            List<String> inconsistent,
            List<String> warnings,
            long referencedFiles,
            long referencedBytes) {

        static MediaResult of(Manifest.MediaSection s) {
            List<Manifest.MediaFile> refs =
                    s.files().stream().filter(Manifest.MediaFile::referenced).toList();
            return new MediaResult(
                    s.source(),
                    s.files().size(),
                    s.files().stream().mapToLong(Manifest.MediaFile::size).sum(),
                    s.directories().size(),
                    s.symlinks().size(),
                    s.warnings().isEmpty(),
                    List.of(),
                    s.warnings(),
                    refs.size(),
                    refs.stream().mapToLong(Manifest.MediaFile::size).sum());
        }

        static MediaResult of(MediaBackup.Result r) {
            return new MediaResult(
                    r.section().source(),
                    r.files(),
                    r.bytes(),
                    r.section().directories().size(),
                    r.section().symlinks().size(),
                    r.complete(),
                    r.inconsistent(),
                    r.warnings(),
                    r.referencedFiles(),
                    r.referencedBytes());
        }
    }
}
