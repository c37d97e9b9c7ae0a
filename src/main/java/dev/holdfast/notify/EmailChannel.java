package dev.holdfast.notify;

import io.quarkus.mailer.Mail;
import io.quarkus.mailer.reactive.ReactiveMailer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;

/**
 * Sends a notification as one email (text and HTML alternatives) to all its recipients through
 * quarkus-mailer, bounded by {@code holdfast.notifications.send-timeout}.
 */
@ApplicationScoped
public class EmailChannel {
    @Inject
    ReactiveMailer mailer;

    @Inject
    NotificationConfig config;

    /**
     * Sends and waits for the server's answer; call it from a notification thread, never from a job worker
     * or an event loop.
     *
     * @throws RuntimeException when the server is unreachable, refuses the message or does not answer in time
     */
    public void send(Notification n, List<String> to) {
        Mail mail = new Mail()
                .setFrom(config.email().from())
                .setTo(List.copyOf(to))
                .setSubject(n.subject())
                .setText(n.text())
                .setHtml(n.html())
                .addHeader("X-Holdfast-Event", n.event());
        // The reactive mailer lets us bound the whole exchange: quarkus.mailer has no connect timeout.
        mailer.send(mail).await().atMost(config.sendTimeout());
    }
}
