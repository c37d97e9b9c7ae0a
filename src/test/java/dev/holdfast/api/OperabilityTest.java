package dev.holdfast.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.holdfast.job.JobService;
import dev.holdfast.job.JobState;
import dev.holdfast.job.TestJobHandlers;
import dev.holdfast.support.TestResources;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Health, metrics and Swagger UI: what operators and scrapers see. */
@QuarkusTest
class OperabilityTest {
    static final Object RESOURCES = TestResources.class;

    @Inject
    JobService jobs;

    @Test
    void readinessReportsDatabaseStorageAndJobQueue() {
        String body =
                given().get("/q/health/ready").then().statusCode(200).extract().asString();
        assertThat(body)
                .contains("\"status\": \"UP\"")
                .contains("archive-storage")
                .contains("job-queue")
                .contains("Database connections health check");
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void metricsCountJobOutcomesAndTimeThem() {
        UUID ok = jobs.enqueue(TestJobHandlers.Steps.TYPE, new TestJobHandlers.StepsPayload(1, 1, null), null, "m").id;
        UUID bad = jobs.enqueue(TestJobHandlers.Steps.TYPE, new TestJobHandlers.StepsPayload(1, 1, 1), null, "m").id;
        await().atMost(Duration.ofSeconds(20))
                .until(() ->
                        jobs.get(ok).state().terminal() && jobs.get(bad).state().terminal());
        assertThat(jobs.get(ok).state()).isEqualTo(JobState.SUCCEEDED);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String metrics =
                    given().get("/q/metrics").then().statusCode(200).extract().asString();
            assertThat(metrics)
                    .containsPattern(
                            "holdfast_jobs_finished_total\\{[^}]*state=\"SUCCEEDED\",type=\"test.steps\"[^}]*} [1-9]");
            assertThat(metrics)
                    .containsPattern(
                            "holdfast_jobs_finished_total\\{[^}]*state=\"FAILED\",type=\"test.steps\"[^}]*} [1-9]");
            assertThat(metrics).contains("holdfast_job_duration_seconds_bucket");
            assertThat(metrics).containsPattern("holdfast_jobs_queued [0-9]");
            assertThat(metrics).containsPattern("holdfast_jobs_running [0-9]");
        });
    }

    @Test
    void swaggerUiIsServed() {
        given().get("/q/swagger-ui/").then().statusCode(200);
    }
}
