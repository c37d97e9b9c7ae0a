package dev.holdfast.retention;

import dev.holdfast.time.Durations;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Which successful backups to keep, restic {@code forget} style: every rule names backups to keep and the
 * rules combine by union; a backup no rule keeps (and no never-delete rule protects) is deleted.
 * Durations are written {@code 30d}, {@code 12h}, {@code 2w}, {@code 1y} or as ISO-8601 ({@code P30D}).
 */
@Schema(
        description = "Retention policy: rules combine by union (a backup any rule keeps is kept). "
                + "Durations: 30d, 12h, 2w, 1y, or ISO-8601 such as P30D.")
public record RetentionPolicy(
        @PositiveOrZero @Max(100_000) @Schema(description = "Keep the newest N backups")
        Integer keepLast,

        @PositiveOrZero
        @Max(100_000)
        @Schema(description = "Keep the newest backup of each of the last N days that have one")
        Integer keepDaily,

        @PositiveOrZero
        @Max(100_000)
        @Schema(description = "Keep the newest backup of each of the last N ISO weeks that have one")
        Integer keepWeekly,

        @PositiveOrZero
        @Max(100_000)
        @Schema(description = "Keep the newest backup of each of the last N months that have one")
        Integer keepMonthly,

        @PositiveOrZero
        @Max(100_000)
        @Schema(description = "Keep the newest backup of each of the last N years that have one")
        Integer keepYearly,

        @Pattern(regexp = DURATION, message = "must be a duration such as 7d, 12h, 2w or P7D")
        @Schema(description = "Keep every backup younger than this", example = "7d")
        String keepWithin,

        @Pattern(regexp = DURATION, message = "must be a duration such as 30d, 12h, 2w or P30D")
        @Schema(
                description = "The seed's BACKUP_RETENTION_DAYS: keep every backup younger than this "
                        + "(default holdfast.retention.max-age, 30d, for the global policy)",
                example = "30d")
        String maxAge) {

    /** Accepted duration spellings: a number with s, m, h, d, w or y, or an ISO-8601 duration. */
    public static final String DURATION = Durations.PATTERN;
}
