package dev.holdfast.notify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.config.NotificationConfig;

/**
 * One outcome rendered for every channel at once, so that the email and each webhook tell the same
 * story.
 *
 * @param event {@code backup.failed}, {@code backup.succeeded}, {@code restore.failed},
 *     {@code restore.succeeded}, {@code verify.failed}, {@code drill.failed}, {@code drill.recovered} or {@code job.stalled}
 * @param about a short, secret-free description for log lines, e.g. {@code backup 0f3… 'nightly'}
 * @param payload the webhook body (snake_case JSON, {@code event} first)
 */
public record Notification(
        String event,
        NotificationConfig.Outcome outcome,
        String about,
        String subject,
        String text,
        String html,
        ObjectNode payload) {}
