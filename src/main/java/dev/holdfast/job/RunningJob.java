package dev.holdfast.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;

/**
 * The context a running job sees, and what its pool knows of it: its stop request and stop actions, when it last
 * checked in, its last progress, and whether its pool gave it up.
 */
final class RunningJob implements JobContext {
    private static final Logger LOG = Logger.getLogger(RunningJob.class);

    private final JobStore store;
    private final ObjectMapper mapper;
    private final Duration progressInterval;
    final JobStore.Claimed claimed;
    final long startedNanos = System.nanoTime();
    volatile String stopReason;
    volatile boolean stopByUser;
    volatile boolean leaseLost;
    volatile Progress lastProgress;
    volatile long lastActivityNanos = System.nanoTime();
    /** When the progress last moved (a counter, the phase or the item changed): a checkpoint alone is no move. */
    volatile long lastMoveNanos = System.nanoTime();
    /** Whether the watchdog reported this job stalled; the next move ends the stall. */
    volatile boolean stalled;
    /** Told when a stalled job moves again. */
    volatile Runnable onResume = () -> {};

    volatile long stopRequestedNanos;
    volatile boolean abandoned;
    volatile Thread thread;
    long lastSavedNanos;
    String lastPhase;
    private final java.util.List<Runnable> stopActions = new java.util.ArrayList<>();

    /** Where progress is saved, so that the job never waits for the catalog to report it. */
    private final Executor saver;
    /** The newest progress not saved yet, and whether a save is under way (both guarded by this). */
    private Progress unsaved;

    private boolean saving;

    RunningJob(
            JobStore.Claimed claimed, JobStore store, ObjectMapper mapper, Duration progressInterval, Executor saver) {
        this.claimed = claimed;
        this.store = store;
        this.mapper = mapper;
        this.progressInterval = progressInterval;
        this.saver = saver;
    }

    void stop(String reason, boolean byUser) {
        java.util.List<Runnable> actions;
        synchronized (stopActions) {
            if (stopReason != null) {
                return;
            }
            stopByUser = byUser;
            stopRequestedNanos = System.nanoTime();
            stopReason = reason;
            actions = java.util.List.copyOf(stopActions);
            stopActions.clear();
        }
        actions.forEach(RunningJob::runQuietly);
    }

    private static void runQuietly(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warnf("A job's stop action failed: %s", e.getMessage());
        }
    }

    @Override
    public Registration onStop(Runnable action) {
        synchronized (stopActions) {
            if (stopReason == null) {
                stopActions.add(action);
                return () -> {
                    synchronized (stopActions) {
                        stopActions.remove(action);
                    }
                };
            }
        }
        runQuietly(action);
        return () -> {};
    }

    @Override
    public UUID jobId() {
        return claimed.id();
    }

    @Override
    public JsonNode payload() {
        return claimed.payload();
    }

    @Override
    public <T> T payload(Class<T> type) {
        try {
            return mapper.treeToValue(claimed.payload(), type);
        } catch (Exception e) {
            throw new IllegalArgumentException("Job payload does not match " + type.getSimpleName(), e);
        }
    }

    @Override
    public int attempt() {
        return claimed.attempt();
    }

    @Override
    public synchronized void progress(Progress progress) {
        long now = System.nanoTime();
        lastActivityNanos = now;
        Progress p = progress.complete((now - startedNanos) / 1_000_000);
        if (moved(lastProgress, p)) {
            lastMoveNanos = now;
            if (stalled) {
                stalled = false;
                onResume.run();
            }
        }
        lastProgress = p;
        boolean phaseChanged = p.phase() != null && !p.phase().equals(lastPhase);
        if (!phaseChanged && now - lastSavedNanos < progressInterval.toNanos()) {
            return;
        }
        lastSavedNanos = now;
        lastPhase = p.phase();
        // Saved on another thread, newest first: a save is a catalog round trip (and a connection check), and an
        // incremental backup changes phase several times within a fifth of a second. A cancellation or a lost lease
        // that the save learns of stops the job at its next checkpoint, as before.
        unsaved = p;
        if (!saving) {
            saving = true;
            try {
                saver.execute(this::saveUnsaved);
            } catch (RejectedExecutionException e) {
                saving = false; // shutting down: saved here, as the job ends anyway
                unsaved = null;
                save(p);
            }
        }
    }

    /** Saves the newest unsaved progress until there is none. */
    private void saveUnsaved() {
        while (true) {
            Progress p;
            synchronized (this) {
                p = unsaved;
                unsaved = null;
                if (p == null) {
                    saving = false;
                    notifyAll();
                    return;
                }
            }
            save(p);
        }
    }

    private void save(Progress p) {
        try {
            Optional<Boolean> state = store.saveProgress(claimed.id(), p);
            if (state.isEmpty()) {
                leaseLost = true;
                stop("This instance lost the job's lease", false);
            } else if (state.get()) {
                stop("Cancelled by request", true);
            }
        } catch (Exception e) {
            LOG.warnf("Job %s: progress not saved: %s", claimed.id(), e.getMessage());
        }
    }

    /**
     * Drops progress not saved yet and waits for a save under way, so that none lands after the job's end is
     * recorded (which records the last progress itself). Gives up after {@code timeout}.
     */
    synchronized void settleProgress(Duration timeout) {
        unsaved = null;
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        while (saving) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                interrupted = true; // the job is ending anyway: finish waiting, then restore the flag
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether {@code next} shows work done since {@code previous}: slow work moves some counter, however little,
     * while stuck work reports the same snapshot (or nothing) again and again.
     */
    static boolean moved(Progress previous, Progress next) {
        return previous == null
                || !java.util.Objects.equals(previous.phase(), next.phase())
                || !java.util.Objects.equals(previous.bytesDone(), next.bytesDone())
                || !java.util.Objects.equals(previous.itemsDone(), next.itemsDone())
                || !java.util.Objects.equals(previous.rowsDone(), next.rowsDone())
                || !java.util.Objects.equals(previous.currentItem(), next.currentItem())
                || !java.util.Objects.equals(previous.percent(), next.percent());
    }

    @Override
    public void checkpoint() {
        lastActivityNanos = System.nanoTime();
        if (stopReason != null) {
            throw new JobCancelledException(stopReason, stopByUser);
        }
    }

    @Override
    public boolean stopRequested() {
        return stopReason != null;
    }
}
