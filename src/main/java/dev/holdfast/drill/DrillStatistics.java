package dev.holdfast.drill;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What the drills of one source have shown: the last drill, the last success and failure, recovery times, and the
 * source's recovery objectives against what was measured.
 */
@Schema(name = "DrillStatistics", description = "Drills and recovery objectives of one source")
public record DrillStatistics(
        @Schema(required = true) String source,

        @Schema(required = true, description = "Drills recorded, in any state")
        long drills,

        @Schema(description = "The last drill that ended") UUID lastDrillId,
        @Schema(description = "Its status") DrillStatus lastStatus,
        @Schema(description = "When it ended") OffsetDateTime lastFinishedAt,

        @Schema(description = "When the last successful drill ended")
        OffsetDateTime lastSuccessAt,

        @Schema(description = "When the last failed drill ended")
        OffsetDateTime lastFailureAt,

        @Schema(description = "Recovery time of the last successful drill, seconds")
        Double lastRecoverySeconds,

        @Schema(
                required = true,
                description = "Recovery times of the successful drills among the last ten that ended, newest first,"
                        + " seconds")
        List<Double> recoveryTrendSeconds,

        @Schema(
                required = true,
                description = "The source's recovery objectives against the measured RPO (age of the newest"
                        + " successful backup) and RTO (recovery time of the newest passed drill)")
        ObjectiveStatus objectives) {}
