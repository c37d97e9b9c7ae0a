package dev.holdfast.notify;

import dev.holdfast.config.NotificationConfig;
import java.util.List;

/**
 * Who hears about one outcome once a schedule's {@link NotificationSettings} are laid over the global
 * configuration: each field the schedule leaves unset (null) takes the global value, while an empty
 * list is a deliberate "nobody".
 *
 * @param emailTo recipients; empty when the email channel is switched off
 * @param webhooks names of configured webhooks (unknown names are kept, to be reported when sending)
 */
public record Audience(boolean onFailure, boolean onSuccess, List<String> emailTo, List<String> webhooks) {

    /** The settings that apply: {@code schedule} may be null (no schedule, or one without settings). */
    public static Audience of(NotificationSettings schedule, NotificationConfig config) {
        NotificationSettings s = schedule == null ? new NotificationSettings(null, null, null, null) : schedule;
        boolean emailOn = config.email().enabled().orElse(true);
        List<String> to =
                s.emailTo() != null ? s.emailTo() : config.email().to().orElse(List.of());
        List<String> hooks =
                s.webhooks() != null ? s.webhooks() : config.defaultWebhooks().orElse(List.of());
        return new Audience(
                s.onFailure() != null ? s.onFailure() : config.onFailure(),
                s.onSuccess() != null ? s.onSuccess() : config.onSuccess(),
                emailOn
                        ? to.stream()
                                .map(String::strip)
                                .filter(a -> !a.isEmpty())
                                .distinct()
                                .toList()
                        : List.of(),
                hooks.stream()
                        .map(String::strip)
                        .filter(h -> !h.isEmpty())
                        .distinct()
                        .toList());
    }

    /** Whether an outcome of this kind is to be told at all. */
    public boolean wants(NotificationConfig.Outcome outcome) {
        return outcome == NotificationConfig.Outcome.FAILURE ? onFailure : onSuccess;
    }
}
