package dev.holdfast.restore;

import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** What a client asks for when it restores a backup (the seed's fields plus Holdfast's). */
@Schema(description = "A restore of a backup. Every field is optional.")
public record RestoreRequest(
        @Pattern(regexp = "replace|clean", message = "must be replace or clean")
        @Schema(
                description = "replace (default): keep the target's schema, replace the rows of the "
                        + "restored tables; clean: recreate the schema from the backup, then load")
        String restoreMode,

        @Schema(
                description = "Back up what the restore will change first, so it can be rolled back (default "
                        + "true; not for dry runs). A target that is a configured source (its database on the same server, "
                        + "or a media root's path) is backed up as that source; a new or empty target needs none; a target "
                        + "that holds data and is no configured source is refused (409) unless this is false, which gives "
                        + "up rollback")
        Boolean createPreBackup,

        @Schema(
                description = "Check every checksum of the entries used before touching the target (default "
                        + "true; Holdfast always verifies, false does not skip it)")
        Boolean verifyBeforeRestore,

        @Size(max = 2000) String description,

        @Schema(description = "Run everything in a transaction that is rolled back and report what would change")
        Boolean dryRun,

        @Schema(
                description = "Only these tables (schema.table or table); default all in the backup. Selects "
                        + "databases: with no media selection (include_media, media_paths, media_globs, media_target), "
                        + "media are not restored")
        List<@Size(max = 200) String> tables,

        @Schema(
                description = "Also restore tables that reference the selected ones (otherwise such a "
                        + "selection is refused)")
        Boolean includeReferencing,

        @Schema(
                description = "Database sources of the backup to restore; default all (none when the request "
                        + "selects only media: media_paths, media_globs or media_target). Selects databases: with no media "
                        + "selection, media are not restored")
        List<@Size(max = 100) String> databases,

        @Size(max = 63)
        @Pattern(regexp = "[A-Za-z_][A-Za-z0-9_$-]*", message = "must be a database name")
        @Schema(
                description = "Restore into this database on the source's server instead (one source only): "
                        + "a configured source's database (then treated as that source) or a name matching "
                        + "holdfast.restore.database-targets; never postgres, template0, template1, a template or "
                        + "the catalog database (400 naming the rule). Selects databases")
        String target,

        @Schema(description = "Create the target database when it does not exist")
        Boolean createTarget,

        @Schema(
                description = "Restore the backup's media roots (default: when it has any and the request "
                        + "selects no databases alone, i.e. no tables, databases or target without a media selection)")
        Boolean includeMedia,

        @Pattern(regexp = "replace|merge", message = "must be replace or merge")
        @Schema(
                description = "replace (default): the root becomes the backup's tree, except paths its "
                        + "backups exclude (holdfast.media.<name>.include/exclude), which stay untouched; merge: "
                        + "restored files overwrite, others stay")
        String mediaMode,

        @Schema(description = "Only media paths under these prefixes")
        List<@Size(max = 1000) String> mediaPaths,

        @Schema(description = "Only media paths matching these globs")
        List<@Size(max = 1000) String> mediaGlobs,

        @Size(max = 4096)
        @Schema(
                description = "Restore media into this directory instead of the root (one root "
                        + "only): a configured media root (then treated as that root) or a directory strictly below one of "
                        + "holdfast.restore.media-targets, as an absolute path with no '..', '.' or empty segment and no "
                        + "symbolic link on the way (400 naming the rule). Selects media")
        String mediaTarget) {}
