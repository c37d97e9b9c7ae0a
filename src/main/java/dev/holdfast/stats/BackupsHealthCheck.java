package dev.holdfast.stats;

import dev.holdfast.config.MonitoringConfig;
import dev.holdfast.time.TimeSource;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * The {@code backups} health group ({@code /q/health/group/backups}): DOWN when the archive storage is nearly full
 * or an enabled schedule is overdue (its last success older than its alert_after). It is a group of its own, not
 * readiness, on purpose: an overdue backup must page someone, not take the API out of the load balancer.
 */
@HealthGroup("backups")
@ApplicationScoped
public class BackupsHealthCheck implements HealthCheck {
    @Inject
    StatisticsService statistics;

    @Inject
    CatalogStats catalog;

    @Inject
    ScheduleThresholds thresholds;

    @Inject
    MonitoringConfig config;

    @Inject
    TimeSource time;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("backups").up();
        List<String> problems = new ArrayList<>();
        try {
            Statistics.StorageStats s = statistics.storage(catalog.counts().storedBytes());
            b.withData("storage_used_bytes", s.usedBytes());
            if (s.freeBytes() != null) {
                b.withData("storage_free_bytes", s.freeBytes());
            }
            if (s.freePercent() != null) {
                b.withData("storage_free_percent", String.format(java.util.Locale.ROOT, "%.1f", s.freePercent()));
            }
            problems.addAll(storageProblems(s, config.storageMinFreePercent(), config.storageMinFreeBytes()));
            Instant now = time.now();
            List<String> overdue = new ArrayList<>();
            for (CatalogStats.ScheduleOutcome o : catalog.scheduleOutcomes()) {
                Duration alertAfter = thresholds.alertAfter(o);
                if (StatisticsService.overdue(o, alertAfter, now)) {
                    overdue.add(o.name());
                    problems.add("schedule '" + o.name() + "' has not succeeded for more than " + alertAfter
                            + (o.lastSuccess() == null
                                    ? " (never succeeded)"
                                    : " (last success " + o.lastSuccess() + ")"));
                }
            }
            b.withData("overdue_schedules", String.join(",", overdue));
        } catch (RuntimeException e) {
            problems.add("catalog not readable: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            b.down().withData("problems", String.join("; ", problems));
        }
        return b.build();
    }

    /** Why the storage counts as nearly full, if it does: free share below the minimum, or free bytes. */
    static List<String> storageProblems(Statistics.StorageStats s, double minFreePercent, long minFreeBytes) {
        List<String> problems = new ArrayList<>();
        if (s.freeBytes() != null && minFreeBytes > 0 && s.freeBytes() < minFreeBytes) {
            problems.add("storage has " + s.freeBytes() + " bytes free, below " + minFreeBytes);
        }
        if (s.freePercent() != null && s.freePercent() < minFreePercent) {
            problems.add(String.format(
                    java.util.Locale.ROOT,
                    "storage is nearly full: %.1f%% free, below %s%%",
                    s.freePercent(),
                    minFreePercent));
        }
        return problems;
    }
}
