package dev.holdfast.backup;

import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Asks for a copy of a stored backup in a named storage. */
@Schema(description = "The storage to copy the backup to")
public record CopyRequest(
        @Size(max = 63)
        @Schema(
                required = true,
                description = "Name of a configured storage (holdfast.storage.\"<name>\".*), not 'default'",
                example = "offsite")
        String storage) {}
