package dev.holdfast.retention;

import dev.holdfast.api.ApiException;
import dev.holdfast.api.Problem;
import dev.holdfast.api.Roles;
import dev.holdfast.audit.Audited;
import dev.holdfast.security.CurrentUser;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.UUID;
import java.util.stream.Stream;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Retention over HTTP: preview what a policy keeps and deletes, and apply it. */
@Path("/api/retention")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Retention", description = "Retention policies (restic forget semantics): preview and apply")
@APIResponse(
        responseCode = "401",
        description = "Missing or invalid bearer token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(
        responseCode = "403",
        description = "The token lacks the required role",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class RetentionResource {
    @Inject
    RetentionService retention;

    @Inject
    CurrentUser user;

    @GET
    @Path("preview")
    @RolesAllowed(Roles.VIEWER)
    @Operation(summary = "Preview a retention policy", description = """
            Role: backup-viewer. Changes nothing. For every backup in scope: keep or delete, with every reason \
            (keep_last 3, daily 2026-11-20, weekly 2026-W47, monthly 2026-11, yearly 2026, within 7d, max_age 30d, \
            newest verified/successful backup of a source, protected, used by a restore, pre-restore backup of a recent restore, holds file contents of a kept incremental \
            backup). Scope: schedule_id's backups, or without it every backup no schedule policy covers. \
            Policy: the keep_* / max_age parameters when any is given, else the schedule's policy, else the global \
            one (holdfast.retention.*).""")
    @APIResponse(responseCode = "200", description = "The decisions")
    @APIResponse(
            responseCode = "400",
            description = "Invalid count or duration",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "404",
            description = "No such schedule",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "The schedule's stored policy is invalid",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public RetentionPreview preview(
            @QueryParam("schedule_id") @Parameter(description = "Preview this schedule's backups") UUID scheduleId,
            @QueryParam("keep_last") @Parameter(description = "Ad-hoc: keep the newest N per group") String keepLast,
            @QueryParam("keep_daily")
                    @Parameter(description = "Ad-hoc: newest of each of the last N days with a " + "backup")
                    String keepDaily,
            @QueryParam("keep_weekly")
                    @Parameter(description = "Ad-hoc: newest of each of the last N ISO weeks " + "with a backup")
                    String keepWeekly,
            @QueryParam("keep_monthly")
                    @Parameter(description = "Ad-hoc: newest of each of the last N months with " + "a backup")
                    String keepMonthly,
            @QueryParam("keep_yearly")
                    @Parameter(description = "Ad-hoc: newest of each of the last N years with a " + "backup")
                    String keepYearly,
            @QueryParam("keep_within")
                    @Parameter(description = "Ad-hoc: keep every backup younger than this, e.g. " + "7d")
                    String keepWithin,
            @QueryParam("max_age")
                    @Parameter(
                            description =
                                    "Ad-hoc: keep every backup younger than this, e.g. 30d; " + "older failed rows go")
                    String maxAge) {
        RetentionPolicy adHoc = null;
        if (Stream.of(keepLast, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin, maxAge)
                .anyMatch(v -> v != null && !v.isBlank())) {
            adHoc = new RetentionPolicy(
                    count("keep_last", keepLast),
                    count("keep_daily", keepDaily),
                    count("keep_weekly", keepWeekly),
                    count("keep_monthly", keepMonthly),
                    count("keep_yearly", keepYearly),
                    blankToNull(keepWithin),
                    blankToNull(maxAge));
        }
        return retention.preview(scheduleId, adHoc);
    }

    @Audited(action = "retention.apply", target = "retention")
    @POST
    @Path("apply")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Apply a retention policy", description = """
            Role: backup-admin. Deletes (archive, then catalog entry) every backup in scope that the policy does not \
            keep, exactly as GET /api/retention/preview shows; each deletion is audited as retention.delete. \
            Deletions refused meanwhile (protected, in use) are reported under failures; the run goes on. The \
            seed's `cleanup_old_backups --days 30` is {"policy": {"max_age": "30d"}}.""")
    @RequestBody(
            required = false,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ApplyRequest.class),
                            examples =
                                    @ExampleObject(
                                            name = "older-than-30-days",
                                            summary = "The seed's cleanup_old_backups --days 30",
                                            value = "{\"policy\": {\"max_age\": \"30d\"}}")))
    @APIResponse(responseCode = "200", description = "What was deleted, kept and refused")
    @APIResponse(
            responseCode = "400",
            description = "Invalid policy",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "404",
            description = "No such schedule",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "409",
            description = "The schedule's stored policy is invalid",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public RetentionResult apply(@Valid ApplyRequest request) {
        ApplyRequest req = request == null ? new ApplyRequest(null, null) : request;
        return retention.apply(req.scheduleId(), req.policy(), user.subject(), user.name());
    }

    private static Integer count(String field, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= 0 && n <= RetentionService.MAX_COUNT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.BadRequest.field(
                field, "'" + value + "' is not a whole number from 0 to " + RetentionService.MAX_COUNT);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
