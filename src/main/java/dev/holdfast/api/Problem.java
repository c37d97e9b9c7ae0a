package dev.holdfast.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.holdfast.domain.Violation;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An RFC 9457 problem document, the body of every 4xx and 5xx response. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@Schema(name = "Problem", description = "RFC 9457 problem details (media type application/problem+json).")
public record Problem(
        @Schema(
                required = true,
                description = "URI identifying the problem type",
                example = "https://holdfast.dev/problems/invalid-request")
        String type,

        @Schema(required = true, description = "Short summary of the problem type")
        String title,

        @Schema(required = true, description = "HTTP status code")
        int status,

        @Schema(description = "What went wrong in this request")
        String detail,

        @Schema(description = "The request path") String instance,

        @Schema(description = "Invalid fields, for validation problems")
        List<Violation> violations) {

    /** Media type of problem documents. */
    public static final String MEDIA_TYPE = "application/problem+json";

    static final String TYPE_BASE = "https://holdfast.dev/problems/";
}
