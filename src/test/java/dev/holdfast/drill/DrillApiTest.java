package dev.holdfast.drill;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.RandomAccessFile;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Restore drills end to end: a drill of a schema with partitions, enums, domains, views and triggers passes with
 * every row counted and leaves no scratch database; a damaged backup and a failing user check fail the drill,
 * naming the table or check; a scratch database left behind is swept, and nothing else is.
 */
@QuarkusTest
public class DrillApiTest {
    static final Object RESOURCES = TestResources.class;
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    DrillJobHandler handler;

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
        // Views and triggers besides the fixture's partitions, enums and domains.
        AppDatabase.exec(
                TestDatabase.APP_DB,
                "CREATE VIEW public.user_names AS SELECT id, upper(name) AS name FROM public.auth_user",
                "CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := NEW.name;"
                        + " RETURN NEW; END $$",
                "CREATE TRIGGER auth_user_touch BEFORE INSERT OR UPDATE ON public.auth_user"
                        + " FOR EACH ROW EXECUTE FUNCTION public.touch()");
    }

    static UUID backup() {
        UUID id = BackupApiTest.create("{\"backup_type\":\"database\"}");
        assertThat(BackupApiTest.awaitBackup(id).get("status").asText()).isEqualTo("SUCCEEDED");
        return id;
    }

    public static UUID drill(String body) {
        Response r = given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body(body)
                .post("/api/drills");
        r.then().statusCode(202);
        String id = r.jsonPath().getString("resource.id");
        assertThat(r.header("Location")).endsWith("/api/drills/" + id);
        return UUID.fromString(id);
    }

    public static JsonNode awaitDrill(UUID id) throws Exception {
        await().atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    String s = given().auth()
                            .oauth2(Tokens.viewer())
                            .get("/api/drills/{id}", id)
                            .jsonPath()
                            .getString("status");
                    return !s.equals("QUEUED") && !s.equals("RUNNING");
                });
        return JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/drills/{id}", id)
                .asString());
    }

    static List<String> scratchDatabases() throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = TestDatabase.connect("postgres");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT datname FROM pg_database WHERE starts_with(datname, '"
                        + TestDatabase.DRILL_PREFIX + "')")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    @Test
    void aDrillOfTheLatestBackupRestoresEveryRowValidatesAndLeavesNoScratchDatabase() throws Exception {
        UUID backup = backup();
        JsonNode d = awaitDrill(drill("{\"source\":\"app\"}"));
        assertThat(d.get("status").asText()).as(d.toString()).isEqualTo("SUCCEEDED");
        assertThat(d.get("backup_id").asText()).isEqualTo(backup.toString());
        assertThat(d.get("recovery_seconds").asDouble()).isPositive();
        assertThat(d.get("scratch_database").asText())
                .startsWith(TestDatabase.DRILL_PREFIX)
                .endsWith("__hfdrill");
        // It ran on the configured drill server (holdfast.drills.server.app: localhost), not the source's 127.0.0.1,
        // and took that server's key: two drills there never run at once.
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/jobs/{id}", d.get("job_id").asText())
                        .jsonPath()
                        .getString("resource_key"))
                .isEqualTo("drill:localhost:5432");

        // Every table of the manifest, partitions included, holds the rows the backup recorded.
        Manifest m = ArchiveReader.open(BackupApiTest.STORAGE.resolve(backup + ".tar"))
                .manifest();
        Manifest.DatabaseSection app = m.databases().get(0);
        assertThat(d.get("tables")).hasSize(app.tables().size());
        for (JsonNode t : d.get("tables")) {
            assertThat(t.get("ok").asBoolean()).as(t.toString()).isTrue();
            Manifest.TableEntry e = app.tables().stream()
                    .filter(x -> x.schema().equals(t.get("schema").asText())
                            && x.name().equals(t.get("name").asText()))
                    .findFirst()
                    .orElseThrow();
            assertThat(t.get("rows_found").asLong()).isEqualTo(e.rowCount());
        }
        assertThat(d.get("tables").toString()).contains("measurement_2024").contains("auth_user");
        String checks = d.get("checks").toString();
        assertThat(checks)
                .contains("\"foreign-key\"")
                .contains("select_order_fk")
                .contains("\"sequence\"");
        assertThat(checks).contains("users-exist").contains("no-poison");
        for (JsonNode c : d.get("checks")) {
            assertThat(c.get("passed").asBoolean()).as(c.toString()).isTrue();
        }
        assertThat(scratchDatabases()).isEmpty();

        JsonNode list = JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("source", "app")
                .get("/api/drills")
                .asString());
        assertThat(list.get("items").get(0).get("id").asText())
                .isEqualTo(d.get("id").asText());
        JsonNode stats = JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/drills/statistics")
                .asString());
        JsonNode appStats = null;
        for (JsonNode s : stats) {
            if (s.get("source").asText().equals("app")) {
                appStats = s;
            }
        }
        assertThat(appStats).isNotNull();
        assertThat(appStats.get("last_drill_id").asText()).isEqualTo(d.get("id").asText());
        assertThat(appStats.get("last_status").asText()).isEqualTo("SUCCEEDED");
        assertThat(appStats.get("last_recovery_seconds").asDouble())
                .isEqualTo(d.get("recovery_seconds").asDouble());
        assertThat(appStats.get("recovery_trend_seconds").get(0).asDouble())
                .isEqualTo(d.get("recovery_seconds").asDouble());
    }

    @Test
    void aDamagedBackupFailsTheDrillNamingTheTable() throws Exception {
        UUID backup = backup();
        Manifest m = ArchiveReader.open(BackupApiTest.STORAGE.resolve(backup + ".tar"))
                .manifest();
        var entry = m.entries().stream()
                .filter(e -> e.name().contains("customer"))
                .findFirst()
                .orElseThrow();
        try (RandomAccessFile f = new RandomAccessFile(
                BackupApiTest.STORAGE.resolve(backup + ".tar").toFile(), "rw")) {
            long pos = entry.offset() + entry.storedSize() / 2;
            f.seek(pos);
            int v = f.read();
            f.seek(pos);
            f.write(v ^ 0x10);
        }
        JsonNode d = awaitDrill(drill("{\"source\":\"app\",\"backup_id\":\"" + backup + "\"}"));
        assertThat(d.get("status").asText()).as(d.toString()).isEqualTo("FAILED");
        assertThat(d.get("error").asText()).contains("customer");
        assertThat(scratchDatabases()).isEmpty();
    }

    @Test
    void aFailingUserCheckFailsTheDrill() throws Exception {
        AppDatabase.exec(
                TestDatabase.APP_DB, "INSERT INTO \"Audit\".\"EventLog\" (\"Payload\") VALUES ('drill-poison')");
        backup();
        JsonNode d = awaitDrill(drill("{\"source\":\"app\"}"));
        assertThat(d.get("status").asText()).as(d.toString()).isEqualTo("FAILED");
        assertThat(d.get("error").asText()).contains("no-poison").contains("returned 1, expected 0");
        boolean sawFailed = false;
        for (JsonNode c : d.get("checks")) {
            if (c.get("subject").asText().equals("no-poison")) {
                sawFailed = !c.get("passed").asBoolean();
            }
        }
        assertThat(sawFailed).isTrue();
        assertThat(scratchDatabases()).isEmpty();
    }

    @Test
    void unknownSourcesAreRefusedNamingTheField() {
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body("{\"source\":\"nope\"}")
                .post("/api/drills")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", org.hamcrest.Matchers.equalTo("source"));
        given().auth()
                .oauth2(Tokens.viewer())
                .contentType("application/json")
                .body("{\"source\":\"app\"}")
                .post("/api/drills")
                .then()
                .statusCode(403);
    }

    @Test
    void theSweepDropsScratchDatabasesOfEndedDrillsAndNothingElse() throws Exception {
        ScratchTargets scratch = new ScratchTargets(TestDatabase.DRILL_PREFIX);
        UUID ended = UUID.randomUUID();
        String left = scratch.nameOf(ended);
        // A drill this catalog does not know: another installation's on the same server, maybe running.
        String foreign = scratch.nameOf(UUID.randomUUID());
        String lookalike = TestDatabase.DRILL_PREFIX + "not_a_scratch";
        AppDatabase.exec(
                TestDatabase.CATALOG_DB,
                "INSERT INTO holdfast.drill_run (id, source, status, trigger, scratch_database, finished_at)"
                        + " VALUES ('" + ended + "', 'app', 'FAILED', 'manual', '" + left + "', now())");
        AppDatabase.exec("postgres", "DROP DATABASE IF EXISTS " + lookalike);
        AppDatabase.exec(
                "postgres", "CREATE DATABASE " + left, "CREATE DATABASE " + foreign, "CREATE DATABASE " + lookalike);
        try {
            // (The start-up sweep may still be running and take it first: what counts is that it is gone.)
            assertThat(handler.sweep()).doesNotContain(foreign, lookalike);
            // (Other test runs on the server may have scratch databases of their own: only ours are looked at.)
            assertThat(scratchDatabases()).contains(foreign, lookalike).doesNotContain(left);
        } finally {
            AppDatabase.exec(
                    "postgres",
                    "DROP DATABASE IF EXISTS " + lookalike,
                    "DROP DATABASE IF EXISTS " + left,
                    "DROP DATABASE IF EXISTS " + foreign);
            AppDatabase.exec(TestDatabase.CATALOG_DB, "DELETE FROM holdfast.drill_run WHERE id = '" + ended + "'");
        }
    }
}
