package dev.holdfast.notify;

import jakarta.validation.constraints.Email;
import jakarta.validation.constraints.Size;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Who hears about a schedule's runs. Webhooks are named here and defined in configuration
 * ({@code holdfast.notifications.webhooks."<name>".url} and {@code .secret}) so that their signing
 * secrets never pass through the API or the catalog.
 */
@Schema(description = "Notification settings; unset fields fall back to the global ones (holdfast.notifications.*)")
public record NotificationSettings(
        @Schema(description = "Notify when a run fails (default true)")
        Boolean onFailure,

        @Schema(description = "Notify when a run succeeds (default false)")
        Boolean onSuccess,

        @Size(max = 50) @Schema(description = "Email recipients; default holdfast.notifications.email.to")
        List<@Email @Size(max = 320) String> emailTo,

        @Size(max = 20) @Schema(description = "Names of webhooks configured under holdfast.notifications.webhooks")
        List<@Size(max = 100) String> webhooks) {}
