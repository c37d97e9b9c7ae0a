package dev.holdfast.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.support.KeycloakServer;
import dev.holdfast.support.TestDatabase;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Swagger UI logs in through a real identity provider: the packaged service (prod profile) with
 * {@code quarkus.oidc.auth-server-url} set to a real Keycloak realm imported from {@code deploy/keycloak}, driven by
 * a real Chromium ({@code src/test/browser/swagger-login.mjs}, playwright-core). Without a login the API answers 401
 * in Swagger UI; after Authorize and a login on Keycloak's own page (authorization code with PKCE, public client
 * {@code holdfast-swagger}) the same Execute answers 200 with JSON.
 *
 * <p>Needs Chromium ({@code /usr/bin/chromium}, or {@code HOLDFAST_CHROMIUM}), Node.js and {@code npm ci} in
 * {@code src/test/browser}; it fails, never skips, when one is missing ({@code .ci/run} installs them).
 */
class SwaggerLoginIT {
    static final String CATALOG = "holdfast_swaggerit" + TestDatabase.SUFFIX;
    static final Path BROWSER_DIR = Path.of("src/test/browser");
    static final Path SCRIPT = BROWSER_DIR.resolve("swagger-login.mjs");
    static final String CHROMIUM = System.getenv().getOrDefault("HOLDFAST_CHROMIUM", "/usr/bin/chromium");
    static final ObjectMapper JSON = new ObjectMapper();

    static KeycloakServer keycloak;
    static Process service;
    static int port;
    static Path storage;

    @BeforeAll
    static void start() throws Exception {
        assertBrowserInstalled();
        TestDatabase.dropDatabase(CATALOG);
        TestDatabase.ensureDatabase(CATALOG);
        storage = Files.createTempDirectory("holdfast-swagger-it");
        keycloak = KeycloakServer.get();
        port = freePort();
        keycloak.allowRedirect("holdfast-swagger", swaggerUi() + "oauth2-redirect.html");
        service = startService();
    }

    @AfterAll
    static void stop() throws Exception {
        if (service != null && service.isAlive()) {
            service.destroy();
            if (!service.waitFor(30, TimeUnit.SECONDS)) {
                service.destroyForcibly();
            }
        }
        TestDatabase.dropDatabase(CATALOG);
    }

    @Test
    void swaggerUiLogsInThroughKeycloakAndThenCallsTheApi() throws Exception {
        String user = "swagger-viewer-" + UUID.randomUUID().toString().substring(0, 8);
        String password = randomSecret();
        keycloak.createUser(user, password, "backup-viewer");

        Instant started = Instant.now();
        JsonNode result = runBrowser(Map.of(
                "SWAGGER_URL",
                swaggerUi(),
                "API_PATH",
                "/api/backups",
                "LOGIN_USER",
                user,
                "LOGIN_PASSWORD",
                password));
        System.out.printf(
                "Swagger UI login and API calls took %d s in the browser%n",
                Duration.between(started, Instant.now()).toSeconds());

        assertThat(result.path("ok").asBoolean())
                .as(
                        "browser run failed at '%s': %s (screenshots in target/browser)",
                        result.path("failed_step"), result)
                .isTrue();
        assertThat(result.at("/without_login/status").asInt())
                .as("Execute before logging in")
                .isEqualTo(401);
        assertThat(result.at("/without_login/shown_status").asText()).isEqualTo("401");
        assertThat(result.at("/without_login/authorization_scheme").isNull()).isTrue();

        assertThat(result.path("login_section").asText()).contains("oidc").contains("authorization_code with PKCE");
        assertThat(result.path("client_id").asText()).isEqualTo("holdfast-swagger");
        assertThat(result.path("login_page").asText())
                .as("the login happened on Keycloak's own page")
                .isEqualTo(keycloak.realmUrl() + "/protocol/openid-connect/auth");
        assertThat(result.path("pkce_challenge_method").asText()).isEqualTo("S256");
        assertThat(result.path("redirect_uri").asText()).isEqualTo(swaggerUi() + "oauth2-redirect.html");
        assertThat(result.path("login_errors")).isEmpty();

        assertThat(result.at("/with_login/status").asInt())
                .as("Execute after logging in")
                .isEqualTo(200);
        assertThat(result.at("/with_login/shown_status").asText()).isEqualTo("200");
        assertThat(result.at("/with_login/authorization_scheme").asText()).isEqualTo("Bearer");
        assertThat(result.at("/with_login/content_type").asText()).startsWith("application/json");
        assertThat(result.at("/with_login/body_is_json").asBoolean()).isTrue();
        assertThat(result.at("/with_login/body_keys").toString()).contains("\"items\"", "\"total_items\"");
    }

    static String swaggerUi() {
        return "http://127.0.0.1:" + port + "/q/swagger-ui/";
    }

    /** Runs the browser script with its input in the environment and returns the JSON line it prints. */
    static JsonNode runBrowser(Map<String, String> input) throws Exception {
        Path out = Path.of("target/browser").toAbsolutePath();
        Files.createDirectories(out);
        Path stdout = out.resolve("swagger-login.json");
        Path stderr = out.resolve("swagger-login.stderr.log");
        ProcessBuilder pb = new ProcessBuilder("node", SCRIPT.getFileName().toString())
                .directory(BROWSER_DIR.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        pb.environment().putAll(input);
        pb.environment().put("CHROMIUM", CHROMIUM);
        pb.environment().put("ARTIFACTS", out.toString());
        Process node = pb.start();
        // Each step of the script has a 30 s timeout, so it ends by itself; this only guards against a hang.
        if (!node.waitFor(5, TimeUnit.MINUTES)) {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly();
            throw new IllegalStateException("the browser script did not end within 5 minutes");
        }
        String text = Files.readString(stdout, StandardCharsets.UTF_8).trim();
        String last = text.isEmpty() ? "" : text.substring(text.lastIndexOf('\n') + 1);
        if (!last.startsWith("{")) {
            throw new IllegalStateException("the browser script printed no result (exit " + node.exitValue()
                    + "); stdout: " + text + "; stderr: " + Files.readString(stderr));
        }
        return JSON.readTree(last);
    }

    /** The packaged jar as a process of its own, prod profile, its issuer the Keycloak realm. */
    static Process startService() throws Exception {
        Path log = Path.of("target/swagger-login-it.log");
        ProcessBuilder pb = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"),
                        "-jar",
                        Path.of("target/quarkus-app/quarkus-run.jar").toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false");
        env.put("QUARKUS_OIDC_AUTH_SERVER_URL", keycloak.realmUrl());
        env.put("HOLDFAST_DB_URL", TestDatabase.url(CATALOG));
        env.put("HOLDFAST_DB_USER", TestDatabase.USER);
        env.put("HOLDFAST_DB_PASSWORD", TestDatabase.PASSWORD);
        env.put("HOLDFAST_STORAGE_ROOT", storage.toString());
        Process p = pb.start();
        HttpClient http = HttpClient.newHttpClient();
        URI ready = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (Instant.now().isBefore(deadline)) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the service exited with " + p.exitValue() + "; see " + log);
            }
            try {
                if (http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200) {
                    return p;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        p.destroyForcibly();
        throw new IllegalStateException("the service did not become ready within 90 s; see " + log);
    }

    /** Fails (never skips) when Chromium, Node.js or playwright-core is missing, saying how to install it. */
    static void assertBrowserInstalled() {
        assertThat(Path.of(CHROMIUM))
                .as("Chromium for the browser test: apt-get install -y chromium (or set HOLDFAST_CHROMIUM)")
                .isExecutable();
        assertThat(onPath("node"))
                .as("Node.js for the browser test: apt-get install -y nodejs npm")
                .isTrue();
        assertThat(BROWSER_DIR.resolve("node_modules/playwright-core"))
                .as("playwright-core for the browser test: run `npm ci` in %s", BROWSER_DIR)
                .isDirectory();
    }

    static boolean onPath(String command) {
        return List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)).stream()
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static String randomSecret() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
