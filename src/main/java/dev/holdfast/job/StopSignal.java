package dev.holdfast.job;

/**
 * How a run learns that it should stop (cancel, shutdown, lost lease, no progress), whether it runs as a job or
 * is called directly: engines take this instead of a {@link JobContext}, so that they run without the queue.
 */
public interface StopSignal {

    /**
     * Throws {@link JobCancelledException} when the run was asked to stop (by a user, by shutdown,
     * or because this instance lost its lease). Cheap: call it between rows, files or buffers.
     */
    void checkpoint();

    /** Whether {@link #checkpoint()} would throw. */
    boolean stopRequested();

    /**
     * Registers an action that runs once when this run is asked to stop, on the thread that asks, or at once
     * when a stop was already asked. It must be quick and never block: it exists to end waits that
     * {@link #checkpoint()} cannot reach, e.g. by aborting a connection whose socket the run's thread is reading
     * or killing a child process.
     *
     * @return unregisters the action when closed (call it when the resource is no longer in use)
     */
    Registration onStop(Runnable action);

    /** A registered stop action; closing it unregisters it. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** A signal that never asks to stop, for runs nothing cancels. */
    static StopSignal never() {
        return new StopSignal() {
            @Override
            public void checkpoint() {}

            @Override
            public boolean stopRequested() {
                return false;
            }

            @Override
            public Registration onStop(Runnable action) {
                return () -> {};
            }
        };
    }
}
