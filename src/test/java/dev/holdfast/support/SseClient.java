package dev.holdfast.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * A minimal Server-Sent Events client over real HTTP, collecting events until the server closes; every stream it
 * reads is checked against the event names and data schemas the committed OpenAPI document gives it.
 */
public final class SseClient {
    /** One received event. */
    public record Event(String name, String id, JsonNode data) {}

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private SseClient() {}

    /** Opens the stream; the future completes with every event once the server closes it. */
    public static CompletableFuture<List<Event>> collect(String url, String token) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(60))
                .build();
        return HttpClient.newHttpClient()
                .sendAsync(req, HttpResponse.BodyHandlers.ofLines())
                .thenApply(resp -> {
                    if (resp.statusCode() != 200) {
                        throw new IllegalStateException("SSE status " + resp.statusCode());
                    }
                    List<Event> events = parse(resp.body());
                    SseContract.get().check(url, events);
                    return events;
                });
    }

    static List<Event> parse(Stream<String> lines) {
        List<Event> events = new ArrayList<>();
        String name = null;
        String id = null;
        StringBuilder data = new StringBuilder();
        for (String line : (Iterable<String>) lines::iterator) {
            if (line.isEmpty()) {
                if (!data.isEmpty()) {
                    try {
                        events.add(new Event(name, id, MAPPER.readTree(data.toString())));
                    } catch (Exception e) {
                        throw new IllegalStateException("Bad SSE data: " + data, e);
                    }
                }
                name = null;
                id = null;
                data.setLength(0);
            } else if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("id:")) {
                id = line.substring(3).trim();
            } else if (line.startsWith("data:")) {
                if (!data.isEmpty()) {
                    data.append('\n');
                }
                data.append(line.substring(5).trim());
            }
        }
        return events;
    }
}
