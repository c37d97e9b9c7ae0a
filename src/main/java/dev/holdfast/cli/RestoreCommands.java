package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code holdfast restore BACKUP …} (the seed's restore_backup_safe): a dry run, or a real restore that needs
 * {@code --yes} when nobody is at a terminal; and {@code restore rollback|list|show}.
 */
@Command(
        name = "restore",
        description = "Restore a backup (dry run first!), roll a restore back, list and show restores.",
        subcommands = {RestoreCommands.Rollback.class, RestoreCommands.ListRestores.class, RestoreCommands.Show.class})
final class RestoreCommands extends Leaf {
    static final List<Output.Column> COLUMNS = List.of(
            new Output.Column("ID", "id"),
            new Output.Column("BACKUP", "backup_id"),
            new Output.Column("STATUS", "status"),
            new Output.Column("MODE", "restore_mode"),
            new Output.Column("DRY_RUN", "dry_run"),
            new Output.Column("CREATED", "created_at"),
            new Output.Column("PRE_BACKUP", "pre_backup_id"));

    @Parameters(paramLabel = "BACKUP", arity = "0..1", description = "The backup to restore")
    String backup;

    @Option(names = "--dry-run", description = "Report what would change, change nothing (waits for the report)")
    boolean dryRun;

    @Option(names = "--mode", description = "replace (default: replace the restored tables' rows) or clean")
    String mode;

    @Option(names = "--target", description = "Restore into this database instead (one source only)")
    String target;

    @Option(names = "--create-target", description = "Create --target when it does not exist")
    boolean createTarget;

    @Option(names = "--databases", split = ",", description = "Database sources to restore (default: all in it)")
    List<String> databases;

    @Option(names = "--tables", split = ",", description = "Only these tables (schema.table)")
    List<String> tables;

    @Option(names = "--include-referencing", description = "Also the tables that reference --tables")
    boolean includeReferencing;

    @Option(names = "--no-media", description = "Leave media files alone")
    boolean noMedia;

    @Option(names = "--media-mode", description = "replace (default) or merge")
    String mediaMode;

    @Option(names = "--media-target", description = "Restore media into this directory instead")
    String mediaTarget;

    @Option(names = "--no-pre-backup", description = "Take no pre-restore backup (gives up rollback)")
    boolean noPreBackup;

    @Option(names = "--description")
    String description;

    @Option(names = "--yes", description = "Do not ask (required for a real restore when not interactive)")
    boolean yes;

    @Option(names = "--idempotency-key", description = "Sent as Idempotency-Key (default as for backup create)")
    String idempotencyKey;

    @Mixin
    BackupCommands.WaitOptions waiting = new BackupCommands.WaitOptions();

    @Override
    public Integer call() {
        if (backup == null) {
            throw new CliException(
                    ExitCodes.USAGE,
                    "name the backup to restore: holdfast restore BACKUP [options]"
                            + " (or: holdfast restore rollback|list|show)");
        }
        Context c = ctx();
        String backupId = id(backup);
        ObjectNode body = c.api().json().createObjectNode();
        BackupCommands.putIf(body, "restore_mode", mode);
        BackupCommands.putIf(body, "target", target);
        BackupCommands.putIf(body, "media_mode", mediaMode);
        BackupCommands.putIf(body, "media_target", mediaTarget);
        BackupCommands.putIf(body, "description", description);
        BackupCommands.putList(body, "databases", databases);
        BackupCommands.putList(body, "tables", tables);
        if (dryRun) {
            body.put("dry_run", true);
        }
        if (createTarget) {
            body.put("create_target", true);
        }
        if (includeReferencing) {
            body.put("include_referencing", true);
        }
        if (noMedia) {
            body.put("include_media", false);
        }
        if (noPreBackup) {
            body.put("create_pre_backup", false);
        }
        if (!dryRun) {
            c.confirm(
                    yes,
                    "Restore backup " + backupId + " (" + (mode == null ? "replace" : mode) + " mode) into "
                            + (target == null ? "its sources" : "database " + target)
                            + "? Their data will be replaced"
                            + (noPreBackup ? " and no pre-restore backup is taken." : "."),
                    "yes");
        }
        JsonNode accepted =
                c.api().post("api/backups/" + backupId + "/restore", body, c.idempotencyKey(idempotencyKey));
        return finishRestore(c, accepted, dryRun || waiting.wait, waiting);
    }

    static int finishRestore(Context c, JsonNode accepted, boolean wait, BackupCommands.WaitOptions waiting) {
        JsonNode restore = accepted.path("resource");
        String restoreId = restore.path("id").asText();
        if (!wait) {
            c.output().item(restore);
            c.err()
                    .println("restore " + restoreId + " queued as job "
                            + accepted.path("job").path("id").asText() + " (follow it: holdfast jobs watch "
                            + accepted.path("job").path("id").asText() + ")");
            return ExitCodes.OK;
        }
        c.waitFor(accepted.path("job"), waiting.timeout);
        JsonNode finished = c.api().get("api/restores/" + restoreId);
        c.output().item(finished);
        if ("SUCCEEDED".equals(finished.path("status").asText())) {
            return ExitCodes.OK;
        }
        c.err()
                .println("holdfast: restore " + restoreId + " "
                        + finished.path("status").asText() + ": "
                        + finished.path("error").asText(""));
        return ExitCodes.FAILED;
    }

    @Command(name = "rollback", description = "Undo a restore by restoring its pre-restore backup.")
    static final class Rollback extends Leaf {
        @Parameters(paramLabel = "RESTORE")
        String restore;

        @Option(names = "--yes", description = "Do not ask (required when not interactive)")
        boolean yes;

        @Mixin
        BackupCommands.WaitOptions waiting = new BackupCommands.WaitOptions();

        @Override
        public Integer call() {
            Context c = ctx();
            String restoreId = id(restore);
            c.confirm(
                    yes, "Roll back restore " + restoreId + " (its pre-restore backup replaces the data now)?", "yes");
            JsonNode accepted = c.api().post("api/restores/" + restoreId + "/rollback", null, null);
            return finishRestore(c, accepted, waiting.wait, waiting);
        }
    }

    @Command(name = "list", description = "List restores, newest first.")
    static final class ListRestores extends Leaf {
        @Option(names = "--status")
        String status;

        @Option(names = "--backup", description = "Restores of this backup")
        String backup;

        @picocli.CommandLine.Mixin
        Paging paging = new Paging();

        @Override
        public Integer call() {
            Context c = ctx();
            c.output()
                    .list(
                            c.api()
                                    .get(
                                            "api/restores",
                                            params(
                                                    "status",
                                                    status,
                                                    "backup_id",
                                                    backup == null ? null : id(backup),
                                                    "page",
                                                    paging.page,
                                                    "size",
                                                    paging.size)),
                            COLUMNS);
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", description = "Show one restore with its report.")
    static final class Show extends Leaf {
        @Parameters(paramLabel = "RESTORE")
        String restore;

        @Override
        public Integer call() {
            return show("api/restores", restore);
        }
    }
}
