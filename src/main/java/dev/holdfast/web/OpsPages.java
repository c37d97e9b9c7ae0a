package dev.holdfast.web;

import static dev.holdfast.web.FormValues.blank;
import static dev.holdfast.web.FormValues.pageIndex;
import static dev.holdfast.web.FormValues.paged;

import dev.holdfast.api.PageRequest;
import dev.holdfast.api.Roles;
import dev.holdfast.audit.AuditLog;
import dev.holdfast.audit.AuditResource;
import dev.holdfast.audit.AuditView;
import dev.holdfast.drill.DrillRequest;
import dev.holdfast.drill.DrillResource;
import dev.holdfast.drill.DrillStatus;
import dev.holdfast.drill.DrillView;
import dev.holdfast.job.JobResource;
import dev.holdfast.job.JobService;
import dev.holdfast.job.JobState;
import dev.holdfast.job.JobView;
import dev.holdfast.source.SourceResource;
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
import java.util.List;
import java.util.UUID;

/**
 * The dashboard's operational pages: jobs (with cancel), restore drills (with run), the configured sources and the
 * audit log (admin). As everywhere in the dashboard, lists and actions go through the API's resources and services.
 */
@Path("/ui")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.TEXT_HTML)
public class OpsPages {
    @Inject
    UiContext context;

    @Inject
    JobService jobs;

    @Inject
    JobResource jobApi;

    @Inject
    DrillResource drillApi;

    @Inject
    SourceResource sourceApi;

    @Inject
    AuditResource auditApi;

    @Location("web/jobs.html")
    Template jobList;

    @Location("web/drills.html")
    Template drillList;

    @Location("web/drill.html")
    Template drillDetail;

    @Location("web/sources.html")
    Template sourceList;

    @Location("web/audit.html")
    Template auditList;

    @GET
    @Path("jobs")
    public TemplateInstance jobs(
            @QueryParam("state") JobState state, @QueryParam("type") String type, @QueryParam("page") Integer pageNo) {
        PageRequest.Page<JobView> result = jobs.list(state, blank(type), Pages.page(pageIndex(pageNo), 20, null));
        return paged(jobList, result)
                .data("ui", context.ui())
                .data("state", state == null ? "" : state.name())
                .data("type", type == null ? "" : type)
                .data("states", List.of("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"));
    }

    @POST
    @Path("jobs/{id}/cancel")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response cancel(@PathParam("id") UUID id, @FormParam(Csrf.FIELD) String csrf) {
        context.require(Roles.OPERATOR, csrf);
        jobApi.cancel(id);
        return Response.seeOther(URI.create("/ui/jobs")).build();
    }

    @GET
    @Path("drills")
    public TemplateInstance drills(
            @QueryParam("source") String source,
            @QueryParam("status") DrillStatus status,
            @QueryParam("page") Integer pageNo) {
        PageRequest.Page<DrillView> result =
                drillApi.list(blank(source), status, Pages.page(pageIndex(pageNo), 20, null));
        return paged(drillList, result)
                .data("ui", context.ui())
                .data("stats", drillApi.statistics())
                .data("databases", sourceApi.list().databases())
                .data("source", source == null ? "" : source)
                .data("status", status == null ? "" : status.name())
                .data("statuses", List.of("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"));
    }

    @GET
    @Path("drills/{id}")
    public TemplateInstance drill(@PathParam("id") UUID id) {
        return drillDetail.data("ui", context.ui()).data("d", drillApi.get(id));
    }

    /** A drill of the source's latest successful backup, as {@code POST /api/drills} queues it. */
    @POST
    @Path("drills")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response runDrill(
            @FormParam(Csrf.FIELD) String csrf, @FormParam("source") String source, @Context UriInfo uri) {
        context.require(Roles.OPERATOR, csrf);
        var accepted = drillApi.run(new DrillRequest(blank(source), null), uri);
        return Response.seeOther(URI.create(
                        "/ui/drills/" + accepted.getEntity().resource().id()))
                .build();
    }

    @GET
    @Path("sources")
    public TemplateInstance sources() {
        return sourceList.data("ui", context.ui()).data("sources", sourceApi.list());
    }

    @GET
    @Path("audit")
    public TemplateInstance audit(
            @QueryParam("actor") String actor,
            @QueryParam("action") String action,
            @QueryParam("outcome") AuditLog.Outcome outcome,
            @QueryParam("page") Integer pageNo) {
        context.requireRole(Roles.ADMIN);
        PageRequest.Page<AuditView> result = auditApi.list(
                blank(actor), blank(action), null, null, outcome, null, null, Pages.page(pageIndex(pageNo), 50, null));
        return paged(auditList, result)
                .data("ui", context.ui())
                .data("actor", actor == null ? "" : actor)
                .data("action", action == null ? "" : action)
                .data("outcome", outcome == null ? "" : outcome.name())
                .data("outcomes", List.of("ACCEPTED", "SUCCEEDED", "REFUSED", "FAILED"));
    }
}
