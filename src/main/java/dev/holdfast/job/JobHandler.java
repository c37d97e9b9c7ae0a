package dev.holdfast.job;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The work behind one job type. Implementations are CDI beans; the worker pool finds them by
 * {@link #type()} and calls {@link #run(JobContext)} on its executor, never on an event loop and
 * never inside a catalog transaction.
 */
public interface JobHandler {

    /** The job type this handler runs, e.g. {@code backup}. */
    String type();

    /**
     * How many times a job of this type may be started in all. Only types whose work is safe to
     * repeat from scratch after a worker vanished mid-way should return more than 1.
     */
    default int maxAttempts() {
        return 1;
    }

    /**
     * Does the work. Long work calls {@link JobContext#checkpoint()} often so that cancellation takes
     * effect quickly, and cleans up what it started when that throws.
     *
     * @return a JSON result stored on the job, or {@code null}
     */
    JsonNode run(JobContext ctx) throws Exception;

    /**
     * Called once when a job of this type ends FAILED or CANCELLED, on whichever instance records
     * that outcome: after {@link #run} threw, or after the job's worker vanished and its lease
     * expired. Domain records (a backup row, say) are brought to an honest final state here.
     * Must not throw.
     */
    default void onFailure(JobOutcome outcome) {}

    /**
     * Brings to a terminal state every domain row of this type whose job has ended while the row still says
     * queued or running, whichever path ended the job (a queued job cancelled, a reaped lease, a hook that
     * failed during a shutdown). Runs at start-up and after every reap, on every instance, so it must be cheap
     * when there is nothing to do and safe to run concurrently. Must not throw.
     */
    default void reconcile() {}

    /** How a failed or cancelled job ended. */
    record JobOutcome(java.util.UUID jobId, String type, JsonNode payload, JobState state, String error) {}
}
