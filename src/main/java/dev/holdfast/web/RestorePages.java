package dev.holdfast.web;

import static dev.holdfast.web.FormValues.blank;
import static dev.holdfast.web.FormValues.nonEmpty;
import static dev.holdfast.web.FormValues.pageIndex;
import static dev.holdfast.web.FormValues.paged;
import static dev.holdfast.web.FormValues.ticked;

import dev.holdfast.api.PageRequest;
import dev.holdfast.api.Roles;
import dev.holdfast.backup.BackupNotFound;
import dev.holdfast.backup.BackupService;
import dev.holdfast.backup.BackupView;
import dev.holdfast.job.Accepted;
import dev.holdfast.restore.BackupRestoreResource;
import dev.holdfast.restore.InvalidRestoreRequest;
import dev.holdfast.restore.RestoreRequest;
import dev.holdfast.restore.RestoreResource;
import dev.holdfast.restore.RestoreResult;
import dev.holdfast.restore.RestoreService;
import dev.holdfast.restore.RestoreStatus;
import dev.holdfast.restore.RestoreView;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
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
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * Restores in the dashboard: the restore form of a backup, whose only button is a dry run; the dry run's report
 * (per table the rows now and after, validation, media files added, changed and removed), from which the real restore
 * is started with the same options once the user has typed the names of the targets it overwrites; the list of
 * restores, one restore with live progress and its report, and rollback. Every action calls the API's resources.
 */
@Path("/ui")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.TEXT_HTML)
public class RestorePages {
    @Inject
    UiContext context;

    @Inject
    BackupService backups;

    @Inject
    RestoreService restores;

    @Inject
    BackupRestoreResource restoreApi;

    @Inject
    RestoreResource restoresApi;

    @Location("web/restore-new.html")
    Template form;

    @Location("web/restores.html")
    Template list;

    @Location("web/restore.html")
    Template detail;

    @GET
    @Path("backups/{id}/restore")
    public TemplateInstance form(@PathParam("id") UUID id) {
        context.requireRole(Roles.ADMIN);
        return form.data("ui", context.ui()).data("b", backups.get(id));
    }

    /** The form's one action: a dry run with the options chosen; its page offers the real restore. */
    @POST
    @Path("backups/{id}/restore")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response dryRun(
            @PathParam("id") UUID id,
            @FormParam(Csrf.FIELD) String csrf,
            @FormParam("restore_mode") String mode,
            @FormParam("databases") List<String> databases,
            @FormParam("tables") List<String> tables,
            @FormParam("include_referencing") String includeReferencingField,
            @FormParam("target") String target,
            @FormParam("create_target") String createTargetField,
            @FormParam("include_media") String includeMediaField,
            @FormParam("media_mode") String mediaMode,
            @FormParam("media_target") String mediaTarget,
            @FormParam("description") String description,
            @Context UriInfo uri) {
        context.require(Roles.ADMIN, csrf);
        // Checkboxes: present ("true") when ticked, absent otherwise.
        boolean includeReferencing = ticked(includeReferencingField);
        boolean createTarget = ticked(createTargetField);
        boolean includeMedia = ticked(includeMediaField);
        BackupView b = backups.get(id);
        boolean hasMedia = b.summary() != null && !b.summary().media().isEmpty();
        boolean hasDatabases = b.summary() != null && !b.summary().databases().isEmpty();
        List<String> dbs = nonEmpty(databases);
        // No database ticked but media: the request must select media, or naming nothing would restore everything.
        if (hasDatabases && dbs == null && !includeMedia && blank(target) == null && nonEmpty(tables) == null) {
            throw new InvalidRestoreRequest("databases", "choose at least one database, or the media, to restore");
        }
        boolean mediaOnly = hasDatabases && dbs == null && includeMedia && blank(mediaTarget) == null;
        RestoreRequest req = new RestoreRequest(
                blank(mode),
                null,
                null,
                blank(description),
                true,
                nonEmpty(tables),
                includeReferencing ? Boolean.TRUE : null,
                dbs,
                blank(target),
                createTarget ? Boolean.TRUE : null,
                hasMedia ? includeMedia : null,
                includeMedia ? blank(mediaMode) : null,
                null,
                mediaOnly ? List.of("**") : null,
                includeMedia ? blank(mediaTarget) : null);
        return seeRestore(restoreApi.restore(id, req, null, uri));
    }

    /**
     * The real restore of a dry run's options, once the user typed the names of the targets it overwrites; the
     * pre-restore backup is on unless the box to give up rollback was ticked.
     */
    @POST
    @Path("restores/{id}/confirm")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response confirm(
            @PathParam("id") UUID dryRunId,
            @FormParam(Csrf.FIELD) String csrf,
            @FormParam("confirm") String typed,
            @FormParam("skip_pre_backup") String skipPreBackupField,
            @Context UriInfo uri) {
        context.require(Roles.ADMIN, csrf);
        boolean skipPreBackup = ticked(skipPreBackupField);
        RestoreView dry = restores.get(dryRunId);
        if (!dry.dryRun() || dry.status() != RestoreStatus.SUCCEEDED) {
            throw new UiForbidden("Only a dry run that succeeded can be confirmed; run the dry run again.");
        }
        String expected = confirmation(dry);
        if (typed == null || !typed.trim().equals(expected)) {
            throw new UiForbidden("To restore, type exactly: " + expected + " (nothing was changed).");
        }
        RestoreRequest o = dry.options();
        RestoreRequest real = new RestoreRequest(
                o.restoreMode(),
                skipPreBackup ? Boolean.FALSE : Boolean.TRUE,
                o.verifyBeforeRestore(),
                o.description(),
                false,
                o.tables(),
                o.includeReferencing(),
                o.databases(),
                o.target(),
                o.createTarget(),
                o.includeMedia(),
                o.mediaMode(),
                o.mediaPaths(),
                o.mediaGlobs(),
                o.mediaTarget());
        return seeRestore(restoreApi.restore(dry.backupId(), real, null, uri));
    }

    @POST
    @Path("restores/{id}/rollback")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response rollback(@PathParam("id") UUID id, @FormParam(Csrf.FIELD) String csrf, @Context UriInfo uri) {
        context.require(Roles.ADMIN, csrf);
        return seeRestore(restoresApi.rollback(id, uri));
    }

    @GET
    @Path("restores")
    public TemplateInstance restores(@QueryParam("status") RestoreStatus status, @QueryParam("page") Integer pageNo) {
        PageRequest.Page<RestoreView> result = restores.list(null, status, Pages.page(pageIndex(pageNo), 20, null));
        return paged(list, result)
                .data("ui", context.ui())
                .data("status", status == null ? "" : status.name())
                .data("statuses", List.of("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"));
    }

    @GET
    @Path("restores/{id}")
    public TemplateInstance restore(@PathParam("id") UUID id) {
        RestoreView r = restores.get(id);
        // Offered only while the pre-restore backup exists (retention or a person may have deleted it since).
        boolean rollbackable = !r.dryRun()
                && r.preBackupId() != null
                && r.status() == RestoreStatus.SUCCEEDED
                && stillStored(r.preBackupId());
        return detail.data("ui", context.ui())
                .data("r", r)
                .data("report", r.report() == null ? RestoreResult.empty() : r.report())
                .data("confirmation", r.dryRun() ? confirmation(r) : "")
                .data("rollbackable", rollbackable);
    }

    /** Whether a backup is still in the catalog (retention or a person may have deleted it). */
    private boolean stillStored(UUID backupId) {
        try {
            backups.get(backupId);
            return true;
        } catch (BackupNotFound e) {
            return false;
        }
    }

    /**
     * What the user types to confirm: the names of everything the restore overwrites (target databases, media
     * targets), space-separated in a stable order, as the dry run found them.
     */
    static String confirmation(RestoreView dryRun) {
        RestoreResult report = dryRun.report() == null ? RestoreResult.empty() : dryRun.report();
        TreeSet<String> names = new TreeSet<>();
        for (RestoreResult.DatabaseResult d : report.databases()) {
            names.add(d.target() == null ? d.source() : d.target());
        }
        for (RestoreResult.MediaResult m : report.media()) {
            names.add(m.source());
        }
        return String.join(" ", new ArrayList<>(names));
    }

    private static Response seeRestore(RestResponse<Accepted<RestoreView>> r) {
        return Response.seeOther(
                        URI.create("/ui/restores/" + r.getEntity().resource().id()))
                .build();
    }
}
