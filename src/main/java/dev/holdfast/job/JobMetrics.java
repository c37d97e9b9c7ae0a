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
 * Cluster-wide queue gauges ({@code holdfast_jobs_queued}, {@code holdfast_jobs_running}),
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
        refresh();
    }

    @Scheduled(every = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        try {
            queued.set(jobs.count(JobState.QUEUED));
            running.set(jobs.count(JobState.RUNNING));
        } catch (Exception e) {
            LOG.debugf("Queue gauges not refreshed: %s", e.getMessage());
        }
    }
}
