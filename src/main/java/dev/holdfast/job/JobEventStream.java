package dev.holdfast.job;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Streams one job over Server-Sent Events: a {@code state} event with the whole job first, a
 * {@code progress} event per change, then one {@code end} event with the final job, and closes.
 * Used by every progress endpoint (jobs, backups, restores).
 */
@ApplicationScoped
public class JobEventStream {
    private static final Logger LOG = Logger.getLogger(JobEventStream.class);

    /** First event: the job as it is when the client connects. */
    public static final String STATE = "state";
    /** A change of state or progress. */
    public static final String PROGRESS = "progress";
    /** Last event: the job in its final state; the stream closes after it. */
    public static final String END = "end";

    @Inject
    ProgressBus bus;

    @Inject
    JobService jobs;

    /** Streams the job until it ends or the client goes away. Throws NotFound before streaming. */
    public void stream(UUID jobId, SseEventSink sink, Sse sse) {
        jobs.get(jobId); // 404 before the stream starts
        Session session = new Session(jobId, sink, sse);
        synchronized (session) {
            session.unsubscribe.set(bus.subscribe(jobId, session));
            // Re-read after subscribing so that no change falls between the read and the subscription.
            JobView current = jobs.get(jobId);
            session.lastSeq = current.seq();
            session.send(STATE, current);
            if (current.state().terminal()) {
                session.end(current);
            }
        }
    }

    private final class Session implements ProgressBus.Subscriber {
        final UUID jobId;
        final SseEventSink sink;
        final Sse sse;
        final AtomicReference<Runnable> unsubscribe = new AtomicReference<>();
        long lastSeq = -1;
        boolean closed;

        Session(UUID jobId, SseEventSink sink, Sse sse) {
            this.jobId = jobId;
            this.sink = sink;
            this.sse = sse;
        }

        @Override
        public synchronized void onEvent(JobEvent event) {
            if (closed || event.seq() <= lastSeq) {
                return;
            }
            lastSeq = event.seq();
            if (event.state().terminal()) {
                end(jobs.get(jobId));
            } else {
                send(PROGRESS, event);
            }
        }

        @Override
        public synchronized void onResync() {
            if (closed) {
                return;
            }
            JobView current = jobs.get(jobId);
            if (current.seq() > lastSeq) {
                lastSeq = current.seq();
                if (current.state().terminal()) {
                    end(current);
                } else {
                    send(PROGRESS, new JobEvent(current.id(), current.seq(), current.state(),
                            current.cancelRequested(), current.progress()));
                }
            }
        }

        void end(JobView finalState) {
            send(END, finalState);
            close();
        }

        void send(String name, Object data) {
            if (closed) {
                return;
            }
            if (sink.isClosed()) {
                close();
                return;
            }
            OutboundSseEvent event = sse.newEventBuilder()
                    .name(name)
                    .id(Long.toString(lastSeq))
                    .mediaType(MediaType.APPLICATION_JSON_TYPE)
                    .data(data)
                    .build();
            sink.send(event).whenComplete((r, e) -> {
                if (e != null) {
                    synchronized (this) {
                        close();
                    }
                }
            });
        }

        void close() {
            if (closed) {
                return;
            }
            closed = true;
            Runnable u = unsubscribe.get();
            if (u != null) {
                u.run();
            }
            try {
                sink.close();
            } catch (Exception e) {
                LOG.debugf("Closing SSE sink: %s", e.getMessage());
            }
        }
    }
}
