package dev.holdfast.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.api.Roles;
import dev.holdfast.job.JobEvent;
import dev.holdfast.job.JobEventStream;
import dev.holdfast.job.JobView;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * A job's progress for the browser: the API's own event stream ({@link JobEventStream}) relayed under /ui, where
 * the session cookie authenticates it (an EventSource cannot send a bearer header), each event turned into the HTML
 * fragment the htmx SSE extension swaps into the page ({@code progress}), then {@code end}, which closes it.
 */
@Path("/ui") // not /ui/jobs: a class on that path would hide the jobs page (OpsPages), JAX-RS matches classes first
@RolesAllowed(Roles.VIEWER)
public class LiveProgress {
    @Inject
    JobEventStream events;

    @Inject
    ObjectMapper mapper;

    @GET
    @Path("jobs/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking // the stream reads the job from the catalog first
    public Multi<OutboundSseEvent> events(@PathParam("id") UUID id, @Context Sse sse) {
        return events.stream(id, sse).onItem().transformToIterable(e -> {
            Object data = e.getData();
            if (JobEventStream.END.equals(e.getName()) && data instanceof JobView j) {
                return List.of(
                        fragment(sse, finished(j)),
                        sse.newEventBuilder().name("end").data("").build());
            }
            JsonNode progress = data instanceof JobEvent je
                    ? je.progress()
                    : data instanceof JobView jv ? mapper.valueToTree(jv.progress()) : null;
            String state = data instanceof JobEvent je
                    ? je.state().name()
                    : ((JobView) data).state().name();
            return List.of(fragment(sse, running(state, progress)));
        });
    }

    private static OutboundSseEvent fragment(Sse sse, String html) {
        return sse.newEventBuilder().name("progress").data(html).build();
    }

    static String running(String state, JsonNode p) {
        StringBuilder sb = new StringBuilder("<p class=\"live\">").append(state.toLowerCase(Locale.ROOT));
        if (p != null && !p.isNull() && !p.isMissingNode()) {
            double percent = p.path("percent").asDouble(0);
            sb.append(String.format(
                    Locale.ROOT,
                    " <progress max=\"100\" value=\"%.1f\" aria-label=\"Progress\">%.0f %%</progress> %.0f %%",
                    percent,
                    percent,
                    percent));
            if (p.hasNonNull("phase")) {
                sb.append(", ").append(Charts.escape(p.get("phase").asText()));
            }
            if (p.hasNonNull("rows_done")) {
                sb.append(", ").append(p.get("rows_done").asLong()).append(" rows");
            }
            if (p.hasNonNull("bytes_done")) {
                sb.append(", ").append(Formats.bytes(p.get("bytes_done").asLong()));
            }
            if (p.hasNonNull("eta_seconds")) {
                sb.append(", about ").append(p.get("eta_seconds").asLong()).append(" s left");
            }
        }
        return sb.append("</p>").toString();
    }

    static String finished(JobView j) {
        String outcome = j.state().name();
        return "<p class=\"live state state-" + outcome.toLowerCase(Locale.ROOT) + "\" data-final=\"" + outcome
                + "\">Finished: " + outcome
                + (j.error() == null ? "" : " (" + Charts.escape(j.error()) + ")")
                + " <progress max=\"100\" value=\"100\" aria-label=\"Progress\">100 %</progress>"
                + " <a href=\"\">Show the result</a></p>";
    }
}
