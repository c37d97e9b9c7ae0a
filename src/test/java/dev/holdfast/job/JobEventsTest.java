package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.support.SseClient;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.net.URL;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Live progress over SSE: sequence, terminal event, late clients, and events from another instance. */
@QuarkusTest
class JobEventsTest {
    static final Object RESOURCES = TestResources.class;

    @TestHTTPResource("/api/jobs/")
    URL jobsUrl;

    @Inject
    JobService jobs;

    @Inject
    AgroalDataSource ds;

    @Inject
    ObjectMapper mapper;

    @Inject
    ProgressBus bus;

    @Test
    void streamSendsStateThenEachProgressThenOneEndEventAndCloses() throws Exception {
        // The job waits on a busy resource so the client is surely connected before it starts.
        String key = "sse-" + UUID.randomUUID();
        UUID blocker =
                jobs.enqueue(TestJobHandlers.Steps.TYPE, new TestJobHandlers.StepsPayload(5, 100, null), key, "t").id;
        UUID id = jobs.enqueue(TestJobHandlers.Steps.TYPE, new TestJobHandlers.StepsPayload(8, 150, null), key, "t").id;
        CompletableFuture<List<SseClient.Event>> events =
                SseClient.collect(jobsUrl + id.toString() + "/events", Tokens.viewer());
        List<SseClient.Event> got = events.get(60, TimeUnit.SECONDS);

        assertThat(got.get(0).name()).isEqualTo("state");
        assertThat(got.get(0).data().get("id").asText()).isEqualTo(id.toString());
        assertThat(got.get(0).data().get("state").asText()).isIn("QUEUED", "RUNNING");
        SseClient.Event last = got.get(got.size() - 1);
        assertThat(last.name()).isEqualTo("end");
        assertThat(last.data().get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(last.data().get("result").get("steps_done").asInt()).isEqualTo(8);
        assertThat(got.stream().filter(e -> e.name().equals("end"))).hasSize(1);

        List<SseClient.Event> progress = got.subList(1, got.size() - 1);
        assertThat(progress).allMatch(e -> e.name().equals("progress"));
        assertThat(progress).anyMatch(e -> e.data().get("state").asText().equals("RUNNING"));
        long[] seqs = got.stream().mapToLong(e -> Long.parseLong(e.id())).toArray();
        for (int i = 1; i < seqs.length; i++) {
            assertThat(seqs[i]).as("event ids increase").isGreaterThan(seqs[i - 1]);
        }
        List<Long> done = progress.stream()
                .filter(e -> e.data().hasNonNull("progress"))
                .map(e -> e.data().get("progress").get("items_done").asLong())
                .toList();
        assertThat(done).isSorted();
        assertThat(done).isNotEmpty();
        assertThat(progress.get(progress.size() - 1)
                        .data()
                        .get("progress")
                        .get("current_item")
                        .asText())
                .startsWith("step ");
        assertThat(jobs.get(blocker).state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void aClientArrivingAfterTheEndGetsTheFinalStateAtOnce() throws Exception {
        UUID id = jobs.enqueue(TestJobHandlers.Steps.TYPE, new TestJobHandlers.StepsPayload(1, 1, 1), null, "t").id;
        await().atMost(Duration.ofSeconds(20)).until(() -> jobs.get(id).state().terminal());
        List<SseClient.Event> got = SseClient.collect(jobsUrl + id.toString() + "/events", Tokens.viewer())
                .get(10, TimeUnit.SECONDS);
        assertThat(got).extracting(SseClient.Event::name).containsExactly("state", "end");
        assertThat(got.get(1).data().get("state").asText()).isEqualTo("FAILED");
        assertThat(got.get(1).data().get("error").asText()).isEqualTo("step 1 failed on purpose");
    }

    @Test
    void progressOfAJobRunOnAnotherInstanceReachesClientsOfThisOne() throws Exception {
        // Only the other instance handles this type; the job is queued as its API would queue it.
        String type = "test.remote";
        UUID id = UUID.randomUUID();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO holdfast.job(id, type, payload, state, "
                        + "queued_at, max_attempts, not_before) VALUES (?, ?, ?::jsonb, 'QUEUED', now(), 1, "
                        + "now() + interval '2 seconds')")) {
            ps.setObject(1, id);
            ps.setString(2, type);
            ps.setString(3, "{\"steps\":6,\"step_millis\":150}");
            ps.executeUpdate();
        }
        TestJobHandlers.Steps remote = new TestJobHandlers.Steps() {
            @Override
            public String type() {
                return type;
            }
        };
        CompletableFuture<List<SseClient.Event>> events =
                SseClient.collect(jobsUrl + id.toString() + "/events", Tokens.viewer());
        await().atMost(Duration.ofSeconds(10)).until(() -> bus.subscribedJobs().contains(id));
        List<SseClient.Event> got;
        try (SecondInstance b = new SecondInstance("instance-remote", mapper, 1, d -> new JobHandler[] {remote})) {
            b.start(Duration.ofMillis(100));
            got = events.get(60, TimeUnit.SECONDS);
        }
        assertThat(got.get(0).name()).isEqualTo("state");
        assertThat(got.get(0).data().get("state").asText()).isEqualTo("QUEUED");
        assertThat(got.stream().filter(e -> e.name().equals("progress")).count())
                .isGreaterThanOrEqualTo(3);
        SseClient.Event end = got.get(got.size() - 1);
        assertThat(end.name()).isEqualTo("end");
        assertThat(end.data().get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(end.data().get("owner_instance").asText()).isEqualTo("instance-remote");
    }

    @Test
    void streamOfAnUnknownJobIsA404Problem() {
        RestAssured.given()
                .auth()
                .oauth2(Tokens.viewer())
                .accept("text/event-stream")
                .get("/api/jobs/{id}/events", UUID.randomUUID())
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
    }
}
