package dev.holdfast.notify;

import dev.holdfast.config.NotificationConfig;
import io.quarkus.mailer.Mail;
import io.quarkus.mailer.reactive.ReactiveMailer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Sends a notification as one email (text and HTML alternatives) to all its recipients through
 * quarkus-mailer, each attempt bounded by {@code holdfast.notifications.send-timeout} and tried again
 * ({@code holdfast.notifications.email.attempts}) since a restarted SMTP server or a pooled connection it
 * closed fails one send without the next one failing too.
 */
@ApplicationScoped
public class EmailChannel {
    private static final Logger LOG = Logger.getLogger(EmailChannel.class);

    @Inject
    ReactiveMailer mailer;

    @Inject
    NotificationConfig config;

    /**
     * Sends and waits for the server's answer; call it from a notification thread, never from a job worker
     * or an event loop.
     *
     * @throws RuntimeException when every attempt failed: the server is unreachable, refuses the message or
     *     does not answer in time; also when the thread is interrupted during a backoff (flag kept)
     */
    public void send(Notification n, List<String> to) {
        Mail mail = new Mail()
                .setFrom(config.email().from())
                .setTo(List.copyOf(to))
                .setSubject(n.subject())
                .setText(n.text())
                .setHtml(n.html())
                .addHeader("X-Holdfast-Event", n.event());
        int attempts = Math.max(1, config.email().attempts());
        long backoff = Math.max(0, config.email().backoff().toMillis());
        for (int attempt = 1; ; attempt++) {
            try {
                // The reactive mailer lets us bound the whole exchange: quarkus.mailer has no connect timeout.
                mailer.send(mail).await().atMost(config.sendTimeout());
                return;
            } catch (RuntimeException e) {
                if (attempt >= attempts) {
                    throw e;
                }
                LOG.debugf("Email %s attempt %d/%d failed: %s", n.event(), attempt, attempts, e.getMessage());
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted between email attempts", e);
            }
            backoff *= 2;
        }
    }
}
