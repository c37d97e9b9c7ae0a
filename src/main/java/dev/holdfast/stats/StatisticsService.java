package dev.holdfast.stats;

import dev.holdfast.source.SourceRegistry;
import dev.holdfast.storage.ArchiveStorage;
import dev.holdfast.time.TimeSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/** Builds the statistics document from the catalog and the storage backend. */
@ApplicationScoped
public class StatisticsService {
    @Inject
    CatalogStats catalog;

    @Inject
    SourceRegistry sources;

    @Inject
    ArchiveStorage storage;

    @Inject
    TimeSource time;

    @Inject
    ScheduleThresholds thresholds;

    public Statistics statistics() {
        // Long on purpose: it assembles the one statistics document from the catalog counts, field by field.
        Instant now = time.now();
        CatalogStats.Counts counts = catalog.counts();
        long total =
                counts.byStatus().values().stream().mapToLong(Long::longValue).sum();
        Statistics.Totals totals = new Statistics.Totals(
                total, counts.byStatus(), counts.byType(), counts.storedCount(), counts.storedBytes());

        Map<String, List<CatalogStats.BackupOutcome>> bySource = new TreeMap<>();
        sources.databases().keySet().forEach(s -> bySource.put(s, new ArrayList<>()));
        sources.media().keySet().forEach(s -> bySource.put(s, new ArrayList<>()));
        for (CatalogStats.BackupOutcome o : catalog.backupOutcomes()) {
            bySource.computeIfAbsent(o.source(), k -> new ArrayList<>()).add(o);
        }
        List<Statistics.SourceStats> perSource = new ArrayList<>();
        bySource.forEach((source, rows) -> {
            String kind = sources.databases().containsKey(source)
                    ? "database"
                    : sources.media().containsKey(source) ? "media" : "unconfigured";
            CatalogStats.BackupOutcome ok = rows.stream()
                    .filter(r -> r.lastSuccess() != null)
                    .max(Comparator.comparing(CatalogStats.BackupOutcome::lastSuccess))
                    .orElse(null);
            CatalogStats.BackupOutcome bad = rows.stream()
                    .filter(r -> r.lastFailure() != null)
                    .max(Comparator.comparing(CatalogStats.BackupOutcome::lastFailure))
                    .orElse(null);
            perSource.add(new Statistics.SourceStats(
                    source,
                    kind,
                    rows.stream()
                            .mapToLong(CatalogStats.BackupOutcome::succeeded)
                            .sum(),
                    rows.stream().mapToLong(CatalogStats.BackupOutcome::failed).sum(),
                    rows.stream()
                            .mapToLong(CatalogStats.BackupOutcome::storedBytes)
                            .sum(),
                    ok == null
                            ? null
                            : new Statistics.Outcome(ok.lastSuccess(), ok.lastSuccessId(), ok.lastSuccessSize(), null),
                    bad == null ? null : new Statistics.Outcome(bad.lastFailure(), null, null, bad.lastError())));
        });

        List<Statistics.ScheduleStats> perSchedule = new ArrayList<>();
        for (CatalogStats.ScheduleOutcome s : catalog.scheduleOutcomes()) {
            Duration alertAfter = thresholds.alertAfter(s);
            perSchedule.add(new Statistics.ScheduleStats(
                    s.id(),
                    s.name(),
                    s.enabled(),
                    s.nextRunAt(),
                    alertAfter == null ? null : alertAfter.toSeconds(),
                    overdue(s, alertAfter, now),
                    s.succeeded(),
                    s.failed(),
                    s.lastSuccess() == null ? null : new Statistics.Outcome(s.lastSuccess(), null, null, null),
                    s.lastFailure() == null
                            ? null
                            : new Statistics.Outcome(s.lastFailure(), null, null, s.lastError())));
        }

        Map<String, Statistics.Rate> rates = new LinkedHashMap<>();
        for (int days : new int[] {7, 30}) {
            CatalogStats.Window w = catalog.window(now.minus(Duration.ofDays(days)));
            rates.put(
                    "last_" + days + "_days",
                    new Statistics.Rate(w.since(), w.succeeded(), w.failed(), w.successRate()));
        }
        CatalogStats.Durations d = catalog.durations(now.minus(Duration.ofDays(30)));
        return new Statistics(
                now,
                totals,
                perSource,
                perSchedule,
                storage(counts.storedBytes()),
                rates,
                new Statistics.DurationStats(d.since(), d.count(), d.averageSeconds(), d.p95Seconds(), d.maxSeconds()));
    }

    /**
     * Overdue: enabled, with a threshold, and the last success (or, when it never succeeded, its creation) is
     * older than the threshold.
     */
    static boolean overdue(CatalogStats.ScheduleOutcome s, Duration alertAfter, Instant now) {
        if (!s.enabled() || alertAfter == null) {
            return false;
        }
        Instant since = s.lastSuccess() != null ? s.lastSuccess() : s.createdAt();
        return since.plus(alertAfter).isBefore(now);
    }

    Statistics.StorageStats storage(long usedBytes) {
        OptionalLong free;
        OptionalLong capacity;
        try {
            free = storage.freeBytes();
            capacity = storage.capacityBytes();
        } catch (IOException e) {
            free = OptionalLong.empty();
            capacity = OptionalLong.empty();
        }
        Double percent = free.isPresent() && capacity.isPresent() && capacity.getAsLong() > 0
                ? 100.0 * free.getAsLong() / capacity.getAsLong()
                : null;
        return new Statistics.StorageStats(
                usedBytes,
                free.isPresent() ? free.getAsLong() : null,
                capacity.isPresent() ? capacity.getAsLong() : null,
                percent);
    }
}
