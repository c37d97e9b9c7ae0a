package dev.holdfast.restore;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.holdfast.media.MediaRestore;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What a restore did (or, in a dry run, would do), as the catalog keeps it in {@code restore_operation.report}
 * and the API shows it: per database the {@link RestoreReport} and its target, per media root the files added,
 * changed and removed, and what became of the pre-restore backup. A failed restore keeps what it had learnt.
 *
 * @param preBackup why no pre-restore backup was taken (for some targets or at all), or null
 */
@Schema(
        name = "RestoreResult",
        description = "Per database: tables with rows loaded and removed, sequences, "
                + "validation checks; per media root: files added, changed, removed")
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record RestoreResult(
        List<DatabaseResult> databases,
        List<MediaResult> media,
        @JsonInclude(JsonInclude.Include.NON_NULL) String preBackup) {

    public RestoreResult {
        databases = databases == null ? List.of() : List.copyOf(databases);
        media = media == null ? List.of() : List.copyOf(media);
    }

    /** Nothing done yet. */
    public static RestoreResult empty() {
        return new RestoreResult(List.of(), List.of(), null);
    }

    /** Rows loaded over all databases. */
    public long rowsLoaded() {
        return databases.stream().mapToLong(DatabaseResult::rowsLoaded).sum();
    }

    RestoreResult with(DatabaseResult d) {
        List<DatabaseResult> all = new java.util.ArrayList<>(databases);
        all.add(d);
        return new RestoreResult(all, media, preBackup);
    }

    RestoreResult with(MediaResult m) {
        List<MediaResult> all = new java.util.ArrayList<>(media);
        all.add(m);
        return new RestoreResult(databases, all, preBackup);
    }

    RestoreResult withPreBackup(String note) {
        return new RestoreResult(databases, media, note);
    }

    /**
     * One database: its {@link RestoreReport}'s fields, flat, and where it went.
     *
     * @param target the database restored into (the source's own name unless the request named a target)
     */
    @Schema(name = "RestoreDatabaseResult")
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record DatabaseResult(
            String source,
            RestoreOptions.Mode mode,
            boolean dryRun,
            boolean committed,
            List<RestoreReport.TableResult> tables,
            List<RestoreReport.SequenceResult> sequences,
            List<RestoreReport.Check> validation,
            List<String> errors,
            long rowsLoaded,
            long bytesLoaded,
            Duration duration,
            String path,
            int parallelConnections,
            String target) {

        /** The report of a database restored into {@code target}. */
        public static DatabaseResult of(RestoreReport r, String target) {
            return new DatabaseResult(
                    r.source(),
                    r.mode(),
                    r.dryRun(),
                    r.committed(),
                    r.tables(),
                    r.sequences(),
                    r.validation(),
                    r.errors(),
                    r.rowsLoaded(),
                    r.bytesLoaded(),
                    r.duration(),
                    r.path(),
                    r.parallelConnections(),
                    target);
        }
    }

    /**
     * One media root.
     *
     * @param warnings problems after the swap that did not undo it; absent in a dry run
     * @param target the directory restored into
     */
    @Schema(name = "RestoreMediaResult")
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record MediaResult(
            @JsonInclude(JsonInclude.Include.NON_NULL) List<String> warnings,
            String source,
            String target,
            long files,
            long bytes,
            List<String> added,
            List<String> changed,
            List<String> removed,
            List<String> kept) {

        static MediaResult of(String source, String target, MediaRestore.Plan plan, List<String> warnings) {
            return new MediaResult(
                    warnings,
                    source,
                    target,
                    plan.files(),
                    plan.bytes(),
                    plan.added(),
                    plan.changed(),
                    plan.removed(),
                    plan.kept());
        }
    }
}
