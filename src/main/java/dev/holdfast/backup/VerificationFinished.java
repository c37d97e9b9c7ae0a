package dev.holdfast.backup;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * CDI event fired when a verification job records its outcome for a backup (observe it
 * {@code AFTER_SUCCESS}, as {@link BackupFinished}).
 */
public record VerificationFinished(
        UUID backupId, String backupName, List<String> sources, boolean ok, int failures, Instant at) {}
