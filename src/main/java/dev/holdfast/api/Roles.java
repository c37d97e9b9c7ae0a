package dev.holdfast.api;

/**
 * The three Holdfast roles; each includes the rights of the ones before it
 * ({@code backup-viewer} ⊂ {@code backup-operator} ⊂ {@code backup-admin}).
 */
public final class Roles {
    /** Read catalog, jobs, progress and statistics. */
    public static final String VIEWER = "backup-viewer";
    /** Create and verify backups, cancel jobs, run schedules. */
    public static final String OPERATOR = "backup-operator";
    /** Restore, roll back, delete, download, manage schedules, read the audit log. */
    public static final String ADMIN = "backup-admin";

    private Roles() {}
}
