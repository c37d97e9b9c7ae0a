package dev.holdfast.job;

import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.pg.LibpqParams;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.time.Durations;
import dev.holdfast.time.TimeSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * Reports jobs whose progress stopped moving ({@code holdfast.jobs.stall-warning}) without stopping them: looks up
 * the job's sessions on every configured database server by their application_name and the locks they wait for,
 * keeps the report on the job and broadcasts it (SSE event {@code stalled}), fires {@link JobStalled} for
 * notifications, and cancels the job when {@code holdfast.jobs.cancel-stalled} says so. The look-ups run on a thread
 * of their own, so a slow server never delays the heartbeats that keep the leases.
 */
@ApplicationScoped
public class StallWatchdog implements WorkerPool.StallWatch {
    private static final Logger LOG = Logger.getLogger(StallWatchdog.class);

    @Inject
    HoldfastConfig config;

    @Inject
    SourceRegistry sources;

    @Inject
    TimeSource time;

    @Inject
    JobWorker worker;

    @Inject
    Event<JobStalled> events;

    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "holdfast-stall-watchdog");
        t.setDaemon(true);
        return t;
    });

    void check(@Observes StartupEvent ev) {
        // A malformed value stops the start rather than every heartbeat.
        stallWarning("");
        config.jobs().types().keySet().forEach(this::stallWarning);
    }

    void stop(@Observes ShutdownEvent ev) {
        executor.shutdownNow();
    }

    @Override
    public Duration stallWarning(String type) {
        HoldfastConfig.JobType t = config.jobs().types().get(type);
        String s = (t != null && t.stallWarning().isPresent()
                        ? t.stallWarning().get()
                        : config.jobs().stallWarning())
                .strip();
        return "off".equalsIgnoreCase(s) ? null : Durations.parse(s);
    }

    @Override
    public void stalled(UUID jobId, String type, Duration still, Progress last) {
        OffsetDateTime since = OffsetDateTime.ofInstant(time.now().minus(still), ZoneOffset.UTC);
        executor.execute(() -> report(jobId, type, since, still, last));
    }

    @Override
    public void resumed(UUID jobId) {
        executor.execute(() -> {
            try {
                worker.store().clearStall(jobId);
                LOG.infof("Job %s moves again; its stall report is cleared", jobId);
            } catch (Exception e) {
                LOG.warnf("Stall report of job %s not cleared: %s", jobId, e.getMessage());
            }
        });
    }

    private void report(UUID jobId, String type, OffsetDateTime since, Duration still, Progress last) {
        try {
            List<JobStall.LockWait> waits = lockWaits(jobId);
            boolean cancel = config.jobs().cancelStalled();
            JobStall stall = new JobStall(
                    jobId,
                    type,
                    since,
                    still.toSeconds(),
                    last == null ? null : last.phase(),
                    !waits.isEmpty(),
                    JobStall.diagnose(waits),
                    waits,
                    cancel);
            LOG.warnf(
                    "Job %s (%s) has made no progress for %s: %s",
                    jobId,
                    type,
                    Durations.format(still.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)),
                    stall.diagnosis());
            if (!worker.store().saveStall(jobId, stall)) {
                return; // it ended meanwhile
            }
            events.fire(new JobStalled(stall));
            if (cancel) {
                worker.stopStalled(
                        jobId,
                        "Stopped by the watchdog (holdfast.jobs.cancel-stalled): no progress for "
                                + Durations.format(still.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)) + "; "
                                + stall.diagnosis());
            }
        } catch (Exception e) {
            LOG.warnf(e, "Stall of job %s not reported", jobId);
        }
    }

    /** The lock waits of the job's sessions on every server a database source lives on. */
    List<JobStall.LockWait> lockWaits(UUID jobId) {
        Map<String, PgConnectionInfo> servers = new LinkedHashMap<>();
        for (SourceRegistry.DatabaseSource src : sources.databases().values()) {
            LibpqParams p = LibpqParams.fromJdbcUrl(src.jdbcUrl());
            servers.putIfAbsent(p.host() + ":" + p.port(), src.connectionInfo());
        }
        List<JobStall.LockWait> out = new ArrayList<>();
        servers.forEach((server, info) -> {
            try (Connection c = info.open(StallWatchdog::open)) {
                out.addAll(JobSessions.lockWaits(
                        c, server, jobId, db -> info.withDatabase(db).open(StallWatchdog::open)));
            } catch (SQLException | RuntimeException e) {
                LOG.warnf("Could not look for lock waits of job %s on %s: %s", jobId, server, e.getMessage());
            }
        });
        return out;
    }

    /** A short-lived connection that gives up quickly: a server that hangs must not hold up the next report. */
    private static Connection open(String url, String user, String password) throws SQLException {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "15");
        p.setProperty("ApplicationName", "holdfast-watchdog");
        return DriverManager.getConnection(url, p);
    }
}
