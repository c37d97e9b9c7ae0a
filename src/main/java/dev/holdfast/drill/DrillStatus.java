package dev.holdfast.drill;

/** Where a drill is in its life; the same values as a backup's or a restore's. */
public enum DrillStatus {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED
}
