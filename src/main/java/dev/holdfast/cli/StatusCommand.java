package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code holdfast status}: the seed's health check. Reads {@code GET /api/statistics} and says, per source and
 * schedule, when the last good backup was and what is wrong; exit 0 when all is well, 1 with a warning per problem
 * (an overdue schedule, a source whose last backup failed or that has none, a last good backup older than
 * {@code --max-age}, storage below {@code --min-free-percent}).
 */
@Command(name = "status", description = "Health check: recent backups, failures, overdue schedules, storage.")
final class StatusCommand extends Leaf {
    @Option(
            names = "--max-age",
            description = "Warn about a source whose last good backup is older than this (e.g. 26h; default: off,"
                    + " schedules' own alert thresholds apply)")
    Duration maxAge;

    @Option(
            names = "--min-free-percent",
            defaultValue = "10",
            description = "Warn when the storage has less free space than this (default 10)")
    double minFreePercent;

    @Override
    public Integer call() {
        Context c = ctx();
        JsonNode stats = c.api().get("api/statistics");
        Instant now = java.time.Clock.systemUTC().instant();
        List<String> warnings = problems(stats, now, maxAge, minFreePercent);
        ObjectNode report = c.api().json().createObjectNode();
        report.put("status", warnings.isEmpty() ? "ok" : "warning");
        ArrayNode w = report.putArray("warnings");
        warnings.forEach(w::add);
        report.set("statistics", stats);
        if (c.output().format() == Output.Format.table) {
            c.output()
                    .list(
                            stats.path("sources"),
                            List.of(
                                    new Output.Column("SOURCE", "source"),
                                    new Output.Column("KIND", "kind"),
                                    new Output.Column("LAST_SUCCESS", "last_success.at"),
                                    new Output.Column("LAST_FAILURE", "last_failure.at"),
                                    new Output.Column("OK", "succeeded"),
                                    new Output.Column("FAILED", "failed")));
            JsonNode storage = stats.path("storage");
            if (storage.hasNonNull("free_bytes")) {
                c.output()
                        .line("storage: "
                                + Output.bytes(storage.path("used_bytes").asLong()) + " used, "
                                + Output.bytes(storage.path("free_bytes").asLong()) + " free ("
                                + String.format(
                                        Locale.ROOT,
                                        "%.1f%%",
                                        storage.path("free_percent").asDouble()) + ")");
            }
            c.output().line(warnings.isEmpty() ? "status: ok" : "status: warning");
            warnings.forEach(x -> c.output().line("  - " + x));
        } else {
            c.output().raw(report);
        }
        return warnings.isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /** What is wrong, one sentence per problem (empty when all is well). */
    static List<String> problems(JsonNode stats, Instant now, Duration maxAge, double minFreePercent) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : stats.path("sources")) {
            String name =
                    s.path("kind").asText("source") + " " + s.path("source").asText("?");
            Instant ok = instant(s.path("last_success").path("at"));
            Instant bad = instant(s.path("last_failure").path("at"));
            if (ok == null) {
                out.add(name + ": no successful backup yet");
            } else if (maxAge != null && ok.isBefore(now.minus(maxAge))) {
                out.add(name + ": last successful backup " + ok + " is older than " + Durations.text(maxAge));
            }
            if (bad != null && (ok == null || bad.isAfter(ok))) {
                out.add(name + ": last backup failed at " + bad + ": "
                        + s.path("last_failure").path("error").asText(""));
            }
        }
        for (JsonNode sc : stats.path("schedules")) {
            if (sc.path("enabled").asBoolean(true) && sc.path("overdue").asBoolean(false)) {
                out.add("schedule " + sc.path("name").asText("?") + ": overdue (no successful backup within "
                        + Durations.text(Duration.ofSeconds(
                                sc.path("alert_after_seconds").asLong())) + ")");
            }
        }
        JsonNode storage = stats.path("storage");
        if (storage.hasNonNull("free_percent") && storage.get("free_percent").asDouble() < minFreePercent) {
            out.add(String.format(
                    Locale.ROOT,
                    "storage: %.1f%% free, below %.1f%%",
                    storage.get("free_percent").asDouble(),
                    minFreePercent));
        }
        return out;
    }

    private static Instant instant(JsonNode at) {
        if (at == null || !at.isTextual()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(at.asText()).toInstant();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
