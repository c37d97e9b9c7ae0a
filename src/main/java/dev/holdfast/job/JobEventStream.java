package dev.holdfast.job;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.UUID;

/**
 * Streams one job over Server-Sent Events: a {@code state} event with the whole job first, a
 * {@code progress} event per change (and a {@code stalled} event each time the watchdog reports the job stalled),
 * then one {@code end} event with the final job, and completes.
 * Used by every progress endpoint (jobs, backups, restores).
 */
@ApplicationScoped
public class JobEventStream {
    /** First event: the job as it is when the client connects. */
    public static final String STATE = "state";
    /** A change of state or progress. */
    public static final String PROGRESS = "progress";
    /** The watchdog found the job stalled: its progress has not moved for the type's stall warning. */
    public static final String STALLED = "stalled";
    /** Last event: the job in its final state; the stream closes after it. */
    public static final String END = "end";

    @Inject
    ProgressBus bus;

    @Inject
    JobService jobs;

    @Inject
    com.fasterxml.jackson.databind.ObjectMapper mapper;

    /**
     * The event stream of a job. Throws NotFound at once for an unknown job, so the client gets a
     * 404 problem instead of an empty stream. Call from a worker thread (it reads the catalog).
     */
    public Multi<OutboundSseEvent> stream(UUID jobId, Sse sse) {
        jobs.get(jobId);
        return Multi.createFrom()
                .<OutboundSseEvent>emitter(emitter -> {
                    Session session = new Session(jobId, emitter, sse);
                    synchronized (session) {
                        Runnable unsubscribe = bus.subscribe(jobId, session);
                        emitter.onTermination(unsubscribe);
                        // Read after subscribing so that no change falls between the read and the subscription.
                        JobView current = jobs.get(jobId);
                        session.lastSeq = current.seq();
                        session.emit(STATE, current);
                        if (current.state().terminal()) {
                            session.end(current);
                        }
                    }
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool()); // the subscription reads the catalog
    }

    private final class Session implements ProgressBus.Subscriber {
        final UUID jobId;
        final MultiEmitter<? super OutboundSseEvent> emitter;
        final Sse sse;
        long lastSeq = -1;
        boolean ended;

        Session(UUID jobId, MultiEmitter<? super OutboundSseEvent> emitter, Sse sse) {
            this.jobId = jobId;
            this.emitter = emitter;
            this.sse = sse;
        }

        @Override
        public synchronized void onEvent(JobEvent event) {
            if (ended || event.seq() <= lastSeq) {
                return;
            }
            lastSeq = event.seq();
            if (event.state().terminal()) {
                end(jobs.get(jobId));
            } else {
                emit(PROGRESS, event);
            }
        }

        @Override
        public synchronized void onStalled(com.fasterxml.jackson.databind.JsonNode stall) {
            emit(STALLED, stall);
        }

        @Override
        public synchronized void onResync() {
            if (ended) {
                return;
            }
            JobView current = jobs.get(jobId);
            if (current.seq() > lastSeq) {
                lastSeq = current.seq();
                if (current.state().terminal()) {
                    end(current);
                } else {
                    emit(
                            PROGRESS,
                            new JobEvent(
                                    current.id(),
                                    current.seq(),
                                    current.state(),
                                    current.cancelRequested(),
                                    mapper.valueToTree(current.progress())));
                }
            }
        }

        void end(JobView finalState) {
            emit(END, finalState);
            ended = true;
            emitter.complete();
        }

        void emit(String name, Object data) {
            if (ended || emitter.isCancelled()) {
                return;
            }
            emitter.emit(sse.newEventBuilder()
                    .name(name)
                    .id(Long.toString(lastSeq))
                    .mediaType(MediaType.APPLICATION_JSON_TYPE)
                    .data(data)
                    .build());
        }
    }
}
