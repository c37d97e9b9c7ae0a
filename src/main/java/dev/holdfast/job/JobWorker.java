package dev.holdfast.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.config.HoldfastConfig;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.eclipse.microprofile.context.ThreadContext;
import org.jboss.logging.Logger;

/**
 * This instance's worker: wires the {@link WorkerPool} to the catalog datasource, a dedicated
 * {@link ManagedExecutor}, the job handlers and the event bus, and drives it from the scheduler.
 */
@ApplicationScoped
public class JobWorker {
    private static final Logger LOG = Logger.getLogger(JobWorker.class);

    @Inject
    HoldfastConfig config;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    ObjectMapper mapper;

    @Inject
    @Any
    Instance<JobHandler> handlerBeans;

    @Inject
    ProgressBus bus;

    @Inject
    MeterRegistry registry;

    @Inject
    StallWatchdog watchdog;

    private ManagedExecutor executor;
    private ExecutorService waker;
    private WorkerPool pool;
    private JobStore store;
    private String instanceId;

    void start(@Observes StartupEvent ev) {
        instanceId = config.jobs().instanceId().orElseGet(JobWorker::defaultInstanceId);
        Map<String, JobHandler> handlers = new HashMap<>();
        for (JobHandler h : handlerBeans) {
            JobHandler previous = handlers.put(h.type(), h);
            if (previous != null) {
                throw new IllegalStateException("Two job handlers for type " + h.type());
            }
        }
        int concurrency = config.jobs().concurrency();
        executor = ManagedExecutor.builder()
                .maxAsync(concurrency)
                .maxQueued(concurrency)
                .propagated(ThreadContext.NONE)
                .cleared(ThreadContext.ALL_REMAINING)
                .build();
        store = new JobStore(dataSource, instanceId, mapper);
        String stall = config.jobs().stallTimeout().trim();
        pool = new WorkerPool(
                store,
                handlers,
                executor,
                concurrency,
                config.jobs().lease(),
                config.jobs().progressInterval(),
                mapper,
                this::record,
                "off".equalsIgnoreCase(stall) ? null : dev.holdfast.time.Durations.parse(stall),
                config.jobs().stopGrace());
        pool.watchStalls(watchdog);
        // Claims triggered by NOTIFY run on their own thread: the job executor's slots are for jobs only.
        waker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "holdfast-job-waker");
            t.setDaemon(true);
            return t;
        });
        bus.onQueued(type -> {
            if (handlers.containsKey(type)) {
                waker.execute(pool::poll);
            }
        });
        bus.onAnyEvent(e -> {
            if (e.cancelRequested() && pool.runs(e.jobId())) {
                pool.cancelLocal(e.jobId());
            }
        });
        // Rows left queued or running by jobs that ended while this or another instance was down.
        pool.reconcile();
        LOG.infof("Job worker %s started: %d slots, job types %s", instanceId, concurrency, handlers.keySet());
    }

    void stop(@Observes ShutdownEvent ev) {
        if (pool != null) {
            waker.shutdownNow();
            pool.shutdown(Duration.ofSeconds(10));
            executor.shutdown();
        }
    }

    @Scheduled(
            every = "${holdfast.jobs.poll-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "1s")
    void poll() {
        if (pool != null) {
            pool.poll();
        }
    }

    @Scheduled(every = "${holdfast.jobs.heartbeat-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeatAndReap() {
        if (pool != null) {
            pool.heartbeat();
            pool.reap();
        }
    }

    /** The id this instance writes as owner of the jobs it runs. */
    public String instanceId() {
        return instanceId;
    }

    /** Runs the failure hook of a job that ended without running (a queued job cancelled). */
    void endedWithoutRunning(JobHandler.JobOutcome outcome) {
        if (pool != null) {
            pool.endedWithoutRunning(outcome);
        }
    }

    /** Stops a job running here that the watchdog found stalled; false when it does not run here. */
    boolean stopStalled(UUID id, String reason) {
        return pool != null && pool.stopStalled(id, reason);
    }

    /** The job store of this instance (shared by the API for cancellation). */
    public JobStore store() {
        return store;
    }

    /** Number of jobs running on this instance. */
    public int runningHere() {
        return pool == null ? 0 : pool.runningCount();
    }

    private void record(String type, JobState state, Duration duration) {
        Counter.builder("holdfast.jobs.finished")
                .description("Jobs that ended, by type and final state")
                .tag("type", type)
                .tag("state", state.name())
                .register(registry)
                .increment();
        if (!duration.isZero()) {
            Timer.builder("holdfast.job.duration")
                    .description("Wall time of jobs run by this instance")
                    .tag("type", type)
                    .tag("state", state.name())
                    .publishPercentileHistogram()
                    .register(registry)
                    .record(duration);
        }
    }

    private static String defaultInstanceId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown-host";
        }
        return host + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
