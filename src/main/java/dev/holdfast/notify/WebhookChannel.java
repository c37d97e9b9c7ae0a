package dev.holdfast.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.config.NotificationConfig;
import dev.holdfast.time.TimeSource;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Delivers a notification to one webhook: a signed JSON POST, tried again with doubling backoff on
 * timeouts, I/O errors and 408/429/5xx answers. The delivery id stays the same across attempts so that
 * a receiver can drop duplicates; the timestamp and signature are fresh on each.
 */
@ApplicationScoped
public class WebhookChannel {
    private static final Logger LOG = Logger.getLogger(WebhookChannel.class);
    static final String USER_AGENT = "Holdfast-Webhook/1";

    @Inject
    NotificationConfig config;

    @Inject
    ObjectMapper mapper;

    @Inject
    TimeSource time;

    private HttpClient client;

    @PostConstruct
    void init() {
        client = HttpClient.newBuilder()
                .connectTimeout(config.sendTimeout())
                // A redirect would carry the signed body somewhere the operator did not configure.
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** Why a delivery was given up; its message never contains the URL or the secret. */
    public static final class DeliveryFailed extends Exception {
        DeliveryFailed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Delivers, trying up to {@code webhook-attempts} times.
     *
     * @return the delivery id sent as {@code X-Holdfast-Delivery}
     * @throws DeliveryFailed after the last failed attempt, or at once on a 4xx answer that retrying won't fix
     * @throws InterruptedException when the service shuts down during a backoff or an attempt
     */
    public UUID deliver(String name, NotificationConfig.Webhook hook, Notification n)
            throws DeliveryFailed, InterruptedException {
        byte[] body;
        try {
            body = mapper.writeValueAsBytes(n.payload());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Notification payload is not serialisable", e);
        }
        UUID delivery = UUID.randomUUID();
        int attempts = Math.max(1, config.webhookAttempts());
        long backoff = Math.max(0, config.webhookBackoff().toMillis());
        String reason = "not attempted";
        for (int attempt = 1; attempt <= attempts; attempt++) {
            if (attempt > 1) {
                Thread.sleep(backoff);
                backoff *= 2;
            }
            long ts = time.now().getEpochSecond();
            HttpRequest.Builder req = HttpRequest.newBuilder(hook.url())
                    .timeout(config.sendTimeout())
                    .header("Content-Type", "application/json")
                    .header("User-Agent", USER_AGENT)
                    .header("X-Holdfast-Event", n.event())
                    .header("X-Holdfast-Delivery", delivery.toString())
                    .header("X-Holdfast-Timestamp", Long.toString(ts))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            hook.secret().ifPresent(s -> req.header("X-Holdfast-Signature", WebhookSignature.sign(s, ts, body)));
            try {
                HttpResponse<Void> res = client.send(req.build(), HttpResponse.BodyHandlers.discarding());
                int status = res.statusCode();
                if (status >= 200 && status < 300) {
                    return delivery;
                }
                reason = "HTTP " + status;
                if (status < 500 && status != 408 && status != 429) {
                    throw new DeliveryFailed(reason + " (not retried)");
                }
            } catch (IOException e) {
                reason = describe(e, hook);
            }
            LOG.debugf("Webhook '%s' delivery %s attempt %d/%d failed: %s", name, delivery, attempt, attempts, reason);
        }
        throw new DeliveryFailed(reason + " after " + attempts + " attempt(s)");
    }

    /** The exception, with the URL (which may embed a token) taken out of its message. */
    private static String describe(IOException e, NotificationConfig.Webhook hook) {
        String msg = e.getMessage() == null ? "" : ": " + e.getMessage();
        String url = hook.url().toString();
        String path = hook.url().getRawPath();
        msg = msg.replace(url, "<url>");
        if (path != null && path.length() > 1) {
            msg = msg.replace(path, "<path>");
        }
        if (hook.url().getRawQuery() != null) {
            msg = msg.replace(hook.url().getRawQuery(), "<query>");
        }
        return e.getClass().getSimpleName() + msg;
    }
}
