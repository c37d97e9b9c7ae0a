package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The durable queue against a real PostgreSQL: execution, exclusion, cancellation, recovery. */
@QuarkusTest
class JobQueueTest {
    static final Object RESOURCES = TestResources.class;

    @Inject
    JobService jobs;

    @Inject
    JobWorker worker;

    @Inject
    AgroalDataSource ds;

    @Inject
    ObjectMapper mapper;

    @BeforeEach
    void table() throws Exception {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS public.test_job_runs(job_id uuid NOT NULL, instance text NOT NULL,"
                    + " at timestamptz NOT NULL DEFAULT clock_timestamp())");
        }
    }

    JobView awaitEnd(UUID id, Duration max) {
        await().atMost(max)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> jobs.get(id).state().terminal());
        return jobs.get(id);
    }

    UUID steps(int steps, int stepMillis, Integer failAt, String resourceKey) {
        return jobs.enqueue(
                        TestJobHandlers.Steps.TYPE,
                        new TestJobHandlers.StepsPayload(steps, stepMillis, failAt),
                        resourceKey,
                        "test")
                .id;
    }

    @Test
    void jobRunsToSuccessAndKeepsItsLastProgressAndResult() {
        UUID id = steps(5, 20, null, null);
        JobView done = awaitEnd(id, Duration.ofSeconds(20));
        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(done.attempts()).isEqualTo(1);
        assertThat(done.ownerInstance()).isEqualTo(worker.instanceId());
        assertThat(((Number) done.result().get("steps_done")).intValue()).isEqualTo(5);
        assertThat(done.progress().itemsDone()).isEqualTo(5);
        assertThat(done.progress().percent()).isEqualTo(100.0);
        assertThat(done.startedAt()).isAfterOrEqualTo(done.queuedAt());
        assertThat(done.finishedAt()).isAfterOrEqualTo(done.startedAt());
        assertThat(done.error()).isNull();
    }

    @Test
    void failingJobEndsFailedWithTheReasonAndRunsTheFailureHook() {
        UUID id = steps(3, 10, 2, null);
        JobView done = awaitEnd(id, Duration.ofSeconds(20));
        assertThat(done.state()).isEqualTo(JobState.FAILED);
        assertThat(done.error()).isEqualTo("step 2 failed on purpose");
        assertThat(done.progress().itemsDone()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> TestJobHandlers.FAILURE_HOOK.get(id) == JobState.FAILED);
    }

    @Test
    void cancellingARunningJobStopsItAtTheNextCheckpointAndCleansUp() {
        UUID id = steps(200, 50, null, null);
        await().atMost(Duration.ofSeconds(20)).until(() -> jobs.get(id).state() == JobState.RUNNING);
        RestAssured.given()
                .auth()
                .oauth2(Tokens.operator())
                .post("/api/jobs/{id}/cancel", id)
                .then()
                .statusCode(202);
        JobView done = awaitEnd(id, Duration.ofSeconds(10));
        assertThat(done.state()).isEqualTo(JobState.CANCELLED);
        assertThat(done.error()).isEqualTo("Cancelled by request");
        assertThat(done.progress().itemsDone()).isLessThan(200);
        assertThat(TestJobHandlers.CLEANED)
                .anyMatch(p -> p.getFileName().toString().contains(id.toString()));
        assertThat(TestJobHandlers.FAILURE_HOOK.get(id)).isEqualTo(JobState.CANCELLED);
        // Cancelling again is harmless; the job stays as it ended.
        RestAssured.given()
                .auth()
                .oauth2(Tokens.operator())
                .post("/api/jobs/{id}/cancel", id)
                .then()
                .statusCode(202);
    }

    @Test
    void jobsOnTheSameResourceNeverOverlapAndAQueuedOneCanBeCancelled() {
        String key = "resource-" + UUID.randomUUID();
        UUID first = steps(10, 100, null, key);
        UUID second = steps(2, 10, null, key);
        UUID third = steps(2, 10, null, key);
        await().atMost(Duration.ofSeconds(20)).until(() -> jobs.get(first).state() == JobState.RUNNING);
        // Free slots exist, yet the other two wait for the resource.
        assertThat(jobs.get(second).state()).isEqualTo(JobState.QUEUED);
        RestAssured.given()
                .auth()
                .oauth2(Tokens.operator())
                .post("/api/jobs/{id}/cancel", third)
                .then()
                .statusCode(202);
        assertThat(jobs.get(third).state()).isEqualTo(JobState.CANCELLED);
        assertThat(jobs.get(third).error()).isEqualTo("Cancelled before it started");
        JobView a = awaitEnd(first, Duration.ofSeconds(20));
        JobView b = awaitEnd(second, Duration.ofSeconds(20));
        assertThat(a.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(b.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(b.startedAt()).isAfterOrEqualTo(a.finishedAt());
        assertThat(jobs.get(third).startedAt()).isNull();
    }

    @Test
    void cancellingAFinishedJobIsAConflict() {
        UUID id = steps(1, 1, null, null);
        awaitEnd(id, Duration.ofSeconds(20));
        RestAssured.given()
                .auth()
                .oauth2(Tokens.operator())
                .post("/api/jobs/{id}/cancel", id)
                .then()
                .statusCode(409)
                .contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.containsString("already ended SUCCEEDED"));
    }

    /**
     * Enqueues jobs until an instance that then "dies" (never renews its lease) claims one, and returns that job.
     * The app's own worker competes for every job; when it wins, the job runs normally and another is tried.
     */
    UUID claimedByADeadInstance(String type, Supplier<UUID> enqueue, int leaseSeconds) throws SQLException {
        JobStore dead = new JobStore(ds, "dead-instance", mapper);
        for (int attempt = 0; attempt < 50; attempt++) {
            UUID candidate = enqueue.get();
            Optional<JobStore.Claimed> claimed;
            do {
                claimed = dead.claim(Set.of(type), Duration.ofSeconds(leaseSeconds));
            } while (claimed.isPresent() && !claimed.get().id().equals(candidate));
            if (claimed.isPresent()) {
                return candidate;
            }
        }
        throw new AssertionError("the dead instance did not claim a job in 50 tries");
    }

    @Test
    void aJobWhoseWorkerVanishedIsFailedWithTheReason() throws Exception {
        // A claim by an instance that then dies: no heartbeat ever renews its lease. The app's own worker
        // competes for the job; when it wins (a loaded machine), the test tries again with a new job.
        UUID id = claimedByADeadInstance(
                TestJobHandlers.Steps.TYPE, () -> steps(1, 1, null, "vanish-" + UUID.randomUUID()), 2);
        assertThat(jobs.get(id).ownerInstance()).isEqualTo("dead-instance");
        JobView done = awaitEnd(id, Duration.ofSeconds(20));
        assertThat(done.state()).isEqualTo(JobState.FAILED);
        assertThat(done.error())
                .contains("dead-instance")
                .contains("stopped renewing the lease")
                .contains("not safe to retry");
        UUID failed = id;
        await().atMost(Duration.ofSeconds(5)).until(() -> TestJobHandlers.FAILURE_HOOK.get(failed) == JobState.FAILED);
    }

    @Test
    void aRetryableJobWhoseWorkerVanishedRunsAgainElsewhere() throws Exception {
        // Same race as above: the app's own worker may win the first claim on a loaded machine.
        UUID id = claimedByADeadInstance(
                TestJobHandlers.Retryable.TYPE,
                () -> jobs.enqueue(TestJobHandlers.Retryable.TYPE, Map.of(), "retry-" + UUID.randomUUID(), "test").id,
                1);
        JobView done = awaitEnd(id, Duration.ofSeconds(20));
        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(done.attempts()).isEqualTo(2);
        assertThat(((Number) done.result().get("attempt")).intValue()).isEqualTo(2);
        assertThat(done.ownerInstance()).isEqualTo(worker.instanceId());
    }

    @Test
    void twoInstancesRunEveryJobExactlyOnce() throws Exception {
        int n = 300;
        List<UUID> ids = new ArrayList<>();
        try (SecondInstance b = new SecondInstance(
                "instance-b", mapper, 3, d -> new JobHandler[] {new TestJobHandlers.Counting(d, "instance-b")})) {
            b.start(Duration.ofMillis(20));
            // All jobs become visible at once (one commit), so both instances compete for them.
            QuarkusTransaction.requiringNew().run(() -> {
                for (int i = 0; i < n; i++) {
                    ids.add(jobs.enqueue(TestJobHandlers.Counting.TYPE, Map.of("n", i), null, "test").id);
                }
            });
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> countWhere("state = 'SUCCEEDED' AND type = 'test.count' AND id = ANY(?)", ids) == n);
        }
        Map<UUID, Integer> runs = new HashMap<>();
        Map<String, Integer> perInstance = new HashMap<>();
        try (Connection c = ds.getConnection();
                var ps =
                        c.prepareStatement("SELECT job_id, instance FROM public.test_job_runs WHERE job_id = ANY(?)")) {
            ps.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    runs.merge(rs.getObject(1, UUID.class), 1, Integer::sum);
                    perInstance.merge(rs.getString(2), 1, Integer::sum);
                }
            }
        }
        assertThat(runs).hasSize(n);
        assertThat(runs.values()).allMatch(count -> count == 1);
        assertThat(perInstance.keySet()).containsExactlyInAnyOrder(worker.instanceId(), "instance-b");
        assertThat(perInstance.values().stream().mapToInt(Integer::intValue).sum())
                .isEqualTo(n);
    }

    long countWhere(String where, List<UUID> ids) throws Exception {
        try (Connection c = ds.getConnection();
                var ps = c.prepareStatement("SELECT count(*) FROM holdfast.job WHERE " + where)) {
            ps.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
