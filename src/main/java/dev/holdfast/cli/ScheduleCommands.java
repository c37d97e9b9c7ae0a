package dev.holdfast.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast schedules list|show|run}: the cron schedules, and running one now. */
@Command(
        name = "schedules",
        description = "List and show schedules, run one now.",
        subcommands = {ScheduleCommands.ListSchedules.class, ScheduleCommands.Show.class, ScheduleCommands.Run.class})
final class ScheduleCommands {
    static final List<Output.Column> COLUMNS = List.of(
            new Output.Column("ID", "id"),
            new Output.Column("NAME", "name"),
            new Output.Column("CRON", "cron"),
            new Output.Column("TYPE", "backup.backup_type"),
            new Output.Column("ENABLED", "enabled"),
            new Output.Column("NEXT_RUN", "next_run_at"));

    @Command(name = "list", description = "List schedules.")
    static final class ListSchedules extends Leaf {
        @Option(names = "--enabled", description = "true or false")
        Boolean enabled;

        @picocli.CommandLine.Mixin
        Paging paging = new Paging();

        @Override
        public Integer call() {
            Context c = ctx();
            c.output()
                    .list(
                            c.api()
                                    .get(
                                            "api/schedules",
                                            params("enabled", enabled, "page", paging.page, "size", paging.size)),
                            COLUMNS);
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", description = "Show one schedule.")
    static final class Show extends Leaf {
        @Parameters(paramLabel = "SCHEDULE")
        String schedule;

        @Override
        public Integer call() {
            return show("api/schedules", schedule);
        }
    }

    @Command(name = "run", description = "Run a schedule's backup now.")
    static final class Run extends Leaf {
        @Parameters(paramLabel = "SCHEDULE")
        String schedule;

        @Mixin
        BackupCommands.WaitOptions waiting = new BackupCommands.WaitOptions();

        @Override
        public Integer call() {
            Context c = ctx();
            return BackupCommands.finishBackup(
                    c, c.api().post("api/schedules/" + id(schedule) + "/run", null, null), waiting);
        }
    }

    private ScheduleCommands() {}
}
