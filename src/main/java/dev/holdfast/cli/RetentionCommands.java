package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code holdfast retention preview|apply}: which backups a policy keeps and why, and deleting the rest. The seed's
 * {@code cleanup_old_backups --days N} is {@code retention apply --days N}; without policy options the configured
 * policy (the schedule's, else the global one) applies.
 */
@Command(
        name = "retention",
        description = "Preview and apply a retention policy.",
        subcommands = {RetentionCommands.Preview.class, RetentionCommands.Apply.class})
final class RetentionCommands {
    static final List<Output.Column> COLUMNS = List.of(
            new Output.Column("ID", "id"),
            new Output.Column("NAME", "name"),
            new Output.Column("CREATED", "created_at"),
            new Output.Column("STATUS", "status"),
            new Output.Column("DECISION", "decision"),
            new Output.Column("REASONS", "reasons"));

    /** The policy options, shared by preview and apply. */
    static final class PolicyOptions {
        @Option(names = "--schedule", description = "The backups of this schedule (default: those no schedule covers)")
        String schedule;

        @Option(names = "--days", description = "Delete backups older than N days (the seed's cleanup_old_backups)")
        Integer days;

        @Option(names = "--keep-last")
        Integer keepLast;

        @Option(names = "--keep-daily")
        Integer keepDaily;

        @Option(names = "--keep-weekly")
        Integer keepWeekly;

        @Option(names = "--keep-monthly")
        Integer keepMonthly;

        @Option(names = "--keep-yearly")
        Integer keepYearly;

        @Option(names = "--keep-within", description = "e.g. 7d")
        String keepWithin;

        @Option(names = "--max-age", description = "e.g. 30d (same as --days 30)")
        String maxAge;

        String maxAge() {
            if (days != null && maxAge != null) {
                throw new CliException(ExitCodes.USAGE, "give --days or --max-age, not both");
            }
            if (days != null && days < 1) {
                throw new CliException(ExitCodes.USAGE, "--days must be 1 or more");
            }
            return days != null ? days + "d" : maxAge;
        }
    }

    @Command(name = "preview", description = "Show what a policy keeps and deletes, and why. Changes nothing.")
    static final class Preview extends Leaf {
        @picocli.CommandLine.Mixin
        PolicyOptions policy = new PolicyOptions();

        @Override
        public Integer call() {
            Context c = ctx();
            PolicyOptions p = policy;
            JsonNode preview = c.api()
                    .get(
                            "api/retention/preview",
                            params(
                                    "schedule_id",
                                    p.schedule == null ? null : id(p.schedule),
                                    "keep_last",
                                    p.keepLast,
                                    "keep_daily",
                                    p.keepDaily,
                                    "keep_weekly",
                                    p.keepWeekly,
                                    "keep_monthly",
                                    p.keepMonthly,
                                    "keep_yearly",
                                    p.keepYearly,
                                    "keep_within",
                                    p.keepWithin,
                                    "max_age",
                                    p.maxAge()));
            if (c.output().format() == Output.Format.table) {
                c.output().list(preview.path("backups"), COLUMNS);
                c.output()
                        .line(preview.path("keep").asInt() + " kept, "
                                + preview.path("delete").asInt() + " to delete (policy from "
                                + preview.path("policy_source").asText("?") + ")");
            } else {
                c.output().raw(preview);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "apply", description = "Delete what the policy does not keep, exactly as preview shows.")
    static final class Apply extends Leaf {
        @picocli.CommandLine.Mixin
        PolicyOptions policy = new PolicyOptions();

        @Option(names = "--yes", description = "Do not ask (required when not interactive)")
        boolean yes;

        @Override
        public Integer call() {
            Context c = ctx();
            PolicyOptions p = policy;
            ObjectNode body = c.api().json().createObjectNode();
            if (p.schedule != null) {
                body.put("schedule_id", id(p.schedule));
            }
            ObjectNode rules = c.api().json().createObjectNode();
            putIf(rules, "keep_last", p.keepLast);
            putIf(rules, "keep_daily", p.keepDaily);
            putIf(rules, "keep_weekly", p.keepWeekly);
            putIf(rules, "keep_monthly", p.keepMonthly);
            putIf(rules, "keep_yearly", p.keepYearly);
            BackupCommands.putIf(rules, "keep_within", p.keepWithin);
            BackupCommands.putIf(rules, "max_age", p.maxAge());
            if (!rules.isEmpty()) {
                body.set("policy", rules);
            }
            c.confirm(
                    yes, "Delete every backup in scope that the policy does not keep (see retention preview)?", "yes");
            JsonNode result = c.api().post("api/retention/apply", body, null);
            if (c.output().format() == Output.Format.table) {
                c.output()
                        .list(
                                result.path("deleted"),
                                List.of(
                                        new Output.Column("DELETED", "id"),
                                        new Output.Column("NAME", "name"),
                                        new Output.Column("REASON", "reason")));
                c.output()
                        .line(result.path("deleted").size() + " deleted, "
                                + result.path("kept").asInt() + " kept, "
                                + result.path("failures").size() + " refused");
            } else {
                c.output().raw(result);
            }
            for (JsonNode f : result.path("failures")) {
                c.err()
                        .println("holdfast: not deleted: " + f.path("id").asText() + " "
                                + f.path("name").asText() + ": "
                                + f.path("error").asText());
            }
            return result.path("failures").size() > 0 ? ExitCodes.FAILED : ExitCodes.OK;
        }

        private static void putIf(ObjectNode n, String field, Integer v) {
            if (v != null) {
                n.put(field, v);
            }
        }
    }

    private RetentionCommands() {}
}
