package dev.holdfast.notify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Notification counters, registered at 0 so that an alert on their rate works before the first send:
 * {@code holdfast_notifications_sent_total{channel}}, {@code holdfast_notifications_failed_total{channel}}
 * ({@code channel} is {@code email} or {@code webhook}) and {@code holdfast_notifications_dropped_total}.
 */
@Startup
@ApplicationScoped
public class NotificationMetrics {
    /** The two delivery channels, as the {@code channel} tag. */
    public enum Channel {
        EMAIL,
        WEBHOOK;

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    @Inject
    MeterRegistry registry;

    private Counter sentEmail;
    private Counter sentWebhook;
    private Counter failedEmail;
    private Counter failedWebhook;
    private Counter dropped;

    @PostConstruct
    void register() {
        sentEmail = counter("holdfast.notifications.sent", Channel.EMAIL, "Emails accepted by the SMTP server");
        sentWebhook = counter(
                "holdfast.notifications.sent", Channel.WEBHOOK, "Webhook deliveries answered with a 2xx status");
        failedEmail = counter(
                "holdfast.notifications.failed", Channel.EMAIL, "Emails not sent (server down, refused, timed out)");
        failedWebhook = counter(
                "holdfast.notifications.failed",
                Channel.WEBHOOK,
                "Webhook deliveries that failed every attempt, or named an unconfigured webhook");
        dropped = Counter.builder("holdfast.notifications.dropped")
                .description("Notifications or deliveries dropped because the notification queue was full")
                .register(registry);
    }

    private Counter counter(String name, Channel channel, String description) {
        return Counter.builder(name)
                .tag("channel", channel.tag())
                .description(description)
                .register(registry);
    }

    /** One email or webhook delivery done. */
    public void sent(Channel channel) {
        (channel == Channel.EMAIL ? sentEmail : sentWebhook).increment();
    }

    /** One email or webhook delivery given up. */
    public void failed(Channel channel) {
        (channel == Channel.EMAIL ? failedEmail : failedWebhook).increment();
    }

    /** One notification or delivery not queued. */
    public void dropped() {
        dropped.increment();
    }
}
