package dev.holdfast.restore;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.cluster.ClusterTasks;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.job.JobWorker;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.time.TimeSource;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Drops the empty databases that staged clean restores moved aside ({@code <target>__hf_old_<id>}) off the
 * restore's critical path: right after each restore is recorded SUCCEEDED, on a thread of its own, and in a sweep
 * at startup and every {@code holdfast.restore.retired-sweep-interval} (once per cluster) for any an instance
 * left when it stopped.
 */
@ApplicationScoped
public class RetiredDatabases {
    private static final Logger LOG = Logger.getLogger(RetiredDatabases.class);
    /** Row of the cluster-wide sweep in {@code cluster_task}. */
    public static final String TASK = "retired-databases";

    @Inject
    SourceRegistry sources;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    HoldfastConfig config;

    @Inject
    TimeSource time;

    @Inject
    JobWorker worker;

    @Inject
    ObjectMapper mapper;

    private ExecutorService executor;
    private final AtomicBoolean sweepPending = new AtomicBoolean();

    @PostConstruct
    void init() {
        // One thread: drops on this instance never overlap, and each DROP's forced checkpoint comes alone.
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(
                    () -> {
                        MDC.clear(); // made by whoever submits first (a job worker): not its logging context
                        r.run();
                    },
                    "holdfast-retired-drop");
            t.setDaemon(true);
            return t;
        });
    }

    @PreDestroy
    void close() {
        executor.shutdownNow();
    }

    /** Whatever a stopped instance left is dropped as soon as this one runs, not an interval later. */
    void onStart(@Observes StartupEvent ev) {
        submit(() -> {
            List<String> done = sweep();
            if (!done.isEmpty()) {
                LOG.infof("Startup sweep of retired databases: %s", String.join("; ", done));
            }
        });
    }

    /** After restore {@code restoreId} is recorded SUCCEEDED: drops the empty databases it moved aside, later. */
    void afterSuccess(UUID restoreId) {
        submit(() -> {
            try {
                List<String> done = dropFor(restoreId);
                if (!done.isEmpty()) {
                    LOG.infof("After restore %s: %s", restoreId, String.join("; ", done));
                }
            } catch (RuntimeException e) {
                LOG.warnf(
                        "Could not drop the databases restore %s moved aside (the sweep will): %s",
                        restoreId, e.getMessage());
            }
        });
    }

    /** For tests: returns once everything handed to the drop thread so far has run. */
    void awaitIdle() throws Exception {
        executor.submit(() -> {}).get(2, java.util.concurrent.TimeUnit.MINUTES);
    }

    /** Checks whether the cluster-wide sweep is due; the sweep itself runs on the drop thread. */
    // The ":1m" repeats HoldfastConfig.Restore.retiredSweepCheckEvery()'s @WithDefault: annotations cannot read it.
    @Scheduled(
            identity = "retired-database-sweep",
            every = "${holdfast.restore.retired-sweep-check-every:1m}",
            delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        ClusterTasks.submitUnlessPending(executor, sweepPending, this::sweepIfDue);
    }

    private void submit(Runnable work) {
        try {
            executor.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.errorf(e, "Dropping retired databases failed");
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down: the next start's sweep does it
        }
    }

    /**
     * Claims the cluster-wide sweep when it is due and runs it on the calling thread.
     *
     * @return whether this instance ran it
     */
    public boolean sweepIfDue() {
        String owner = worker.instanceId() == null ? "unknown" : worker.instanceId();
        return ClusterTasks.runIfDue(
                dataSource,
                TASK,
                time.now(),
                config.restore().retiredSweepInterval(),
                owner,
                "the sweep of retired databases",
                () -> {
                    List<String> done = sweep();
                    if (!done.isEmpty()) {
                        LOG.infof("Sweep of retired databases: %s", String.join("; ", done));
                    }
                    return null;
                });
    }

    /**
     * Looks on the server of every configured database source for databases named like one a staged clean restore
     * moved aside, and drops each whose name is exactly what a restore recorded SUCCEEDED (by the start of its id)
     * gave the empty target it replaced, if it still holds nothing and nobody is connected. One holding objects is
     * left, with a warning; a restore not finished (or failed: its failure handling decides) is not touched.
     *
     * @return what was done, one sentence per database looked at
     */
    public List<String> sweep() {
        List<String> done = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (SourceRegistry.DatabaseSource src : sources.databases().values()) {
            PgConnectionInfo info = src.connectionInfo();
            List<String> names;
            try (Connection m =
                            info.withDatabase(DatabaseRestore.MAINTENANCE_DB).open(ConnectionFactory.driverManager());
                    PreparedStatement ps = m.prepareStatement(
                            "SELECT datname FROM pg_database WHERE datname ~ '__hf_old_[0-9a-f]{8}$' ORDER BY 1");
                    ResultSet rs = ps.executeQuery()) {
                names = new ArrayList<>();
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            } catch (SQLException e) {
                LOG.warnf(
                        "Could not look for retired databases on the server of source %s: %s",
                        src.name(), e.getMessage());
                continue;
            }
            for (String name : names) {
                String prefix = DatabaseRestore.retiredRestorePrefix(name);
                if (prefix == null) {
                    continue;
                }
                for (UUID id : succeededCleanRestores(prefix)) {
                    for (Target t : targets(id)) {
                        if (t.source().equals(src.name())
                                && DatabaseRestore.retiredName(t.database(), id).equals(name)
                                && seen.add(server(info) + "/" + name)) {
                            done.add(drop(info, name, id));
                        }
                    }
                }
            }
        }
        return done;
    }

    /** Drops the databases restore {@code restoreId} moved aside, if it is recorded SUCCEEDED. */
    List<String> dropFor(UUID restoreId) {
        List<String> done = new ArrayList<>();
        if (!succeededCleanRestores(restoreId.toString().substring(0, 8)).contains(restoreId)) {
            return done;
        }
        for (Target t : targets(restoreId)) {
            SourceRegistry.DatabaseSource src = sources.databases().get(t.source());
            String name = DatabaseRestore.retiredName(t.database(), restoreId);
            String outcome = drop(src.connectionInfo(), name, restoreId);
            if (outcome != null) {
                done.add(outcome);
            }
        }
        return done;
    }

    private String drop(PgConnectionInfo info, String name, UUID restoreId) {
        try {
            DatabaseRestore.Retired outcome =
                    DatabaseRestore.dropRetired(ConnectionFactory.driverManager(), info, name);
            if (outcome == DatabaseRestore.Retired.HOLDS_OBJECTS) {
                LOG.warnf(
                        "%s, the empty database restore %s replaced, gained objects since; it is kept, drop it"
                                + " yourself if they are not needed",
                        name, restoreId);
            }
            return outcome == DatabaseRestore.Retired.ABSENT ? null : outcome.describe(name);
        } catch (SQLException e) {
            LOG.warnf("Could not drop %s, the empty database restore %s replaced: %s", name, restoreId, e.getMessage());
            return "could not drop " + name + ": " + e.getMessage();
        }
    }

    /**
     * The ids of clean, real restores recorded SUCCEEDED whose id starts with {@code prefix}; none while any restore
     * with that prefix is still queued or running (its own retired database is its own business until it ends).
     */
    private List<UUID> succeededCleanRestores(String prefix) {
        List<UUID> ids = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT id, status, restore_mode = 'clean' AND NOT dry_run"
                        + " FROM holdfast.restore_operation WHERE id::text LIKE ? ORDER BY id")) {
            ps.setString(1, prefix + "%");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String status = rs.getString(2);
                    if (status.equals("QUEUED") || status.equals("RUNNING")) {
                        return List.of();
                    }
                    if (status.equals("SUCCEEDED") && rs.getBoolean(3)) {
                        ids.add(rs.getObject(1, UUID.class));
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not read the restores from the catalog: " + e.getMessage(), e);
        }
        return ids;
    }

    /** A database a restore wrote: its source and the database's name on that source's server. */
    record Target(String source, String database) {}

    /** Where restore {@code restoreId} put each of its databases that is still a configured source. */
    List<Target> targets(UUID restoreId) {
        List<Target> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT options::text FROM holdfast.restore_operation WHERE id = ?")) {
            ps.setObject(1, restoreId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return out;
                }
                RestoreRequest req = mapper.readValue(rs.getString(1), RestoreRequest.class);
                for (String name : req.databases()) {
                    SourceRegistry.DatabaseSource src = sources.databases().get(name);
                    if (src != null) {
                        out.add(new Target(name, req.target() != null ? req.target() : src.databaseName()));
                    }
                }
            }
        } catch (SQLException | java.io.IOException e) {
            throw new IllegalStateException("Could not read restore " + restoreId + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The server part of a source's URL, so that two sources on one server look at each name once. */
    private static String server(PgConnectionInfo info) {
        return info.withDatabase(DatabaseRestore.MAINTENANCE_DB).jdbcUrl();
    }
}
