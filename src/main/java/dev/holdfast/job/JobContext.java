package dev.holdfast.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/** What a running job sees of the queue: its payload, a progress channel and cancellation. */
public interface JobContext {

    /** This job's id. */
    UUID jobId();

    /** The job's payload as stored when it was queued. */
    JsonNode payload();

    /** The payload bound to a type (snake_case JSON). */
    <T> T payload(Class<T> type);

    /** Which attempt this is, starting at 1. */
    int attempt();

    /**
     * Publishes progress. Updates are persisted and broadcast at most every
     * {@code holdfast.jobs.progress-interval}; a change of phase is always published.
     */
    void progress(Progress progress);

    /**
     * Throws {@link JobCancelledException} when the job was asked to stop (by a user, by shutdown,
     * or because this instance lost its lease). Cheap: call it between rows, files or buffers.
     */
    void checkpoint();

    /** Whether {@link #checkpoint()} would throw. */
    boolean stopRequested();

    /**
     * Registers an action that runs once when this job is asked to stop (cancel, shutdown, lost lease, no
     * progress), on the thread that asks, or at once when a stop was already asked. It must be quick and never
     * block: it exists to end waits that {@link #checkpoint()} cannot reach, e.g. by aborting a connection whose
     * socket the job's thread is reading or killing a child process.
     *
     * @return unregisters the action when closed (call it when the resource is no longer in use)
     */
    Registration onStop(Runnable action);

    /** A registered stop action; closing it unregisters it. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
