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
}
