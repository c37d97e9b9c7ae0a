package dev.holdfast.job;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Cluster-wide queue gauges ({@code holdfast_jobs_queued}, {@code holdfast_jobs_running}, and
 * {@code holdfast_jobs_stalled{type}}: running jobs the watchdog reports stalled),
 * refreshed from the job table on a schedule so that a scrape never queries the database.
 */
@ApplicationScoped
public class JobMetrics {
    private static final Logger LOG = Logger.getLogger(JobMetrics.class);

    @Inject
    MeterRegistry registry;

    @Inject
    JobService jobs;

    @Inject
    JobWorker worker;

    @Inject
    jakarta.persistence.EntityManager em;

    @Inject
    @jakarta.enterprise.inject.Any
    jakarta.enterprise.inject.Instance<JobHandler> handlers;

    private io.micrometer.core.instrument.MultiGauge stalled;
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong running = new AtomicLong();

    void register(@Observes StartupEvent ev) {
        Gauge.builder("holdfast.jobs.queued", queued, AtomicLong::get)
                .description("Jobs waiting in the queue (all instances)")
                .register(registry);
        Gauge.builder("holdfast.jobs.running", running, AtomicLong::get)
                .description("Jobs running (all instances)")
                .register(registry);
        Gauge.builder("holdfast.jobs.running.local", worker, JobWorker::runningHere)
                .description("Jobs running on this instance")
                .register(registry);
        stalled = io.micrometer.core.instrument.MultiGauge.builder("holdfast.jobs.stalled")
                .description("Running jobs the watchdog reports stalled (all instances), by type")
                .register(registry);
        refresh();
    }

    /** One row per job type this instance runs (0 when none is stalled), so an alert needs no absent(). */
    @jakarta.transaction.Transactional
    void refreshStalled() {
        java.util.Map<String, Long> by = new java.util.TreeMap<>();
        handlers.forEach(h -> by.put(h.type(), 0L));
        @SuppressWarnings("unchecked")
        java.util.List<Object[]> rows = em.createNativeQuery("SELECT type, count(*) FROM holdfast.job"
                        + " WHERE state = 'RUNNING' AND stall IS NOT NULL GROUP BY type")
                .getResultList();
        for (Object[] r : rows) {
            by.put((String) r[0], ((Number) r[1]).longValue());
        }
        java.util.List<io.micrometer.core.instrument.MultiGauge.Row<?>> out = new java.util.ArrayList<>();
        by.forEach((type, n) -> out.add(io.micrometer.core.instrument.MultiGauge.Row.of(
                io.micrometer.core.instrument.Tags.of("type", type), n)));
        stalled.register(out, true);
    }

    @Scheduled(every = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        try {
            queued.set(jobs.count(JobState.QUEUED));
            running.set(jobs.count(JobState.RUNNING));
            refreshStalled();
        } catch (Exception e) {
            LOG.debugf("Queue gauges not refreshed: %s", e.getMessage());
        }
    }
}
