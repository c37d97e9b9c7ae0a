package dev.holdfast.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CLI's parts against a local HTTP server: the client-credentials grant and its refresh, which requests are
 * retried (never an unkeyed create), how refusals become exit codes, the health check's rules, confirmation.
 */
class CliPartsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    HttpServer server;
    final List<String> seen = new CopyOnWriteArrayList<>();
    final AtomicInteger tokensIssued = new AtomicInteger();
    final AtomicInteger backupPosts = new AtomicInteger();
    volatile int failFirstPosts;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(
                "/realm/.well-known/openid-configuration",
                x -> answer(
                        x,
                        200,
                        "{\"token_endpoint\":\"http://127.0.0.1:"
                                + server.getAddress().getPort() + "/realm/token\"}"));
        server.createContext("/realm/token", x -> {
            String form = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add("token " + form);
            if (!form.contains("client_secret=s3cr%2Bt")) {
                answer(x, 401, "{\"error\":\"unauthorized_client\",\"error_description\":\"Invalid client secret\"}");
                return;
            }
            answer(x, 200, "{\"access_token\":\"tok-" + tokensIssued.incrementAndGet() + "\",\"expires_in\":60}");
        });
        server.createContext("/api/backups", x -> {
            seen.add(x.getRequestMethod() + " " + x.getRequestURI() + " "
                    + x.getRequestHeaders().getFirst("Authorization") + " key="
                    + x.getRequestHeaders().getFirst("Idempotency-Key"));
            if ("POST".equals(x.getRequestMethod()) && backupPosts.incrementAndGet() <= failFirstPosts) {
                answer(x, 503, "{\"type\":\"about:blank\",\"title\":\"Service Unavailable\",\"status\":503}");
                return;
            }
            if (x.getRequestURI().getPath().endsWith("/locked")) {
                answer(
                        x,
                        409,
                        "{\"type\":\"about:blank\",\"title\":\"Conflict\",\"status\":409,"
                                + "\"detail\":\"backup is protected\"}");
                return;
            }
            if (x.getRequestURI().getPath().endsWith("/bad")) {
                answer(
                        x,
                        400,
                        "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,\"detail\":\"invalid\","
                                + "\"violations\":[{\"field\":\"backup_type\",\"message\":\"must be full, database or media\"}]}");
                return;
            }
            answer(x, 202, "{\"resource\":{\"id\":\"b\"},\"job\":{\"id\":\"j\"}}");
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static void answer(com.sun.net.httpserver.HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", status >= 400 ? "application/problem+json" : "application/json");
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    /** A clock the test moves. */
    static final class MovingClock extends Clock {
        Instant now = Instant.parse("2026-12-04T12:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    ApiClient client(TokenSource tokens, List<Duration> pauses) {
        return new ApiClient(
                URI.create(base()), tokens, HttpClient.newHttpClient(), JSON, Duration.ofSeconds(10), pauses::add);
    }

    TokenSource clientCredentials(MovingClock clock, String secret) {
        return TokenSource.from(
                Map.of(
                        "HOLDFAST_OIDC_ISSUER",
                        base() + "realm",
                        "HOLDFAST_CLIENT_ID",
                        "holdfast-cronjob",
                        "HOLDFAST_CLIENT_SECRET",
                        secret),
                null,
                HttpClient.newHttpClient(),
                JSON,
                clock);
    }

    @Test
    void clientCredentialsAreFetchedOnceAndAgainBeforeTheTokenExpires() {
        MovingClock clock = new MovingClock();
        TokenSource tokens = clientCredentials(clock, "s3cr+t");
        assertThat(tokens.token()).isEqualTo("tok-1");
        clock.now = clock.now.plusSeconds(20);
        assertThat(tokens.token()).as("still valid for 40 s").isEqualTo("tok-1");
        clock.now = clock.now.plusSeconds(15);
        assertThat(tokens.token()).as("25 s left, within the refresh margin").isEqualTo("tok-2");
        // The secret travels form-encoded in the body, never in a URL.
        assertThat(seen).allMatch(s -> s.startsWith("token grant_type=client_credentials&client_id=holdfast-cronjob"));
        assertThat(tokens.toString()).doesNotContain("s3cr");
    }

    @Test
    void aRefusedSecretIsAnAuthenticationErrorThatDoesNotPrintIt() {
        TokenSource tokens = clientCredentials(new MovingClock(), "wrong-secret-77");
        assertThatThrownBy(tokens::token).isInstanceOfSatisfying(CliException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCodes.AUTH);
            assertThat(e.getMessage())
                    .contains("unauthorized_client", "Invalid client secret")
                    .doesNotContain("wrong-secret-77");
        });
    }

    @Test
    void aKeyedCreateIsRetriedWithTheSameKeyAnUnkeyedPostIsNot() {
        List<Duration> pauses = new ArrayList<>();
        ApiClient api = client(
                TokenSource.from(Map.of("HOLDFAST_TOKEN", "given"), null, null, JSON, Clock.systemUTC()), pauses);
        failFirstPosts = 2;
        JsonNode answer = api.post("api/backups", Map.of("backup_type", "database"), "key-1");
        assertThat(answer.path("job").path("id").asText()).isEqualTo("j");
        assertThat(seen)
                .containsExactly(
                        "POST /api/backups Bearer given key=key-1",
                        "POST /api/backups Bearer given key=key-1",
                        "POST /api/backups Bearer given key=key-1");
        assertThat(pauses).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));

        seen.clear();
        backupPosts.set(0);
        failFirstPosts = 1;
        assertThatThrownBy(() -> api.post("api/backups", Map.of(), null))
                .isInstanceOfSatisfying(
                        CliException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE));
        assertThat(seen).hasSize(1);
    }

    @Test
    void refusalsBecomeMessagesAndExitCodes() {
        ApiClient api = client(
                TokenSource.from(Map.of("HOLDFAST_TOKEN", "given"), null, null, JSON, Clock.systemUTC()),
                new ArrayList<>());
        assertThatThrownBy(() -> api.delete("api/backups/locked")).isInstanceOfSatisfying(CliException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCodes.CONFLICT);
            assertThat(e.getMessage()).contains("409 Conflict: backup is protected");
        });
        assertThatThrownBy(() -> api.get("api/backups/bad")).isInstanceOfSatisfying(CliException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
            assertThat(e.getMessage()).contains("backup_type: must be full, database or media");
        });
        assertThat(ExitCodes.forStatus(401)).isEqualTo(ExitCodes.AUTH);
        assertThat(ExitCodes.forStatus(403)).isEqualTo(ExitCodes.AUTH);
        assertThat(ExitCodes.forStatus(502)).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(ExitCodes.forStatus(429)).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(ExitCodes.forStatus(422)).isEqualTo(ExitCodes.USAGE);
        assertThat(List.of(
                        ExitCodes.OK,
                        ExitCodes.FAILED,
                        ExitCodes.USAGE,
                        ExitCodes.AUTH,
                        ExitCodes.UNAVAILABLE,
                        ExitCodes.WAIT_TIMEOUT,
                        ExitCodes.CONFLICT))
                .doesNotHaveDuplicates();
    }

    @Test
    void secretsAreNeverOptionsAndMissingCredentialsSayWhatToSet() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = HoldfastCli.run(
                new String[] {"backup", "list", "--client-secret", "hunter2-secret", "--client-secret=hunter3"},
                Map.of(),
                new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err),
                noTerminal());
        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString())
                .contains("unknown option [--client-secret", "secrets are never options")
                .doesNotContain("hunter2", "hunter3");

        err.reset();
        code = HoldfastCli.run(
                new String[] {"backup", "list"},
                Map.of(),
                new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err),
                noTerminal());
        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("HOLDFAST_TOKEN", "HOLDFAST_CLIENT_ID");
    }

    @Test
    void theHealthCheckWarnsAboutFailuresOverdueSchedulesAgeAndSpace() throws IOException {
        JsonNode stats = JSON.readTree("""
                {"sources":[
                  {"source":"app","kind":"database","last_success":{"at":"2026-12-04T10:00:00Z"},
                   "last_failure":{"at":"2026-12-04T11:00:00Z","error":"lock timeout"}},
                  {"source":"uploads","kind":"media","last_success":{"at":"2026-12-01T10:00:00Z"}},
                  {"source":"new","kind":"database"}],
                 "schedules":[{"name":"nightly","enabled":true,"overdue":true,"alert_after_seconds":93600},
                              {"name":"off","enabled":false,"overdue":true,"alert_after_seconds":60}],
                 "storage":{"free_percent":4.5}}""");
        List<String> problems =
                StatusCommand.problems(stats, Instant.parse("2026-12-04T12:00:00Z"), Duration.ofHours(26), 10);
        assertThat(problems)
                .containsExactly(
                        "database app: last backup failed at 2026-12-04T11:00:00Z: lock timeout",
                        "media uploads: last successful backup 2026-12-01T10:00:00Z is older than 26h00m00s",
                        "database new: no successful backup yet",
                        "schedule nightly: overdue (no successful backup within 26h00m00s)",
                        "storage: 4.5% free, below 10.0%");
        JsonNode healthy = JSON.readTree("""
                {"sources":[{"source":"app","kind":"database","last_success":{"at":"2026-12-04T10:00:00Z"},
                   "last_failure":{"at":"2026-12-03T11:00:00Z"}}],
                 "schedules":[],"storage":{"free_percent":50}}""");
        assertThat(StatusCommand.problems(healthy, Instant.parse("2026-12-04T12:00:00Z"), null, 10))
                .isEmpty();
    }

    @Test
    void aDestructiveCommandAsksAtATerminalAndRefusesWithoutOne() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Context typed = new Context(null, null, null, terminal("yes"), new PrintStream(err), Map.of());
        typed.confirm(false, "Delete?", "yes");
        assertThat(err.toString()).contains("Delete? Type 'yes' to go on");
        Context other = new Context(null, null, null, terminal("no"), new PrintStream(err), Map.of());
        assertThatThrownBy(() -> other.confirm(false, "Delete?", "yes")).hasMessageContaining("not confirmed");
        Context script = new Context(null, null, null, noTerminal(), new PrintStream(err), Map.of());
        assertThatThrownBy(() -> script.confirm(false, "Delete?", "yes")).hasMessageContaining("--yes");
        script.confirm(true, "Delete?", "yes");
    }

    @Test
    void durationsAndProgressLines() throws IOException {
        assertThat(Durations.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("PT5M")).isEqualTo(Duration.ofMinutes(5));
        assertThatThrownBy(() -> Durations.parse("soon")).hasMessageContaining("90s, 30m, 2h or 1d");
        JsonNode event = JSON.readTree("""
                {"state":"RUNNING","progress":{"phase":"copy","percent":45.0,"bytes_done":1572864,
                 "bytes_total":3145728,"rows_done":1234567,"rows_total":3000000,"items_done":3,"items_total":8,"eta_seconds":42,"current_item":"public.orders"}}""");
        assertThat(ProgressView.describe(event))
                .isEqualTo("RUNNING copy 45.0% 1.5 MiB/3.0 MiB rows 1.2M/3.0M items 3/8 ETA 42s public.orders");
        assertThat(ProgressView.resolve(ProgressView.Mode.auto, true)).isEqualTo(ProgressView.Mode.bar);
        assertThat(ProgressView.resolve(ProgressView.Mode.auto, false)).isEqualTo(ProgressView.Mode.plain);
    }

    static HoldfastCli.Terminal terminal(String typed) {
        return new HoldfastCli.Terminal() {
            @Override
            public boolean interactive() {
                return true;
            }

            @Override
            public String readLine() {
                return typed;
            }
        };
    }

    static HoldfastCli.Terminal noTerminal() {
        return new HoldfastCli.Terminal() {
            @Override
            public boolean interactive() {
                return false;
            }

            @Override
            public String readLine() {
                return null;
            }
        };
    }
}
