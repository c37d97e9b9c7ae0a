package dev.holdfast.stats;

import static dev.holdfast.time.Timestamps.epochSeconds;

import dev.holdfast.storage.Storages;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The offsite-copy gauges, read from the catalog like the other cluster-wide gauges ({@link OperationsMetrics}):
 * {@code holdfast_backup_copies_failed{storage}} (stored backups whose copy there failed: each one lacks a copy it
 * asked for), {@code holdfast_backup_copies_pending{storage}} and
 * {@code holdfast_backup_copy_last_success_timestamp_seconds{storage}}. Every configured copy storage has a row, 0
 * when nothing happened, so that an alert needs no {@code absent()}.
 */
@ApplicationScoped
public class CopyMetrics {
    private static final Logger LOG = Logger.getLogger(CopyMetrics.class);

    @Inject
    MeterRegistry registry;

    @Inject
    EntityManager em;

    @Inject
    Storages storages;

    private MultiGauge failed;
    private MultiGauge pending;
    private MultiGauge lastSuccess;

    void start(@Observes StartupEvent ev) {
        failed = MultiGauge.builder("holdfast.backup.copies.failed")
                .description("Successful backups whose copy to the storage failed (they lack that copy)")
                .register(registry);
        pending = MultiGauge.builder("holdfast.backup.copies.pending")
                .description("Copies to the storage queued or running")
                .register(registry);
        lastSuccess = MultiGauge.builder("holdfast.backup.copy.last.success.timestamp")
                .baseUnit("seconds")
                .description("When the newest successful copy to the storage finished, Unix time; 0 if none")
                .register(registry);
        refresh();
    }

    /** Re-reads the gauges; never throws (a scrape then shows the previous values). */
    @Scheduled(
            every = "${holdfast.monitoring.refresh-interval}",
            delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    @Transactional
    public void refresh() {
        try {
            Map<String, double[]> by = new HashMap<>();
            for (String name : storages.names()) {
                if (!name.equals(Storages.PRIMARY)) {
                    by.put(name, new double[3]);
                }
            }
            @SuppressWarnings("unchecked")
            List<Object[]> rows = em.createNativeQuery("""
                    SELECT c.storage,
                           count(*) FILTER (WHERE c.status = 'FAILED' AND b.status = 'SUCCEEDED'),
                           count(*) FILTER (WHERE c.status IN ('QUEUED', 'RUNNING')),
                           max(c.finished_at) FILTER (WHERE c.status = 'SUCCEEDED')
                      FROM holdfast.backup_copy c JOIN holdfast.backup b ON b.id = c.backup_id
                     GROUP BY c.storage
                    """).getResultList();
            for (Object[] r : rows) {
                double[] v = by.computeIfAbsent((String) r[0], k -> new double[3]);
                v[0] = ((Number) r[1]).doubleValue();
                v[1] = ((Number) r[2]).doubleValue();
                v[2] = epochSeconds(r[3]);
            }
            failed.register(rows(by, 0), true);
            pending.register(rows(by, 1), true);
            lastSuccess.register(rows(by, 2), true);
        } catch (Exception e) {
            LOG.warnf("Copy metrics not refreshed: %s", e.getMessage());
        }
    }

    private static List<MultiGauge.Row<?>> rows(Map<String, double[]> by, int i) {
        List<MultiGauge.Row<?>> out = new ArrayList<>();
        by.forEach((storage, v) -> out.add(MultiGauge.Row.of(Tags.of("storage", storage), v[i])));
        return out;
    }
}
