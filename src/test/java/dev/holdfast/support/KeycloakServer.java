package dev.holdfast.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Keycloak ({@code org.keycloak:keycloak-quarkus-dist}, unpacked by the build into {@code target/keycloak})
 * in dev mode, started once per JVM on first use and stopped when the JVM exits. It imports the realm operators
 * import ({@code deploy/keycloak/holdfast-realm.json}); tests add what only they need (users, redirect URIs)
 * through the admin REST API. The admin password is random per run and reaches Keycloak through its environment.
 */
public final class KeycloakServer {
    /** The realm of {@code deploy/keycloak/holdfast-realm.json}. */
    public static final String REALM = "holdfast";

    static final Path REALM_FILE = Path.of("deploy/keycloak/holdfast-realm.json");
    /** Keycloak 26 needs Java 21 or later; the tests themselves run on 17. */
    static final String JAVA_HOME =
            System.getenv().getOrDefault("HOLDFAST_KEYCLOAK_JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64");

    static final Duration START_TIMEOUT = Duration.ofMinutes(4);
    static final ObjectMapper JSON = new ObjectMapper();

    private static KeycloakServer instance;

    private final Process process;
    private final Path log;
    private final int port;
    private final String adminPassword;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private KeycloakServer(Process process, Path log, int port, String adminPassword) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.adminPassword = adminPassword;
    }

    /** The running server, started (and waited for) on the first call. */
    public static synchronized KeycloakServer get() {
        if (instance == null) {
            instance = start();
        }
        return instance;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The issuer of {@link #REALM}: what the service's quarkus.oidc.auth-server-url is set to. */
    public String realmUrl() {
        return url() + "/realms/" + REALM;
    }

    private static KeycloakServer start() {
        Path home = distribution();
        Path java = Path.of(JAVA_HOME, "bin", "java");
        if (!Files.isExecutable(java)) {
            throw new IllegalStateException("Keycloak needs Java 21 or later; none at " + java
                    + " (set HOLDFAST_KEYCLOAK_JAVA_HOME to a JDK 21+)");
        }
        try {
            // A fresh H2 database each run: --import-realm skips a realm that already exists, so an old one would
            // hide a change to the realm file.
            deleteTree(home.resolve("data"));
            Path imports = Files.createDirectories(home.resolve("data/import"));
            Files.copy(REALM_FILE, imports.resolve(REALM + "-realm.json"));
            int port = freePort();
            int management = freePort();
            byte[] secret = new byte[16];
            new SecureRandom().nextBytes(secret);
            String password = HexFormat.of().formatHex(secret);
            Path log = Path.of("target/keycloak.log").toAbsolutePath();
            ProcessBuilder pb = new ProcessBuilder(
                            // Through sh (its shebang): an unpacked zip need not keep the script's executable bit.
                            "sh",
                            home.resolve("bin/kc.sh").toString(),
                            "start-dev",
                            "--http-host=127.0.0.1",
                            "--http-port=" + port,
                            "--http-management-port=" + management,
                            "--import-realm")
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            Map<String, String> env = pb.environment();
            env.put("JAVA_HOME", JAVA_HOME);
            env.put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
            env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", password);
            // Keycloak's default heap would take a quarter of the machine.
            env.put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx768m");
            Instant started = Instant.now();
            KeycloakServer kc = new KeycloakServer(pb.start(), log, port, password);
            Runtime.getRuntime().addShutdownHook(new Thread(kc::stop, "keycloak-stop"));
            kc.awaitReady(started);
            System.out.printf(
                    "Keycloak ready at %s in %d s (log: %s)%n",
                    kc.url(), Duration.between(started, Instant.now()).toSeconds(), log);
            return kc;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start Keycloak from " + home, e);
        }
    }

    private static Path distribution() {
        String dir = System.getProperty("keycloak.dist");
        if (dir == null || !Files.isRegularFile(Path.of(dir, "bin/kc.sh"))) {
            throw new IllegalStateException("No Keycloak distribution at " + dir + ": the build unpacks"
                    + " org.keycloak:keycloak-quarkus-dist in pre-integration-test (run the ITs through"
                    + " `./mvnw verify`, which sets -Dkeycloak.dist)");
        }
        return Path.of(dir).toAbsolutePath();
    }

    private void awaitReady(Instant started) {
        URI probe = URI.create(realmUrl() + "/.well-known/openid-configuration");
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue()
                        + " before it was ready; last lines of " + log + ":\n" + tail());
            }
            if (Duration.between(started, Instant.now()).compareTo(START_TIMEOUT) > 0) {
                stop();
                throw new IllegalStateException(
                        "Keycloak was not ready within " + START_TIMEOUT + "; last lines of " + log + ":\n" + tail());
            }
            try {
                if (http.send(HttpRequest.newBuilder(probe).build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Keycloak", e);
            }
            sleep(500);
        }
    }

    /** The last lines of Keycloak's log, for failure messages. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    void stop() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Creates an enabled user of {@link #REALM} with a password and the given realm roles. */
    public void createUser(String username, String password, String... realmRoles) {
        ObjectNode user = JSON.createObjectNode()
                .put("username", username)
                .put("enabled", true)
                .put("emailVerified", true)
                .put("firstName", username)
                .put("lastName", "Test")
                .put("email", username + "@holdfast.test");
        user.putArray("credentials")
                .addObject()
                .put("type", "password")
                .put("value", password)
                .put("temporary", false);
        admin("POST", "/users", user);
        String id = admin("GET", "/users?exact=true&username=" + encode(username), null)
                .get(0)
                .get("id")
                .asText();
        ArrayNode roles = JSON.createArrayNode();
        for (String role : realmRoles) {
            roles.add(admin("GET", "/roles/" + encode(role), null));
        }
        admin("POST", "/users/" + id + "/role-mappings/realm", roles);
    }

    /** Ends every session {@code username} has at the provider (as an administrator or an idle timeout would). */
    public void endSessions(String username) {
        String id = admin("GET", "/users?exact=true&username=" + encode(username), null)
                .get(0)
                .get("id")
                .asText();
        admin("POST", "/users/" + id + "/logout", null);
    }

    /** The secret Keycloak generated for a confidential client of {@link #REALM} (read through the admin API). */
    public String clientSecret(String clientId) {
        String id = admin("GET", "/clients?clientId=" + encode(clientId), null)
                .get(0)
                .get("id")
                .asText();
        return admin("GET", "/clients/" + id + "/client-secret", null)
                .get("value")
                .asText();
    }

    /** Lets {@code clientId} redirect back to {@code redirectUri}, and call Keycloak from that URI's origin. */
    public void allowRedirect(String clientId, String redirectUri) {
        JsonNode client =
                admin("GET", "/clients?clientId=" + encode(clientId), null).get(0);
        ObjectNode updated = (ObjectNode) client;
        ((ArrayNode) updated.withArray("redirectUris")).add(redirectUri);
        admin("PUT", "/clients/" + client.get("id").asText(), updated);
    }

    private JsonNode admin(String method, String path, JsonNode body) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + "/admin/realms/" + REALM + path))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + adminToken())
                    .header("Content-Type", "application/json")
                    .method(
                            method,
                            body == null
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException("Keycloak admin " + method + " " + path + " answered "
                        + response.statusCode() + ": " + response.body());
            }
            return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String adminToken() throws IOException, InterruptedException {
        String form = "grant_type=password&client_id=admin-cli&username=admin&password=" + encode(adminPassword);
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(url() + "/realms/master/protocol/openid-connect/token"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("Keycloak refused the admin login: " + response.statusCode());
        }
        return JSON.readTree(response.body()).get("access_token").asText();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
