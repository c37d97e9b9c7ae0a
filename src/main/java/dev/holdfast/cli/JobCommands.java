package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast jobs list|show|watch|cancel}: the durable queue's jobs. */
@Command(
        name = "jobs",
        description = "List, show, follow and cancel jobs.",
        subcommands = {
            JobCommands.ListJobs.class,
            JobCommands.Show.class,
            JobCommands.Watch.class,
            JobCommands.Cancel.class
        })
final class JobCommands {
    static final List<Output.Column> COLUMNS = List.of(
            new Output.Column("ID", "id"),
            new Output.Column("TYPE", "type"),
            new Output.Column("STATE", "state"),
            new Output.Column("PHASE", "progress.phase"),
            new Output.Column("PERCENT", "progress.percent"),
            new Output.Column("QUEUED", "queued_at"),
            new Output.Column("ERROR", "error"));

    @Command(name = "list", description = "List jobs, newest first.")
    static final class ListJobs extends Leaf {
        @Option(names = "--state", description = "QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED")
        String state;

        @Option(names = "--type", description = "e.g. backup, restore, verify")
        String type;

        @picocli.CommandLine.Mixin
        Paging paging = new Paging();

        @Override
        public Integer call() {
            Context c = ctx();
            c.output()
                    .list(
                            c.api()
                                    .get(
                                            "api/jobs",
                                            params(
                                                    "state",
                                                    state,
                                                    "type",
                                                    type,
                                                    "page",
                                                    paging.page,
                                                    "size",
                                                    paging.size)),
                            COLUMNS);
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", description = "Show one job.")
    static final class Show extends Leaf {
        @Parameters(paramLabel = "JOB")
        String job;

        @Override
        public Integer call() {
            return show("api/jobs", job);
        }
    }

    @Command(name = "watch", description = "Follow a job's progress until it ends; exit 0 only if it succeeded.")
    static final class Watch extends Leaf {
        @Parameters(paramLabel = "JOB")
        String job;

        @Option(names = "--timeout", defaultValue = "2h", description = "How long to wait (default 2h); then exit 5")
        Duration timeout;

        @Override
        public Integer call() {
            Context c = ctx();
            JsonNode ended = c.follower().follow(id(job), timeout);
            c.output().item(ended);
            return c.outcome(ended, "job " + job);
        }
    }

    @Command(name = "cancel", description = "Ask a queued or running job to stop.")
    static final class Cancel extends Leaf {
        @Parameters(paramLabel = "JOB")
        String job;

        @Override
        public Integer call() {
            Context c = ctx();
            c.output().item(c.api().post("api/jobs/" + id(job) + "/cancel", null, null));
            return ExitCodes.OK;
        }
    }

    private JobCommands() {}
}
