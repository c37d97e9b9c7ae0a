package dev.holdfast.web;

import static dev.holdfast.web.FormValues.blank;
import static dev.holdfast.web.FormValues.nonEmpty;

import dev.holdfast.api.Roles;
import dev.holdfast.backup.BackupRequest;
import dev.holdfast.backup.BackupResource;
import dev.holdfast.backup.BackupType;
import dev.holdfast.backup.BackupView;
import dev.holdfast.backup.TableSelectionCheck;
import dev.holdfast.job.Accepted;
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
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * The create-backup form at /ui/new-backup (not under /ui/backups, whose ids Pages matches): sources and their real
 * tables to pick from; the backup is created by the API's resource.
 */
@Path("/ui/new-backup")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.TEXT_HTML)
public class BackupForms {
    @Inject
    UiContext context;

    @Inject
    SourceRegistry sources;

    @Inject
    TableSelectionCheck tables;

    @Inject
    BackupResource backupApi;

    @Location("web/backup-new.html")
    Template form;

    /** A database source and its tables, for the picker. */
    @TemplateData
    public record SourceTables(String name, List<String> tables) {}

    @GET
    public TemplateInstance form() {
        context.requireRole(Roles.OPERATOR);
        List<SourceTables> dbs = new ArrayList<>();
        for (String name : sources.databases().keySet()) {
            dbs.add(new SourceTables(name, tables.tablesOf(name)));
        }
        return form.data("ui", context.ui())
                .data("databases", dbs)
                .data("media", List.copyOf(sources.media().keySet()));
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response create(
            @FormParam(Csrf.FIELD) String csrf,
            @FormParam("name") String name,
            @FormParam("description") String description,
            @FormParam("backup_type") String type,
            @FormParam("compression") String compression,
            @FormParam("databases") List<String> databases,
            @FormParam("media") List<String> media,
            @FormParam("include_tables") List<String> includeTables,
            @FormParam("media_include") String mediaInclude,
            @FormParam("incremental") String incremental,
            @Context UriInfo uri) {
        context.require(Roles.OPERATOR, csrf);
        BackupType backupType;
        try {
            backupType = BackupType.fromJson(type == null || type.isBlank() ? "database" : type);
        } catch (IllegalArgumentException e) {
            throw new UiForbidden("Unknown backup type.");
        }
        BackupRequest req = new BackupRequest(
                blank(name),
                backupType,
                blank(description),
                null,
                null,
                blank(compression),
                nonEmpty(databases),
                nonEmpty(media),
                null,
                null,
                nonEmpty(includeTables),
                null,
                null,
                mediaInclude == null || mediaInclude.isBlank()
                        ? null
                        : List.of(mediaInclude.trim().split("\\s*,\\s*")),
                null,
                null,
                "true".equals(incremental) ? Boolean.TRUE : null,
                null,
                null);
        RestResponse<Accepted<BackupView>> r = backupApi.create(req, null, uri);
        return Response.seeOther(
                        URI.create("/ui/backups/" + r.getEntity().resource().id()))
                .build();
    }
}
