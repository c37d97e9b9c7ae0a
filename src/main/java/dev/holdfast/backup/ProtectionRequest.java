package dev.holdfast.backup;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Sets or lifts a backup's protection from deletion. */
@Schema(description = "Whether the backup is protected from deletion")
public record ProtectionRequest(
        @JsonProperty("protected")
        @Schema(name = "protected", required = true, description = "true: never deleted, by retention or by hand")
        Boolean isProtected) {}
