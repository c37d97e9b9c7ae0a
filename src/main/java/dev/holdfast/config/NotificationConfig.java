package dev.holdfast.config;

import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every {@code holdfast.notifications.*} key: who hears about backups, restores and failed
 * verifications, by email and by signed webhook. A schedule's
 * {@code dev.holdfast.notify.NotificationSettings} override {@link #onFailure()}, {@link #onSuccess()},
 * {@link Email#to()} and {@link #defaultWebhooks()} field by field; the SMTP server itself is
 * {@code quarkus.mailer.*}.
 * A group of {@link HoldfastConfig}, reached as {@code config.notifications()}.
 */
public interface NotificationConfig {

    /** Notify when a backup or restore fails or a verification finds damage. */
    @WithDefault("true")
    boolean onFailure();

    /** Notify when a backup or restore succeeds (opt-in: a success every night is noise for most teams). */
    @WithDefault("false")
    boolean onSuccess();

    /**
     * Public address of this service, e.g. {@code https://holdfast.example.com}; messages link to
     * {@code <base-url>/api/backups/<id>} (and {@code /api/restores/<id>}). Unset: no links.
     */
    Optional<URI> baseUrl();

    /** Email settings; the SMTP server is configured with {@code quarkus.mailer.host}, {@code .port}, .... */
    Email email();

    /**
     * Notifications waiting to be sent, at most. The backup that caused one only puts it in this queue;
     * when the queue is full the notification is dropped, logged and counted in
     * {@code holdfast_notifications_dropped_total} rather than slowing any backup down.
     */
    @WithDefault("1000")
    int queueSize();

    /** Threads sending notifications (each sends one email or one webhook delivery at a time). */
    @WithDefault("2")
    int threads();

    /**
     * Longest one email send or one webhook attempt may take (connect, exchange and answer); the
     * mailer has no connect timeout of its own, so this bounds the whole SMTP conversation.
     */
    @WithDefault("30s")
    Duration sendTimeout();

    /** Attempts per webhook delivery: a timeout, an I/O error, HTTP 408, 429 or 5xx is tried again. */
    @WithDefault("3")
    int webhookAttempts();

    /** Wait before the second webhook attempt; it doubles before each further one. */
    @WithDefault("2s")
    Duration webhookBackoff();

    /**
     * Webhooks by name. Schedules name the ones they want in their settings; the URL and secret stay in
     * configuration so that they never pass through the API or the catalog.
     */
    Map<String, Webhook> webhooks();

    /**
     * Names of the webhooks (keys of {@link #webhooks()}) that receive notifications whose settings
     * name none: everything not from a schedule, and schedules whose settings leave {@code webhooks}
     * unset. Empty by default.
     */
    Optional<List<String>> defaultWebhooks();

    /** Email channel. */
    interface Email {
        /**
         * Master switch of the email channel. Unset: email is sent whenever a notification has
         * recipients ({@link #to()}, or a schedule's {@code email_to}); {@code false} sends none at all.
         */
        Optional<Boolean> enabled();

        /** Recipients of every notification whose settings name none (comma-separated). */
        Optional<List<String>> to();

        /** Sender address. */
        @WithDefault("holdfast@localhost")
        String from();

        /** Attempts per email: any failure (refused, unreachable, timed out) is tried again. */
        @WithDefault("3")
        int attempts();

        /** Wait before the second email attempt; it doubles before each further one. */
        @WithDefault("2s")
        Duration backoff();
    }

    /** One webhook receiver. */
    interface Webhook {
        /** Where the JSON is POSTed ({@code http} or {@code https}); never logged, as it may embed a token. */
        URI url();

        /**
         * HMAC-SHA256 key; each delivery carries {@code X-Holdfast-Signature: sha256=<hex>} over
         * {@code <X-Holdfast-Timestamp>.<body>}. Unset: deliveries are unsigned (not recommended).
         */
        Optional<String> secret();

        /** Which outcomes this receiver wants: {@code failure}, {@code success} or both. */
        @WithDefault("failure,success")
        Set<Outcome> events();
    }

    /** The two kinds of outcome a receiver can subscribe to. */
    enum Outcome {
        FAILURE,
        SUCCESS
    }
}
