package dev.holdfast.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.stats.Metrics;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.OffsetDateTime;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The drill gauges on /q/metrics come from real drills recorded in the catalog: the newest success and failure of
 * each source, the recovery time of the newest success, and the configured alert threshold.
 */
@QuarkusTest
class DrillMetricsTest {
    static final Object RESOURCES = TestResources.class;
    static final Map<String, String> APP = Map.of("source", "app");

    @Inject
    DrillMetrics metrics;

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
    }

    static double epoch(JsonNode timestamp) {
        return OffsetDateTime.parse(timestamp.asText()).toInstant().toEpochMilli() / 1000.0;
    }

    @Test
    void aPassedAndAFailedDrillAreTimestampedAndThePassedOnesRecoveryTimeIsExported() throws Exception {
        DrillApiTest.backup();
        JsonNode passed = DrillApiTest.awaitDrill(DrillApiTest.drill("{\"source\":\"app\"}"));
        assertThat(passed.get("status").asText()).as(passed.toString()).isEqualTo("SUCCEEDED");

        metrics.refresh();
        Metrics m = Metrics.scrape();
        assertThat(m.value("holdfast_drill_last_success_timestamp_seconds", APP))
                .isCloseTo(epoch(passed.get("finished_at")), within(0.001));
        assertThat(m.value("holdfast_drill_duration_seconds", APP))
                .isEqualTo(passed.get("recovery_seconds").asDouble());
        assertThat(m.value("holdfast_drill_alert_after_seconds", APP)).isEqualTo(8 * 86400.0);
        // Every configured source has a row, the media root (drilled on its own) too; a name that is no source none.
        assertThat(m.value("holdfast_drill_last_success_timestamp_seconds", Map.of("source", "uploads")))
                .isNotNull();
        assertThat(m.value("holdfast_drill_last_success_timestamp_seconds", Map.of("source", "nope")))
                .isNull();

        // A failing user check fails the next drill: the failure is newer than the success (the alert's
        // condition), and the exported recovery time stays the passed drill's.
        AppDatabase.exec(
                TestDatabase.APP_DB, "INSERT INTO \"Audit\".\"EventLog\" (\"Payload\") VALUES ('drill-poison')");
        DrillApiTest.backup();
        JsonNode failed = DrillApiTest.awaitDrill(DrillApiTest.drill("{\"source\":\"app\"}"));
        assertThat(failed.get("status").asText()).as(failed.toString()).isEqualTo("FAILED");

        metrics.refresh();
        m = Metrics.scrape();
        assertThat(m.value("holdfast_drill_last_failure_timestamp_seconds", APP))
                .isCloseTo(epoch(failed.get("finished_at")), within(0.001))
                .isGreaterThan(m.value("holdfast_drill_last_success_timestamp_seconds", APP));
        assertThat(m.value("holdfast_drill_last_success_timestamp_seconds", APP))
                .isCloseTo(epoch(passed.get("finished_at")), within(0.001));
        assertThat(m.value("holdfast_drill_duration_seconds", APP))
                .isEqualTo(passed.get("recovery_seconds").asDouble());
    }
}
