package dev.holdfast.backup;

import dev.holdfast.archive.ArchiveSummary;

/**
 * What a {@link BackupRun} produced: the stored archive (size, SHA-256, manifest checksum) and its typed summary.
 *
 * @param archive the archive as written and stored
 * @param summary what the catalog keeps as the backup's summary
 * @param verified whether the post-write check was a full verification (then the backup counts as verified)
 * @param durationMs wall time of the whole run
 * @param mediaIndexes per media root, its file index as {@link dev.holdfast.media.MediaIndex#encode} stores it (made
 *     while the archive was checked, so recording it costs the catalog's transaction nothing but the insert)
 */
public record BackupResult(
        ArchiveSummary archive,
        BackupSummary summary,
        boolean verified,
        long durationMs,
        java.util.Map<String, byte[]> mediaIndexes) {
    public BackupResult {
        mediaIndexes = mediaIndexes == null ? java.util.Map.of() : java.util.Map.copyOf(mediaIndexes);
    }
}
