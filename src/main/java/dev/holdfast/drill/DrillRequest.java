package dev.holdfast.drill;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A drill asked for on demand. */
@Schema(description = "Run a restore drill now")
public record DrillRequest(
        @NotBlank
        @Size(max = 100)
        @Schema(
                required = true,
                description = "The database source (with the backup's media roots) or the media root to drill")
        String source,

        @Schema(description = "The backup to restore; default the source's latest successful backup")
        UUID backupId) {}
