package dev.holdfast.job;

/**
 * Where a run reports how far it has come: a job's context, a part of a job's progress scale, or anything a
 * caller outside the job queue (the CLI, a test) wants to watch.
 */
@FunctionalInterface
public interface ProgressSink {

    /**
     * Publishes progress. A job's context persists and broadcasts updates at most every
     * {@code holdfast.jobs.progress-interval}; a change of phase is always published.
     */
    void progress(Progress progress);

    /** A sink that drops everything, for runs nobody watches. */
    static ProgressSink none() {
        return p -> {};
    }
}
