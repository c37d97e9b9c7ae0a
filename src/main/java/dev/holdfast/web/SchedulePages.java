package dev.holdfast.web;

import static dev.holdfast.web.FormValues.blank;
import static dev.holdfast.web.FormValues.nonEmpty;

import dev.holdfast.api.PageRequest;
import dev.holdfast.api.Roles;
import dev.holdfast.backup.BackupRequest;
import dev.holdfast.backup.BackupType;
import dev.holdfast.retention.RetentionPolicy;
import dev.holdfast.retention.RetentionPreview;
import dev.holdfast.retention.RetentionService;
import dev.holdfast.schedule.CronSchedule;
import dev.holdfast.schedule.ScheduleRequest;
import dev.holdfast.schedule.ScheduleResource;
import dev.holdfast.schedule.ScheduleView;
import dev.holdfast.source.SourceRegistry;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateData;
import io.quarkus.qute.TemplateInstance;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Schedules in the dashboard: the list with each cron in words, one schedule with its next runs and the retention
 * preview (which backups its policy would delete now, and why each other one is kept), create, edit, delete and run
 * now. Changes go through {@link ScheduleResource}, so they are validated and audited as API calls are.
 */
@Path("/ui/schedules")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.TEXT_HTML)
public class SchedulePages {
    @Inject
    UiContext context;

    @Inject
    ScheduleResource scheduleApi;

    @Inject
    RetentionService retention;

    @Inject
    SourceRegistry sources;

    /** The form's empty retention fields (the global policy applies). */
    private static final RetentionPolicy NO_POLICY = new RetentionPolicy(null, null, null, null, null, null, null);

    @Location("web/schedules.html")
    Template list;

    @Location("web/schedule.html")
    Template detail;

    @Location("web/schedule-form.html")
    Template form;

    /** A schedule with its cron in words. */
    @TemplateData
    public record Row(ScheduleView s, String cronInWords) {}

    /** What the edit form shows: the schedule's values, or a new schedule's defaults. */
    @TemplateData
    public record Values(
            String name,
            String description,
            String cron,
            String timeZone,
            boolean enabled,
            String backupType,
            String compression,
            List<String> databases,
            List<String> media,
            boolean incremental,
            String fullEvery,
            RetentionPolicy retention,
            String alertAfter) {}

    @GET
    public TemplateInstance schedules() {
        PageRequest.Page<ScheduleView> page = scheduleApi.list(null, null, Pages.page(0, 200, "name,asc"));
        List<Row> rows = new ArrayList<>();
        for (ScheduleView s : page.items()) {
            rows.add(new Row(s, CronSchedule.describe(s.cron())));
        }
        return list.data("ui", context.ui()).data("rows", rows);
    }

    @GET
    @Path("{id}")
    public TemplateInstance schedule(@PathParam("id") UUID id) {
        ScheduleView s = scheduleApi.get(id);
        RetentionPreview preview = retention.preview(id, null);
        return detail.data("ui", context.ui())
                .data("s", s)
                .data("words", CronSchedule.describe(s.cron()))
                .data("preview", preview);
    }

    @GET
    @Path("new")
    public TemplateInstance newForm() {
        context.requireRole(Roles.ADMIN);
        Values v = new Values(
                "", "", "30 2 * * *", "UTC", true, "database", "zstd", List.of(), List.of(), false, "", NO_POLICY, "");
        return formOf(null, v);
    }

    @GET
    @Path("{id}/edit")
    public TemplateInstance editForm(@PathParam("id") UUID id) {
        context.requireRole(Roles.ADMIN);
        ScheduleView s = scheduleApi.get(id);
        BackupRequest b = s.backup();
        Values v = new Values(
                s.name(),
                s.description() == null ? "" : s.description(),
                s.cron(),
                s.timeZone(),
                s.enabled(),
                b == null || b.backupType() == null
                        ? "database"
                        : b.backupType().jsonName(),
                b == null || b.compression() == null ? "zstd" : b.compression(),
                b == null || b.databases() == null ? List.of() : b.databases(),
                b == null || b.media() == null ? List.of() : b.media(),
                b != null && Boolean.TRUE.equals(b.incremental()),
                b == null || b.fullEvery() == null ? "" : b.fullEvery().toString(),
                s.retention() == null ? NO_POLICY : s.retention(),
                s.alertAfterDerived() ? "" : s.alertAfterSeconds() + "s");
        return formOf(s, v);
    }

    private TemplateInstance formOf(ScheduleView s, Values v) {
        return form.data("ui", context.ui())
                .data("s", s)
                .data("v", v)
                .data("allDatabases", List.copyOf(sources.databases().keySet()))
                .data("allMedia", List.copyOf(sources.media().keySet()))
                .data("compressions", List.of("zstd", "gzip", "none"));
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response create(@FormParam(Csrf.FIELD) String csrf, @jakarta.ws.rs.BeanParam Form f, @Context UriInfo uri) {
        context.require(Roles.ADMIN, csrf);
        ScheduleView s =
                (ScheduleView) scheduleApi.create(f.toRequest(null), uri).getEntity();
        return seeSchedule(s.id());
    }

    @POST
    @Path("{id}")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response update(
            @PathParam("id") UUID id, @FormParam(Csrf.FIELD) String csrf, @jakarta.ws.rs.BeanParam Form f) {
        context.require(Roles.ADMIN, csrf);
        ScheduleView old = scheduleApi.get(id);
        scheduleApi.update(id, f.toRequest(old));
        return seeSchedule(id);
    }

    @POST
    @Path("{id}/delete")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response delete(
            @PathParam("id") UUID id, @FormParam(Csrf.FIELD) String csrf, @FormParam("confirm") String confirm) {
        context.require(Roles.ADMIN, csrf);
        if (!"yes".equals(confirm)) {
            throw new UiForbidden("Deleting a schedule needs the confirmation box ticked.");
        }
        scheduleApi.delete(id);
        return Response.seeOther(URI.create("/ui/schedules")).build();
    }

    @POST
    @Path("{id}/run")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response runNow(@PathParam("id") UUID id, @FormParam(Csrf.FIELD) String csrf, @Context UriInfo uri) {
        context.require(Roles.OPERATOR, csrf);
        var accepted = scheduleApi.run(id, uri);
        return Response.seeOther(URI.create(
                        "/ui/backups/" + accepted.getEntity().resource().id()))
                .build();
    }

    private static Response seeSchedule(UUID id) {
        return Response.seeOther(URI.create("/ui/schedules/" + id)).build();
    }

    /** The schedule form's fields; empty fields mean "not set", as an absent JSON field does. */
    public static class Form {
        @FormParam("name")
        String name;

        @FormParam("description")
        String description;

        @FormParam("cron")
        String cron;

        @FormParam("time_zone")
        String timeZone;

        @FormParam("enabled")
        String enabled;

        @FormParam("backup_type")
        String backupType;

        @FormParam("compression")
        String compression;

        @FormParam("databases")
        List<String> databases;

        @FormParam("media")
        List<String> media;

        @FormParam("incremental")
        String incremental;

        @FormParam("full_every")
        String fullEvery;

        @FormParam("keep_last")
        String keepLast;

        @FormParam("keep_daily")
        String keepDaily;

        @FormParam("keep_weekly")
        String keepWeekly;

        @FormParam("keep_monthly")
        String keepMonthly;

        @FormParam("keep_yearly")
        String keepYearly;

        @FormParam("keep_within")
        String keepWithin;

        @FormParam("max_age")
        String maxAge;

        @FormParam("alert_after")
        String alertAfter;

        /** The API's request; an edit keeps the schedule's notification settings, which the form does not show. */
        ScheduleRequest toRequest(ScheduleView old) {
            BackupType type;
            try {
                type = BackupType.fromJson(blank(backupType) == null ? "database" : backupType.trim());
            } catch (IllegalArgumentException e) {
                throw new UiForbidden("Unknown backup type.");
            }
            // Fields the form does not show are kept as the schedule has them (an edit never drops a table selection,
            // media globs or copy targets set through the API).
            BackupRequest was = old == null || old.backup() == null
                    ? new BackupRequest(
                            null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                            null)
                    : old.backup();
            boolean inc = "true".equals(incremental);
            BackupRequest backup = new BackupRequest(
                    was.name(),
                    type,
                    was.description(),
                    was.includeMedia(),
                    was.compressBackup(),
                    blank(compression),
                    nonEmpty(databases),
                    nonEmpty(media),
                    was.includeSchemas(),
                    was.excludeSchemas(),
                    was.includeTables(),
                    was.excludeTables(),
                    was.schemaOnlyTables(),
                    was.mediaInclude(),
                    was.mediaExclude(),
                    was.copyTo(),
                    inc ? Boolean.TRUE : null,
                    inc ? was.rehash() : null,
                    inc ? number("Invalid backup", "backup.full_every", fullEvery) : null);
            RetentionPolicy policy = new RetentionPolicy(
                    count("keep_last", keepLast),
                    count("keep_daily", keepDaily),
                    count("keep_weekly", keepWeekly),
                    count("keep_monthly", keepMonthly),
                    count("keep_yearly", keepYearly),
                    blank(keepWithin),
                    blank(maxAge));
            boolean anyRule = policy.keepLast() != null
                    || policy.keepDaily() != null
                    || policy.keepWeekly() != null
                    || policy.keepMonthly() != null
                    || policy.keepYearly() != null
                    || policy.keepWithin() != null
                    || policy.maxAge() != null;
            return new ScheduleRequest(
                    blank(name),
                    blank(description),
                    blank(cron),
                    blank(timeZone),
                    "true".equals(enabled),
                    backup,
                    anyRule ? policy : null,
                    old == null ? null : old.notifications(),
                    blank(alertAfter));
        }

        private static Integer count(String field, String v) {
            return number("Invalid retention policy", "retention." + field, v);
        }

        private static Integer number(String title, String field, String v) {
            if (blank(v) == null) {
                return null;
            }
            try {
                return Integer.valueOf(v.trim());
            } catch (NumberFormatException e) {
                throw new dev.holdfast.schedule.InvalidSchedule(
                        title,
                        List.of(new dev.holdfast.domain.Violation(field, "must be a whole number, got '" + v + "'")));
            }
        }
    }
}
