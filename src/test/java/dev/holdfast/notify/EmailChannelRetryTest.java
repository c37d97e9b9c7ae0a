package dev.holdfast.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.config.NotificationConfig;
import io.quarkus.mailer.Mail;
import io.quarkus.mailer.reactive.ReactiveMailer;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Email attempts without CDI: a send that fails once (as after a mail server restart drops the pooled
 * connection) is sent by the next attempt; one that always fails gives up after the configured count.
 */
class EmailChannelRetryTest {

    /** A mailer whose first {@code failures} sends fail. */
    static final class FlakyMailer implements ReactiveMailer {
        final AtomicInteger calls = new AtomicInteger();
        final int failures;

        FlakyMailer(int failures) {
            this.failures = failures;
        }

        @Override
        public Uni<Void> send(Mail... mails) {
            int call = calls.incrementAndGet();
            return call <= failures
                    ? Uni.createFrom().failure(new IllegalStateException("Connection closed (attempt " + call + ")"))
                    : Uni.createFrom().voidItem();
        }
    }

    static EmailChannel channel(ReactiveMailer mailer, int attempts) {
        EmailChannel channel = new EmailChannel();
        channel.mailer = mailer;
        channel.config = new AudienceTest.Config(
                true,
                false,
                Optional.empty(),
                new AudienceTest.Email(
                        Optional.empty(),
                        Optional.of(List.of("ops@example.com")),
                        "h@localhost",
                        attempts,
                        Duration.ofMillis(1)),
                1,
                1,
                Duration.ofSeconds(5),
                1,
                Duration.ZERO,
                Map.of(),
                Optional.empty());
        return channel;
    }

    static Notification notification() {
        return new Notification(
                "backup.failed",
                NotificationConfig.Outcome.FAILURE,
                "backup 'x'",
                "subject",
                "text",
                "<p>html</p>",
                new ObjectMapper().createObjectNode());
    }

    @Test
    void aFailedSendIsTriedAgain() {
        FlakyMailer mailer = new FlakyMailer(2);
        channel(mailer, 3).send(notification(), List.of("ops@example.com"));
        assertThat(mailer.calls).hasValue(3);
    }

    @Test
    void everyAttemptFailingReportsTheLastError() {
        FlakyMailer mailer = new FlakyMailer(Integer.MAX_VALUE);
        assertThatThrownBy(() -> channel(mailer, 2).send(notification(), List.of("ops@example.com")))
                .hasMessageContaining("attempt 2");
        assertThat(mailer.calls).hasValue(2);
    }
}
