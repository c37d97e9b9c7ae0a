package dev.holdfast.schedule;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.Tokens;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Shared steps of the schedule tests: the API, the catalog rows behind it, the metrics. */
final class ScheduleTestSupport {
    static final Path MEDIA_ROOT = Path.of("target/test-media/uploads");

    private ScheduleTestSupport() {}

    /** Removes every schedule (their backups stay, unlinked), so only a test's own schedules can be due. */
    static void clean() throws Exception {
        sql("DELETE FROM holdfast.schedule");
    }

    /**
     * Removes the backups and jobs that a moved clock dated after the real present, once their jobs ended: the
     * service dates its rows by TimeSource, and later tests that read a source's latest backup must find their own.
     */
    static void forgetFutureRows() throws Exception {
        String future = "> now() + interval '1 hour'";
        await().atMost(Duration.ofSeconds(120))
                .until(() -> rows("SELECT id FROM holdfast.job WHERE state IN " + "('QUEUED', 'RUNNING') AND queued_at "
                                + future)
                        .isEmpty());
        for (Map<String, Object> b : rows("SELECT storage_key FROM holdfast.backup WHERE storage_key IS NOT NULL "
                + "AND created_at " + future)) {
            Files.deleteIfExists(Path.of("target/holdfast-test-data").resolve((String) b.get("storage_key")));
        }
        sql("DELETE FROM holdfast.backup WHERE created_at " + future);
        sql("DELETE FROM holdfast.job WHERE queued_at " + future
                + " AND id NOT IN (SELECT job_id FROM holdfast.backup WHERE job_id IS NOT NULL)"
                + " AND id NOT IN (SELECT job_id FROM holdfast.restore_operation WHERE job_id IS NOT NULL)");
    }

    /** A small tree under the test media root, so media backups are quick and succeed. */
    static void mediaRoot() throws Exception {
        Files.createDirectories(MEDIA_ROOT);
        Files.writeString(MEDIA_ROOT.resolve("schedule-test.txt"), "scheduled\n");
    }

    /** Creates a schedule as an admin and returns its id. */
    static UUID create(String json) {
        Response r = given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body(json)
                .post("/api/schedules");
        r.then().statusCode(201);
        String id = r.jsonPath().getString("id");
        assertThat(r.header("Location")).endsWith("/api/schedules/" + id);
        return UUID.fromString(id);
    }

    static JsonPath get(UUID id) {
        return given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/schedules/{id}", id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    static Connection connect() throws Exception {
        return TestDatabase.connect(TestDatabase.CATALOG_DB);
    }

    static void sql(String sql, Object... args) throws Exception {
        try (Connection c = connect();
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.execute();
        }
    }

    /** Rows of a query as column-name maps. */
    static List<Map<String, Object>> rows(String sql, Object... args) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Connection c = connect();
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> row = new HashMap<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                    }
                    out.add(row);
                }
            }
        }
        return out;
    }

    static Map<String, Object> scheduleRow(UUID id) throws Exception {
        List<Map<String, Object>> r = rows(
                "SELECT *, next_run_at::text AS next_text, last_fired_at::text AS "
                        + "fired_text FROM holdfast.schedule WHERE id = ?",
                id);
        assertThat(r).hasSize(1);
        return r.get(0);
    }

    static List<Map<String, Object>> backupsOf(UUID scheduleId) throws Exception {
        return rows(
                "SELECT id, status, trigger, schedule_id, created_by, name, job_id FROM holdfast.backup "
                        + "WHERE schedule_id = ? ORDER BY created_at",
                scheduleId);
    }

    /** Waits until no backup of the schedules is queued or running (the quick media runs end). */
    static void awaitIdle(List<UUID> scheduleIds) {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    try (Connection c = connect();
                            PreparedStatement ps = c.prepareStatement(
                                    "SELECT count(*) FROM "
                                            + "holdfast.backup WHERE schedule_id = ANY(?) AND status IN ('QUEUED', 'RUNNING')")) {
                        ps.setArray(1, c.createArrayOf("uuid", scheduleIds.toArray()));
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            return rs.getLong(1) == 0;
                        }
                    }
                });
    }

    /** The value of holdfast_schedule_runs_total for a schedule and outcome, or null when the series is absent. */
    static Double runsMetric(String schedule, String outcome) {
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile(
                        "^holdfast_schedule_runs_total\\{outcome=\"" + Pattern.quote(outcome) + "\",schedule=\""
                                + Pattern.quote(schedule) + "\"} (\\S+)$",
                        Pattern.MULTILINE)
                .matcher(body);
        return m.find() ? Double.valueOf(m.group(1)) : null;
    }

    /** The audit events of one schedule, oldest first. */
    static List<Map<String, Object>> audit(UUID scheduleId) {
        return given().auth()
                .oauth2(Tokens.admin())
                .get("/api/audit?target_type=schedule&target_id=" + scheduleId + "&sort=at,asc&size=200")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("items");
    }
}
