package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.support.SseClient;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** With {@code holdfast.jobs.cancel-stalled}, a job reported stalled is also stopped, failing with the diagnosis. */
@QuarkusTest
@TestProfile(StallCancelTest.CancelStalled.class)
class StallCancelTest {
    static final Object RESOURCES = TestResources.class;

    /** One-second stall warnings for the test's step jobs, and stalled jobs cancelled. */
    public static class CancelStalled implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "holdfast.jobs.stall-warning", "off",
                    "holdfast.jobs.types.\"test.steps\".stall-warning", "1s",
                    "holdfast.jobs.cancel-stalled", "true");
        }
    }

    @TestHTTPResource("/api/jobs/")
    URL jobsUrl;

    @Inject
    JobService jobs;

    @Test
    void aStalledJobIsStoppedAndFailsWithTheDiagnosis() throws Exception {
        // Ten steps of three seconds: the first step already goes three seconds without moving.
        UUID id = jobs.enqueue(TestJobHandlers.Steps.TYPE, new TestJobHandlers.StepsPayload(10, 3000, null), null, "t")
                .id;
        List<SseClient.Event> got = SseClient.collect(jobsUrl + id.toString() + "/events", Tokens.viewer())
                .get(60, TimeUnit.SECONDS);
        SseClient.Event stalled =
                got.stream().filter(e -> e.name().equals("stalled")).findFirst().orElseThrow();
        assertThat(stalled.data().get("cancelled").asBoolean()).isTrue();
        SseClient.Event end = got.get(got.size() - 1);
        assertThat(end.name()).isEqualTo("end");
        assertThat(end.data().get("state").asText()).isEqualTo("FAILED");
        assertThat(end.data().get("error").asText())
                .contains("Stopped by the watchdog (holdfast.jobs.cancel-stalled)")
                .contains("no server wait: Holdfast's own stall");
        // Stopped at the step's checkpoint, long before its ten steps were done.
        assertThat(end.data().get("progress").get("items_done").asLong()).isLessThan(10);
    }
}
