package dev.holdfast.drill;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A drill as the API shows it. */
@Schema(name = "Drill", description = "A restore drill: a backup restored into a scratch database, validated, dropped")
public record DrillView(
        @Schema(required = true) UUID id,

        @Schema(required = true, description = "The database source drilled")
        String source,

        @Schema(description = "The backup restored (null until chosen)")
        UUID backupId,

        @Schema(required = true) DrillStatus status,

        @Schema(required = true, description = "manual or schedule")
        String trigger,

        @Schema(description = "The job that runs it") UUID jobId,

        @Schema(required = true, description = "The scratch database it restores into (dropped when it ends)")
        String scratchDatabase,

        @Schema(description = "Seconds the restore into the scratch database took: the recovery time measured")
        Double recoverySeconds,

        @Schema(description = "Seconds the whole drill took: restore, validation, clean-up")
        Double durationSeconds,

        @Schema(description = "Per table: rows the backup recorded and rows found in the scratch database")
        List<DrillValidation.TableCheck> tables,

        @Schema(description = "Every check (row-count, foreign-key, sequence or user) and its outcome")
        List<DrillValidation.Check> checks,

        @Schema(
                description = "Per media root of the backup: files and bytes restored into the scratch directory,"
                        + " and whether every file's SHA-256 matched the manifest")
        List<DrillMedia.MediaCheck> media,

        @Schema(required = true) OffsetDateTime createdAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,

        @Schema(description = "Why it failed, naming the table or check")
        String error,

        String createdBy) {

    private static final ObjectMapper JSON =
            new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    static DrillView of(DrillRun d) {
        return new DrillView(
                d.id,
                d.source,
                d.backupId,
                d.status,
                d.trigger,
                d.jobId,
                d.scratchDatabase,
                d.recoveryMs == null ? null : d.recoveryMs / 1000.0,
                d.durationMs == null ? null : d.durationMs / 1000.0,
                read(d.tables, new TypeReference<List<DrillValidation.TableCheck>>() {}),
                read(d.checks, new TypeReference<List<DrillValidation.Check>>() {}),
                read(d.media, new TypeReference<List<DrillMedia.MediaCheck>>() {}),
                d.createdAt,
                d.startedAt,
                d.finishedAt,
                d.error,
                d.createdBy);
    }

    private static <T> T read(JsonNode json, TypeReference<T> type) {
        return json == null || json.isNull() ? null : JSON.convertValue((Object) json, type);
    }
}
