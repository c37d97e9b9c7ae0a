package dev.holdfast.drill;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.stats.Metrics;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import dev.holdfast.time.MovableTime;
import dev.holdfast.time.TimeSource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Recovery objectives against what real backups and drills measured. The test profile gives source {@code app} an
 * RPO of one hour and an RTO of one millisecond, which no real restore meets.
 */
@QuarkusTest
class ObjectivesTest {
    static final Object RESOURCES = TestResources.class;

    @Inject
    DrillMetrics metrics;

    static JsonNode objectivesOfApp() throws Exception {
        JsonNode stats = DrillApiTest.JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/drills/statistics")
                .then()
                .statusCode(200)
                .extract()
                .asString());
        for (JsonNode s : stats) {
            if (s.get("source").asText().equals("app")) {
                return s.get("objectives");
            }
        }
        throw new AssertionError("no statistics of app in " + stats);
    }

    @Test
    void aFreshBackupMeetsTheRpoAndTheDrillsRecoveryTimeIsComparedWithTheRto() throws Exception {
        AppDatabase.reset();
        JsonNode backup = BackupApiTest.awaitBackup(BackupApiTest.create("{\"backup_type\":\"database\"}"));
        assertThat(backup.get("status").asText()).isEqualTo("SUCCEEDED");
        JsonNode drill = DrillApiTest.awaitDrill(DrillApiTest.drill("{\"source\":\"app\"}"));
        assertThat(drill.get("status").asText()).as(drill.toString()).isEqualTo("SUCCEEDED");

        JsonNode o = objectivesOfApp();
        assertThat(o.get("rpo_seconds").asDouble()).isEqualTo(3600.0);
        // Measured a moment after the backup: younger than the hour, so met.
        assertThat(o.get("rpo_measured_seconds").asDouble()).isBetween(0.0, 3600.0);
        assertThat(o.get("rpo_met").asBoolean()).isTrue();
        assertThat(o.get("rto_seconds").asDouble()).isEqualTo(0.001);
        assertThat(o.get("rto_measured_seconds").asDouble())
                .isEqualTo(drill.get("recovery_seconds").asDouble());
        assertThat(o.get("rto_met").asBoolean()).isFalse();

        // Two hours after the backup finished, the same backup misses the one-hour RPO.
        Instant finished =
                OffsetDateTime.parse(backup.get("finished_at").asText()).toInstant();
        QuarkusMock.installMockForType(new MovableTime(finished.plus(Duration.ofHours(2))), TimeSource.class);
        o = objectivesOfApp();
        assertThat(o.get("rpo_measured_seconds").asDouble()).isCloseTo(7200.0, within(0.001));
        assertThat(o.get("rpo_met").asBoolean()).isFalse();

        metrics.refresh();
        Metrics m = Metrics.scrape();
        assertThat(m.value("holdfast_source_rpo_objective_seconds", Map.of("source", "app")))
                .isEqualTo(3600.0);
        assertThat(m.value("holdfast_source_rto_objective_seconds", Map.of("source", "app")))
                .isEqualTo(0.001);
        // The measured RTO the alert compares with the objective is the drill's recovery time.
        assertThat(m.value("holdfast_drill_duration_seconds", Map.of("source", "app")))
                .isEqualTo(drill.get("recovery_seconds").asDouble())
                .isGreaterThan(0.001);
        assertThat(m.value("holdfast_source_rpo_objective_seconds", Map.of("source", "uploads")))
                .isNull();
    }
}
