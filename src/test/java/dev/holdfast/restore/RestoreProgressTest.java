package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.SseClient;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A restore has one progress scale: its pre-restore backup, then the restore, never going back. */
@QuarkusTest
class RestoreProgressTest {
    static final Object RESOURCES = TestResources.class;

    @AfterEach
    void dropTable() {
        AppDatabase.exec(TestDatabase.APP_DB, "DROP TABLE IF EXISTS public.progress_rows");
    }

    @Test
    void progressNeverGoesBackAcrossThePreRestoreBackup() throws Exception {
        AppDatabase.reset();
        // Enough rows that the pre-restore backup reports progress for a while, watched from its start.
        AppDatabase.exec(
                TestDatabase.APP_DB,
                "CREATE TABLE public.progress_rows AS SELECT g AS id, "
                        + "md5(random()::text) || md5(random()::text) AS payload FROM generate_series(1, 400000) g");
        UUID backup = RestoreApiTest.backup();
        UUID id = RestoreApiTest.restore(backup, "{}");
        String job = RestAssured.given()
                .auth()
                .oauth2(Tokens.viewer())
                .get("/api/restores/{id}", id)
                .jsonPath()
                .getString("job_id");
        // The restore's own stream (GET /api/restores/{id}/progress) follows the restore's job.
        List<SseClient.Event> events = SseClient.collect(
                        RestAssured.baseURI + ":" + RestAssured.port + "/api/restores/" + id + "/progress",
                        Tokens.viewer())
                .get(120, TimeUnit.SECONDS);
        assertThat(events).extracting(SseClient.Event::name).startsWith("state").endsWith("end");
        assertThat(events)
                .allSatisfy(e -> assertThat(e.data()
                                .path(e.name().equals("progress") ? "job_id" : "id")
                                .asText())
                        .isEqualTo(job));
        assertThat(RestoreApiTest.awaitRestore(id).get("status").asText()).isEqualTo("SUCCEEDED");

        List<String> seen = new ArrayList<>();
        double last = -1;
        boolean preBackup = false;
        boolean restore = false;
        for (SseClient.Event e : events) {
            JsonNode p = e.data().path("progress");
            if (!p.hasNonNull("percent")) {
                continue;
            }
            double percent = p.get("percent").asDouble();
            String phase = p.path("phase").asText();
            seen.add(phase + " " + percent);
            assertThat(percent).as("progress went back: %s", seen).isGreaterThanOrEqualTo(last);
            assertThat(percent).isBetween(0.0, 100.0);
            last = percent;
            preBackup |= phase.equals("pre-backup") || phase.equals("copy") || phase.equals("store");
            restore |= phase.equals("load") || phase.equals("validate") || phase.equals("verify");
        }
        assertThat(preBackup).as("pre-backup phases in %s", seen).isTrue();
        assertThat(restore).as("restore phases in %s", seen).isTrue();
    }
}
