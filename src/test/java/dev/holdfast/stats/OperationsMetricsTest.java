package dev.holdfast.stats;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.restore.RestoreApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The Prometheus metrics, statistics and the backups health group show what really happened. */
@QuarkusTest
class OperationsMetricsTest {
    static final Object RESOURCES = TestResources.class;
    static final Map<String, String> APP_DB = Map.of("source", "app", "schedule", "none", "type", "database");

    @Inject
    OperationsMetrics metrics;

    @Inject
    dev.holdfast.drill.DrillMetrics drillMetrics;

    static double epoch(JsonNode timestamp) {
        return OffsetDateTime.parse(timestamp.asText()).toInstant().toEpochMilli() / 1000.0;
    }

    static long catalogLong(String sql) throws Exception {
        try (Connection c = TestDatabase.connect(TestDatabase.CATALOG_DB);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void catalog(String... sql) throws Exception {
        try (Connection c = TestDatabase.connect(TestDatabase.CATALOG_DB);
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    @Test
    void aSuccessAndAFailureAreCountedTimedAndTimestamped() throws Exception {
        AppDatabase.reset();
        Metrics before = Metrics.scrape();
        UUID ok = BackupApiTest.create("{\"backup_type\":\"database\"}");
        JsonNode good = BackupApiTest.awaitBackup(ok);
        assertThat(good.path("status").asText()).isEqualTo("SUCCEEDED");
        JsonNode bad;
        try (Connection locker = TestDatabase.connect(TestDatabase.APP_DB);
                Statement st = locker.createStatement()) {
            locker.setAutoCommit(false);
            st.execute("LOCK TABLE sales.customer IN ACCESS EXCLUSIVE MODE");
            bad = BackupApiTest.awaitBackup(BackupApiTest.create("{\"backup_type\":\"database\"}"));
            locker.rollback();
        }
        assertThat(bad.path("status").asText()).isEqualTo("FAILED");
        metrics.refresh();
        Metrics after = Metrics.scrape();

        assertThat(after.value("holdfast_backup_attempts_total", APP_DB))
                .isEqualTo(before.valueOrZero("holdfast_backup_attempts_total", APP_DB) + 2);
        assertThat(after.value("holdfast_backup_success_total", APP_DB))
                .isEqualTo(before.valueOrZero("holdfast_backup_success_total", APP_DB) + 1);
        assertThat(after.value("holdfast_backup_failure_total", APP_DB))
                .isEqualTo(before.valueOrZero("holdfast_backup_failure_total", APP_DB) + 1);
        assertThat(after.value("holdfast_backup_duration_seconds_count", APP_DB))
                .isEqualTo(before.valueOrZero("holdfast_backup_duration_seconds_count", APP_DB) + 1);
        long rows = 0;
        for (JsonNode d : good.path("summary").path("databases")) {
            rows += d.path("rows").asLong();
        }
        assertThat(rows).isPositive();
        Map<String, String> byType = Map.of("schedule", "none", "type", "database");
        assertThat(after.value("holdfast_backup_rows_total", byType))
                .isEqualTo(before.valueOrZero("holdfast_backup_rows_total", byType) + rows);
        assertThat(after.value("holdfast_backup_written_bytes_total", byType))
                .isEqualTo(before.valueOrZero("holdfast_backup_written_bytes_total", byType)
                        + good.path("size_bytes").asLong());

        // Catalog gauges: the newest success and failure of source app, and that success's size.
        assertThat(after.value("holdfast_backup_last_success_timestamp_seconds", APP_DB))
                .isCloseTo(epoch(good.path("finished_at")), within(0.002));
        assertThat(after.value("holdfast_backup_last_failure_timestamp_seconds", APP_DB))
                .isCloseTo(epoch(bad.path("finished_at")), within(0.002));
        assertThat(after.value("holdfast_backup_size_bytes", APP_DB))
                .isEqualTo(good.path("size_bytes").asDouble());
        assertThat(after.value("holdfast_storage_used_bytes", Map.of())).isEqualTo((double) catalogLong(
                "SELECT coalesce(sum(size_bytes), 0) FROM holdfast.backup " + "WHERE status = 'SUCCEEDED'"));
        assertThat(after.value("holdfast_backups_stored", Map.of()))
                .isEqualTo((double) catalogLong("SELECT count(*) FROM holdfast.backup WHERE status = 'SUCCEEDED'"));
        assertThat(after.value("holdfast_storage_free_bytes", Map.of())).isPositive();
        assertThat(after.value("holdfast_storage_capacity_bytes", Map.of()))
                .isGreaterThanOrEqualTo(after.value("holdfast_storage_free_bytes", Map.of()));
        assertThat(after.text()).contains("# HELP holdfast_backup_last_success_timestamp_seconds");
    }

    @Test
    void aRestoreAndAVerificationAreCountedAndTimestamped() throws Exception {
        AppDatabase.reset();
        UUID backup = RestoreApiTest.backup();
        Map<String, String> replace = Map.of("source", "app", "mode", "replace", "dry_run", "false");
        Metrics before = Metrics.scrape();
        JsonNode restore = RestoreApiTest.awaitRestore(RestoreApiTest.restore(backup, "{\"create_pre_backup\":false}"));
        assertThat(restore.path("status").asText()).isEqualTo("SUCCEEDED");
        String job = given().auth()
                .oauth2(Tokens.operator())
                .post("/api/backups/{id}/verify", backup)
                .then()
                .statusCode(202)
                .extract()
                .jsonPath()
                .getString("job.id");
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(60))
                .until(() -> BackupApiTest.jobState(job).equals("SUCCEEDED"));
        metrics.refresh();
        Metrics after = Metrics.scrape();
        assertThat(after.value("holdfast_restore_attempts_total", replace))
                .isEqualTo(before.valueOrZero("holdfast_restore_attempts_total", replace) + 1);
        assertThat(after.value("holdfast_restore_success_total", replace))
                .isEqualTo(before.valueOrZero("holdfast_restore_success_total", replace) + 1);
        assertThat(after.value("holdfast_restore_failure_total", replace))
                .isEqualTo(before.valueOrZero("holdfast_restore_failure_total", replace));
        assertThat(after.value("holdfast_restore_rows_total", Map.of("mode", "replace")))
                .isEqualTo(before.valueOrZero("holdfast_restore_rows_total", Map.of("mode", "replace"))
                        + restore.path("report")
                                .path("databases")
                                .get(0)
                                .path("rows_loaded")
                                .asLong());
        assertThat(after.value(
                        "holdfast_restore_last_success_timestamp_seconds", Map.of("source", "app", "mode", "replace")))
                .isCloseTo(epoch(restore.path("finished_at")), within(0.002));
        JsonNode verified = BackupApiTest.awaitBackup(backup);
        assertThat(after.value("holdfast_verify_last_success_timestamp_seconds", Map.of("source", "app")))
                .isCloseTo(epoch(verified.path("verified_at")), within(0.002));
        assertThat(after.value("holdfast_verify_success_total", Map.of("source", "app")))
                .isEqualTo(before.valueOrZero("holdfast_verify_success_total", Map.of("source", "app")) + 1);
    }

    @Test
    void aScheduleStartsAtZeroAndIsOverdueInHealthAndStatisticsUntilItSucceeds() throws Exception {
        String name = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        UUID id = UUID.randomUUID();
        catalog("INSERT INTO holdfast.schedule (id, name, cron, time_zone, backup_request, alert_after_seconds, "
                + "created_at, updated_at) VALUES ('" + id + "', '" + name + "', '0 2 * * *', 'UTC', "
                + "'{\"backup_type\": \"database\"}', 3600, now() - interval '2 hours', now())");
        try {
            metrics.refresh();
            Metrics m = Metrics.scrape();
            Map<String, String> labels = Map.of("source", "app", "schedule", name, "type", "database");
            assertThat(m.value("holdfast_backup_attempts_total", labels)).isZero();
            assertThat(m.value("holdfast_backup_success_total", labels)).isZero();
            assertThat(m.value("holdfast_backup_failure_total", labels)).isZero();
            assertThat(m.value("holdfast_schedule_alert_after_seconds", Map.of("schedule", name)))
                    .isEqualTo(3600);
            assertThat(m.value("holdfast_schedule_last_success_timestamp_seconds", Map.of("schedule", name)))
                    .isZero();
            assertThat(m.value("holdfast_schedule_enabled", Map.of("schedule", name)))
                    .isEqualTo(1);

            JsonPath health =
                    given().get("/q/health/group/backups").then().extract().jsonPath();
            assertThat(health.getString("status")).isEqualTo("DOWN");
            assertThat(health.getString("checks[0].data.problems"))
                    .contains("schedule '" + name + "'")
                    .contains("never succeeded");
            assertThat(schedule(name).get("overdue")).isEqualTo(true);

            // A success half an hour ago puts it back on time.
            UUID b = UUID.randomUUID();
            catalog("INSERT INTO holdfast.backup (id, name, backup_type, status, storage_key, size_bytes, sha256, "
                    + "schedule_id, trigger, started_at, finished_at, source_names, databases) VALUES ('" + b
                    + "', 'x', "
                    + "'database', 'SUCCEEDED', '" + b + ".tar', 1234, repeat('0', 64), '" + id + "', 'schedule', "
                    + "now() - interval '31 minutes', now() - interval '30 minutes', ',app,', '[\"app\"]')");
            try {
                metrics.refresh();
                assertThat(Metrics.scrape()
                                .value("holdfast_schedule_last_success_timestamp_seconds", Map.of("schedule", name)))
                        .isPositive();
                String problems = given().get("/q/health/group/backups")
                        .then()
                        .extract()
                        .jsonPath()
                        .getString("checks[0].data.problems");
                assertThat(problems == null ? "" : problems).doesNotContain(name);
                Map<String, Object> s = schedule(name);
                assertThat(s.get("overdue")).isEqualTo(false);
                assertThat(s.get("succeeded")).isEqualTo(1);
            } finally {
                catalog("DELETE FROM holdfast.backup WHERE id = '" + b + "'");
            }
        } finally {
            catalog("DELETE FROM holdfast.schedule WHERE id = '" + id + "'");
        }
    }

    static Map<String, Object> schedule(String name) {
        List<Map<String, Object>> schedules = given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/statistics")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("schedules");
        return schedules.stream()
                .filter(s -> name.equals(s.get("name")))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void statisticsAgreeWithTheCatalog() throws Exception {
        AppDatabase.reset();
        UUID id = BackupApiTest.create("{\"backup_type\":\"database\"}");
        JsonNode b = BackupApiTest.awaitBackup(id);
        JsonPath s = given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/statistics")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        Map<String, Long> byStatus = new HashMap<>();
        for (String st : List.of("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED")) {
            byStatus.put(st, catalogLong("SELECT count(*) FROM holdfast.backup WHERE status = '" + st + "'"));
            assertThat(s.getLong("backups.by_status." + st)).as(st).isEqualTo(byStatus.get(st));
        }
        assertThat(s.getLong("backups.total")).isEqualTo(catalogLong("SELECT count(*) FROM holdfast.backup"));
        assertThat(s.getLong("backups.by_type.database"))
                .isEqualTo(catalogLong("SELECT count(*) FROM holdfast.backup WHERE backup_type = 'database'"));
        assertThat(s.getLong("backups.stored_bytes"))
                .isEqualTo(catalogLong(
                        "SELECT coalesce(sum(size_bytes), 0) FROM holdfast.backup WHERE status = 'SUCCEEDED'"));
        Map<String, Object> app = s.<Map<String, Object>>getList("sources").stream()
                .filter(m -> m.get("source").equals("app"))
                .findFirst()
                .orElseThrow();
        assertThat(app.get("kind")).isEqualTo("database");
        assertThat(((Map<?, ?>) app.get("last_success")).get("backup_id")).isEqualTo(id.toString());
        assertThat(((Number) ((Map<?, ?>) app.get("last_success")).get("size_bytes")).longValue())
                .isEqualTo(b.path("size_bytes").asLong());
        long ok7 = catalogLong("SELECT count(*) FROM holdfast.backup WHERE status = 'SUCCEEDED' "
                + "AND finished_at >= now() - interval '7 days'");
        long bad7 = catalogLong("SELECT count(*) FROM holdfast.backup WHERE status = 'FAILED' "
                + "AND finished_at >= now() - interval '7 days'");
        assertThat(s.getLong("success_rate.last_7_days.succeeded")).isEqualTo(ok7);
        assertThat(s.getLong("success_rate.last_7_days.failed")).isEqualTo(bad7);
        assertThat(s.getDouble("success_rate.last_7_days.success_rate"))
                .isCloseTo((double) ok7 / (ok7 + bad7), within(1e-4));
        assertThat(s.getDouble("duration.p95_seconds"))
                .isPositive()
                .isLessThanOrEqualTo(s.getDouble("duration.max_seconds"));
        assertThat(s.getLong("storage.used_bytes")).isEqualTo(s.getLong("backups.stored_bytes"));
        assertThat(s.getLong("storage.free_bytes")).isPositive();
        given().auth().oauth2(Tokens.noRole()).get("/api/statistics").then().statusCode(403);
    }

    @Test
    void everyMetricTheAlertRulesAndTheDashboardUseIsExported() throws Exception {
        String rules = java.nio.file.Files.readString(java.nio.file.Path.of("deploy/prometheus/holdfast.rules.yml"));
        String dashboard =
                java.nio.file.Files.readString(java.nio.file.Path.of("deploy/grafana/holdfast-dashboard.json"));
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(dashboard); // valid JSON
        java.util.Set<String> used = new java.util.TreeSet<>();
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("\\bholdfast_[a-z_]+").matcher(rules + dashboard);
        while (m.find()) {
            used.add(m.group());
        }
        assertThat(used).hasSizeGreaterThan(15);

        // Everything a gauge reads from the catalog, present: a schedule, a success, a failed verification.
        AppDatabase.reset();
        assertThat(BackupApiTest.awaitBackup(BackupApiTest.create("{\"backup_type\":\"database\"}"))
                        .path("status")
                        .asText())
                .isEqualTo("SUCCEEDED");
        UUID schedule = UUID.randomUUID();
        UUID corrupt = UUID.randomUUID();
        UUID drill = UUID.randomUUID();
        catalog(
                "INSERT INTO holdfast.schedule (id, name, cron, backup_request, created_at, updated_at) VALUES ('"
                        + schedule + "', 'names-" + schedule + "', '0 3 * * *', '{}', now(), now())",
                "INSERT INTO holdfast.backup (id, name, backup_type, status, storage_key, size_bytes, sha256, "
                        + "finished_at, source_names, databases, verified_at, verify_ok) VALUES ('" + corrupt
                        + "', 'x', 'database', 'SUCCEEDED', '" + corrupt + ".tar', 1, repeat('0', 64), "
                        + "now() - interval '400 days', ',app,', '[\"app\"]', now() - interval '399 days', false)",
                "INSERT INTO holdfast.drill_run (id, source, status, trigger, scratch_database, recovery_ms, "
                        + "started_at, finished_at) VALUES ('" + drill + "', 'app', 'SUCCEEDED', 'manual', 'x', 1500, "
                        + "now(), now())");
        try {
            metrics.refresh();
            drillMetrics.refresh();
            String text = Metrics.scrape().text();
            java.util.Set<String> exported = new java.util.TreeSet<>();
            for (String line : text.split("\n")) {
                if (line.startsWith("holdfast_")) {
                    exported.add(line.split("[{ ]", 2)[0]);
                }
            }
            assertThat(exported).containsAll(used);
        } finally {
            catalog(
                    "DELETE FROM holdfast.schedule WHERE id = '" + schedule + "'",
                    "DELETE FROM holdfast.backup WHERE id = '" + corrupt + "'",
                    "DELETE FROM holdfast.drill_run WHERE id = '" + drill + "'");
        }
    }

    @Test
    void storageIsNearlyFullBelowEitherLimit() {
        var roomy = new Statistics.StorageStats(10, 500L, 1000L, 50.0);
        var tight = new Statistics.StorageStats(10, 50L, 1000L, 5.0);
        assertThat(BackupsHealthCheck.storageProblems(roomy, 10, 0)).isEmpty();
        assertThat(BackupsHealthCheck.storageProblems(tight, 10, 0))
                .singleElement()
                .asString()
                .contains("5.0% free");
        assertThat(BackupsHealthCheck.storageProblems(roomy, 10, 600))
                .singleElement()
                .asString()
                .contains("500 bytes free");
        assertThat(BackupsHealthCheck.storageProblems(new Statistics.StorageStats(0, null, null, null), 10, 1))
                .isEmpty();
    }
}
