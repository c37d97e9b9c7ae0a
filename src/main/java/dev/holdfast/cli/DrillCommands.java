package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast drills run|list|show|stats}: restore drills, run now or on their cron, and what they showed. */
@Command(
        name = "drills",
        description = "Run restore drills, list and show them, statistics per source.",
        subcommands = {
            DrillCommands.Run.class,
            DrillCommands.ListDrills.class,
            DrillCommands.Show.class,
            DrillCommands.Stats.class
        })
final class DrillCommands {
    static final List<Output.Column> COLUMNS = List.of(
            new Output.Column("ID", "id"),
            new Output.Column("SOURCE", "source"),
            new Output.Column("BACKUP", "backup_id"),
            new Output.Column("STATUS", "status"),
            new Output.Column("TRIGGER", "trigger"),
            new Output.Column("RECOVERY_S", "recovery_seconds"),
            new Output.Column("CREATED", "created_at"));

    static final List<Output.Column> STATS = List.of(
            new Output.Column("SOURCE", "source"),
            new Output.Column("DRILLS", "drills"),
            new Output.Column("LAST", "last_status"),
            new Output.Column("LAST_SUCCESS", "last_success_at"),
            new Output.Column("LAST_FAILURE", "last_failure_at"),
            new Output.Column("RECOVERY_S", "last_recovery_seconds"));

    @Command(name = "run", description = "Drill a source's latest successful backup (or --backup) now.")
    static final class Run extends Leaf {
        @Option(names = "--source", required = true, description = "The database source to drill")
        String source;

        @Option(names = "--backup", description = "The backup to restore (default: the source's latest good one)")
        String backup;

        @Mixin
        BackupCommands.WaitOptions waiting = new BackupCommands.WaitOptions();

        @Override
        public Integer call() {
            Context c = ctx();
            ObjectNode body = c.api().json().createObjectNode();
            body.put("source", source);
            if (backup != null) {
                body.put("backup_id", id(backup));
            }
            JsonNode accepted = c.api().post("api/drills", body, null);
            JsonNode drill = accepted.path("resource");
            String drillId = drill.path("id").asText();
            String jobId = accepted.path("job").path("id").asText();
            if (!waiting.wait) {
                c.output().item(drill);
                c.err()
                        .println("drill " + drillId + " queued as job " + jobId + " (follow it: holdfast jobs watch "
                                + jobId + ")");
                return ExitCodes.OK;
            }
            JsonNode job = c.waitFor(accepted.path("job"), waiting.timeout);
            JsonNode finished = c.api().get("api/drills/" + drillId);
            c.output().item(finished);
            if ("SUCCEEDED".equals(finished.path("status").asText())) {
                return ExitCodes.OK;
            }
            c.err()
                    .println("holdfast: drill " + drillId + " "
                            + finished.path("status").asText() + ": "
                            + finished.path("error").asText(job.path("error").asText("")));
            return ExitCodes.FAILED;
        }
    }

    @Command(name = "list", description = "List drills, newest first.")
    static final class ListDrills extends Leaf {
        @Option(names = "--source", description = "Drills of this source")
        String source;

        @Option(names = "--status", description = "QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED")
        String status;

        @Mixin
        Paging paging = new Paging();

        @Option(names = "--sort", description = "e.g. finished_at,desc")
        String sort;

        @Override
        public Integer call() {
            Context c = ctx();
            c.output()
                    .list(
                            c.api()
                                    .get(
                                            "api/drills",
                                            params(
                                                    "source",
                                                    source,
                                                    "status",
                                                    status,
                                                    "page",
                                                    paging.page,
                                                    "size",
                                                    paging.size,
                                                    "sort",
                                                    sort)),
                            COLUMNS);
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", description = "Show one drill with its per-table, per-check and media results.")
    static final class Show extends Leaf {
        @Parameters(paramLabel = "DRILL")
        String drill;

        @Override
        public Integer call() {
            return show("api/drills", drill);
        }
    }

    @Command(name = "stats", description = "Per source: drills, the last one, last success and failure, recovery time.")
    static final class Stats extends Leaf {
        @Override
        public Integer call() {
            Context c = ctx();
            c.output().list(c.api().get("api/drills/statistics"), STATS);
            return ExitCodes.OK;
        }
    }

    private DrillCommands() {}
}
