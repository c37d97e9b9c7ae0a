package dev.holdfast.stats;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** What {@code GET /api/statistics} returns: the state of the backups at a glance. */
@Schema(description = "Counts, sizes, storage, last outcomes per source and schedule, success rates and durations")
public record Statistics(
        Instant generatedAt,

        @Schema(description = "Backups in the catalog by status and type; what the successful ones take")
        Totals backups,

        @Schema(description = "Per configured source (and any source still in the catalog)")
        List<SourceStats> sources,

        @Schema(description = "Per schedule") List<ScheduleStats> schedules,
        StorageStats storage,

        @Schema(
                description = "Backups finished in the last 7 and 30 days (keys last_7_days, last_30_days); "
                        + "cancelled ones are left out")
        Map<String, Rate> successRate,

        @Schema(description = "Durations of the successful backups of the last 30 days")
        DurationStats duration) {

    /** Catalog totals. */
    public record Totals(
            long total, Map<String, Long> byStatus, Map<String, Long> byType, long storedCount, long storedBytes) {}

    /**
     * One source. stored_bytes adds up the archives of the successful backups that cover the source (an archive
     * of a full backup counts for each source it holds).
     */
    public record SourceStats(
            String source,
            String kind,
            long succeeded,
            long failed,
            long storedBytes,
            Outcome lastSuccess,
            Outcome lastFailure) {}

    /** One schedule; overdue when its last success (or its creation, if none) is older than alert_after. */
    public record ScheduleStats(
            UUID id,
            String name,
            boolean enabled,
            Instant nextRunAt,
            Long alertAfterSeconds,
            boolean overdue,
            long succeeded,
            long failed,
            Outcome lastSuccess,
            Outcome lastFailure) {}

    /** When something last ended that way, which backup, its size or error. */
    public record Outcome(Instant at, UUID backupId, Long sizeBytes, String error) {}

    /** Storage figures; free and capacity are null when the backend cannot tell. */
    public record StorageStats(long usedBytes, Long freeBytes, Long capacityBytes, Double freePercent) {}

    /** Outcomes in a time window. */
    public record Rate(Instant since, long succeeded, long failed, Double successRate) {}

    /** Duration figures in seconds; null when no backup finished in the window. */
    public record DurationStats(
            Instant since, long count, Double averageSeconds, Double p95Seconds, Double maxSeconds) {}
}
