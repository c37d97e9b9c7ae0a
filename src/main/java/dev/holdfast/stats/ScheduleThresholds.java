package dev.holdfast.stats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.schedule.ScheduleService;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.time.TimeSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What a schedule's backups cover (sources and type) and when a schedule counts as overdue. */
@ApplicationScoped
public class ScheduleThresholds {
    @Inject
    SourceRegistry sources;

    @Inject
    ObjectMapper mapper;

    /** One source a schedule backs up, with the backup type. */
    public record Coverage(String source, String type) {}

    /** The sources and type of the backups a schedule creates (unnamed sources mean all configured ones). */
    public List<Coverage> coverage(CatalogStats.ScheduleOutcome s) {
        List<Coverage> out = new ArrayList<>();
        JsonNode req;
        try {
            req = mapper.readTree(s.backupRequestJson() == null ? "{}" : s.backupRequestJson());
        } catch (java.io.IOException e) {
            return out;
        }
        String type = req.path("backup_type").asText("full");
        if (!type.equals("media")) {
            names(req.path("databases"), sources.databases().keySet()).forEach(n -> out.add(new Coverage(n, type)));
        }
        boolean media = type.equals("media")
                || (type.equals("full") && req.path("include_media").asBoolean(true));
        if (media) {
            names(req.path("media"), sources.media().keySet()).forEach(n -> out.add(new Coverage(n, type)));
        }
        return out;
    }

    @Inject
    ScheduleService schedules;

    @Inject
    TimeSource time;

    /**
     * The schedule's overdue threshold: its alert_after, or the one derived from its cron
     * ({@link ScheduleService#alertAfter}); null only for a schedule whose stored cron no longer parses.
     */
    public Duration alertAfter(CatalogStats.ScheduleOutcome s) {
        try {
            return schedules.alertAfter(s.cron(), s.timeZone(), s.alertAfterSeconds(), time.now());
        } catch (IllegalArgumentException e) {
            return s.alertAfterSeconds() == null ? null : Duration.ofSeconds(s.alertAfterSeconds());
        }
    }

    private static List<String> names(JsonNode asked, java.util.Set<String> all) {
        List<String> out = new ArrayList<>();
        if (asked.isArray() && !asked.isEmpty()) {
            asked.forEach(n -> out.add(n.asText()));
        } else {
            out.addAll(all);
        }
        return out;
    }
}
