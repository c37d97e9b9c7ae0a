package dev.holdfast.retention;

import dev.holdfast.audit.AuditLog;
import dev.holdfast.backup.BackupFinished;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.cluster.ClusterTasks;
import dev.holdfast.config.RetentionConfig;
import dev.holdfast.domain.NotFoundException;
import dev.holdfast.job.JobWorker;
import dev.holdfast.time.TimeSource;
import io.agroal.api.AgroalDataSource;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Runs retention on its own, on a thread of its own: a schedule's policy after each of its backups succeeds, and the
 * whole catalog (global policy, every schedule's policy, then each named storage's copy policy) every {@code holdfast.retention.interval}, once per
 * cluster. Runs on one instance never overlap (one thread); neither trigger ever throws.
 */
@ApplicationScoped
public class RetentionRunner {
    private static final Logger LOG = Logger.getLogger(RetentionRunner.class);
    /** Row of the cluster-wide sweep in {@code cluster_task}. */
    public static final String TASK = "retention";

    @Inject
    RetentionService retention;

    @Inject
    CopyRetention copyRetention;

    @Inject
    RetentionConfig config;

    @Inject
    TimeSource time;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    JobWorker worker;

    private ExecutorService executor;
    private final AtomicBoolean sweepPending = new AtomicBoolean();

    @PostConstruct
    void init() {
        executor = Executors.newSingleThreadExecutor(r -> {
            // The thread is made by whoever submits first (a job worker): drop the logging context it inherits.
            Thread t = new Thread(
                    () -> {
                        MDC.clear();
                        r.run();
                    },
                    "holdfast-retention");
            t.setDaemon(true);
            return t;
        });
    }

    @PreDestroy
    void close() {
        executor.shutdownNow();
    }

    /** After a scheduled backup succeeds, applies that schedule's policy (its own, else the global one). */
    void onBackupFinished(@Observes(during = TransactionPhase.AFTER_SUCCESS) BackupFinished e) {
        try {
            if (!config.enabled() || e.scheduleId() == null || e.status() != BackupStatus.SUCCEEDED) {
                return;
            }
            UUID scheduleId = e.scheduleId();
            executor.execute(() -> {
                try {
                    retention.apply(scheduleId, null, AuditLog.SYSTEM, null);
                } catch (NotFoundException ex) {
                    LOG.debugf("Schedule %s was deleted before its retention ran", scheduleId);
                } catch (RuntimeException ex) {
                    LOG.errorf(ex, "Retention after backup %s of schedule %s failed", e.backupId(), scheduleId);
                }
            });
        } catch (RuntimeException ex) {
            LOG.errorf(ex, "Could not start retention after backup %s", e.backupId());
        }
    }

    /** Checks whether the cluster-wide sweep is due; the sweep itself runs on the retention thread. */
    // The ":1m" repeats RetentionConfig.checkEvery()'s @WithDefault: annotation values cannot read the mapping.
    @Scheduled(
            identity = "retention-sweep",
            every = "${holdfast.retention.check-every:1m}",
            delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        try {
            if (config.enabled()) {
                ClusterTasks.submitUnlessPending(executor, sweepPending, this::sweepIfDue);
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "Retention sweep check failed");
        }
    }

    /**
     * Claims the cluster-wide sweep when it is due and runs it on the calling thread.
     *
     * @return whether this instance ran it (false: not due, or another instance has it)
     */
    public boolean sweepIfDue() {
        String owner = worker.instanceId() == null ? "unknown" : worker.instanceId();
        return ClusterTasks.runIfDue(
                dataSource, TASK, time.now(), config.interval(), owner, "the retention sweep", () -> {
                    List<String> errors = new java.util.ArrayList<>(retention.applyAll(AuditLog.SYSTEM));
                    errors.addAll(copyRetention.applyAll(AuditLog.SYSTEM));
                    return errors.isEmpty() ? null : String.join("\n", errors);
                });
    }
}
