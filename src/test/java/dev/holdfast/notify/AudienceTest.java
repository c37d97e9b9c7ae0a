package dev.holdfast.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.config.NotificationConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A schedule's settings over the global configuration, field by field, and the startup checks. */
class AudienceTest {

    record Email(
            Optional<Boolean> enabled, Optional<List<String>> to, String from, int attempts, java.time.Duration backoff)
            implements NotificationConfig.Email {
        Email(Optional<Boolean> enabled, Optional<List<String>> to, String from) {
            this(enabled, to, from, 1, java.time.Duration.ZERO);
        }
    }

    record Hook(URI url, Optional<String> secret, Set<NotificationConfig.Outcome> events)
            implements NotificationConfig.Webhook {}

    record Config(
            boolean onFailure,
            boolean onSuccess,
            Optional<URI> baseUrl,
            NotificationConfig.Email email,
            int queueSize,
            int threads,
            Duration sendTimeout,
            int webhookAttempts,
            Duration webhookBackoff,
            Map<String, NotificationConfig.Webhook> webhooks,
            Optional<List<String>> defaultWebhooks)
            implements NotificationConfig {}

    static Config global(Optional<Boolean> emailEnabled, List<String> to, List<String> defaultHooks) {
        return new Config(
                true,
                false,
                Optional.empty(),
                new Email(emailEnabled, Optional.of(to), "h@localhost"),
                10,
                1,
                Duration.ofSeconds(5),
                3,
                Duration.ofMillis(10),
                Map.of(
                        "ops",
                        new Hook(
                                URI.create("https://hooks.example.com/x"),
                                Optional.of("s"),
                                Set.of(NotificationConfig.Outcome.FAILURE))),
                Optional.of(defaultHooks));
    }

    @Test
    void withoutAScheduleTheGlobalSettingsApply() {
        Audience a = Audience.of(null, global(Optional.empty(), List.of("ops@example.com"), List.of("ops")));
        assertThat(a).isEqualTo(new Audience(true, false, List.of("ops@example.com"), List.of("ops")));
        assertThat(a.wants(NotificationConfig.Outcome.FAILURE)).isTrue();
        assertThat(a.wants(NotificationConfig.Outcome.SUCCESS)).isFalse();
    }

    @Test
    void unsetScheduleFieldsFallBackAndEmptyListsMeanNobody() {
        Config g = global(Optional.empty(), List.of("ops@example.com"), List.of("ops"));
        assertThat(Audience.of(new NotificationSettings(null, true, null, List.of()), g))
                .isEqualTo(new Audience(true, true, List.of("ops@example.com"), List.of()));
        assertThat(Audience.of(
                        new NotificationSettings(false, null, List.of(" dba@example.com", "dba@example.com"), null), g))
                .isEqualTo(new Audience(false, false, List.of("dba@example.com"), List.of("ops")));
        assertThat(Audience.of(new NotificationSettings(null, null, List.of(), null), g)
                        .emailTo())
                .isEmpty();
    }

    @Test
    void emailSwitchedOffSendsToNobodyEvenWhenAScheduleNamesRecipients() {
        Config off = global(Optional.of(false), List.of("ops@example.com"), List.of());
        assertThat(Audience.of(new NotificationSettings(null, null, List.of("dba@example.com"), null), off)
                        .emailTo())
                .isEmpty();
        Config unset = global(Optional.empty(), List.of(), List.of());
        assertThat(Audience.of(new NotificationSettings(null, null, List.of("dba@example.com"), null), unset)
                        .emailTo())
                .containsExactly("dba@example.com");
    }

    @Test
    void startupRefusesUnknownDefaultWebhooksAndNonHttpUrls() {
        assertThatThrownBy(() -> Notifier.validate(global(Optional.empty(), List.of(), List.of("nope"))))
                .hasMessageContaining("default-webhooks names 'nope'");
        Config ftp = new Config(
                true,
                false,
                Optional.empty(),
                new Email(Optional.empty(), Optional.empty(), "x"),
                10,
                1,
                Duration.ofSeconds(1),
                1,
                Duration.ZERO,
                Map.of("bad", new Hook(URI.create("ftp://example.com/x"), Optional.of("s"), Set.of())),
                Optional.empty());
        assertThatThrownBy(() -> Notifier.validate(ftp)).hasMessageContaining("webhooks.\"bad\".url");
        Notifier.validate(global(Optional.empty(), List.of(), List.of("ops")));
    }
}
