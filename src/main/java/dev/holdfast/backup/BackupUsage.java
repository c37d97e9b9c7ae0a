package dev.holdfast.backup;

import java.util.UUID;

/**
 * Whether something still needs a backup, asked before deleting it. Owned here and implemented in restore/, so that
 * backup/ never reads restore's table and never depends on restore/ (restore depends on backup).
 */
public interface BackupUsage {
    /** How many queued or running restores read the backup or write it as their pre-restore backup. */
    long activeRestoresUsing(UUID backupId);
}
