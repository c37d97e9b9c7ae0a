package dev.holdfast.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.job.JobCancelledException;
import dev.holdfast.job.JobContext;
import dev.holdfast.job.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A job context for engine tests, outside any queue: it reports nowhere, and {@link #stop} does what a cancel
 * does to a real job (its stop actions run, its next checkpoint throws); optionally slow at every checkpoint.
 */
public final class TestJob implements JobContext {
    private final UUID id = UUID.randomUUID();
    private final List<Runnable> onStop = new ArrayList<>();
    private volatile boolean stopped;
    private volatile long checkpointMillis;

    /** Makes every checkpoint take {@code millis}, so that the work it paces lasts long enough to be struck. */
    public TestJob slowCheckpoints(long millis) {
        checkpointMillis = millis;
        return this;
    }

    /** Asks the job to stop, as a user's cancel would. */
    public void stop() {
        List<Runnable> actions;
        synchronized (onStop) {
            stopped = true;
            actions = List.copyOf(onStop);
            onStop.clear();
        }
        actions.forEach(Runnable::run);
    }

    @Override
    public UUID jobId() {
        return id;
    }

    @Override
    public JsonNode payload() {
        return null;
    }

    @Override
    public <T> T payload(Class<T> type) {
        return null;
    }

    @Override
    public int attempt() {
        return 1;
    }

    @Override
    public void progress(Progress progress) {}

    @Override
    public void checkpoint() {
        if (stopped) {
            throw new JobCancelledException("Cancelled by request", true);
        }
        if (checkpointMillis > 0) {
            try {
                Thread.sleep(checkpointMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean stopRequested() {
        return stopped;
    }

    @Override
    public Registration onStop(Runnable action) {
        synchronized (onStop) {
            if (!stopped) {
                onStop.add(action);
                return () -> {
                    synchronized (onStop) {
                        onStop.remove(action);
                    }
                };
            }
        }
        action.run();
        return () -> {};
    }
}
