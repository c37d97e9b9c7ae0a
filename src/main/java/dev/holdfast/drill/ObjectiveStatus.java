package dev.holdfast.drill;

import java.time.Duration;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A source's recovery objectives (RPO, RTO) beside what was measured, and whether each is met. */
@Schema(
        name = "ObjectiveStatus",
        description = "Recovery objectives of a source (holdfast.sources.<name>.objectives.*) against the measured"
                + " values")
public record ObjectiveStatus(
        @Schema(description = "Recovery point objective, seconds; absent when none is configured")
        Double rpoSeconds,

        @Schema(description = "Age of the newest successful backup holding the source, seconds; absent when none")
        Double rpoMeasuredSeconds,

        @Schema(
                description = "Whether the measured RPO is within the objective (false when nothing was measured);"
                        + " absent without an objective")
        Boolean rpoMet,

        @Schema(description = "Recovery time objective, seconds; absent when none is configured")
        Double rtoSeconds,

        @Schema(
                description =
                        "Recovery time of the newest passed drill of the source, seconds; absent when none" + " passed")
        Double rtoMeasuredSeconds,

        @Schema(
                description = "Whether the measured RTO is within the objective (false when no drill passed); absent"
                        + " without an objective")
        Boolean rtoMet) {

    /** Compares each measured value with its objective: unmeasured is not met, since it cannot be shown to be. */
    static ObjectiveStatus of(Duration rpo, Double rpoMeasured, Duration rto, Double rtoMeasured) {
        Double rpoSeconds = seconds(rpo);
        Double rtoSeconds = seconds(rto);
        return new ObjectiveStatus(
                rpoSeconds,
                rpoMeasured,
                met(rpoSeconds, rpoMeasured),
                rtoSeconds,
                rtoMeasured,
                met(rtoSeconds, rtoMeasured));
    }

    static Double seconds(Duration d) {
        return d == null ? null : d.toMillis() / 1000.0;
    }

    private static Boolean met(Double objective, Double measured) {
        return objective == null ? null : measured != null && measured <= objective;
    }
}
