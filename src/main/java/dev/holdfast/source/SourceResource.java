package dev.holdfast.source;

import dev.holdfast.api.Problem;
import dev.holdfast.api.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.nio.file.Files;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Lists what can be backed up: configured databases and media roots, never a credential. */
@Path("/api/sources")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Sources", description = "Databases and media roots this service backs up")
public class SourceResource {
    @Inject
    SourceRegistry registry;

    /** A database source as the API shows it. */
    public record DatabaseView(
            String name,

            @Schema(description = "JDBC URL with credentials removed")
            String jdbcUrl,

            String username) {}

    /** A media root as the API shows it. */
    public record MediaView(
            String name,
            String path,

            @Schema(description = "Whether the directory exists now")
            boolean exists) {}

    /** All sources. */
    public record SourcesView(List<DatabaseView> databases, List<MediaView> media) {}

    @GET
    @RolesAllowed(Roles.VIEWER)
    @Operation(summary = "List backup sources", description = "Role: backup-viewer. Passwords are never included.")
    @APIResponse(responseCode = "200", description = "The configured sources")
    @APIResponse(
            responseCode = "401",
            description = "Missing or invalid bearer token",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(
            responseCode = "403",
            description = "The token lacks the required role",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public SourcesView list() {
        List<DatabaseView> dbs = registry.databases().values().stream()
                .map(d -> new DatabaseView(
                        d.name(),
                        SourceRegistry.redact(d.jdbcUrl()),
                        d.username().orElse(null)))
                .toList();
        List<MediaView> media = registry.media().values().stream()
                .map(m -> new MediaView(m.name(), m.path().toString(), Files.isDirectory(m.path())))
                .toList();
        return new SourcesView(dbs, media);
    }
}
