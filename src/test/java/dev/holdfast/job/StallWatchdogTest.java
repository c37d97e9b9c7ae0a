package dev.holdfast.job;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.restore.RestoreApiTest;
import dev.holdfast.stats.Metrics;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.SseClient;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import dev.holdfast.support.WebhookReceiver;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.URL;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The stall watchdog against a real server: a restore blocked by a lock a test connection holds is reported stalled
 * (SSE event, the job, the gauge, a webhook) naming the table and the holding session, and goes on once the lock is
 * released; a slow job whose progress moves is never reported; a job that moves nothing and waits on no server is
 * Holdfast's own stall. Stall warnings are one second here (the heartbeat runs every second).
 */
@QuarkusTest
@TestProfile(StallWatchdogTest.ShortStalls.class)
class StallWatchdogTest {
    static final Object RESOURCES = TestResources.class;
    static final ObjectMapper JSON = new ObjectMapper();

    /** One-second stall warnings for restores and the test's step jobs, none for the rest; stalls told by webhook. */
    public static class ShortStalls implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "holdfast.jobs.stall-warning", "off",
                    "holdfast.jobs.types.restore.stall-warning", "1s",
                    "holdfast.jobs.types.\"test.steps\".stall-warning", "1s",
                    "holdfast.notifications.default-webhooks", "receiver");
        }
    }

    @TestHTTPResource("/api/jobs/")
    URL jobsUrl;

    @Inject
    JobService jobs;

    @Inject
    JobMetrics metrics;

    @WebhookReceiver.Inject
    WebhookReceiver hooks;

    static JsonNode job(UUID id) throws Exception {
        return JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/jobs/{id}", id)
                .then()
                .statusCode(200)
                .extract()
                .asString());
    }

    /** The webhook bodies of job.stalled about this job. */
    List<JsonNode> stallHooks(UUID jobId) {
        return hooks.requests("/ok/receiver").stream()
                .map(r -> {
                    try {
                        return JSON.readTree(r.body());
                    } catch (java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .filter(b -> b.path("event").asText().equals("job.stalled")
                        && b.path("job").path("id").asText().equals(jobId.toString()))
                .toList();
    }

    double stalledGauge(String type) {
        metrics.refreshStalled();
        return Metrics.scrape().valueOrZero("holdfast_jobs_stalled", Map.of("type", type));
    }

    /** Queues a test job of {@code n} steps, each sleeping {@code millis} before it reports progress. */
    UUID steps(int n, int millis) {
        return jobs.enqueue(TestJobHandlers.Steps.TYPE, new TestJobHandlers.StepsPayload(n, millis, null), null, "t")
                .id;
    }

    /** The job's whole event stream, which must end with its success. */
    List<SseClient.Event> eventsUntilSucceeded(UUID id) throws Exception {
        List<SseClient.Event> got = SseClient.collect(jobsUrl + id.toString() + "/events", Tokens.viewer())
                .get(60, TimeUnit.SECONDS);
        assertThat(got.get(got.size() - 1).data().get("state").asText()).isEqualTo("SUCCEEDED");
        return got;
    }

    @Test
    void aRestoreWaitingForALockHeldElsewhereIsReportedStalledNamingTheTableAndTheHolder() throws Exception {
        AppDatabase.reset();
        UUID backup = RestoreApiTest.backup();
        try (Connection holder = TestDatabase.connect(TestDatabase.APP_DB)) {
            holder.setAutoCommit(false);
            int holderPid;
            try (Statement st = holder.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                holderPid = rs.getInt(1);
                st.execute("LOCK TABLE public.auth_user IN ACCESS SHARE MODE");
            }
            UUID restore = RestoreApiTest.restore(backup, "{\"restore_mode\":\"replace\",\"create_pre_backup\":false}");
            UUID jobId = UUID.fromString(given().auth()
                    .oauth2(Tokens.viewer())
                    .get("/api/restores/{id}", restore)
                    .jsonPath()
                    .getString("job_id"));
            CompletableFuture<List<SseClient.Event>> events =
                    SseClient.collect(jobsUrl + jobId.toString() + "/events", Tokens.viewer());

            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> !job(jobId).path("stall").isNull());
            JsonNode stall = job(jobId).get("stall");
            assertThat(job(jobId).get("state").asText()).isEqualTo("RUNNING");
            assertThat(stall.get("type").asText()).isEqualTo("restore");
            assertThat(stall.get("server_wait").asBoolean())
                    .as(stall.toString())
                    .isTrue();
            assertThat(stall.get("cancelled").asBoolean()).isFalse();
            JsonNode wait = stall.get("lock_waits").get(0);
            assertThat(wait.get("relation").asText()).isEqualTo("public.auth_user");
            assertThat(wait.get("mode").asText()).isEqualTo("AccessExclusiveLock");
            assertThat(wait.get("database").asText()).isEqualTo(TestDatabase.APP_DB);
            JsonNode by = wait.get("blocked_by").get(0);
            assertThat(by.get("pid").asInt()).isEqualTo(holderPid);
            assertThat(by.get("state").asText()).isEqualTo("idle in transaction");
            assertThat(by.get("held_modes").asText()).isEqualTo("AccessShareLock");
            assertThat(stall.get("diagnosis").asText())
                    .contains("table public.auth_user")
                    .contains("held by pid " + holderPid);
            assertThat(stalledGauge("restore")).isEqualTo(1.0);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> !stallHooks(jobId).isEmpty());
            JsonNode told = stallHooks(jobId).get(0).get("job");
            assertThat(told.get("diagnosis").asText())
                    .isEqualTo(stall.get("diagnosis").asText());
            assertThat(told.get("lock_waits")
                            .get(0)
                            .get("blocked_by")
                            .get(0)
                            .get("pid")
                            .asInt())
                    .isEqualTo(holderPid);

            // Not stopped: once the lock is released the restore goes on and succeeds.
            holder.rollback();
            List<SseClient.Event> got = events.get(120, TimeUnit.SECONDS);
            assertThat(RestoreApiTest.awaitRestore(restore).get("status").asText())
                    .isEqualTo("SUCCEEDED");
            List<String> names = got.stream().map(SseClient.Event::name).toList();
            assertThat(names).contains("stalled").endsWith("end");
            SseClient.Event stalled = got.stream()
                    .filter(e -> e.name().equals("stalled"))
                    .findFirst()
                    .orElseThrow();
            assertThat(stalled.data().get("job_id").asText()).isEqualTo(jobId.toString());
            assertThat(stalled.data().get("diagnosis").asText())
                    .isEqualTo(stall.get("diagnosis").asText());
            assertThat(job(jobId).get("stall").isNull()).isTrue();
            assertThat(stalledGauge("restore")).isZero();
        }
    }

    @Test
    void aSlowJobWhoseProgressMovesIsNeverReportedStalled() throws Exception {
        // 25 steps of 200 ms: five seconds in all, five times the stall warning, but every step moves a counter.
        UUID id = steps(25, 200);
        List<SseClient.Event> got = eventsUntilSucceeded(id);
        assertThat(got.stream().filter(e -> e.name().equals("progress")).count())
                .isGreaterThan(5);
        assertThat(got).noneMatch(e -> e.name().equals("stalled"));
        assertThat(stallHooks(id)).isEmpty();
    }

    @Test
    void aJobThatMovesNothingAndWaitsOnNoServerIsHoldfastsOwnStall() throws Exception {
        // Two steps of three seconds: nothing moves for three seconds at a time, and no database session waits.
        UUID id = steps(2, 3000);
        List<SseClient.Event> got = eventsUntilSucceeded(id);
        JsonNode stalled = got.stream()
                .filter(e -> e.name().equals("stalled"))
                .findFirst()
                .orElseThrow()
                .data();
        assertThat(stalled.get("server_wait").asBoolean()).isFalse();
        assertThat(stalled.get("lock_waits")).isEmpty();
        assertThat(stalled.get("diagnosis").asText()).isEqualTo("no server wait: Holdfast's own stall");
        await().atMost(Duration.ofSeconds(30)).until(() -> !stallHooks(id).isEmpty());
    }
}
