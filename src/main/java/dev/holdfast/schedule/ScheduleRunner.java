package dev.holdfast.schedule;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.audit.AuditLog;
import dev.holdfast.backup.BackupRequest;
import dev.holdfast.backup.BackupService;
import dev.holdfast.backup.BackupView;
import dev.holdfast.config.ScheduleConfig;
import dev.holdfast.domain.DomainException;
import dev.holdfast.time.TimeSource;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * This instance's schedule firing: a timer that only calls {@link #fireDue()}, which claims due schedules in
 * short transactions ({@link ScheduleFiring}) and queues their backups through {@link BackupService} on the same
 * connection, then writes the audit trail and metrics once the claim has committed.
 */
@ApplicationScoped
public class ScheduleRunner {
    private static final Logger LOG = Logger.getLogger(ScheduleRunner.class);
    /** {@code created_by} of the backups schedules queue. */
    static final String USER = "system:schedule";

    @Inject
    ScheduleConfig config;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    TimeSource time;

    @Inject
    BackupService backups;

    @Inject
    ObjectMapper mapper;

    @Inject
    AuditLog audit;

    @Inject
    ScheduleMetrics metrics;

    private ScheduleFiring firing;

    @PostConstruct
    void init() {
        firing = new ScheduleFiring(config.missedRunGrace(), config.claimBatchSize());
    }

    void start(@Observes StartupEvent ev) {
        List<String> names = QuarkusTransaction.requiringNew()
                .call(() -> Schedule.getEntityManager()
                        .createQuery("select s.name from Schedule s", String.class)
                        .getResultList());
        names.forEach(metrics::init);
        LOG.infof(
                "Schedules: %d defined; this instance %s them (tick %s, missed-run grace %s)",
                names.size(),
                config.enabled() ? "fires" : "does not fire",
                config.tickInterval(),
                config.missedRunGrace());
    }

    /** The timer: it only triggers {@link #fireDue()} and never throws, so one bad tick cannot stop the next. */
    @Scheduled(
            identity = "holdfast-schedules",
            every = "${holdfast.schedules.tick-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        if (!config.enabled()) {
            return;
        }
        try {
            fireDue();
        } catch (Exception e) {
            LOG.errorf(e, "Firing due schedules failed; the slots stay due for the next tick");
        }
    }

    /**
     * Fires every schedule due now (by {@link TimeSource}): one short transaction per claimed batch, so each
     * due slot is fired, skipped or passed over exactly once in the cluster.
     *
     * @return what became of each slot this instance claimed
     */
    public List<ScheduleFiring.Result> fireDue() throws Exception {
        Instant now = time.now();
        List<ScheduleFiring.Result> all = new ArrayList<>();
        List<ScheduleFiring.Result> batch;
        do {
            batch = QuarkusTransaction.requiringNew().call(() -> {
                // Inside the transaction the pool hands Hibernate this same connection, so the backup
                // BackupService records and the advanced schedule row commit together.
                try (Connection c = dataSource.getConnection()) {
                    return firing.fireDue(c, now, this::launch);
                }
            });
            batch.forEach(r -> report(r, now));
            all.addAll(batch);
        } while (batch.size() == firing.batchSize());
        return all;
    }

    private ScheduleFiring.Launched launch(Connection c, ScheduleFiring.Due due) throws ScheduleFiring.Refused {
        BackupRequest req;
        try {
            req = Schedules.backupRequest(mapper, due.backupRequestJson(), due.name());
        } catch (JsonProcessingException e) {
            throw new ScheduleFiring.Refused("the stored backup request is unreadable: " + e.getOriginalMessage());
        }
        try {
            // Checked first: a refusal inside createScheduled would mark the whole claim rollback-only.
            backups.validate(req);
        } catch (DomainException e) {
            throw new ScheduleFiring.Refused(e.getMessage());
        }
        BackupView b = backups.createScheduled(req, due.id(), "schedule", USER);
        return new ScheduleFiring.Launched(b.id(), b.jobId());
    }

    private void report(ScheduleFiring.Result r, Instant now) {
        metrics.count(r.name(), r.outcome());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("slot", r.slot().toString());
        details.put("now", now.toString());
        details.put("next_run_at", r.nextRunAt() == null ? null : r.nextRunAt().toString());
        String action;
        AuditLog.Outcome outcome;
        switch (r.outcome()) {
            case FIRED -> {
                action = "schedule.fire";
                outcome = AuditLog.Outcome.ACCEPTED;
                details.put("backup_id", r.backupId().toString());
                details.put("job_id", r.jobId().toString());
                LOG.infof("Schedule %s (%s) fired for %s: backup %s", r.name(), r.scheduleId(), r.slot(), r.backupId());
            }
            case SKIPPED_RUNNING -> {
                action = "schedule.skip";
                outcome = AuditLog.Outcome.REFUSED;
                details.put("running_backup_id", r.runningBackupId().toString());
                LOG.warnf(
                        "Schedule %s (%s) skipped its run of %s: backup %s is still queued or running; next %s",
                        r.name(), r.scheduleId(), r.slot(), r.runningBackupId(), r.nextRunAt());
            }
            case MISSED -> {
                action = "schedule.miss";
                outcome = AuditLog.Outcome.REFUSED;
                long late = Duration.between(r.slot(), now).toSeconds();
                details.put("late_by_seconds", late);
                LOG.warnf(
                        "Schedule %s (%s) missed its run of %s (%d s late, more than the %s grace period); next %s",
                        r.name(), r.scheduleId(), r.slot(), late, config.missedRunGrace(), r.nextRunAt());
            }
            default -> {
                action = "schedule.fire";
                outcome = AuditLog.Outcome.FAILED;
                details.put("error", r.error());
                LOG.errorf(
                        "Schedule %s (%s) could not queue its run of %s: %s; next %s",
                        r.name(), r.scheduleId(), r.slot(), r.error(), r.nextRunAt());
            }
        }
        audit.recordAs(
                AuditLog.SYSTEM,
                "schedule:" + r.name(),
                action,
                "schedule",
                r.scheduleId().toString(),
                outcome,
                details);
    }
}
