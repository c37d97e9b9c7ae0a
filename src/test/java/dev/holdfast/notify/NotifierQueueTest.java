package dev.holdfast.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.backup.BackupStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The bounded queue, without CDI: while the only sender is stuck, one more notification waits and
 * the next is dropped and counted; the observer never blocks.
 */
class NotifierQueueTest {

    /** An email channel that records what it sends and can be held. */
    static final class HeldEmail extends EmailChannel {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> sent = new CopyOnWriteArrayList<>();

        @Override
        public void send(Notification n, List<String> to) {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sent.add(n.subject());
        }
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlockingTheBackup() {
        AudienceTest.Config config = new AudienceTest.Config(
                true,
                false,
                Optional.empty(),
                new AudienceTest.Email(Optional.empty(), Optional.of(List.of("ops@example.com")), "h@localhost"),
                1,
                1,
                Duration.ofSeconds(5),
                1,
                Duration.ZERO,
                Map.of(),
                Optional.empty());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NotificationMetrics metrics = new NotificationMetrics();
        metrics.registry = registry;
        metrics.register();
        HeldEmail email = new HeldEmail();
        Notifier notifier = new Notifier();
        notifier.config = config;
        notifier.metrics = metrics;
        notifier.email = email;
        notifier.mapper = new ObjectMapper();
        notifier.start(null);
        try {
            notifier.onBackup(MessagesTest.backup("first", BackupStatus.FAILED, null, "boom"));
            await().atMost(Duration.ofSeconds(30)).until(() -> email.entered.getCount() == 0);
            // The sender is busy: one task fits in the queue, the next does not.
            notifier.onBackup(MessagesTest.backup("second", BackupStatus.FAILED, null, "boom"));
            notifier.onBackup(MessagesTest.backup("third", BackupStatus.FAILED, null, "boom"));
            assertThat(registry.get("holdfast.notifications.dropped").counter().count())
                    .isEqualTo(1);

            // Neither a success (on-success is off) nor a cancellation is queued at all.
            notifier.onBackup(MessagesTest.backup("ok", BackupStatus.SUCCEEDED, 1L, null));
            notifier.onBackup(MessagesTest.backup("stopped", BackupStatus.CANCELLED, null, "cancelled"));
            assertThat(registry.get("holdfast.notifications.dropped").counter().count())
                    .isEqualTo(1);

            email.release.countDown();
            await().atMost(Duration.ofSeconds(30)).until(() -> email.sent.size() == 2);
            assertThat(email.sent)
                    .containsExactly("[Holdfast] Backup 'first' FAILED", "[Holdfast] Backup 'second' FAILED");
            assertThat(registry.get("holdfast.notifications.sent")
                            .tag("channel", "email")
                            .counter()
                            .count())
                    .isEqualTo(2);
            assertThat(registry.get("holdfast.notifications.failed")
                            .tag("channel", "email")
                            .counter()
                            .count())
                    .isZero();
        } finally {
            email.release.countDown();
            notifier.stop();
        }
    }
}
