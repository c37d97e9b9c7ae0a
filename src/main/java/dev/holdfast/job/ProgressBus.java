package dev.holdfast.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Delivers job events from every instance to local subscribers (SSE streams, the worker pool):
 * one connection per instance LISTENs on the job channels. After a lost connection it reconnects
 * and tells subscribers to re-read state, so a terminal event is never silently missed.
 */
@ApplicationScoped
public class ProgressBus {
    private static final Logger LOG = Logger.getLogger(ProgressBus.class);

    /** Something that wants the events of one job. */
    public interface Subscriber {
        void onEvent(JobEvent event);

        /** Events may have been missed (the listening connection dropped): re-read the job. */
        void onResync();

        /** The watchdog reported the job stalled (a {@link JobStall} as JSON). */
        default void onStalled(com.fasterxml.jackson.databind.JsonNode stall) {}
    }

    @Inject
    AgroalDataSource dataSource;

    @Inject
    ObjectMapper mapper;

    private final Map<UUID, List<Subscriber>> subscribers = new ConcurrentHashMap<>();
    private final List<Consumer<JobEvent>> globalListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<String>> queuedListeners = new CopyOnWriteArrayList<>();
    private volatile boolean running;
    private volatile boolean listening;
    private boolean connectedBefore;
    private Thread thread;

    void start(@Observes StartupEvent ev) {
        running = true;
        thread = new Thread(this::loop, "holdfast-progress-bus");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent ev) {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** Whether the LISTEN connection is up (readiness reports it). */
    public boolean listening() {
        return listening;
    }

    /** Subscribes to the events of one job; returns the handle that unsubscribes. */
    public Runnable subscribe(UUID jobId, Subscriber s) {
        subscribers.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>()).add(s);
        return () -> subscribers.computeIfPresent(jobId, (k, list) -> {
            list.remove(s);
            return list.isEmpty() ? null : list;
        });
    }

    /** Receives every job event (the worker pool uses it for immediate cancellation). */
    public void onAnyEvent(Consumer<JobEvent> listener) {
        globalListeners.add(listener);
    }

    /** Receives the type of each newly queued job (idle workers wake up at once). */
    public void onQueued(Consumer<String> listener) {
        queuedListeners.add(listener);
    }

    private void loop() {
        while (running) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(true);
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + JobStore.EVENTS_CHANNEL);
                    st.execute("LISTEN " + JobStore.QUEUED_CHANNEL);
                    st.execute("LISTEN " + JobStore.STALLED_CHANNEL);
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                listening = true;
                if (connectedBefore) {
                    // Events sent while we were not listening are lost: let subscribers re-read.
                    resyncAll();
                }
                connectedBefore = true;
                while (running) {
                    PGNotification[] batch = pg.getNotifications(500);
                    if (batch == null) {
                        continue;
                    }
                    for (PGNotification n : batch) {
                        dispatch(n);
                    }
                }
            } catch (Exception e) {
                listening = false;
                if (running) {
                    LOG.warnf("Job event listener lost its connection (%s); reconnecting", e.getMessage());
                    sleepQuietly();
                }
            }
        }
        listening = false;
    }

    private void resyncAll() {
        for (Map.Entry<UUID, List<Subscriber>> e : subscribers.entrySet()) {
            for (Subscriber s : e.getValue()) {
                try {
                    s.onResync();
                } catch (Exception ex) {
                    LOG.debugf("Resync of a subscriber failed: %s", ex.getMessage());
                }
            }
        }
    }

    private void dispatch(PGNotification n) {
        try {
            if (JobStore.QUEUED_CHANNEL.equals(n.getName())) {
                queuedListeners.forEach(l -> l.accept(n.getParameter()));
                return;
            }
            if (JobStore.STALLED_CHANNEL.equals(n.getName())) {
                com.fasterxml.jackson.databind.JsonNode stall = mapper.readTree(n.getParameter());
                List<Subscriber> list =
                        subscribers.get(UUID.fromString(stall.path("job_id").asText()));
                if (list != null) {
                    list.forEach(s -> s.onStalled(stall));
                }
                return;
            }
            JobEvent event = mapper.readValue(n.getParameter(), JobEvent.class);
            globalListeners.forEach(l -> l.accept(event));
            List<Subscriber> list = subscribers.get(event.jobId());
            if (list != null) {
                for (Subscriber s : list) {
                    s.onEvent(event);
                }
            }
        } catch (Exception e) {
            LOG.warnf("Dropped a job event that could not be handled: %s", e.getMessage());
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    /** Job ids with local subscribers (for tests and diagnostics). */
    Set<UUID> subscribedJobs() {
        return subscribers.keySet();
    }
}
