package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.stream.Stream;

/**
 * The CLI's only way to the service: JSON over HTTP with the bearer token, problem+json answers turned into a
 * message and an exit code, and retries where a retry cannot duplicate work (reads, and creates that carry an
 * Idempotency-Key).
 */
final class ApiClient {
    /** How often a retryable request is tried in all. */
    static final int ATTEMPTS = 4;

    private final URI base;
    private final TokenSource tokens;
    private final HttpClient http;
    private final ObjectMapper json;
    private final Duration requestTimeout;
    private final Sleeper sleeper;

    /** Waits between attempts; a seam so that unit tests need not sleep. */
    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    ApiClient(
            URI base,
            TokenSource tokens,
            HttpClient http,
            ObjectMapper json,
            Duration requestTimeout,
            Sleeper sleeper) {
        this.base = base;
        this.tokens = tokens;
        this.http = http;
        this.json = json;
        this.requestTimeout = requestTimeout;
        this.sleeper = sleeper;
    }

    ObjectMapper json() {
        return json;
    }

    URI base() {
        return base;
    }

    JsonNode get(String path) {
        return call("GET", path, null, Map.of(), true);
    }

    JsonNode get(String path, Map<String, ?> query) {
        return get(path + query(query));
    }

    /** A POST; retried only when {@code idempotencyKey} is given (the service answers a repeat with the first). */
    JsonNode post(String path, Object body, String idempotencyKey) {
        Map<String, String> headers = idempotencyKey == null ? Map.of() : Map.of("Idempotency-Key", idempotencyKey);
        return call("POST", path, body, headers, idempotencyKey != null);
    }

    JsonNode put(String path, Object body) {
        return call("PUT", path, body, Map.of(), true);
    }

    void delete(String path) {
        call("DELETE", path, null, Map.of(), true);
    }

    /** A streamed GET (download, event stream), with an optional Range; the caller closes the body. */
    <T> HttpResponse<T> stream(String path, Map<String, String> headers, HttpResponse.BodyHandler<T> handler) {
        for (int attempt = 1; ; attempt++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).GET();
            headers.forEach(b::header);
            b.header("Authorization", "Bearer " + tokens.token());
            HttpResponse<T> r;
            try {
                r = http.send(b.build(), handler);
            } catch (IOException e) {
                if (attempt < ATTEMPTS) {
                    pause(attempt);
                    continue;
                }
                throw unreachable(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.UNAVAILABLE, "interrupted");
            }
            int status = r.statusCode();
            if (status < 400) {
                return r;
            }
            String body = drain(r.body());
            if (status == 401 && attempt == 1 && tokens.canRefresh()) {
                tokens.invalidate();
                continue;
            }
            if (retryable(status) && attempt < ATTEMPTS) {
                pause(attempt);
                continue;
            }
            throw refusal(status, "GET", path, body);
        }
    }

    Stream<String> lines(String path, Map<String, String> headers) {
        return stream(path, headers, HttpResponse.BodyHandlers.ofLines()).body();
    }

    InputStream download(String path, Map<String, String> headers) {
        return stream(path, headers, HttpResponse.BodyHandlers.ofInputStream()).body();
    }

    private JsonNode call(String method, String path, Object body, Map<String, String> headers, boolean retry) {
        String payload;
        try {
            payload = body == null ? null : json.writeValueAsString(body);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot write the request: " + e.getMessage());
        }
        for (int attempt = 1; ; attempt++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                    .timeout(requestTimeout)
                    .header("Accept", "application/json, application/problem+json")
                    .header("Authorization", "Bearer " + tokens.token());
            headers.forEach(b::header);
            if (payload != null) {
                b.header("Content-Type", "application/json");
                b.method(method, HttpRequest.BodyPublishers.ofString(payload));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                if (retry && attempt < ATTEMPTS) {
                    pause(attempt);
                    continue;
                }
                throw unreachable(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.UNAVAILABLE, "interrupted");
            }
            int status = r.statusCode();
            if (status < 400) {
                return parse(r.body());
            }
            if (status == 401 && attempt == 1 && tokens.canRefresh()) {
                tokens.invalidate();
                continue;
            }
            if (retry && retryable(status) && attempt < ATTEMPTS) {
                pause(attempt);
                continue;
            }
            throw refusal(status, method, path, r.body());
        }
    }

    private static boolean retryable(int status) {
        return status >= 500 || status == 429 || status == 408;
    }

    private void pause(int attempt) {
        try {
            sleeper.sleep(Duration.ofSeconds(1L << (attempt - 1)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.UNAVAILABLE, "interrupted");
        }
    }

    private CliException unreachable(IOException e) {
        return new CliException(
                ExitCodes.UNAVAILABLE,
                "cannot reach the service at " + base + ": "
                        + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }

    /** The service's problem document as one message: title, detail and each violation's field. */
    CliException refusal(int status, String method, String path, String body) {
        StringBuilder msg =
                new StringBuilder().append(method).append(' ').append(path).append(": ");
        JsonNode p = parse(body);
        if (p.hasNonNull("title")) {
            msg.append(status).append(' ').append(p.get("title").asText());
            if (p.hasNonNull("detail")) {
                msg.append(": ").append(p.get("detail").asText());
            }
            for (JsonNode v : p.path("violations")) {
                msg.append(System.lineSeparator())
                        .append("  ")
                        .append(v.path("field").asText("?"))
                        .append(": ")
                        .append(v.path("message").asText(""));
            }
        } else {
            msg.append("HTTP ").append(status);
        }
        return new CliException(ExitCodes.forStatus(status), msg.toString());
    }

    private JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(body);
        } catch (IOException e) {
            return json.createObjectNode();
        }
    }

    private static String drain(Object body) {
        try {
            if (body instanceof InputStream in) {
                try (in) {
                    return new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
                }
            }
            if (body instanceof Stream<?> s) {
                try (s) {
                    StringJoiner j = new StringJoiner("\n");
                    s.limit(200).forEach(x -> j.add(String.valueOf(x)));
                    return j.toString();
                }
            }
        } catch (IOException | RuntimeException e) {
            return "";
        }
        return String.valueOf(body);
    }

    /** A query string from the non-null values, encoded ({@code ?a=1&b=x}), or "". */
    static String query(Map<String, ?> params) {
        StringJoiner j = new StringJoiner("&", "?", "");
        j.setEmptyValue("");
        new LinkedHashMap<>(params).forEach((k, v) -> {
            if (v != null) {
                j.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(String.valueOf(v), StandardCharsets.UTF_8));
            }
        });
        return j.toString();
    }
}
