package dev.holdfast.job;

/**
 * One 0-100 scale for a job made of parts (a restore: its pre-restore backup, then each database and media
 * root): each part's own percent is mapped into its share of the scale, and the job's percent never goes
 * back, so that a client does not see 100 % (the backup done) followed by 0 % (the restore starting).
 */
public final class ProgressScale {
    private final JobContext ctx;
    private final ProgressSink sink;
    private double floor;

    public ProgressScale(JobContext ctx) {
        this.ctx = ctx;
        this.sink = ctx;
    }

    /** A scale over a bare sink: only {@link #sink(double, double)} parts, no {@link #part} contexts. */
    public ProgressScale(ProgressSink sink) {
        this.ctx = null;
        this.sink = sink;
    }

    /** A sink whose progress, 0 to 100 of its own, is reported as {@code from} to {@code to} of the whole. */
    public ProgressSink sink(double from, double to) {
        return p -> emit(p, from, to, sink::progress);
    }

    /** A context whose progress, 0 to 100 of its own, is reported as {@code from} to {@code to} of the job. */
    public JobContext part(double from, double to) {
        if (ctx == null) {
            throw new IllegalStateException("This scale has no job context; use sink(from, to)");
        }
        return new JobContext() {
            @Override
            public java.util.UUID jobId() {
                return ctx.jobId();
            }

            @Override
            public com.fasterxml.jackson.databind.JsonNode payload() {
                return ctx.payload();
            }

            @Override
            public <T> T payload(Class<T> type) {
                return ctx.payload(type);
            }

            @Override
            public int attempt() {
                return ctx.attempt();
            }

            @Override
            public void progress(Progress p) {
                emit(p, from, to, ctx::progress);
            }

            @Override
            public void checkpoint() {
                ctx.checkpoint();
            }

            @Override
            public boolean stopRequested() {
                return ctx.stopRequested();
            }

            @Override
            public Registration onStop(Runnable action) {
                return ctx.onStop(action);
            }
        };
    }

    /**
     * Scales {@code p} and hands it on under one lock: parts report from several threads (a backup's COPY workers),
     * and a report scaled first but handed on second would make the job's percent go back.
     */
    private synchronized void emit(
            Progress p, double from, double to, java.util.function.Consumer<Progress> downstream) {
        downstream.accept(scaled(p, from, to));
    }

    // Only under emit's lock, which also guards floor.
    private Progress scaled(Progress p, double from, double to) {
        Double own = p.percent();
        if (own == null && p.bytesTotal() != null && p.bytesTotal() > 0 && p.bytesDone() != null) {
            own = 100.0 * p.bytesDone() / p.bytesTotal();
        } else if (own == null && p.itemsTotal() != null && p.itemsTotal() > 0 && p.itemsDone() != null) {
            own = 100.0 * p.itemsDone() / p.itemsTotal();
        }
        double job = own == null ? from : from + (to - from) * Math.max(0, Math.min(100.0, own)) / 100.0;
        floor = Math.max(floor, job);
        // The ETA of a part is not the job's: leave it to be derived from the job's own percent.
        return new Progress(
                p.phase(),
                floor,
                p.bytesDone(),
                p.bytesTotal(),
                p.itemsDone(),
                p.itemsTotal(),
                p.currentItem(),
                null,
                p.message(),
                p.rowsDone(),
                p.rowsTotal());
    }
}
