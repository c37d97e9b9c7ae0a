package dev.holdfast.restore;

/**
 * The cancellation state of one database restore, shared by all of its connections: the caller's checkpoint,
 * the cancellation it threw, and the stop flag one failing connection sets so that the others end at their next
 * buffer.
 */
final class Cancellation {

    private final Runnable checkpoint;
    private volatile RuntimeException cancellation;
    /** Set when one of several connections failed or was cancelled: the others stop at their next buffer. */
    private volatile boolean stop;

    Cancellation(Runnable checkpoint) {
        this.checkpoint = checkpoint == null ? () -> {} : checkpoint;
    }

    /** Throws {@link Stopped} once the restore is stopping, else whatever the caller's checkpoint throws. */
    void check() {
        if (stop) {
            throw new Stopped();
        }
        try {
            checkpoint.run();
        } catch (RuntimeException e) {
            cancellation = e;
            stop = true;
            throw e;
        }
    }

    /** Makes every connection of the restore stop at its next step. */
    void stopAll() {
        stop = true;
    }

    boolean stopping() {
        return stop;
    }

    /** The caller's cancellation if {@code e} is it or wraps it, else null. */
    RuntimeException causing(Exception e) {
        RuntimeException c = cancellation;
        return c != null && (e == c || e.getCause() == c) ? c : null;
    }

    /** Thrown on a connection that stops because another one failed; never the reported cause. */
    static final class Stopped extends RuntimeException {
        Stopped() {
            super("stopped because another connection of the restore failed", null, false, false);
        }
    }
}
