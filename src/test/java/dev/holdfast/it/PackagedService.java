package dev.holdfast.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.holdfast.support.TestDatabase;
import io.restassured.path.json.JsonPath;
import io.smallrye.jwt.build.Jwt;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The packaged jar ({@code target/quarkus-app}) as a process of its own, in the prod profile: its own catalog
 * database, archive storage directory and app database source, tokens signed by a key the test holds. Used by the
 * integration tests that kill, restart or replace the service.
 */
final class PackagedService {
    /** Where one instance keeps its state, and who may call it. */
    record Settings(String catalogDb, String appDb, Path storage, KeyPair key, String issuer) {
        /** A fresh RSA key pair for signing this run's tokens. */
        static KeyPair newKey() throws Exception {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        }

        /** A backup-admin token this instance accepts. */
        String token() {
            return token("it", "backup-admin");
        }

        /** A token of {@code user} with {@code roles} this instance accepts. */
        String token(String user, String... roles) {
            return Jwt.subject("sub-" + user)
                    .preferredUserName(user)
                    .groups(Set.of(roles))
                    .issuer(issuer)
                    .expiresIn(900)
                    .jws()
                    .keyId("1")
                    .sign(key.getPrivate());
        }
    }

    final Process process;
    final int port;
    final Settings settings;
    final HttpClient http = HttpClient.newHttpClient();

    private PackagedService(Process process, int port, Settings settings) {
        this.process = process;
        this.port = port;
        this.settings = settings;
    }

    /** Starts an instance and waits until it is ready. */
    static PackagedService start(Settings settings, String instanceId, String log) throws Exception {
        return start(settings, instanceId, log, Map.of());
    }

    /** Starts an instance with extra environment (configuration) and waits until it is ready. */
    static PackagedService start(Settings settings, String instanceId, String log, Map<String, String> extraEnv)
            throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"),
                        "-jar",
                        Path.of("target/quarkus-app/quarkus-run.jar").toString())
                .redirectErrorStream(true)
                .redirectOutput(new File(log));
        Map<String, String> env = pb.environment();
        env.remove("QUARKUS_OIDC_AUTH_SERVER_URL");
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        env.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false");
        env.put("HOLDFAST_DB_URL", TestDatabase.url(settings.catalogDb()));
        env.put("HOLDFAST_DB_USER", TestDatabase.USER);
        env.put("HOLDFAST_DB_PASSWORD", TestDatabase.PASSWORD);
        env.put(
                "QUARKUS_OIDC_PUBLIC_KEY",
                Base64.getEncoder().encodeToString(settings.key().getPublic().getEncoded()));
        env.put("QUARKUS_OIDC_TOKEN_ISSUER", settings.issuer());
        env.put("HOLDFAST_STORAGE_ROOT", settings.storage().toString());
        env.put("HOLDFAST_DATABASES_APP_JDBC_URL", TestDatabase.url(settings.appDb()));
        env.put("HOLDFAST_DATABASES_APP_USERNAME", TestDatabase.USER);
        env.put("HOLDFAST_DATABASES_APP_PASSWORD", TestDatabase.PASSWORD);
        env.put("HOLDFAST_JOBS_INSTANCE_ID", instanceId);
        // A short lease so that a dead instance's job is taken over within seconds.
        env.put("HOLDFAST_JOBS_LEASE", "4s");
        env.put("HOLDFAST_JOBS_HEARTBEAT_INTERVAL", "1s");
        // Tokens are checked with a public key, not a provider's discovery document, so there is nothing for the
        // dashboard's browser login (code flow) to talk to: its tenant is off, as docs/dashboard.md says to do.
        env.put("QUARKUS_OIDC_WEB_TENANT_ENABLED", "false");
        env.putAll(extraEnv);
        if (extraEnv.containsKey("QUARKUS_OIDC_AUTH_SERVER_URL")) {
            // A real identity provider: its keys and issuer come from its discovery document.
            env.remove("QUARKUS_OIDC_PUBLIC_KEY");
            env.remove("QUARKUS_OIDC_TOKEN_ISSUER");
            env.remove("QUARKUS_OIDC_WEB_TENANT_ENABLED");
        }
        PackagedService s = new PackagedService(pb.start(), port, settings);
        try {
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .until(s::ready);
        } catch (RuntimeException e) {
            s.kill();
            throw new IllegalStateException("the service did not become ready; see " + log, e);
        }
        return s;
    }

    boolean ready() {
        if (!process.isAlive()) {
            throw new IllegalStateException("the service exited with " + process.exitValue());
        }
        try {
            return http.send(
                                    HttpRequest.newBuilder(uri("/q/health/ready"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (Exception e) {
            return false;
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    JsonPath get(String path) {
        return new JsonPath(given().auth()
                .oauth2(settings.token())
                .get(uri(path))
                .then()
                .statusCode(200)
                .extract()
                .asString());
    }

    JsonPath post(String path, String body) {
        return new JsonPath(given().auth()
                .oauth2(settings.token())
                .contentType("application/json")
                .body(body)
                .post(uri(path))
                .then()
                .statusCode(org.hamcrest.Matchers.oneOf(201, 202))
                .extract()
                .asString());
    }

    /** SIGKILL: no shutdown hook, no rollback by the service, no outcome recorded. */
    void kill() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    void stop() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
