package dev.holdfast.notify;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * CDI event fired when a restore drill records its outcome (observe it {@code AFTER_SUCCESS}). It lives here, below
 * the drill layer, so that the notifier can hear drills without depending on them.
 *
 * @param ok whether the drill passed
 * @param recovered a passed drill whose source's previous drill had failed
 * @param failedTables tables ({@code schema.name}) the failure names: damaged entries, rows that differ
 * @param failedChecks checks that failed, as {@code kind subject}
 */
public record DrillFinished(
        UUID drillId,
        String source,
        UUID backupId,
        boolean ok,
        boolean recovered,
        String trigger,
        Double recoverySeconds,
        List<String> failedTables,
        List<String> failedChecks,
        String error,
        Instant startedAt,
        Instant finishedAt) {}
