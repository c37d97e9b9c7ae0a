package dev.holdfast.backup;

/**
 * Where a backup is: {@code QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED}. Only a SUCCEEDED
 * backup has an archive, and only after the archive was durably stored and re-read.
 */
public enum BackupStatus {
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
