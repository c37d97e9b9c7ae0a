package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Where the CLI's bearer token comes from: a token given in the environment or a file, or the OAuth2
 * client-credentials grant against the identity provider, fetched on first use and fetched again before it expires.
 * Secrets are read from the environment or files only, never from the command line, and are never printed.
 */
final class TokenSource {
    /** Refresh a fetched token this long before it expires, so a request never leaves with a dying token. */
    static final Duration REFRESH_MARGIN = Duration.ofSeconds(30);

    private final String staticToken;
    private final URI issuer;
    private final URI tokenEndpoint;
    private final String clientId;
    private final String clientSecret;
    private final String scope;
    private final HttpClient http;
    private final ObjectMapper json;
    private final Clock clock;

    private String fetched;
    private Instant fetchedExpires = Instant.MIN;

    private TokenSource(
            String staticToken,
            URI issuer,
            URI tokenEndpoint,
            String clientId,
            String clientSecret,
            String scope,
            HttpClient http,
            ObjectMapper json,
            Clock clock) {
        this.staticToken = staticToken;
        this.issuer = issuer;
        this.tokenEndpoint = tokenEndpoint;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.scope = scope;
        this.http = http;
        this.json = json;
        this.clock = clock;
    }

    /**
     * Reads the configuration: {@code HOLDFAST_TOKEN} or {@code HOLDFAST_TOKEN_FILE} (or {@code tokenFile}) for a
     * given token; else {@code HOLDFAST_OIDC_ISSUER} (or {@code HOLDFAST_OIDC_TOKEN_URL}), {@code HOLDFAST_CLIENT_ID}
     * and {@code HOLDFAST_CLIENT_SECRET} or {@code HOLDFAST_CLIENT_SECRET_FILE} for the client-credentials grant.
     */
    static TokenSource from(Map<String, String> env, Path tokenFile, HttpClient http, ObjectMapper json, Clock clock) {
        String token = blankToNull(env.get("HOLDFAST_TOKEN"));
        Path file = tokenFile != null ? tokenFile : pathOrNull(env.get("HOLDFAST_TOKEN_FILE"));
        if (token != null && file != null) {
            throw new CliException(ExitCodes.USAGE, "give the token once: HOLDFAST_TOKEN or a token file, not both");
        }
        if (file != null) {
            token = readSecret(file, "token file");
        }
        String issuer = blankToNull(env.get("HOLDFAST_OIDC_ISSUER"));
        String tokenUrl = blankToNull(env.get("HOLDFAST_OIDC_TOKEN_URL"));
        String clientId = blankToNull(env.get("HOLDFAST_CLIENT_ID"));
        if (token != null) {
            return new TokenSource(token, null, null, null, null, null, http, json, clock);
        }
        if (issuer == null && tokenUrl == null) {
            throw new CliException(
                    ExitCodes.USAGE,
                    "no credentials: set HOLDFAST_TOKEN or HOLDFAST_TOKEN_FILE (or --token-file), or HOLDFAST_OIDC_ISSUER,"
                            + " HOLDFAST_CLIENT_ID and HOLDFAST_CLIENT_SECRET(_FILE) for the client-credentials grant");
        }
        if (clientId == null) {
            throw new CliException(ExitCodes.USAGE, "HOLDFAST_CLIENT_ID is needed for the client-credentials grant");
        }
        String secret = blankToNull(env.get("HOLDFAST_CLIENT_SECRET"));
        Path secretFile = pathOrNull(env.get("HOLDFAST_CLIENT_SECRET_FILE"));
        if (secret == null && secretFile != null) {
            secret = readSecret(secretFile, "client secret file");
        }
        if (secret == null) {
            throw new CliException(
                    ExitCodes.USAGE,
                    "HOLDFAST_CLIENT_SECRET or HOLDFAST_CLIENT_SECRET_FILE is needed for the client-credentials grant");
        }
        return new TokenSource(
                null,
                issuer == null ? null : URI.create(issuer.endsWith("/") ? issuer : issuer + "/"),
                tokenUrl == null ? null : URI.create(tokenUrl),
                clientId,
                secret,
                blankToNull(env.get("HOLDFAST_OIDC_SCOPE")),
                http,
                json,
                clock);
    }

    /** Whether a refused token may be replaced by fetching a new one (only a fetched token can). */
    boolean canRefresh() {
        return staticToken == null;
    }

    /** Forgets a fetched token (the service refused it), so that the next call fetches a new one. */
    synchronized void invalidate() {
        fetched = null;
        fetchedExpires = Instant.MIN;
    }

    /** The token to send now. */
    synchronized String token() {
        if (staticToken != null) {
            return staticToken;
        }
        if (fetched == null || !clock.instant().isBefore(fetchedExpires.minus(REFRESH_MARGIN))) {
            fetch();
        }
        return fetched;
    }

    private void fetch() {
        URI endpoint = tokenEndpoint != null ? tokenEndpoint : discover();
        StringBuilder form = new StringBuilder("grant_type=client_credentials")
                .append("&client_id=")
                .append(URLEncoder.encode(clientId, StandardCharsets.UTF_8))
                .append("&client_secret=")
                .append(URLEncoder.encode(clientSecret, StandardCharsets.UTF_8));
        if (scope != null) {
            form.append("&scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        }
        HttpRequest request = HttpRequest.newBuilder(endpoint)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form.toString()))
                .build();
        HttpResponse<String> response = send(request, "token endpoint " + endpoint);
        JsonNode body = parse(response.body());
        if (response.statusCode() != 200 || !body.hasNonNull("access_token")) {
            String why = body.path("error").asText("HTTP " + response.statusCode());
            String detail = body.path("error_description").asText("");
            throw new CliException(
                    response.statusCode() >= 500 ? ExitCodes.UNAVAILABLE : ExitCodes.AUTH,
                    "the identity provider refused the client-credentials grant for client '" + clientId + "': " + why
                            + (detail.isEmpty() ? "" : " (" + detail + ")"));
        }
        fetched = body.get("access_token").asText();
        long expiresIn = body.path("expires_in").asLong(60);
        fetchedExpires = clock.instant().plusSeconds(Math.max(expiresIn, 1));
    }

    private URI discover() {
        URI wellKnown = issuer.resolve(".well-known/openid-configuration");
        HttpResponse<String> response = send(
                HttpRequest.newBuilder(wellKnown)
                        .timeout(Duration.ofSeconds(30))
                        .header("Accept", "application/json")
                        .GET()
                        .build(),
                "OIDC discovery " + wellKnown);
        JsonNode body = parse(response.body());
        if (response.statusCode() != 200 || !body.hasNonNull("token_endpoint")) {
            throw new CliException(
                    response.statusCode() >= 500 ? ExitCodes.UNAVAILABLE : ExitCodes.USAGE,
                    "no token_endpoint in " + wellKnown + " (HTTP " + response.statusCode()
                            + "); set HOLDFAST_OIDC_TOKEN_URL or check HOLDFAST_OIDC_ISSUER");
        }
        return URI.create(body.get("token_endpoint").asText());
    }

    private HttpResponse<String> send(HttpRequest request, String what) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNAVAILABLE, "cannot reach the " + what + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.UNAVAILABLE, "interrupted while calling the " + what);
        }
    }

    private JsonNode parse(String body) {
        try {
            return json.readTree(body == null || body.isBlank() ? "{}" : body);
        } catch (IOException e) {
            return json.createObjectNode();
        }
    }

    private static String readSecret(Path file, String what) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (s.isEmpty()) {
                throw new CliException(ExitCodes.USAGE, "the " + what + " " + file + " is empty");
            }
            return s;
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read the " + what + " " + file + ": " + e.getMessage());
        }
    }

    private static Path pathOrNull(String s) {
        return blankToNull(s) == null ? null : Path.of(s.strip());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    @Override
    public String toString() {
        return staticToken != null ? "TokenSource[given token]" : "TokenSource[client " + clientId + "]";
    }
}
