package dev.holdfast.restore;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * CDI event fired when a restore (or a rollback, or a dry run) reaches a final state. Observe it
 * {@code AFTER_SUCCESS} and hand slow work to another thread, as {@link dev.holdfast.backup.BackupFinished}.
 *
 * @param databases database sources restored (names from the backup)
 * @param media media roots restored
 * @param rows rows loaded over all tables (0 unless SUCCEEDED)
 */
public record RestoreFinished(
        UUID restoreId,
        UUID backupId,
        String mode,
        boolean dryRun,
        UUID rollbackOf,
        RestoreStatus status,
        List<String> databases,
        List<String> media,
        Instant startedAt,
        Instant finishedAt,
        String error,
        long rows,
        String createdBy)
        implements dev.holdfast.backup.FinishedWork {}
