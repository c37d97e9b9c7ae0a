package dev.holdfast.backup;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * CDI event fired when a backup reaches a final state (SUCCEEDED, FAILED or CANCELLED), wherever that
 * outcome is recorded (its worker, a restore taking a pre-restore backup, or the lease reaper).
 * Observers should use {@code @Observes(during = TransactionPhase.AFTER_SUCCESS)} so they see only
 * committed outcomes, and must hand slow work (mail, webhooks) to another thread: the event is
 * delivered on the thread that recorded the outcome.
 *
 * @param trigger where the backup came from: {@code api}, {@code schedule}, {@code pre-restore}, {@code cli}
 * @param scheduleName the schedule's name when a schedule created it (null otherwise or when deleted since)
 * @param rows rows copied over all databases (0 unless SUCCEEDED)
 * @param rawBytes uncompressed bytes read from the sources (0 unless SUCCEEDED)
 */
public record BackupFinished(
        UUID backupId,
        String name,
        BackupType type,
        BackupStatus status,
        List<String> databases,
        List<String> media,
        String trigger,
        UUID scheduleId,
        String scheduleName,
        Long sizeBytes,
        Instant startedAt,
        Instant finishedAt,
        String error,
        long rows,
        long rawBytes)
        implements FinishedWork {}
