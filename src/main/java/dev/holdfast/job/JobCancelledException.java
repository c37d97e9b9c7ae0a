package dev.holdfast.job;

/** Thrown at a checkpoint when a job must stop; the reason ends up in the job's error field. */
public class JobCancelledException extends RuntimeException {
    private final boolean byUser;

    public JobCancelledException(String reason, boolean byUser) {
        super(reason, null, false, false);
        this.byUser = byUser;
    }

    /** True when a user asked for the cancellation (the job ends CANCELLED rather than FAILED). */
    public boolean byUser() {
        return byUser;
    }
}
