package dev.holdfast.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Real HTTP endpoints (a JDK {@code HttpServer}) for webhook deliveries, configured for every
 * {@code @QuarkusTest} as the webhooks {@code receiver} (answers 204), {@code failures-only} (204,
 * subscribed to failures only), {@code failing} (500) and {@code hanging} (answers only once released),
 * all signed with {@link #SECRET}. Records every request it gets.
 */
public class WebhookReceiver implements QuarkusTestResourceLifecycleManager {
    /** The signing secret of every test webhook. */
    public static final String SECRET = "test-webhook-secret-\u00e9";

    /** Marks the test field that receives the running receiver. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface Inject {}

    /** One request as received. */
    public record Request(String path, Map<String, String> headers, byte[] body) {
        /** A header by name, case-insensitively. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch release = new CountDownLatch(1);
    private HttpServer server;
    private ExecutorService threads;

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        // Several threads: a hanging request must not hold up the others.
        threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "webhook-receiver");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/ok", ex -> answer(ex, 204));
        server.createContext("/fail", ex -> answer(ex, 500));
        server.createContext("/hang", ex -> {
            record(ex);
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(ex, 200);
        });
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        Map<String, String> config = new HashMap<>();
        hook(config, "receiver", base + "/ok/receiver");
        hook(config, "failures-only", base + "/ok/failures-only");
        config.put("holdfast.notifications.webhooks.failures-only.events", "failure");
        hook(config, "failing", base + "/fail");
        hook(config, "hanging", base + "/hang");
        return config;
    }

    private static void hook(Map<String, String> config, String name, String url) {
        config.put("holdfast.notifications.webhooks." + name + ".url", url);
        config.put("holdfast.notifications.webhooks." + name + ".secret", SECRET);
    }

    private void answer(HttpExchange ex, int status) throws IOException {
        record(ex);
        respond(ex, status);
    }

    private void record(HttpExchange ex) throws IOException {
        Map<String, String> headers = new HashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
        try (InputStream in = ex.getRequestBody()) {
            requests.add(new Request(ex.getRequestURI().getPath(), headers, in.readAllBytes()));
        }
    }

    private static void respond(HttpExchange ex, int status) {
        try {
            ex.sendResponseHeaders(status, -1);
        } catch (IOException e) {
            // The client gave up waiting (a hanging endpoint); nothing to answer.
        } finally {
            ex.close();
        }
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(this, new TestInjector.AnnotatedAndMatchesType(Inject.class, WebhookReceiver.class));
    }

    /** Every request received at a path (e.g. {@code /ok/receiver}, {@code /fail}, {@code /hang}), in order. */
    public List<Request> requests(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).toList();
    }

    /** Lets every hanging request answer, and makes later ones hang again. */
    public void releaseHanging() {
        CountDownLatch old = release;
        release = new CountDownLatch(1);
        old.countDown();
    }

    @Override
    public void stop() {
        release.countDown();
        if (server != null) {
            server.stop(0);
        }
        if (threads != null) {
            threads.shutdownNow();
        }
    }
}
