package dev.holdfast.web;

import static dev.holdfast.web.FormValues.blank;
import static dev.holdfast.web.FormValues.pageIndex;
import static dev.holdfast.web.FormValues.paged;

import dev.holdfast.api.PageRequest;
import dev.holdfast.api.Roles;
import dev.holdfast.backup.BackupResource;
import dev.holdfast.backup.BackupService;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.backup.BackupType;
import dev.holdfast.backup.BackupView;
import dev.holdfast.backup.ProtectionRequest;
import dev.holdfast.job.JobService;
import dev.holdfast.job.JobState;
import dev.holdfast.job.JobView;
import dev.holdfast.stats.Statistics;
import dev.holdfast.stats.StatisticsService;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateData;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.ForbiddenException;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The dashboard's overview and backup pages. Every figure and every action goes through the services and REST
 * resources the API uses (actions call the resource beans, so they are audited exactly as API calls are); the role
 * is checked again here on every action, whatever the page offered.
 */
@Path("/ui")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.TEXT_HTML)
public class Pages {
    @Inject
    UiContext context;

    @Inject
    dev.holdfast.time.TimeSource time;

    @Inject
    StatisticsService statistics;

    @Inject
    BackupService backups;

    @Inject
    BackupResource backupApi;

    @Inject
    JobService jobs;

    @Location("web/overview.html")
    Template overview;

    @Location("web/backups.html")
    Template backupList;

    @Location("web/backup.html")
    Template backupDetail;

    @Location("web/logged-out.html")
    Template loggedOut;

    /** One source on the overview: its state, last outcomes, last verification and its charts. */
    @TemplateData
    public record SourceRow(
            String source,
            String kind,
            String state,
            Statistics.Outcome lastSuccess,
            Statistics.Outcome lastFailure,
            BackupView lastVerified,
            String sizeChart,
            String durationChart) {}

    @GET
    public TemplateInstance overview() {
        Statistics s = statistics.statistics();
        List<SourceRow> rows = new ArrayList<>();
        OffsetDateTime since = time.now().atOffset(ZoneOffset.UTC).minusWeeks(4);
        for (Statistics.SourceStats src : s.sources()) {
            List<BackupView> recent = backups.list(
                            new BackupService.Filter(
                                    BackupStatus.SUCCEEDED, null, src.source(), since, null, null, null, null, null),
                            page(0, 200, "created_at,asc"))
                    .items();
            List<Charts.Bar> sizes = new ArrayList<>();
            List<Charts.Bar> durations = new ArrayList<>();
            BackupView verified = null;
            for (BackupView b : recent) {
                String day = b.createdAt().toLocalDate().toString();
                sizes.add(new Charts.Bar(day, b.sizeBytes() == null ? 0 : b.sizeBytes(), Formats.bytes(b.sizeBytes())));
                durations.add(new Charts.Bar(
                        day, b.durationMs() == null ? 0 : b.durationMs(), Formats.millis(b.durationMs())));
                if (b.verifiedAt() != null
                        && (verified == null || b.verifiedAt().isAfter(verified.verifiedAt()))) {
                    verified = b;
                }
            }
            rows.add(new SourceRow(
                    src.source(),
                    src.kind(),
                    state(src),
                    src.lastSuccess(),
                    src.lastFailure(),
                    verified,
                    Charts.bars("Backup size of " + src.source() + ", last 4 weeks", sizes),
                    Charts.bars("Backup duration of " + src.source() + ", last 4 weeks", durations)));
        }
        List<JobView> running =
                jobs.list(JobState.RUNNING, null, page(0, 50, null)).items();
        List<BackupView> failures = backups.list(
                        new BackupService.Filter(BackupStatus.FAILED, null, null, null, null, null, null, null, null),
                        page(0, 5, "created_at,desc"))
                .items();
        return overview.data("ui", context.ui())
                .data("stats", s)
                .data("sources", rows)
                .data("running", running)
                .data("failures", failures);
    }

    /** ok, failing (the last attempt failed), or none (no successful backup yet). */
    static String state(Statistics.SourceStats src) {
        if (src.lastFailure() != null
                && (src.lastSuccess() == null
                        || src.lastFailure().at().isAfter(src.lastSuccess().at()))) {
            return "failing";
        }
        return src.lastSuccess() == null ? "none" : "ok";
    }

    @GET
    @Path("backups")
    public TemplateInstance backups(
            @QueryParam("status") BackupStatus status,
            @QueryParam("type") BackupType type,
            @QueryParam("source") String source,
            @QueryParam("q") String q,
            @QueryParam("from") String from,
            @QueryParam("to") String to,
            @QueryParam("page") Integer pageNo,
            @QueryParam("sort") String sort) {
        String sortBy = sort == null || sort.isBlank() ? "created_at,desc" : sort;
        // Dates from the form's date inputs, whole days in UTC: "to" includes its day.
        OffsetDateTime createdFrom = day(from, "from");
        OffsetDateTime createdTo = day(to, "to");
        PageRequest.Page<BackupView> result = backups.list(
                new BackupService.Filter(
                        status,
                        type,
                        blank(source),
                        createdFrom,
                        createdTo == null ? null : createdTo.plusDays(1),
                        blank(q),
                        null,
                        null,
                        null),
                page(pageIndex(pageNo), 20, sortBy));
        return paged(backupList, result)
                .data("ui", context.ui())
                .data("pageNumber", result.page() + 1)
                .data("status", status == null ? "" : status.name())
                .data("type", type == null ? "" : type.jsonName())
                .data("source", source == null ? "" : source)
                .data("q", q == null ? "" : q)
                .data("from", createdFrom == null ? "" : from.trim())
                .data("to", createdTo == null ? "" : to.trim())
                .data("sort", sortBy)
                .data("statuses", List.of("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"))
                .data("types", List.of("full", "database", "media"))
                .data("sorts", List.of("created_at,desc", "created_at,asc", "size_bytes,desc", "name,asc"));
    }

    @GET
    @Path("backups/{id}")
    public TemplateInstance backup(@PathParam("id") UUID id) {
        return backupDetail.data("ui", context.ui()).data("b", backups.get(id));
    }

    @POST
    @Path("backups/{id}/verify")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response verify(@PathParam("id") UUID id, @FormParam(Csrf.FIELD) String csrf, @Context UriInfo uri) {
        context.require(Roles.OPERATOR, csrf);
        backupApi.verify(id, uri);
        return seeBackup(id);
    }

    @POST
    @Path("backups/{id}/protection")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response protect(
            @PathParam("id") UUID id, @FormParam(Csrf.FIELD) String csrf, @FormParam("protect") boolean protect) {
        context.require(Roles.ADMIN, csrf);
        backupApi.protect(id, new ProtectionRequest(protect));
        return seeBackup(id);
    }

    @POST
    @Path("backups/{id}/delete")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response delete(
            @PathParam("id") UUID id, @FormParam(Csrf.FIELD) String csrf, @FormParam("confirm") String confirm) {
        context.require(Roles.ADMIN, csrf);
        if (!id.toString().equals(confirm) && !"yes".equals(confirm)) {
            throw new UiForbidden("Deleting needs the confirmation box ticked.");
        }
        backupApi.delete(id);
        return Response.seeOther(URI.create("/ui/backups")).build();
    }

    @GET
    @Path("backups/{id}/download")
    @Produces(MediaType.WILDCARD)
    public Response download(@PathParam("id") UUID id) throws Exception {
        context.requireRole(Roles.ADMIN); // a link that changes nothing: no CSRF token needed
        return backupApi.download(id, null);
    }

    @GET
    @Path("logged-out")
    @PermitAll
    public TemplateInstance loggedOut() {
        return loggedOut.data("ui", new Ui(null, false, false, null));
    }

    /** A signed-in user without a Holdfast role gets the 403 page rather than the API's problem document. */
    @ServerExceptionMapper
    Response noRole(ForbiddenException e) {
        return context.forbiddenPage(
                "Your account has no Holdfast role (backup-viewer, backup-operator or backup-admin).");
    }

    private static Response seeBackup(UUID id) {
        return Response.seeOther(URI.create("/ui/backups/" + id)).build();
    }

    static PageRequest page(int page, int size, String sort) {
        PageRequest p = new PageRequest();
        p.page = page;
        p.size = size;
        p.sort = sort;
        return p;
    }

    private static OffsetDateTime day(String value, String field) {
        if (blank(value) == null) {
            return null;
        }
        try {
            return java.time.LocalDate.parse(value.trim()).atStartOfDay().atOffset(ZoneOffset.UTC);
        } catch (java.time.format.DateTimeParseException e) {
            throw dev.holdfast.api.ApiException.BadRequest.field(
                    field, "must be a date such as 2026-12-04, got '" + value + "'");
        }
    }
}
