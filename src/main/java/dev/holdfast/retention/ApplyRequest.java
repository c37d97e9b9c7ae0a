package dev.holdfast.retention;

import jakarta.validation.Valid;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Which backups a retention run covers and, optionally, an ad-hoc policy instead of the configured one. */
@Schema(
        name = "RetentionApplyRequest",
        description = "Without schedule_id: the global scope (every backup no "
                + "schedule policy covers). Without policy: the schedule's policy, or the global one.")
public record ApplyRequest(
        @Schema(description = "Apply to this schedule's backups")
        UUID scheduleId,

        @Valid
        @Schema(
                description = "Ad-hoc policy, overriding the configured one; the seed's "
                        + "cleanup_old_backups --days 30 is {\"max_age\": \"30d\"}")
        RetentionPolicy policy) {}
