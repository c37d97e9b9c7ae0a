package dev.holdfast.notify;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.holdfast.backup.Backup;
import dev.holdfast.backup.BackupFinished;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.backup.VerificationFinished;
import dev.holdfast.config.NotificationConfig;
import dev.holdfast.job.JobStalled;
import dev.holdfast.notify.NotificationMetrics.Channel;
import dev.holdfast.restore.RestoreFinished;
import dev.holdfast.restore.RestoreOperation;
import dev.holdfast.restore.RestoreStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Tells people about finished backups, restores, failed verifications and failed restore drills (and a drill
 * that passes again after a failure), and about jobs the watchdog reports stalled, by email and webhook.
 *
 * <p>The observers run on the job worker that recorded the outcome, after its transaction committed,
 * so they only put a task in a bounded queue and return: a slow or dead mail server or webhook can
 * never delay or fail a backup. A task then looks up whose settings apply, renders the message and
 * queues one delivery per channel; when the queue is full the work is dropped and counted.
 *
 * <p>Which settings apply: a backup from a schedule uses the schedule's {@link NotificationSettings}
 * (unset fields take the global ones); a restore and a verification use the settings of the schedule
 * that made the backup they concern, and otherwise the global ones; so does a drill, whose recovery is told
 * to whoever hears its failures. What is told: failures (unless
 * {@code on_failure} is false) and successes (only when {@code on_success} is true). A CANCELLED
 * backup or restore is neither: someone chose to stop it. A restore's pre-restore backup is not told
 * on its own: the restore's message names it, and a failed pre-restore backup fails the restore.
 */
@ApplicationScoped
public class Notifier {
    private static final Logger LOG = Logger.getLogger(Notifier.class);

    @Inject
    NotificationConfig config;

    @Inject
    NotificationMetrics metrics;

    @Inject
    EmailChannel email;

    @Inject
    WebhookChannel webhooks;

    @Inject
    ObjectMapper mapper;

    @Inject
    ScheduleSettingsLookup schedules;

    private volatile ThreadPoolExecutor executor;
    private Messages messages;
    private ObjectReader settingsReader;

    void start(@Observes StartupEvent ev) {
        validate(config);
        messages = new Messages(config.baseUrl().map(URI::toString).orElse(null));
        // Settings are written by other code and may gain fields: read what we know, ignore the rest.
        settingsReader =
                mapper.readerFor(NotificationSettings.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(
                config.threads(),
                config.threads(),
                0,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.queueSize()),
                r -> {
                    Thread t = new Thread(r, "holdfast-notify-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                },
                new ThreadPoolExecutor.AbortPolicy());
        // Started here rather than by the first job worker to queue work, whose MDC (job id) they would inherit.
        pool.prestartAllCoreThreads();
        executor = pool;
        LOG.infof(
                "Notifications: on failure %s, on success %s, email to %d global recipient(s)%s, webhooks %s "
                        + "(default %s)",
                config.onFailure(),
                config.onSuccess(),
                config.email().to().orElse(List.of()).size(),
                config.email().enabled().orElse(true) ? "" : " (email disabled)",
                config.webhooks().keySet(),
                config.defaultWebhooks().orElse(List.of()));
    }

    /** Refuses a configuration that would only fail later, one notification at a time. */
    static void validate(NotificationConfig config) {
        if (config.queueSize() < 1
                || config.threads() < 1
                || config.webhookAttempts() < 1
                || config.email().attempts() < 1) {
            throw new IllegalStateException("holdfast.notifications.queue-size, .threads, .webhook-attempts and "
                    + ".email.attempts must be at least 1");
        }
        if (config.sendTimeout().isNegative() || config.sendTimeout().isZero()) {
            throw new IllegalStateException("holdfast.notifications.send-timeout must be positive");
        }
        for (Map.Entry<String, NotificationConfig.Webhook> w : config.webhooks().entrySet()) {
            URI url = w.getValue().url();
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
                throw new IllegalStateException("holdfast.notifications.webhooks.\"" + w.getKey() + "\".url must be an "
                        + "absolute http or https URL");
            }
            if (w.getValue().secret().isEmpty() || w.getValue().secret().get().isBlank()) {
                LOG.warnf("Webhook '%s' has no secret: its deliveries are not signed", w.getKey());
            }
        }
        for (String name : config.defaultWebhooks().orElse(List.of())) {
            if (!config.webhooks().containsKey(name.strip())) {
                throw new IllegalStateException("holdfast.notifications.default-webhooks names '" + name + "', which "
                        + "is not configured; configured: " + config.webhooks().keySet());
            }
        }
    }

    @PreDestroy
    void stop() {
        ThreadPoolExecutor pool = executor;
        if (pool == null) {
            return;
        }
        pool.shutdown();
        try {
            if (!pool.awaitTermination(config.sendTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                List<Runnable> left = pool.shutdownNow();
                LOG.warnf("Shutting down: %d queued notification task(s) not sent", left.size());
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    // --- observers: enqueue only, never throw ---------------------------------------------------

    void onBackup(@Observes(during = TransactionPhase.AFTER_SUCCESS) BackupFinished e) {
        if (e.status() == BackupStatus.CANCELLED || "pre-restore".equals(e.trigger())) {
            return;
        }
        NotificationConfig.Outcome o = e.status() == BackupStatus.SUCCEEDED
                ? NotificationConfig.Outcome.SUCCESS
                : NotificationConfig.Outcome.FAILURE;
        if (e.scheduleId() == null && !Audience.of(null, config).wants(o)) {
            return; // decided without the catalog: no need to take a place in the queue
        }
        enqueue("backup " + e.backupId(), () -> {
            Audience a = audience(e.scheduleId());
            if (a.wants(o)) {
                dispatch(messages.backup(e), a);
            }
        });
    }

    void onRestore(@Observes(during = TransactionPhase.AFTER_SUCCESS) RestoreFinished e) {
        if (e.status() == RestoreStatus.CANCELLED) {
            return;
        }
        enqueue("restore " + e.restoreId(), () -> {
            Looked l = QuarkusTransaction.requiringNew().call(() -> {
                RestoreOperation op = RestoreOperation.findById(e.restoreId());
                Backup b = Backup.findById(e.backupId());
                return new Looked(
                        new Messages.RestoreContext(b == null ? null : b.name, op == null ? null : op.preBackupId),
                        b == null ? null : b.scheduleId);
            });
            Audience a = audience(l.scheduleId());
            NotificationConfig.Outcome o = e.status() == RestoreStatus.SUCCEEDED
                    ? NotificationConfig.Outcome.SUCCESS
                    : NotificationConfig.Outcome.FAILURE;
            if (a.wants(o)) {
                dispatch(messages.restore(e, l.ctx()), a);
            }
        });
    }

    void onVerification(@Observes(during = TransactionPhase.AFTER_SUCCESS) VerificationFinished e) {
        if (e.ok()) {
            return;
        }
        enqueue("verification of backup " + e.backupId(), () -> {
            UUID scheduleId = QuarkusTransaction.requiringNew().call(() -> {
                Backup b = Backup.findById(e.backupId());
                return b == null ? null : b.scheduleId;
            });
            Audience a = audience(scheduleId);
            if (a.wants(NotificationConfig.Outcome.FAILURE)) {
                dispatch(messages.verificationFailed(e), a);
            }
        });
    }

    void onDrill(@Observes(during = TransactionPhase.AFTER_SUCCESS) DrillFinished e) {
        if (e.ok() && !e.recovered()) {
            return;
        }
        enqueue("drill " + e.drillId(), () -> {
            Backup b = e.backupId() == null
                    ? null
                    : QuarkusTransaction.requiringNew().call(() -> Backup.findById(e.backupId()));
            Audience a = audience(b == null ? null : b.scheduleId);
            // A recovery goes to whoever heard of the failure, so it follows on_failure, not on_success.
            if (a.wants(NotificationConfig.Outcome.FAILURE)) {
                dispatch(messages.drill(e, b == null ? null : b.name), a);
            }
        });
    }

    /** A job the watchdog found stalled: told with the global settings, as a failure (someone has to look). */
    void onStalled(@Observes JobStalled e) {
        if (!Audience.of(null, config).wants(NotificationConfig.Outcome.FAILURE)) {
            return;
        }
        enqueue(
                "stalled job " + e.stall().jobId(),
                () -> dispatch(messages.stalled(e.stall()), Audience.of(null, config)));
    }

    /** What the catalog adds to a restore event: the backup's name and schedule, the pre-restore backup. */
    private record Looked(Messages.RestoreContext ctx, UUID scheduleId) {}

    // --- on notification threads ----------------------------------------------------------------

    /** The schedule's settings over the global ones; the global ones when there is no usable schedule row. */
    Audience audience(UUID scheduleId) {
        if (scheduleId == null) {
            return Audience.of(null, config);
        }
        JsonNode json = QuarkusTransaction.requiringNew().call(() -> schedules.notificationsOf(scheduleId));
        NotificationSettings settings = null;
        if (json != null && !json.isNull()) {
            try {
                settings = settingsReader.readValue(json);
            } catch (java.io.IOException | IllegalArgumentException ex) {
                LOG.warnf(
                        "Schedule %s has unreadable notification settings, using the global ones: %s",
                        scheduleId, ex.getMessage());
            }
        }
        return Audience.of(settings, config);
    }

    void dispatch(Notification n, Audience a) {
        if (!a.emailTo().isEmpty()) {
            List<String> to = a.emailTo();
            enqueue("email for " + n.about(), () -> {
                try {
                    email.send(n, to);
                    metrics.sent(Channel.EMAIL);
                    LOG.debugf("Sent %s email for %s to %d recipient(s)", n.event(), n.about(), to.size());
                } catch (RuntimeException ex) {
                    metrics.failed(Channel.EMAIL);
                    LOG.warnf(
                            "Email %s for %s to %d recipient(s) not sent: %s",
                            n.event(), n.about(), to.size(), describe(ex));
                }
            });
        }
        for (String name : a.webhooks()) {
            NotificationConfig.Webhook hook = config.webhooks().get(name);
            if (hook == null) {
                metrics.failed(Channel.WEBHOOK);
                LOG.warnf(
                        "Webhook '%s' named in the notification settings of %s is not configured "
                                + "(holdfast.notifications.webhooks.\"%s\".url); skipped",
                        name, n.about(), name);
                continue;
            }
            if (!hook.events().contains(n.outcome())) {
                continue;
            }
            enqueue("webhook '" + name + "' for " + n.about(), () -> {
                try {
                    UUID delivery = webhooks.deliver(name, hook, n);
                    metrics.sent(Channel.WEBHOOK);
                    LOG.debugf("Webhook '%s' delivery %s of %s for %s done", name, delivery, n.event(), n.about());
                } catch (WebhookChannel.DeliveryFailed ex) {
                    metrics.failed(Channel.WEBHOOK);
                    LOG.warnf(
                            "Webhook '%s' delivery of %s for %s failed: %s",
                            name, n.event(), n.about(), ex.getMessage());
                } catch (InterruptedException ex) {
                    metrics.failed(Channel.WEBHOOK);
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    /** Queues work without ever blocking or throwing; a full queue drops it and says so. */
    private void enqueue(String what, Runnable task) {
        ThreadPoolExecutor pool = executor;
        try {
            if (pool == null) {
                throw new RejectedExecutionException("not started");
            }
            pool.execute(() -> {
                try {
                    MDC.clear();
                    task.run();
                } catch (RuntimeException ex) {
                    LOG.warnf("Notification work for %s failed: %s", what, describe(ex));
                }
            });
        } catch (RejectedExecutionException ex) {
            metrics.dropped();
            LOG.warnf(
                    "Notification queue full (%d) or stopped: dropped the notification work for %s",
                    config.queueSize(), what);
        } catch (RuntimeException ex) {
            LOG.warnf("Could not queue the notification work for %s: %s", what, describe(ex));
        }
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage() == null
                ? root.getClass().getSimpleName()
                : root.getClass().getSimpleName() + ": " + root.getMessage();
        return root == e ? msg : describeTop(e) + " (" + msg + ")";
    }

    private static String describeTop(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
