package dev.holdfast.backup;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.holdfast.job.JobService;
import dev.holdfast.job.TestJobHandlers;
import dev.holdfast.restore.RestoreApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A backup's or restore's row never outlives its job in a non-terminal state: a queued job cancelled ends its
 * row at once, and a row left open by a job that ended elsewhere (an instance stopped mid-way) is ended by the
 * next reconcile, so that it can be deleted and its schedule runs again.
 */
@QuarkusTest
class RowsEndWithTheirJobsTest {
    static final Object RESOURCES = TestResources.class;

    @Inject
    JobService jobs;

    final List<UUID> blockers = new ArrayList<>();

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
    }

    @AfterEach
    void unblock() {
        for (UUID id : blockers) {
            given().auth().oauth2(Tokens.operator()).post("/api/jobs/{id}/cancel", id);
        }
        blockers.clear();
    }

    /** Fills every worker slot with a long test job, so that what is queued next stays queued. */
    void occupyWorkers() {
        for (int i = 0; i < 2; i++) {
            blockers.add(jobs.enqueue(
                            TestJobHandlers.Steps.TYPE, new TestJobHandlers.StepsPayload(600, 100, null), null, "test")
                    .id);
        }
        await().atMost(Duration.ofSeconds(20))
                .until(() -> blockers.stream()
                        .allMatch(id -> "RUNNING".equals(jobs.get(id).state().name())));
    }

    static JsonPath backup(UUID id) {
        return given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups/{id}", id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    static void cancel(String job) {
        Response r = given().auth().oauth2(Tokens.operator()).post("/api/jobs/{id}/cancel", job);
        r.then().statusCode(202);
        assertThat(r.jsonPath().getString("state")).isEqualTo("CANCELLED");
    }

    @Test
    void cancellingAQueuedBackupEndsItsRowAtOnceAndTheBackupCanBeDeleted() {
        occupyWorkers();
        UUID id = BackupApiTest.create("{\"backup_type\":\"database\"}");
        String job = backup(id).getString("job_id");
        assertThat(backup(id).getString("status")).isEqualTo("QUEUED");

        cancel(job);

        JsonPath b = backup(id);
        assertThat(b.getString("status")).isEqualTo("CANCELLED");
        assertThat(b.getString("error")).isEqualTo("Cancelled before it started");
        assertThat(b.getString("finished_at")).isNotNull();
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", id)
                .then()
                .statusCode(204);
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups/{id}", id)
                .then()
                .statusCode(404);
    }

    @Test
    void aScheduleWhoseQueuedRunWasCancelledCanRunAgain() {
        occupyWorkers();
        Response created = given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"name\":\"cancel-then-run\",\"cron\":\"0 2 * * *\",\"enabled\":false,"
                        + "\"backup\":{\"backup_type\":\"database\",\"databases\":[\"app\"]}}")
                .post("/api/schedules");
        created.then().statusCode(201);
        String schedule = created.jsonPath().getString("id");
        Response first = given().auth().oauth2(Tokens.operator()).post("/api/schedules/{id}/run", schedule);
        first.then().statusCode(202);
        cancel(first.jsonPath().getString("job.id"));
        assertThat(backup(UUID.fromString(first.jsonPath().getString("resource.id")))
                        .getString("status"))
                .isEqualTo("CANCELLED");

        Response second = given().auth().oauth2(Tokens.operator()).post("/api/schedules/{id}/run", schedule);
        assertThat(second.statusCode()).as(second.asString()).isEqualTo(202);
        assertThat(second.jsonPath().getString("resource.id"))
                .isNotEqualTo(first.jsonPath().getString("resource.id"));
        cancel(second.jsonPath().getString("job.id"));
        given().auth().oauth2(Tokens.admin()).delete("/api/schedules/{id}", schedule);
    }

    @Test
    void cancellingAQueuedRestoreEndsItAndNoLongerHoldsItsBackup() throws Exception {
        UUID backup = RestoreApiTest.backup();
        occupyWorkers();
        UUID restore = RestoreApiTest.restore(backup, "{\"restore_mode\":\"replace\"}");
        String job = given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/restores/{id}", restore)
                .jsonPath()
                .getString("job_id");

        cancel(job);

        JsonPath r = given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/restores/{id}", restore)
                .jsonPath();
        assertThat(r.getString("status")).isEqualTo("CANCELLED");
        assertThat(r.getString("finished_at")).isNotNull();
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", backup)
                .then()
                .statusCode(204);
    }

    @Test
    void aBackupLeftRunningByAJobThatEndedElsewhereIsEndedByTheReconcileAndCanBeDeleted() throws Exception {
        occupyWorkers();
        UUID id = BackupApiTest.create("{\"backup_type\":\"database\"}");
        String job = backup(id).getString("job_id");
        // What a stopped instance left: its job failed by the queue, the backup row still RUNNING.
        try (Connection c = TestDatabase.connect(TestDatabase.CATALOG_DB)) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE holdfast.job SET state = 'FAILED', finished_at ="
                    + " now(), error = 'The instance running it stopped' WHERE id = ?::uuid")) {
                ps.setString(1, job);
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE holdfast.backup SET status = 'RUNNING'," + " started_at = now() WHERE id = ?")) {
                ps.setObject(1, id);
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
        }

        await().atMost(Duration.ofSeconds(20))
                .until(() -> !"RUNNING".equals(backup(id).getString("status")));

        JsonPath b = backup(id);
        assertThat(b.getString("status")).isEqualTo("FAILED");
        assertThat(b.getString("error")).isEqualTo("Its job ended FAILED: The instance running it stopped");
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", id)
                .then()
                .statusCode(204);
    }
}
