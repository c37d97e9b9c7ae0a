package dev.holdfast.stats;

import dev.holdfast.backup.BackupFinished;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.backup.VerificationFinished;
import dev.holdfast.restore.RestoreFinished;
import dev.holdfast.restore.RestoreStatus;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.storage.ArchiveStorage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The backup, restore, verification and storage metrics Prometheus scrapes from {@code /q/metrics}.
 *
 * <p>Counters and histograms ({@code holdfast_backup_attempts_total}, {@code _duration_seconds}, ...) count what
 * this instance ran: Prometheus sums them over instances. Timestamps, sizes and storage figures are gauges read
 * from the catalog every {@code holdfast.monitoring.refresh-interval}, so every instance exports the same
 * cluster-wide values and a restart loses nothing; alert on {@code max} over instances. Labels are bounded:
 * {@code source} (configured sources), {@code schedule} (schedule names, or {@code none}), {@code type}
 * (full, database, media), {@code mode} (replace, clean).
 */
@ApplicationScoped
public class OperationsMetrics {
    private static final Logger LOG = Logger.getLogger(OperationsMetrics.class);
    /** Duration histogram buckets: from a second to a day, as backups range from seconds to hours. */
    private static final Duration[] BUCKETS = {
        Duration.ofSeconds(1),
        Duration.ofSeconds(5),
        Duration.ofSeconds(15),
        Duration.ofSeconds(30),
        Duration.ofMinutes(1),
        Duration.ofMinutes(2),
        Duration.ofMinutes(5),
        Duration.ofMinutes(10),
        Duration.ofMinutes(30),
        Duration.ofHours(1),
        Duration.ofHours(2),
        Duration.ofHours(4),
        Duration.ofHours(8),
        Duration.ofHours(24)
    };

    @Inject
    MeterRegistry registry;

    @Inject
    CatalogStats catalog;

    @Inject
    SourceRegistry sources;

    @Inject
    ArchiveStorage storage;

    @Inject
    ScheduleThresholds thresholds;

    @Inject
    dev.holdfast.schedule.ScheduleMetrics scheduleMetrics;

    private MultiGauge backupLastSuccess;
    private MultiGauge backupLastFailure;
    private MultiGauge backupSize;
    private MultiGauge restoreLastSuccess;
    private MultiGauge restoreLastFailure;
    private MultiGauge verifyLastSuccess;
    private MultiGauge verifyLastFailure;
    private MultiGauge scheduleLastSuccess;
    private MultiGauge scheduleLastFailure;
    private MultiGauge scheduleAlertAfter;
    private MultiGauge scheduleCreated;
    private MultiGauge scheduleEnabled;
    private final AtomicLong storageUsed = new AtomicLong();
    private final AtomicLong storageFree = new AtomicLong(-1);
    private final AtomicLong storageCapacity = new AtomicLong(-1);
    private final AtomicLong storedBackups = new AtomicLong();

    void start(@Observes StartupEvent ev) {
        // Long on purpose: the list of every gauge this service registers, one registration per metric, kept together
        // so the list can be compared with the alert rules and dashboard.
        backupLastSuccess = multi(
                "holdfast.backup.last.success.timestamp",
                "seconds",
                "When the newest successful backup of a source (per schedule and type) finished, Unix time");
        backupLastFailure = multi(
                "holdfast.backup.last.failure.timestamp",
                "seconds",
                "When the newest failed backup of a source (per schedule and type) finished, Unix time");
        backupSize = multi(
                "holdfast.backup.size",
                "bytes",
                "Archive size of the newest successful backup of a source (per schedule and type)");
        restoreLastSuccess = multi(
                "holdfast.restore.last.success.timestamp",
                "seconds",
                "When the newest successful restore of a source (per mode) finished, Unix time; dry runs excluded");
        restoreLastFailure = multi(
                "holdfast.restore.last.failure.timestamp",
                "seconds",
                "When the newest failed restore of a source (per mode) finished, Unix time; dry runs excluded");
        verifyLastSuccess = multi(
                "holdfast.verify.last.success.timestamp",
                "seconds",
                "When a backup of the source last passed verification, Unix time");
        verifyLastFailure = multi(
                "holdfast.verify.last.failure.timestamp",
                "seconds",
                "When a backup of the source last failed verification, Unix time");
        scheduleLastSuccess = multi(
                "holdfast.schedule.last.success.timestamp",
                "seconds",
                "When the schedule's newest successful backup finished, Unix time; 0 if it never succeeded");
        scheduleLastFailure = multi(
                "holdfast.schedule.last.failure.timestamp",
                "seconds",
                "When the schedule's newest failed backup finished, Unix time; 0 if none failed");
        scheduleAlertAfter = multi(
                "holdfast.schedule.alert.after",
                "seconds",
                "A last success older than this makes the schedule overdue (its alert_after)");
        scheduleCreated = multi("holdfast.schedule.created.timestamp", "seconds", "When the schedule was created");
        scheduleEnabled = multi("holdfast.schedule.enabled", null, "1 if the schedule is enabled, else 0");
        Gauge.builder("holdfast.storage.used", storageUsed, AtomicLong::get)
                .baseUnit("bytes")
                .description("Bytes taken by the archives of successful backups (catalog sizes)")
                .register(registry);
        Gauge.builder("holdfast.storage.free", storageFree, AtomicLong::get)
                .baseUnit("bytes")
                .description("Bytes still free where archives are stored (-1: unknown)")
                .register(registry);
        Gauge.builder("holdfast.storage.capacity", storageCapacity, AtomicLong::get)
                .baseUnit("bytes")
                .description("Size of the space archives are stored in (-1: unknown)")
                .register(registry);
        Gauge.builder("holdfast.backups.stored", storedBackups, AtomicLong::get)
                .description("Successful backups in the catalog")
                .register(registry);
        for (String source : sources.databases().keySet()) {
            initBackupCounters(source, CatalogStats.NO_SCHEDULE, List.of("full", "database"));
            initRestoreCounters(source);
        }
        for (String source : sources.media().keySet()) {
            initBackupCounters(source, CatalogStats.NO_SCHEDULE, List.of("full", "media"));
            initRestoreCounters(source);
        }
        refresh();
    }

    private MultiGauge multi(String name, String unit, String description) {
        MultiGauge.Builder b = MultiGauge.builder(name).description(description);
        if (unit != null) {
            b.baseUnit(unit);
        }
        return b.register(registry);
    }

    // --- counters and histograms, from outcome events -------------------------------------------

    void backupFinished(@Observes(during = TransactionPhase.AFTER_SUCCESS) BackupFinished e) {
        try {
            String schedule = e.scheduleName() == null ? CatalogStats.NO_SCHEDULE : e.scheduleName();
            String type = e.type().jsonName();
            boolean ok = e.status() == BackupStatus.SUCCEEDED;
            for (String source : e.sources()) {
                Tags tags = Tags.of("source", source, "schedule", schedule, "type", type);
                registry.counter("holdfast.backup.attempts", tags).increment();
                if (ok) {
                    registry.counter("holdfast.backup.success", tags).increment();
                } else if (e.status() == BackupStatus.FAILED) {
                    registry.counter("holdfast.backup.failure", tags).increment();
                }
                if (ok && e.startedAt() != null) {
                    timer("holdfast.backup.duration", "Wall time of successful backups", tags)
                            .record(Duration.between(e.startedAt(), e.finishedAt()));
                }
            }
            if (ok) {
                Tags tags = Tags.of("schedule", schedule, "type", type);
                registry.counter("holdfast.backup.rows", tags).increment(e.rows());
                Counter.builder("holdfast.backup.read")
                        .baseUnit("bytes")
                        .tags(tags)
                        .description("Uncompressed bytes read from the sources by successful backups")
                        .register(registry)
                        .increment(e.rawBytes());
                Counter.builder("holdfast.backup.written")
                        .baseUnit("bytes")
                        .tags(tags)
                        .description("Archive bytes written by successful backups")
                        .register(registry)
                        .increment(e.sizeBytes() == null ? 0 : e.sizeBytes());
            }
        } catch (RuntimeException ex) {
            LOG.warnf(ex, "Backup metrics not updated for %s", e.backupId());
        }
    }

    void restoreFinished(@Observes(during = TransactionPhase.AFTER_SUCCESS) RestoreFinished e) {
        try {
            boolean ok = e.status() == RestoreStatus.SUCCEEDED;
            for (String source : e.sources()) {
                Tags tags = Tags.of("source", source, "mode", e.mode(), "dry_run", String.valueOf(e.dryRun()));
                registry.counter("holdfast.restore.attempts", tags).increment();
                if (ok) {
                    registry.counter("holdfast.restore.success", tags).increment();
                } else if (e.status() == RestoreStatus.FAILED) {
                    registry.counter("holdfast.restore.failure", tags).increment();
                }
                if (ok && e.startedAt() != null) {
                    timer("holdfast.restore.duration", "Wall time of successful restores", tags)
                            .record(Duration.between(e.startedAt(), e.finishedAt()));
                }
            }
            if (ok) {
                registry.counter("holdfast.restore.rows", Tags.of("mode", e.mode()))
                        .increment(e.rows());
            }
        } catch (RuntimeException ex) {
            LOG.warnf(ex, "Restore metrics not updated for %s", e.restoreId());
        }
    }

    void verificationFinished(@Observes(during = TransactionPhase.AFTER_SUCCESS) VerificationFinished e) {
        for (String source : e.sources()) {
            registry.counter(e.ok() ? "holdfast.verify.success" : "holdfast.verify.failure", Tags.of("source", source))
                    .increment();
        }
    }

    private Timer timer(String name, String description, Tags tags) {
        return Timer.builder(name)
                .description(description)
                .tags(tags)
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    private void initBackupCounters(String source, String schedule, List<String> types) {
        for (String type : types) {
            Tags tags = Tags.of("source", source, "schedule", schedule, "type", type);
            registry.counter("holdfast.backup.attempts", tags);
            registry.counter("holdfast.backup.success", tags);
            registry.counter("holdfast.backup.failure", tags);
        }
    }

    private void initRestoreCounters(String source) {
        for (String mode : List.of("replace", "clean")) {
            Tags tags = Tags.of("source", source, "mode", mode, "dry_run", "false");
            registry.counter("holdfast.restore.attempts", tags);
            registry.counter("holdfast.restore.success", tags);
            registry.counter("holdfast.restore.failure", tags);
        }
        registry.counter("holdfast.verify.success", Tags.of("source", source));
        registry.counter("holdfast.verify.failure", Tags.of("source", source));
    }

    // --- gauges, from the catalog ---------------------------------------------------------------

    /** Re-reads the catalog-derived gauges; never throws (a scrape then shows the previous values). */
    @Scheduled(
            every = "${holdfast.monitoring.refresh-interval}",
            delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void refresh() {
        // Long on purpose: one pass over the catalog snapshot that sets every cluster-wide gauge; the gauges are
        // listed in the same order as in start().
        try {
            List<CatalogStats.BackupOutcome> backups = catalog.backupOutcomes();
            Function<CatalogStats.BackupOutcome, Tags> bt =
                    o -> Tags.of("source", o.source(), "schedule", o.schedule(), "type", o.type());
            backupLastSuccess.register(
                    rows(backups, o -> o.lastSuccess() != null, bt, o -> epoch(o.lastSuccess())), true);
            backupLastFailure.register(
                    rows(backups, o -> o.lastFailure() != null, bt, o -> epoch(o.lastFailure())), true);
            backupSize.register(rows(backups, o -> o.lastSuccessSize() != null, bt, o -> o.lastSuccessSize()), true);

            List<CatalogStats.RestoreOutcome> restores = catalog.restoreOutcomes();
            Function<CatalogStats.RestoreOutcome, Tags> rt = o -> Tags.of("source", o.source(), "mode", o.mode());
            restoreLastSuccess.register(
                    rows(restores, o -> o.lastSuccess() != null, rt, o -> epoch(o.lastSuccess())), true);
            restoreLastFailure.register(
                    rows(restores, o -> o.lastFailure() != null, rt, o -> epoch(o.lastFailure())), true);

            List<CatalogStats.VerifyOutcome> verifies = catalog.verifyOutcomes();
            Function<CatalogStats.VerifyOutcome, Tags> vt = o -> Tags.of("source", o.source());
            verifyLastSuccess.register(
                    rows(verifies, o -> o.lastSuccess() != null, vt, o -> epoch(o.lastSuccess())), true);
            verifyLastFailure.register(
                    rows(verifies, o -> o.lastFailure() != null, vt, o -> epoch(o.lastFailure())), true);

            List<CatalogStats.ScheduleOutcome> schedules = catalog.scheduleOutcomes();
            Function<CatalogStats.ScheduleOutcome, Tags> st = o -> Tags.of("schedule", o.name());
            scheduleLastSuccess.register(
                    rows(schedules, o -> true, st, o -> o.lastSuccess() == null ? 0 : epoch(o.lastSuccess())), true);
            scheduleLastFailure.register(
                    rows(schedules, o -> true, st, o -> o.lastFailure() == null ? 0 : epoch(o.lastFailure())), true);
            java.util.Map<String, Duration> alertAfter = new java.util.HashMap<>();
            for (CatalogStats.ScheduleOutcome o : schedules) {
                Duration d = thresholds.alertAfter(o);
                if (d != null) {
                    alertAfter.put(o.name(), d);
                }
            }
            scheduleAlertAfter.register(
                    rows(
                            schedules,
                            o -> alertAfter.containsKey(o.name()),
                            st,
                            o -> alertAfter.get(o.name()).toSeconds()),
                    true);
            scheduleCreated.register(rows(schedules, o -> true, st, o -> epoch(o.createdAt())), true);
            scheduleEnabled.register(rows(schedules, o -> true, st, o -> o.enabled() ? 1 : 0), true);
            for (CatalogStats.ScheduleOutcome s : schedules) {
                // Schedules another instance created get their counters here too, at 0.
                scheduleMetrics.init(s.name());
                for (ScheduleThresholds.Coverage c : thresholds.coverage(s)) {
                    initBackupCounters(c.source(), s.name(), List.of(c.type()));
                }
            }

            CatalogStats.Counts counts = catalog.counts();
            storageUsed.set(counts.storedBytes());
            storedBackups.set(counts.storedCount());
            storageFree.set(storage.freeBytes().orElse(-1));
            storageCapacity.set(storage.capacityBytes().orElse(-1));
        } catch (Exception e) {
            LOG.warnf("Catalog metrics not refreshed: %s", e.getMessage());
        }
    }

    private static <T> List<MultiGauge.Row<?>> rows(
            List<T> items,
            java.util.function.Predicate<T> include,
            Function<T, Tags> tags,
            java.util.function.ToDoubleFunction<T> value) {
        List<MultiGauge.Row<?>> out = new ArrayList<>();
        Set<Tags> seen = new LinkedHashSet<>();
        for (T item : items) {
            if (include.test(item) && seen.add(tags.apply(item))) {
                double v = value.applyAsDouble(item);
                out.add(MultiGauge.Row.of(tags.apply(item), v));
            }
        }
        return out;
    }

    private static double epoch(Instant t) {
        return t == null ? 0 : t.toEpochMilli() / 1000.0;
    }
}
