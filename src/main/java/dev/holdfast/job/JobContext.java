package dev.holdfast.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/** What a running job sees of the queue: its payload, a progress channel and cancellation. */
public interface JobContext extends ProgressSink, StopSignal {

    /** This job's id. */
    UUID jobId();

    /** The job's payload as stored when it was queued. */
    JsonNode payload();

    /** The payload bound to a type (snake_case JSON). */
    <T> T payload(Class<T> type);

    /** Which attempt this is, starting at 1. */
    int attempt();

    // progress(Progress), checkpoint(), stopRequested(), onStop(Runnable) and Registration come from
    // ProgressSink and StopSignal, so that an engine can take just those and run without the queue.
}
