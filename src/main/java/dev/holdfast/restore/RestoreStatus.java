package dev.holdfast.restore;

/**
 * Where a restore is: {@code QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED}; the same names a backup's
 * status uses, so the catalog's and the API's values are what they always were.
 */
public enum RestoreStatus {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    /** Whether nothing will change this status any more. */
    public boolean terminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
