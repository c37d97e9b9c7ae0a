package dev.holdfast.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Runs claimed jobs on an executor, at most {@code concurrency} at a time, renews their leases,
 * delivers cancellations and takes over jobs abandoned by dead instances. One pool per service
 * instance; it holds no state that the database does not also hold.
 */
public class WorkerPool {
    private static final Logger LOG = Logger.getLogger(WorkerPool.class);

    /** Receives job outcomes, for metrics. */
    public interface Listener {
        void finished(String type, JobState state, Duration duration);

        Listener NONE = (type, state, duration) -> {};
    }

    /**
     * The stall watchdog: how long each job type may go without moving before it is reported, and who hears of it.
     * Its methods are called from the heartbeat and from job threads, so they hand any slow work elsewhere.
     */
    public interface StallWatch {
        /** How long a job of {@code type} may go without its progress moving ({@code null}: no limit). */
        Duration stallWarning(String type);

        /** A job running here has not moved for {@code still}; called once per stall. */
        void stalled(UUID jobId, String type, Duration still, Progress last);

        /** A job reported stalled moved again (or ended). */
        void resumed(UUID jobId);

        StallWatch NONE = new StallWatch() {
            @Override
            public Duration stallWarning(String type) {
                return null;
            }

            @Override
            public void stalled(UUID jobId, String type, Duration still, Progress last) {}

            @Override
            public void resumed(UUID jobId) {}
        };
    }

    private volatile StallWatch stallWatch = StallWatch.NONE;

    private final JobStore store;
    private final Map<String, JobHandler> handlers;
    private final ExecutorService executor;
    /**
     * Saves running jobs' progress (at most one save under way per job). Not {@link #executor}: its threads may all
     * be running jobs, and a save queued behind them would wait for the jobs to end.
     */
    private final ExecutorService progressSaves = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "holdfast-progress-save");
        t.setDaemon(true);
        return t;
    });

    private final int concurrency;
    /** Leases after which a job of a type this instance cannot run is reaped here too (see reapExpired). */
    static final int ORPHAN_GRACE_LEASES = 5;

    private final Duration lease;
    private final Duration progressInterval;
    private final ObjectMapper mapper;
    private final Listener listener;
    private final Duration stallTimeout;
    private final Duration stopGrace;
    private final Map<UUID, RunningJob> running = new ConcurrentHashMap<>();
    private final AtomicInteger slotsInUse = new AtomicInteger();
    private final ReentrantLock pollLock = new ReentrantLock();
    private final AtomicBoolean stopping = new AtomicBoolean();

    public WorkerPool(
            JobStore store,
            Map<String, JobHandler> handlers,
            ExecutorService executor,
            int concurrency,
            Duration lease,
            Duration progressInterval,
            ObjectMapper mapper,
            Listener listener) {
        this(
                store,
                handlers,
                executor,
                concurrency,
                lease,
                progressInterval,
                mapper,
                listener,
                null,
                Duration.ofMinutes(1));
    }

    /**
     * @param stallTimeout a job that neither checks in nor reports progress for this long is asked to stop
     *     ({@code null}: never)
     * @param stopGrace how long a job asked to stop may take to end before this instance gives it up: its lease
     *     is no longer renewed, so the queue fails it (and its handler's rows) while its thread is left behind
     */
    public WorkerPool(
            JobStore store,
            Map<String, JobHandler> handlers,
            ExecutorService executor,
            int concurrency,
            Duration lease,
            Duration progressInterval,
            ObjectMapper mapper,
            Listener listener,
            Duration stallTimeout,
            Duration stopGrace) {
        this.stallTimeout = stallTimeout;
        this.stopGrace = stopGrace;
        this.store = store;
        this.handlers = Map.copyOf(handlers);
        this.executor = executor;
        this.concurrency = concurrency;
        this.lease = lease;
        this.progressInterval = progressInterval;
        this.mapper = mapper;
        this.listener = listener;
    }

    /** Sets who watches for stalled jobs (none by default). */
    public void watchStalls(StallWatch watch) {
        this.stallWatch = watch;
    }

    /** Claims and starts queued jobs until the pool is full or the queue has nothing runnable. */
    public void poll() {
        if (stopping.get() || !pollLock.tryLock()) {
            return;
        }
        try {
            while (!stopping.get() && slotsInUse.get() < concurrency) {
                slotsInUse.incrementAndGet();
                Optional<JobStore.Claimed> claimed;
                try {
                    claimed = store.claim(handlers.keySet(), lease);
                } catch (Exception e) {
                    slotsInUse.decrementAndGet();
                    LOG.warnf("Could not claim jobs: %s", e.getMessage());
                    return;
                }
                if (claimed.isEmpty()) {
                    slotsInUse.decrementAndGet();
                    return;
                }
                start(claimed.get());
            }
        } finally {
            pollLock.unlock();
        }
    }

    private void start(JobStore.Claimed claimed) {
        RunningJob job = new RunningJob(claimed, store, mapper, progressInterval, progressSaves);
        running.put(claimed.id(), job);
        try {
            executor.execute(() -> execute(job));
        } catch (RuntimeException e) {
            // Executor refused (shutting down): hand the job back to the queue untouched.
            running.remove(claimed.id());
            slotsInUse.decrementAndGet();
            LOG.warnf("Executor refused job %s (%s); releasing it", claimed.id(), e.getMessage());
            try {
                store.release(claimed.id());
            } catch (Exception ex) {
                LOG.warnf("Job %s not released (%s); its lease will expire", claimed.id(), ex.getMessage());
            }
        }
    }

    private void execute(RunningJob job) {
        JobStore.Claimed c = job.claimed;
        JobHandler handler = handlers.get(c.type());
        job.thread = Thread.currentThread();
        MDC.put("job_id", "job=" + c.id() + " ");
        MDC.put("job_type", "type=" + c.type() + " ");
        long started = System.nanoTime();
        JobState outcome = null;
        String error = null;
        try {
            LOG.infof("Job %s (%s) started, attempt %d of %d", c.id(), c.type(), c.attempt(), c.maxAttempts());
            JsonNode result = handler.run(job);
            outcome = JobState.SUCCEEDED;
            finish(job, outcome, result, null);
        } catch (JobCancelledException e) {
            outcome = e.byUser() ? JobState.CANCELLED : JobState.FAILED;
            error = e.getMessage();
            if (job.leaseLost) {
                LOG.warnf("Job %s stopped: %s", c.id(), error);
                outcome = null;
            } else {
                finish(job, outcome, null, error);
            }
        } catch (Throwable e) {
            outcome = job.stopReason != null && job.stopByUser ? JobState.CANCELLED : JobState.FAILED;
            error = describe(e);
            if (job.stopReason != null) {
                // Asked to stop, the job's own stop actions broke what it was waiting on (an aborted connection):
                // the reason is the stop, not the error that it caused.
                LOG.infof("Job %s stopped (%s) with: %s", c.id(), job.stopReason, error);
                error = job.stopReason;
            } else {
                LOG.errorf(e, "Job %s failed: %s", c.id(), error);
            }
            if (job.leaseLost) {
                outcome = null;
            } else {
                finish(job, outcome, null, error);
            }
        } finally {
            try {
                if (outcome != null) {
                    listener.finished(c.type(), outcome, Duration.ofNanos(System.nanoTime() - started));
                    if (outcome != JobState.SUCCEEDED) {
                        notifyFailure(
                                handler, new JobHandler.JobOutcome(c.id(), c.type(), c.payload(), outcome, error));
                    }
                    LOG.infof("Job %s ended %s", c.id(), outcome);
                }
            } finally {
                // Only now is the job gone: a shutdown waits for running jobs, and their failure hooks (which end
                // the backup or restore row) need the catalog that the shutdown closes next.
                running.remove(c.id());
                slotsInUse.decrementAndGet();
                if (job.stalled) {
                    job.stalled = false;
                    job.onResume.run();
                }
                MDC.remove("job_id");
                MDC.remove("job_type");
            }
        }
        poll();
    }

    private void finish(RunningJob job, JobState state, JsonNode result, String error) {
        job.settleProgress(Duration.ofSeconds(10));
        try {
            if (!store.finish(job.claimed.id(), state, result, error, job.lastProgress)) {
                LOG.warnf("Job %s: outcome %s not recorded, the lease had been taken over", job.claimed.id(), state);
            }
        } catch (Exception e) {
            // The lease will expire and the reaper will record an honest failure.
            LOG.errorf(e, "Job %s: could not record outcome %s", job.claimed.id(), state);
        }
    }

    private static void notifyFailure(JobHandler handler, JobHandler.JobOutcome outcome) {
        if (handler == null) {
            return;
        }
        try {
            handler.onFailure(outcome);
        } catch (Exception e) {
            LOG.errorf(e, "Failure hook of job %s threw", outcome.jobId());
        }
    }

    /**
     * Renews the leases of running jobs that still make progress, and delivers pending cancellations. A job that
     * went {@code stallTimeout} without a checkpoint or progress report is asked to stop; one that was asked to
     * stop and is still running {@code stopGrace} later is given up: its lease is no longer renewed, so that the
     * queue ends it and its rows honestly (here or on another instance) instead of renewing a hung job forever.
     */
    public void heartbeat() {
        if (running.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        java.util.Set<UUID> renew = new java.util.HashSet<>();
        for (RunningJob job : running.values()) {
            if (stallTimeout != null
                    && job.stopReason == null
                    && now - job.lastActivityNanos > stallTimeout.toNanos()) {
                LOG.warnf("Job %s made no progress for %s; stopping it", job.claimed.id(), stallTimeout);
                job.stop(
                        "The job made no progress for " + dev.holdfast.time.Durations.format(stallTimeout)
                                + " (holdfast.jobs.stall-timeout) and was stopped",
                        false);
            }
            watchStall(job, now);
            if (job.stopReason != null && now - job.stopRequestedNanos > stopGrace.toNanos()) {
                if (!job.abandoned) {
                    job.abandoned = true;
                    LOG.errorf(
                            "Job %s did not stop within %s of being asked (%s); its lease is no longer renewed so"
                                    + " that the queue fails it. Its thread is stuck in:%s",
                            job.claimed.id(), stopGrace, job.stopReason, stackOf(job.thread));
                }
                continue;
            }
            renew.add(job.claimed.id());
        }
        if (renew.isEmpty()) {
            return;
        }
        try {
            Map<UUID, Boolean> owned = store.heartbeat(renew, lease);
            for (RunningJob job : running.values()) {
                if (!renew.contains(job.claimed.id())) {
                    continue;
                }
                Boolean cancel = owned.get(job.claimed.id());
                if (cancel == null) {
                    if (running.containsKey(job.claimed.id())) {
                        job.leaseLost = true;
                        job.stop("This instance lost the job's lease", false);
                    }
                } else if (cancel) {
                    job.stop("Cancelled by request", true);
                }
            }
        } catch (Exception e) {
            LOG.warnf("Heartbeat failed: %s", e.getMessage());
        }
    }

    /** Reports a job whose progress has not moved for its type's stall warning, once per stall. */
    private void watchStall(RunningJob job, long now) {
        if (job.stalled || job.stopReason != null) {
            return;
        }
        StallWatch watch = stallWatch;
        Duration limit = watch.stallWarning(job.claimed.type());
        long still = now - job.lastMoveNanos;
        if (limit != null && still > limit.toNanos()) {
            UUID id = job.claimed.id();
            job.onResume = () -> watch.resumed(id);
            job.stalled = true;
            watch.stalled(id, job.claimed.type(), Duration.ofNanos(still), job.lastProgress);
        }
    }

    /**
     * Stops a job running here that the watchdog found stalled ({@code holdfast.jobs.cancel-stalled}); it fails with
     * the reason. Returns whether the job was running here.
     */
    public boolean stopStalled(UUID id, String reason) {
        RunningJob job = running.get(id);
        if (job == null) {
            return false;
        }
        job.stop(reason, false);
        return true;
    }

    /** Takes over jobs whose lease expired, on any instance. */
    public void reap() {
        try {
            for (JobStore.Reaped r : store.reapExpired(handlers.keySet(), lease.multipliedBy(ORPHAN_GRACE_LEASES))) {
                LOG.warnf("Job %s (%s) recovered: %s", r.id(), r.type(), r.error());
                if (r.state().terminal()) {
                    listener.finished(r.type(), r.state(), Duration.ZERO);
                    notifyFailure(
                            handlers.get(r.type()),
                            new JobHandler.JobOutcome(r.id(), r.type(), r.payload(), r.state(), r.error()));
                }
            }
        } catch (Exception e) {
            LOG.warnf("Reaping expired jobs failed: %s", e.getMessage());
        }
        reconcile();
    }

    /** Lets every handler end the rows of jobs that ended without them ({@link JobHandler#reconcile}). */
    public void reconcile() {
        for (JobHandler h : handlers.values()) {
            try {
                h.reconcile();
            } catch (Exception e) {
                LOG.warnf("Reconciling %s rows failed: %s", h.type(), e.getMessage());
            }
        }
    }

    /**
     * Calls the failure hook for a job that ended without running (a queued job cancelled), so its domain rows
     * end at once rather than at the next reconcile.
     */
    public void endedWithoutRunning(JobHandler.JobOutcome outcome) {
        notifyFailure(handlers.get(outcome.type()), outcome);
    }

    /** Delivers a cancellation seen on the event bus to a job running here. */
    public void cancelLocal(UUID id) {
        RunningJob job = running.get(id);
        if (job != null) {
            job.stop("Cancelled by request", true);
        }
    }

    /** Jobs running in this pool now. */
    public int runningCount() {
        return running.size();
    }

    /** Whether the job runs in this pool. */
    public boolean runs(UUID id) {
        return running.containsKey(id);
    }

    /**
     * Stops claiming, asks running jobs to stop and waits for them up to {@code grace}; jobs still
     * running after that are left to lease expiry.
     */
    public void shutdown(Duration grace) {
        stopping.set(true);
        running.values().forEach(j -> j.stop("The service instance is shutting down", false));
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            while (!running.isEmpty() && System.nanoTime() < deadline) {
                try {
                    TimeUnit.MILLISECONDS.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        } finally {
            // A job still running saves its progress on its own thread from now on (RunningJob.progress).
            progressSaves.shutdown();
        }
    }

    private static String stackOf(Thread t) {
        if (t == null) {
            return " (unknown)";
        }
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            sb.append("\n\tat ").append(e);
        }
        return sb.toString();
    }

    static String describe(Throwable e) {
        String msg = e.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = e.getClass().getSimpleName();
        }
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !msg.contains(cause.getMessage())) {
            msg = msg + ": " + cause.getMessage();
        }
        return msg;
    }
}
