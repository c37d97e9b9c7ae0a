package dev.holdfast.drill;

import dev.holdfast.audit.AuditLog;
import dev.holdfast.config.DrillConfig;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.schedule.CronSchedule;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.time.TimeSource;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * This instance's drill firing: writes the configured drill schedules ({@code holdfast.drills.schedule.*}) to the
 * catalog at start-up and, on the backup schedules' timer settings, claims due ones ({@link DrillFiring}) and
 * queues their drills through {@link DrillService} on the claiming connection.
 */
@ApplicationScoped
public class DrillScheduler {
    private static final Logger LOG = Logger.getLogger(DrillScheduler.class);
    /** {@code created_by} of the drills a drill schedule queues. */
    static final String USER = "system:drill-schedule";

    @Inject
    HoldfastConfig config;

    @Inject
    SourceRegistry sources;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    TimeSource time;

    @Inject
    DrillService drills;

    @Inject
    AuditLog audit;

    private final DrillFiring firing = new DrillFiring(20);

    void start(@Observes StartupEvent ev) throws Exception {
        // A scratch directory overlapping a media root stops the start: drills remove what they restore there.
        drills.checkedScratchDir();
        DrillService.checkServers(
                config.drills().server().keySet(), sources.databases().keySet());
        java.util.Set<String> names =
                new java.util.TreeSet<>(sources.databases().keySet());
        names.addAll(sources.media().keySet());
        List<DrillFiring.Due> configured = configured(config.drills().schedule(), names);
        QuarkusTransaction.requiringNew().run(() -> {
            try (Connection c = dataSource.getConnection()) {
                DrillFiring.sync(c, configured, time.now());
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("Could not write the drill schedules: " + e.getMessage(), e);
            }
        });
        if (!configured.isEmpty()) {
            LOG.infof(
                    "Drill schedules: %s; this instance %s them",
                    configured.stream()
                            .map(d -> d.source() + " '" + d.cron() + "' " + d.timeZone()
                                    + (d.window() == null ? "" : " window " + d.window()))
                            .toList(),
                    config.schedules().enabled() ? "fires" : "does not fire");
        }
    }

    /**
     * The configured drill schedules, checked: each names a configured source and has a cron that fires, a zone
     * and a window that parse.
     *
     * @throws IllegalStateException naming the key at fault, so a bad configuration stops the start
     */
    static List<DrillFiring.Due> configured(
            Map<String, DrillConfig.DrillSchedule> schedules, java.util.Set<String> sourceNames) {
        List<DrillFiring.Due> out = new ArrayList<>();
        for (Map.Entry<String, DrillConfig.DrillSchedule> e : new TreeMap<>(schedules).entrySet()) {
            String key = "holdfast.drills.schedule.\"" + e.getKey() + "\"";
            if (!sourceNames.contains(e.getKey())) {
                throw new IllegalStateException(
                        key + " names no configured source; there are " + new java.util.TreeSet<>(sourceNames));
            }
            DrillConfig.DrillSchedule s = e.getValue();
            String window =
                    s.window().map(String::strip).filter(w -> !w.isEmpty()).orElse(null);
            try {
                CronSchedule cron = CronSchedule.of(s.cron(), s.timeZone());
                if (window != null) {
                    window = DrillWindow.parse(window, cron.zone()).toString();
                }
                out.add(new DrillFiring.Due(e.getKey(), cron.expression(), s.timeZone(), window, null));
            } catch (CronSchedule.Invalid ex) {
                throw new IllegalStateException(key + "." + ex.field().replace('_', '-') + ": " + ex.getMessage(), ex);
            } catch (IllegalArgumentException ex) {
                throw new IllegalStateException(key + ".window: " + ex.getMessage(), ex);
            }
        }
        return out;
    }

    /** The timer: it only triggers {@link #fireDue()} and never throws, so one bad tick cannot stop the next. */
    @Scheduled(
            identity = "holdfast-drill-schedules",
            every = "${holdfast.schedules.tick-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        if (!config.schedules().enabled()) {
            return;
        }
        try {
            fireDue();
        } catch (Exception e) {
            LOG.errorf(e, "Firing due drill schedules failed; the slots stay due for the next tick");
        }
    }

    /**
     * Fires every drill schedule due now (by {@link TimeSource}), one short transaction per claimed batch, so
     * each due slot queues at most one drill in the cluster.
     *
     * @return what became of each slot this instance claimed
     */
    public List<DrillFiring.Result> fireDue() throws Exception {
        Instant now = time.now();
        List<DrillFiring.Result> all = new ArrayList<>();
        List<DrillFiring.Result> batch;
        do {
            batch = QuarkusTransaction.requiringNew().call(() -> {
                // Inside the transaction the pool hands Hibernate this same connection, so the drill and the
                // advanced schedule row commit together.
                try (Connection c = dataSource.getConnection()) {
                    return firing.fireDue(c, now, (conn, due) -> {
                        DrillView d = drills.createScheduled(due.source(), USER);
                        if (d == null) {
                            throw new DrillFiring.Refused(
                                    "source '" + due.source() + "' has no successful backup to drill");
                        }
                        return d.id();
                    });
                }
            });
            batch.forEach(r -> report(r, now));
            all.addAll(batch);
        } while (batch.size() == firing.batchSize());
        return all;
    }

    private void report(DrillFiring.Result r, Instant now) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("source", r.source());
        details.put("slot", r.slot().toString());
        details.put("now", now.toString());
        details.put("next_run_at", r.nextRunAt() == null ? null : r.nextRunAt().toString());
        AuditLog.Outcome outcome;
        switch (r.outcome()) {
            case FIRED -> {
                outcome = AuditLog.Outcome.ACCEPTED;
                details.put("drill_id", r.drillId().toString());
                LOG.infof("Drill schedule of %s fired for %s: drill %s", r.source(), r.slot(), r.drillId());
            }
            case SKIPPED_RUNNING -> {
                outcome = AuditLog.Outcome.REFUSED;
                details.put("running_drill_id", r.runningDrillId().toString());
                LOG.infof(
                        "Drill schedule of %s skipped %s: drill %s is still queued or running; next %s",
                        r.source(), r.slot(), r.runningDrillId(), r.nextRunAt());
            }
            case DEFERRED -> {
                outcome = AuditLog.Outcome.REFUSED;
                LOG.infof(
                        "Drill schedule of %s: %s is outside its window; waiting for %s",
                        r.source(), r.slot(), r.nextRunAt());
            }
            default -> {
                outcome = AuditLog.Outcome.FAILED;
                details.put("error", r.error());
                LOG.warnf(
                        "Drill schedule of %s could not queue its drill of %s: %s; next %s",
                        r.source(), r.slot(), r.error(), r.nextRunAt());
            }
        }
        if (r.outcome() != DrillFiring.Outcome.DEFERRED) {
            audit.recordAs(
                    AuditLog.SYSTEM,
                    "drill-schedule:" + r.source(),
                    "drill.schedule",
                    "drill",
                    r.drillId() == null ? r.source() : r.drillId().toString(),
                    outcome,
                    details);
        }
    }
}
