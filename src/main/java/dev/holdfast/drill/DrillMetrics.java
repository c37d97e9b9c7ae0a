package dev.holdfast.drill;

import static dev.holdfast.time.Timestamps.epochSeconds;

import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.time.Durations;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * The drill gauges per source (database or media root, both are drilled), read from the {@code drill_run} table every
 * {@code holdfast.monitoring.refresh-interval} like the other cluster-wide gauges, so that every replica exports
 * the same values and a restart loses nothing: {@code holdfast_drill_last_success_timestamp_seconds} and
 * {@code _last_failure_timestamp_seconds} (0 when none, a row for every configured source so that an
 * alert needs no {@code absent()}), {@code holdfast_drill_duration_seconds} (the recovery time of the newest
 * successful drill: the measured RTO; absent until a drill succeeded; its trend is this gauge over time) and
 * {@code holdfast_drill_alert_after_seconds} ({@code holdfast.drills.alert-after}); and each source's configured
 * objectives, {@code holdfast_source_rpo_objective_seconds} and {@code holdfast_source_rto_objective_seconds}, which
 * the alerts compare with the measured values already exported (the newest backup's timestamp, the drill duration).
 */
@ApplicationScoped
public class DrillMetrics {
    private static final Logger LOG = Logger.getLogger(DrillMetrics.class);

    @Inject
    MeterRegistry registry;

    @Inject
    EntityManager em;

    @Inject
    SourceRegistry sources;

    @Inject
    HoldfastConfig config;

    private MultiGauge lastSuccess;
    private MultiGauge lastFailure;
    private MultiGauge duration;
    private MultiGauge alertAfter;
    private MultiGauge rpoObjective;
    private MultiGauge rtoObjective;

    void start(@Observes StartupEvent ev) {
        lastSuccess = gauge(
                "holdfast.drill.last.success.timestamp",
                "When the newest successful drill of the source ended, Unix time; 0 if none");
        lastFailure = gauge(
                "holdfast.drill.last.failure.timestamp",
                "When the newest failed drill of the source ended, Unix time; 0 if none");
        duration = gauge(
                "holdfast.drill.duration",
                "Recovery time (restore into the scratch database) of the newest successful drill of the source");
        alertAfter = gauge(
                "holdfast.drill.alert.after",
                "A newest successful drill older than this makes the source's drills overdue (holdfast.drills"
                        + ".alert-after)");
        rpoObjective = gauge(
                "holdfast.source.rpo.objective",
                "Recovery point objective of the source: its newest successful backup may be at most this old");
        rtoObjective = gauge(
                "holdfast.source.rto.objective",
                "Recovery time objective of the source: its newest passed drill must have recovered within this");
        alertAfter(); // a malformed value stops the start rather than every refresh
        refresh();
    }

    private MultiGauge gauge(String name, String description) {
        return MultiGauge.builder(name)
                .baseUnit("seconds")
                .description(description)
                .register(registry);
    }

    /** Re-reads the gauges; never throws (a scrape then shows the previous values). */
    @Scheduled(
            every = "${holdfast.monitoring.refresh-interval}",
            delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    @Transactional
    public void refresh() {
        try {
            Map<String, double[]> by = new TreeMap<>();
            java.util.Set<String> configured =
                    new java.util.TreeSet<>(sources.databases().keySet());
            configured.addAll(sources.media().keySet());
            for (String source : configured) {
                by.put(source, new double[] {0, 0, -1});
            }
            // Only configured sources: a drill of a source since removed from the configuration is history, and
            // an alert about it could never clear.
            @SuppressWarnings("unchecked")
            List<Object[]> rows = em.createNativeQuery("""
                    SELECT d.source,
                           max(d.finished_at) FILTER (WHERE d.status = 'SUCCEEDED'),
                           max(d.finished_at) FILTER (WHERE d.status = 'FAILED'),
                           (SELECT s.recovery_ms FROM holdfast.drill_run s
                             WHERE s.source = d.source AND s.status = 'SUCCEEDED' AND s.recovery_ms IS NOT NULL
                             ORDER BY s.finished_at DESC LIMIT 1)
                      FROM holdfast.drill_run d
                     GROUP BY d.source
                    """).getResultList();
            for (Object[] r : rows) {
                double[] v = by.get((String) r[0]);
                if (v != null) {
                    v[0] = epochSeconds(r[1]);
                    v[1] = epochSeconds(r[2]);
                    v[2] = r[3] == null ? -1 : ((Number) r[3]).doubleValue() / 1000.0;
                }
            }
            lastSuccess.register(rows(by, 0), true);
            lastFailure.register(rows(by, 1), true);
            duration.register(rows(by, 2), true);
            Duration after = alertAfter();
            List<MultiGauge.Row<?>> thresholds = new ArrayList<>();
            if (after != null) {
                by.keySet().forEach(s -> thresholds.add(MultiGauge.Row.of(Tags.of("source", s), after.toSeconds())));
            }
            alertAfter.register(thresholds, true);
            List<MultiGauge.Row<?>> rpo = new ArrayList<>();
            List<MultiGauge.Row<?>> rto = new ArrayList<>();
            sources.objectives().forEach((source, o) -> {
                o.rpo()
                        .ifPresent(
                                d -> rpo.add(MultiGauge.Row.of(Tags.of("source", source), ObjectiveStatus.seconds(d))));
                o.rto()
                        .ifPresent(
                                d -> rto.add(MultiGauge.Row.of(Tags.of("source", source), ObjectiveStatus.seconds(d))));
            });
            rpoObjective.register(rpo, true);
            rtoObjective.register(rto, true);
        } catch (Exception e) {
            LOG.warnf("Drill metrics not refreshed: %s", e.getMessage());
        }
    }

    /** {@code holdfast.drills.alert-after}, or null when it is {@code off}. */
    Duration alertAfter() {
        String s = config.drills().alertAfter().strip();
        return "off".equalsIgnoreCase(s) ? null : Durations.parse(s);
    }

    /** The rows of column {@code i}; a negative value is no row (nothing measured). */
    private static List<MultiGauge.Row<?>> rows(Map<String, double[]> by, int i) {
        List<MultiGauge.Row<?>> out = new ArrayList<>();
        by.forEach((source, v) -> {
            if (v[i] >= 0) {
                out.add(MultiGauge.Row.of(Tags.of("source", source), v[i]));
            }
        });
        return out;
    }
}
